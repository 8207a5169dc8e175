//! Secret-scanning intake: what a scanner may report and how its report is
//! authenticated. GitHub's partner program signs its reports
//! ([`github_keys`]); other scanners sign theirs with a shared HMAC secret
//! (`X-Keyward-Signature: sha256=<hex>`). The changes a report makes are
//! `ops::leaks`'s; the routes are `routes::leaks`.

pub mod github_keys;
pub mod report;

use crate::config::{ConfigError, SecretText};
use github_keys::{GithubKeys, SignatureError};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// The header carrying a generic report's signature.
pub const SIGNATURE_HEADER: &str = "x-keyward-signature";
/// The shortest shared secret accepted.
const HMAC_SECRET_MIN: usize = 32;
/// The longest published key list read from `public_keys_url`.
const KEY_LIST_MAX_BYTES: usize = 64 * 1024;
/// How often at most a node asks `public_keys_url` again.
const REFRESH_EVERY: Duration = Duration::from_secs(60);
const REFRESH_TIMEOUT: Duration = Duration::from_secs(5);

/// `[leaks]` in the TOML file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaksConfig {
    /// The secret other scanners sign `POST /api/v1/leaks` with.
    pub hmac_secret: Option<SecretText>,
    pub github: Option<GithubLeaksConfig>,
}

/// `[leaks.github]`: GitHub's secret-scanning partner program.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubLeaksConfig {
    /// GitHub's public keys, in its published JSON form.
    pub public_keys_file: PathBuf,
    /// Where to fetch them again when a report names an unknown key
    /// (`https://api.github.com/meta/public_keys/secret_scanning`); off
    /// unless set.
    #[serde(default)]
    pub public_keys_url: Option<String>,
    /// Answer each token as `token_raw` rather than `token_hash`.
    #[serde(default)]
    pub answer_token_raw: bool,
}

/// The intake's settings, checked.
#[derive(Debug, Clone, Default)]
pub struct LeakSettings {
    pub hmac_secret: Option<SecretText>,
    pub github: Option<GithubSettings>,
}

#[derive(Debug, Clone)]
pub struct GithubSettings {
    pub keys: GithubKeys,
    pub public_keys_url: Option<String>,
    pub answer_token_raw: bool,
}

impl LeaksConfig {
    /// Reads GitHub's key file and checks the secret.
    pub fn resolve(self) -> Result<LeakSettings, ConfigError> {
        if self
            .hmac_secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < HMAC_SECRET_MIN)
        {
            return Err(ConfigError::Invalid(format!(
                "leaks.hmac_secret must be at least {HMAC_SECRET_MIN} characters"
            )));
        }
        let github = match self.github {
            Some(github) => {
                let path = &github.public_keys_file;
                let json = std::fs::read(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                let keys = GithubKeys::parse(&json).map_err(|e| {
                    ConfigError::Invalid(format!("leaks.github.public_keys_file: {e}"))
                })?;
                let web = |url: &String| url.starts_with("https://") || url.starts_with("http://");
                if github.public_keys_url.as_ref().is_some_and(|url| !web(url)) {
                    return Err(ConfigError::Invalid(
                        "leaks.github.public_keys_url must be an http(s) URL".into(),
                    ));
                }
                Some(GithubSettings {
                    keys,
                    public_keys_url: github.public_keys_url,
                    answer_token_raw: github.answer_token_raw,
                })
            }
            None => None,
        };
        Ok(LeakSettings {
            hmac_secret: self.hmac_secret,
            github,
        })
    }
}

/// A node's intake: GitHub's keys as last read, refreshed from
/// `public_keys_url` when a report names a key the node doesn't know.
pub struct LeakIntake {
    settings: LeakSettings,
    keys: RwLock<GithubKeys>,
    refreshed: Mutex<Option<Instant>>,
}

impl LeakIntake {
    pub fn new(settings: LeakSettings) -> Self {
        let keys = settings
            .github
            .as_ref()
            .map(|g| g.keys.clone())
            .unwrap_or_default();
        Self {
            settings,
            keys: RwLock::new(keys),
            refreshed: Mutex::new(None),
        }
    }

    pub fn github(&self) -> Option<&GithubSettings> {
        self.settings.github.as_ref()
    }

    pub fn hmac_configured(&self) -> bool {
        self.settings.hmac_secret.is_some()
    }

    /// Checks a GitHub report's signature; an unknown key identifier makes
    /// the node fetch the key list again first, if it may.
    pub async fn verify_github(
        &self,
        identifier: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let (Some(identifier), Some(signature)) = (identifier, signature) else {
            return Err(SignatureError::Missing);
        };
        let known = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .knows(identifier);
        if !known {
            self.refresh().await;
        }
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .verify(identifier, signature, body)
    }

    async fn refresh(&self) {
        let Some(url) = self.github().and_then(|g| g.public_keys_url.as_deref()) else {
            return;
        };
        {
            let mut last = self
                .refreshed
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < REFRESH_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        match fetch_keys(url).await {
            Ok(keys) => {
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
                tracing::info!("GitHub's secret-scanning keys fetched again");
            }
            Err(error) => tracing::warn!(%error, "fetching GitHub's secret-scanning keys failed"),
        }
    }

    /// Checks a generic report's `sha256=<hex>` signature, in constant time.
    pub fn verify_hmac(&self, header: Option<&str>, body: &[u8]) -> bool {
        let Some(secret) = &self.settings.hmac_secret else {
            return false;
        };
        let Some(hex_mac) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
            return false;
        };
        let Ok(expected) = hex::decode(hex_mac) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }
}

async fn fetch_keys(url: &str) -> Result<GithubKeys, String> {
    let client = reqwest::Client::builder()
        .timeout(REFRESH_TIMEOUT)
        .user_agent("keyward")
        .build()
        .map_err(|e| e.to_string())?;
    let mut response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > KEY_LIST_MAX_BYTES {
            return Err(format!("the key list is over {KEY_LIST_MAX_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    GithubKeys::parse(&body)
}
