//! The key format `<prefix>_<43 base62 of 32 random bytes><6 base62 of CRC32>`,
//! the server secret, and the HMAC under which keys are stored.

use crate::base62;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq;

/// Characters of the random part.
pub const RANDOM_LEN: usize = 43;
/// Characters of the checksum.
pub const CHECKSUM_LEN: usize = 6;
/// Characters after `<prefix>_`.
pub const BODY_LEN: usize = RANDOM_LEN + CHECKSUM_LEN;
/// Characters of the body that a mask shows.
const MASK_VISIBLE: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("a key prefix is 2 to 12 lowercase letters or digits")]
    BadPrefix,
    #[error("the key has no `_` after its prefix")]
    MissingSeparator,
    #[error("the key body must be {BODY_LEN} characters")]
    BadLength,
    #[error("the key body must be base62 (0-9, A-Z, a-z)")]
    BadAlphabet,
    #[error("the key's checksum does not match")]
    BadChecksum,
    #[error("the key's prefix is not the expected one")]
    WrongPrefix,
}

/// A validated key prefix: 2 to 12 lowercase ASCII letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Prefix(String);

impl Prefix {
    pub const DEFAULT: &'static str = "kw";

    pub fn parse(s: &str) -> Result<Self, KeyParseError> {
        Self::parse_str(s).map(|()| Self(s.to_owned()))
    }

    fn parse_str(s: &str) -> Result<(), KeyParseError> {
        let valid = (2..=12).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if valid {
            Ok(())
        } else {
            Err(KeyParseError::BadPrefix)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Prefix {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plaintext API key whose format and checksum are valid. Its `Debug` shows
/// only the mask, so it can't reach a log by accident.
#[derive(Clone)]
pub struct ApiKey {
    text: String,
    prefix_len: usize,
}

impl ApiKey {
    /// Mints a new key from 32 bytes of the operating system's CSPRNG.
    pub fn mint(prefix: &Prefix) -> Self {
        let mut random = [0u8; 32];
        OsRng.fill_bytes(&mut random);
        Self::from_random(prefix, &random)
    }

    fn from_random(prefix: &Prefix, random: &[u8; 32]) -> Self {
        let mut text = String::with_capacity(prefix.0.len() + 1 + BODY_LEN);
        text.push_str(&prefix.0);
        text.push('_');
        base62::encode_fixed(random, RANDOM_LEN, &mut text);
        let crc = crc32fast::hash(text.as_bytes());
        text.extend(base62::encode_u32(crc).iter().map(|&b| char::from(b)));
        Self {
            text,
            prefix_len: prefix.0.len(),
        }
    }

    /// Checks the format and the checksum, touching nothing but the string.
    pub fn parse(s: &str) -> Result<Self, KeyParseError> {
        let prefix_len = Self::check(s)?;
        Ok(Self {
            text: s.to_owned(),
            prefix_len,
        })
    }

    /// [`ApiKey::parse`] without keeping the key (no allocation): the
    /// verification path's first gate. Returns the prefix's length.
    pub fn check(s: &str) -> Result<usize, KeyParseError> {
        let (prefix, body) = s.split_once('_').ok_or(KeyParseError::MissingSeparator)?;
        Prefix::parse_str(prefix)?;
        if body.len() != BODY_LEN {
            return Err(KeyParseError::BadLength);
        }
        if !base62::is_base62(body) {
            return Err(KeyParseError::BadAlphabet);
        }
        let split = s.len() - CHECKSUM_LEN;
        let crc = crc32fast::hash(&s.as_bytes()[..split]);
        if base62::encode_u32(crc) != s.as_bytes()[split..] {
            return Err(KeyParseError::BadChecksum);
        }
        Ok(prefix.len())
    }

    /// [`ApiKey::parse`], and the prefix must be `expected`.
    pub fn parse_with_prefix(s: &str, expected: &Prefix) -> Result<Self, KeyParseError> {
        let key = Self::parse(s)?;
        if key.prefix() == expected.as_str() {
            Ok(key)
        } else {
            Err(KeyParseError::WrongPrefix)
        }
    }

    pub fn prefix(&self) -> &str {
        &self.text[..self.prefix_len]
    }

    /// The plaintext: to be shown once, in a creation response, and nowhere else.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The prefix, `_`, the first five characters of the body, then `*` for
    /// each remaining character.
    pub fn mask(&self) -> String {
        let body_start = self.prefix_len + 1;
        let mut mask = String::with_capacity(self.text.len());
        mask.push_str(&self.text[..body_start + MASK_VISIBLE]);
        mask.extend(std::iter::repeat_n('*', BODY_LEN - MASK_VISIBLE));
        mask
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ApiKey").field(&self.mask()).finish()
    }
}

/// The server secret keyed into every stored hash. `Debug` is redacted.
#[derive(Clone)]
pub struct ServerSecret(Vec<u8>);

impl ServerSecret {
    pub const MIN_LEN: usize = 32;

    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Accepts secrets of at least [`ServerSecret::MIN_LEN`] bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= Self::MIN_LEN).then_some(Self(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

/// `HMAC-SHA256(server_secret, key)`: the only form in which keys are stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash(pub [u8; 32]);

impl KeyHash {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time equality, for comparing secrets.
    pub fn ct_eq(&self, other: &KeyHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(<redacted>)")
    }
}

/// Hashes keys under the server secret. The keyed state is computed once and
/// cloned per hash, which saves the key schedule on the hot path.
#[derive(Clone)]
pub struct KeyHasher {
    keyed: Hmac<Sha256>,
}

impl KeyHasher {
    /// HMAC takes keys of any length, so this fails only if that changes.
    pub fn new(secret: &ServerSecret) -> Result<Self, hmac::digest::InvalidLength> {
        Ok(Self {
            keyed: Hmac::<Sha256>::new_from_slice(secret.expose())?,
        })
    }

    /// Hashes any credential text (keys, the admin key, session tokens).
    pub fn hash(&self, text: &str) -> KeyHash {
        let mut mac = self.keyed.clone();
        mac.update(text.as_bytes());
        KeyHash(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHasher(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn prefix(s: &str) -> Prefix {
        Prefix::parse(s).unwrap()
    }

    #[test]
    fn minted_key_has_the_documented_shape() {
        let key = ApiKey::mint(&prefix("ddf"));
        let text = key.expose();
        assert!(text.starts_with("ddf_"));
        assert_eq!(text.len(), 4 + 49);
        assert!(text[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn mask_shows_prefix_and_five_characters() {
        let key = ApiKey::mint(&prefix("ddf"));
        let mask = key.mask();
        assert_eq!(&mask[..9], &key.expose()[..9]);
        assert_eq!(mask.len(), key.expose().len());
        assert!(mask[9..].bytes().all(|b| b == b'*'));
        assert_eq!(format!("{key:?}"), format!("ApiKey({mask:?})"));
    }

    #[test]
    fn parse_rejects_each_kind_of_junk() {
        let good = ApiKey::mint(&prefix("kw")).expose().to_owned();
        assert!(ApiKey::parse(&good).is_ok());
        assert_eq!(
            ApiKey::parse("nounderscore").unwrap_err(),
            KeyParseError::MissingSeparator
        );
        assert_eq!(
            ApiKey::parse(&good.replacen("kw", "KW", 1)).unwrap_err(),
            KeyParseError::BadPrefix
        );
        assert_eq!(
            ApiKey::parse(&good[..good.len() - 1]).unwrap_err(),
            KeyParseError::BadLength
        );
        let bad_alpha = format!("{}-{}", &good[..10], &good[11..]);
        assert_eq!(
            ApiKey::parse(&bad_alpha).unwrap_err(),
            KeyParseError::BadAlphabet
        );
        assert_eq!(
            ApiKey::parse_with_prefix(&good, &prefix("ddf")).unwrap_err(),
            KeyParseError::WrongPrefix
        );
    }

    #[test]
    fn hasher_is_keyed_by_the_secret() {
        let a = KeyHasher::new(&ServerSecret::generate()).unwrap();
        let b = KeyHasher::new(&ServerSecret::generate()).unwrap();
        assert!(a.hash("kw_x").ct_eq(&a.hash("kw_x")));
        assert!(!a.hash("kw_x").ct_eq(&b.hash("kw_x")));
        assert_eq!(format!("{:?}", a.hash("kw_x")), "KeyHash(<redacted>)");
    }

    fn arb_prefix() -> impl Strategy<Value = Prefix> {
        "[a-z0-9]{2,12}".prop_map(|s| Prefix::parse(&s).unwrap())
    }

    proptest! {
        #[test]
        fn mint_then_parse_round_trips(p in arb_prefix(), random in any::<[u8; 32]>()) {
            let key = ApiKey::from_random(&p, &random);
            let parsed = ApiKey::parse_with_prefix(key.expose(), &p).unwrap();
            prop_assert_eq!(parsed.expose(), key.expose());
            prop_assert_eq!(parsed.prefix(), p.as_str());
        }

        #[test]
        fn any_single_character_change_fails(
            p in arb_prefix(),
            random in any::<[u8; 32]>(),
            position in any::<prop::sample::Index>(),
            replacement in "[0-9A-Za-z]",
        ) {
            let key = ApiKey::from_random(&p, &random);
            let text = key.expose();
            let body_start = p.as_str().len() + 1;
            let at = body_start + position.index(BODY_LEN);
            prop_assume!(&text[at..at + 1] != replacement.as_str());
            let mut changed = text.to_owned();
            changed.replace_range(at..at + 1, &replacement);
            prop_assert!(ApiKey::parse(&changed).is_err());
        }
    }
}
