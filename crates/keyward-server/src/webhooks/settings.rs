//! Webhook delivery's settings: `[webhooks]` in the TOML file, flags and
//! `KEYWARD_WEBHOOKS_*` variables.

use crate::config::ConfigError;
use serde::Deserialize;
use std::time::Duration;

pub const DEFAULT_RETRY_BASE_MS: u64 = 5_000;
pub const DEFAULT_EXPIRING_DAYS: u32 = 7;
/// The longest notice an organization may ask for before a key expires.
pub const MAX_EXPIRING_DAYS: u32 = 365;

#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Let webhook URLs use `http` and loopback, private or link-local
    /// addresses (tests, closed networks); off, such URLs are refused.
    #[arg(
        id = "webhooks_allow_private_targets",
        long = "webhooks-allow-private-targets",
        env = "KEYWARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS"
    )]
    #[serde(default)]
    pub allow_private_targets: bool,
    /// Milliseconds before a failed delivery's first retry; later waits
    /// scale with it (about ×6, ×24, …), 100 to 60000 [default: 5000].
    #[arg(
        id = "webhooks_retry_base_ms",
        long = "webhooks-retry-base-ms",
        env = "KEYWARD_WEBHOOKS_RETRY_BASE_MS"
    )]
    pub retry_base_ms: Option<u64>,
    /// Days before a key's expiry that `key.expiring` is sent, unless the
    /// organization sets its own, 1 to 365 [default: 7].
    #[arg(
        id = "webhooks_expiring_days",
        long = "webhooks-expiring-days",
        env = "KEYWARD_WEBHOOKS_EXPIRING_DAYS"
    )]
    pub expiring_days: Option<u32>,
}

/// [`WebhooksConfig`], checked, with its defaults.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    pub allow_private_targets: bool,
    pub retry_base: Duration,
    pub expiring_days: u32,
}

impl WebhooksConfig {
    /// Flags and variables (`self`) win over the file.
    pub fn merge(self, file: WebhooksConfig) -> Self {
        Self {
            allow_private_targets: self.allow_private_targets || file.allow_private_targets,
            retry_base_ms: self.retry_base_ms.or(file.retry_base_ms),
            expiring_days: self.expiring_days.or(file.expiring_days),
        }
    }

    pub fn resolve(self) -> Result<WebhookSettings, ConfigError> {
        let retry_base_ms = self.retry_base_ms.unwrap_or(DEFAULT_RETRY_BASE_MS);
        if !(100..=60_000).contains(&retry_base_ms) {
            return Err(ConfigError::Invalid(
                "webhooks.retry_base_ms must be 100 to 60000".into(),
            ));
        }
        let expiring_days = self.expiring_days.unwrap_or(DEFAULT_EXPIRING_DAYS);
        if !(1..=MAX_EXPIRING_DAYS).contains(&expiring_days) {
            return Err(ConfigError::Invalid(format!(
                "webhooks.expiring_days must be 1 to {MAX_EXPIRING_DAYS}"
            )));
        }
        Ok(WebhookSettings {
            allow_private_targets: self.allow_private_targets,
            retry_base: Duration::from_millis(retry_base_ms),
            expiring_days,
        })
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            retry_base: Duration::from_millis(DEFAULT_RETRY_BASE_MS),
            expiring_days: DEFAULT_EXPIRING_DAYS,
        }
    }
}
