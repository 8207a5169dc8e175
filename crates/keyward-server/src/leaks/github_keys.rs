//! GitHub's secret-scanning signing keys and the check of a report's
//! signature: ECDSA P-256 with SHA-256 over the raw body, the signature
//! base64-encoded DER in `Github-Public-Key-Signature`, the key named by
//! `Github-Public-Key-Identifier`.
//!
//! The keys come in GitHub's published form,
//! `{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}`,
//! from a file, and optionally again from a URL when a report names a key
//! the node doesn't know (at most once a minute).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;

/// The most keys a published list may hold.
const KEYS_MAX: usize = 64;
/// The longest key identifier kept (GitHub's are 64 hex characters).
const IDENTIFIER_MAX: usize = 256;
/// The longest signature header read: a DER P-256 signature is at most 72
/// bytes, 96 in base64.
const SIGNATURE_MAX: usize = 256;

#[derive(Deserialize)]
struct Published {
    public_keys: Vec<PublishedKey>,
}

/// One published key; `is_current` is read past: a report names the key
/// it was signed with, current or not.
#[derive(Deserialize)]
struct PublishedKey {
    key_identifier: String,
    key: String,
}

/// GitHub's signing keys by identifier. Keys GitHub no longer marks
/// current still verify: it names the key it signed with.
#[derive(Clone, Default)]
pub struct GithubKeys(HashMap<String, VerifyingKey>);

impl fmt::Debug for GithubKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// Why a report's signature was refused; logged, never told in detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Github-Public-Key-Identifier or Github-Public-Key-Signature header")]
    Missing,
    #[error("the key identifier names no known GitHub key")]
    UnknownKey,
    #[error("the signature is not base64 DER")]
    Malformed,
    #[error("the signature does not match the body")]
    Mismatch,
}

impl GithubKeys {
    /// Reads GitHub's published JSON form.
    pub fn parse(json: &[u8]) -> Result<Self, String> {
        let published: Published = serde_json::from_slice(json)
            .map_err(|e| format!("not GitHub's public key list: {e}"))?;
        if published.public_keys.len() > KEYS_MAX {
            return Err(format!("more than {KEYS_MAX} public keys"));
        }
        let mut keys = HashMap::new();
        for entry in published.public_keys {
            if entry.key_identifier.is_empty() || entry.key_identifier.len() > IDENTIFIER_MAX {
                return Err("a key_identifier is empty or too long".into());
            }
            let key = VerifyingKey::from_public_key_pem(entry.key.trim()).map_err(|e| {
                format!(
                    "key {}: not a P-256 public key in PEM: {e}",
                    entry.key_identifier
                )
            })?;
            keys.insert(entry.key_identifier, key);
        }
        Ok(Self(keys))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn knows(&self, identifier: &str) -> bool {
        self.0.contains_key(identifier)
    }

    /// Checks `signature` (base64 DER) over `body` under the key named
    /// `identifier`.
    pub fn verify(
        &self,
        identifier: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let key = self.0.get(identifier).ok_or(SignatureError::UnknownKey)?;
        if signature.len() > SIGNATURE_MAX {
            return Err(SignatureError::Malformed);
        }
        let der = STANDARD
            .decode(signature.trim())
            .map_err(|_| SignatureError::Malformed)?;
        let signature = Signature::from_der(&der).map_err(|_| SignatureError::Malformed)?;
        key.verify(body, &signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::{EncodePublicKey, LineEnding};

    fn published(id: &str, key: &SigningKey) -> Vec<u8> {
        let pem = key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        serde_json::to_vec(&serde_json::json!({
            "public_keys": [{"key_identifier": id, "key": pem, "is_current": true}]
        }))
        .unwrap()
    }

    fn sign(key: &SigningKey, body: &[u8]) -> String {
        let signature: Signature = key.sign(body);
        STANDARD.encode(signature.to_der().as_bytes())
    }

    #[test]
    fn a_signed_body_verifies_and_nothing_else_does() {
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let keys = GithubKeys::parse(&published("k1", &key)).unwrap();
        let body = br#"[{"token":"x","type":"t","url":"u","source":"content"}]"#;
        let signature = sign(&key, body);
        assert_eq!(keys.verify("k1", &signature, body), Ok(()));
        assert_eq!(
            keys.verify("k1", &signature, b"[]"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            keys.verify("k2", &signature, body),
            Err(SignatureError::UnknownKey)
        );
        assert_eq!(
            keys.verify("k1", "not base64!", body),
            Err(SignatureError::Malformed)
        );
        let other = SigningKey::random(&mut rand::rngs::OsRng);
        assert_eq!(
            keys.verify("k1", &sign(&other, body), body),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn bad_key_lists_are_refused() {
        assert!(GithubKeys::parse(b"{}").is_err());
        assert!(
            GithubKeys::parse(br#"{"public_keys":[{"key_identifier":"a","key":"nope"}]}"#).is_err()
        );
        let empty = GithubKeys::parse(br#"{"public_keys":[]}"#).unwrap();
        assert!(empty.is_empty());
    }
}
