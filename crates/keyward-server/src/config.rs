//! Configuration: one struct from flags, `KEYWARD_*` environment variables
//! and an optional TOML file (flags and variables win over the file).

use crate::connections::ConnectionLimits;
use crate::forward::{ForwardAuth, ForwardAuthConfig};
use crate::leaks::{LeakSettings, LeaksConfig};
use crate::limiter::OnRedisError;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./keyward-data";
pub const DEFAULT_MAX_KEYS_PER_ORG: u32 = 100;
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
/// Invalid credentials a client address may present in a minute.
const DEFAULT_INVALID_CREDENTIALS_PER_MINUTE: u32 = 30;
/// A slow client holds a connection at most this long before its request head is read.
pub const MAX_HEADER_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
pub const DEFAULT_CACHE_MAX_BYTES: u64 = 256 * 1024 * 1024;
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 400;
pub const DEFAULT_STALE_IF_ERROR_SECS: u64 = 300;
pub const DEFAULT_REDIS_TIMEOUT_MS: u64 = 1_000;
/// A hundred years: the longest retention, so the cut-off stays a valid time.
pub const MAX_AUDIT_RETENTION_DAYS: u32 = 36_500;

/// A configured secret; `Debug` never shows it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl FromStr for SecretText {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// A TOML file with any of these settings (and forward-auth rules).
    #[arg(long, env = "KEYWARD_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "KEYWARD_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Folder for the SQLite database and the generated server secret [default: ./keyward-data].
    #[arg(long, env = "KEYWARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite.
    #[arg(long, env = "KEYWARD_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretText>,
    /// Server secret keyed into every stored key hash (at least 32 characters);
    /// generated into the data folder when unset.
    #[arg(long, env = "KEYWARD_SECRET", hide_env_values = true)]
    pub secret: Option<SecretText>,
    /// The global admin key (at least 32 characters); never stored.
    #[arg(long, env = "KEYWARD_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<SecretText>,
    /// Most live keys an organization may hold [default: 100].
    #[arg(long, env = "KEYWARD_MAX_KEYS_PER_ORG")]
    pub max_keys_per_org: Option<u32>,
    /// Invalid credentials one client address may present in a minute
    /// before it is answered 429, 1 to 1000000 [default: 30].
    #[arg(long, env = "KEYWARD_INVALID_CREDENTIALS_PER_MINUTE")]
    pub invalid_credentials_per_minute: Option<u32>,
    /// Log filter, e.g. `info` or `keyward_server=debug` [default: info].
    #[arg(long, env = "KEYWARD_LOG")]
    pub log: Option<String>,
    /// Log format [default: text].
    #[arg(long, env = "KEYWARD_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Don't create an owner user for a `default` organization on the
    /// first start of an empty store.
    #[arg(long, env = "KEYWARD_NO_BOOTSTRAP_USER")]
    #[serde(default)]
    pub no_bootstrap_user: bool,
    /// Mark the portal's session cookie `Secure` (set it when keyward is
    /// served over HTTPS, e.g. behind a TLS-terminating proxy).
    #[arg(long, env = "KEYWARD_SECURE_COOKIES")]
    #[serde(default)]
    pub secure_cookies: bool,
    /// Forward-auth's proxy dialect, trusted proxies and rules; only in the TOML file.
    #[arg(skip)]
    pub forward_auth: Option<ForwardAuthConfig>,
    /// Seconds a client has to send a request's headers, counted from the
    /// connection's start or from its previous response (so idle keep-alive
    /// connections close after it too), 1 to 30 [default: 10].
    #[arg(long, env = "KEYWARD_HEADER_TIMEOUT")]
    pub header_timeout: Option<u64>,
    /// Most connections open at once; further ones are closed at once [default: 1024].
    #[arg(long, env = "KEYWARD_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Memory for cached keys, in bytes [default: 268435456 (256 MiB)].
    #[arg(long, env = "KEYWARD_CACHE_MAX_BYTES")]
    pub cache_max_bytes: Option<u64>,
    /// Seconds a cached verification stays usable while the store can't be
    /// reached, counted from the last moment this node was sure it had
    /// heard every change; 0 answers 503 at once [default: 300].
    #[arg(long, env = "KEYWARD_STALE_IF_ERROR")]
    pub stale_if_error: Option<u64>,
    /// Days the audit log keeps an event; older ones are pruned hourly,
    /// the chain still verifying from its new start, 1 to 36500 [default: 400].
    #[arg(long, env = "KEYWARD_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<u32>,
    /// `redis://…` (or `rediss://…`): rate limits, credits and
    /// authentication throttling counted in Redis, shared by every node;
    /// without it each node counts alone.
    #[arg(long, env = "KEYWARD_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretText>,
    /// What a verification of a key with rate limits or credits gets while
    /// Redis can't be reached: `allow` (passes uncounted) or `deny`
    /// (refused as rate limited) [default: allow].
    #[arg(long, env = "KEYWARD_ON_REDIS_ERROR", value_enum)]
    pub on_redis_error: Option<OnRedisError>,
    /// Milliseconds a call to Redis may take before it counts as failed
    /// (and `on_redis_error` decides), 10 to 60000 [default: 1000].
    #[arg(long, env = "KEYWARD_REDIS_TIMEOUT_MS")]
    pub redis_timeout_ms: Option<u64>,
    /// Secret-scanning intake: `[leaks]` and `[leaks.github]`; only in the TOML file.
    #[arg(skip)]
    pub leaks: Option<LeaksConfig>,
    /// Who may read `/metrics`: `[metrics]` in the TOML file.
    #[command(flatten)]
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// Webhook delivery: `[webhooks]` in the TOML file.
    #[command(flatten)]
    #[serde(default)]
    pub webhooks: crate::webhooks::WebhooksConfig,
}

/// Access to `/metrics`. Unset, anyone who reaches the main port may read it.
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// A bearer token `/metrics` requires (`Authorization: Bearer …`).
    #[arg(
        id = "metrics_token",
        long = "metrics-token",
        env = "KEYWARD_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<SecretText>,
    /// A separate address serving only `/metrics`; the main port then
    /// doesn't serve it.
    #[arg(
        id = "metrics_listen",
        long = "metrics-listen",
        env = "KEYWARD_METRICS_LISTEN"
    )]
    pub listen: Option<SocketAddr>,
    /// How many organizations get a label of their own in
    /// `keyward_verifications_total` (the first seen; later ones count as
    /// `other`); 100 unless set, at most 10000.
    #[arg(
        id = "metrics_org_labels",
        long = "metrics-org-labels",
        env = "KEYWARD_METRICS_ORG_LABELS"
    )]
    pub org_labels: Option<u16>,
}

impl MetricsConfig {
    /// The most organizations labelled on their own.
    pub const MAX_ORG_LABELS: u16 = 10_000;

    pub fn org_labels(&self) -> u16 {
        self.org_labels
            .unwrap_or(crate::metrics::DEFAULT_ORG_LABELS)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("in {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Where the store lives.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    Postgres(SecretText),
}

impl StoreLocation {
    pub fn url(&self) -> String {
        match self {
            StoreLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
            StoreLocation::Postgres(url) => url.expose().to_owned(),
        }
    }
}

/// The configuration with every default applied and every value checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub store: StoreLocation,
    pub secret: Option<SecretText>,
    pub admin_key: Option<SecretText>,
    pub max_keys_per_org: u32,
    pub invalid_credentials_per_minute: u32,
    pub log: String,
    pub log_format: LogFormat,
    pub bootstrap_user: bool,
    pub secure_cookies: bool,
    pub forward_auth: ForwardAuth,
    pub metrics: MetricsConfig,
    pub connections: ConnectionLimits,
    pub cache_max_bytes: u64,
    pub stale_if_error: Duration,
    pub audit_retention_days: u32,
    pub redis_url: Option<SecretText>,
    pub on_redis_error: OnRedisError,
    pub redis_timeout: Duration,
    pub webhooks: crate::webhooks::WebhookSettings,
    pub leaks: LeakSettings,
}

impl Config {
    fn read_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Reads the TOML file if one is named, lets flags and variables win,
    /// applies defaults and checks the values.
    pub fn resolve(self) -> Result<Settings, ConfigError> {
        let file = match &self.config {
            Some(path) => Self::read_file(path)?,
            None => Config::default(),
        };
        let data_dir = self
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let store = match self.database_url.or(file.database_url) {
            Some(url)
                if url.expose().starts_with("postgres://")
                    || url.expose().starts_with("postgresql://") =>
            {
                StoreLocation::Postgres(url)
            }
            Some(_) => {
                return Err(ConfigError::Invalid(
                    "database_url must be a postgres:// URL; leave it unset for the embedded SQLite".into(),
                ));
            }
            None => StoreLocation::Sqlite(data_dir.join("keyward.db")),
        };
        let secret = self.secret.or(file.secret);
        if secret.as_ref().is_some_and(|s| s.expose().len() < 32) {
            return Err(ConfigError::Invalid(
                "KEYWARD_SECRET must be at least 32 characters".into(),
            ));
        }
        let admin_key = self.admin_key.or(file.admin_key);
        if admin_key.as_ref().is_some_and(|s| s.expose().len() < 32) {
            return Err(ConfigError::Invalid(
                "KEYWARD_ADMIN_KEY must be at least 32 characters".into(),
            ));
        }
        let max_keys_per_org = self
            .max_keys_per_org
            .or(file.max_keys_per_org)
            .unwrap_or(DEFAULT_MAX_KEYS_PER_ORG);
        if max_keys_per_org == 0 {
            return Err(ConfigError::Invalid(
                "max_keys_per_org must be at least 1".into(),
            ));
        }
        let listen = match self.listen.or(file.listen) {
            Some(addr) => addr,
            None => DEFAULT_LISTEN
                .parse()
                .map_err(|_| ConfigError::Invalid("bad default listen address".into()))?,
        };
        let cache_max_bytes = self
            .cache_max_bytes
            .or(file.cache_max_bytes)
            .unwrap_or(DEFAULT_CACHE_MAX_BYTES);
        if cache_max_bytes < 1024 * 1024 {
            return Err(ConfigError::Invalid(
                "cache_max_bytes must be at least 1048576 (1 MiB)".into(),
            ));
        }
        let stale_if_error = Duration::from_secs(
            self.stale_if_error
                .or(file.stale_if_error)
                .unwrap_or(DEFAULT_STALE_IF_ERROR_SECS),
        );
        let audit_retention_days = self
            .audit_retention_days
            .or(file.audit_retention_days)
            .unwrap_or(DEFAULT_AUDIT_RETENTION_DAYS);
        if !(1..=MAX_AUDIT_RETENTION_DAYS).contains(&audit_retention_days) {
            return Err(ConfigError::Invalid(format!(
                "audit_retention_days must be 1 to {MAX_AUDIT_RETENTION_DAYS}"
            )));
        }
        let forward_auth = self
            .forward_auth
            .or(file.forward_auth)
            .unwrap_or_default()
            .compile()
            .map_err(ConfigError::Invalid)?;
        let metrics = MetricsConfig {
            token: self.metrics.token.or(file.metrics.token),
            listen: self.metrics.listen.or(file.metrics.listen),
            org_labels: self.metrics.org_labels.or(file.metrics.org_labels),
        };
        if metrics.org_labels() > MetricsConfig::MAX_ORG_LABELS {
            return Err(ConfigError::Invalid(format!(
                "metrics org_labels must be at most {}",
                MetricsConfig::MAX_ORG_LABELS
            )));
        }
        if metrics
            .token
            .as_ref()
            .is_some_and(|t| t.expose().is_empty())
        {
            return Err(ConfigError::Invalid(
                "the metrics token must not be empty".into(),
            ));
        }
        let redis_url = self.redis_url.or(file.redis_url);
        if redis_url.as_ref().is_some_and(|url| {
            !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://"))
        }) {
            return Err(ConfigError::Invalid(
                "redis_url must be a redis:// or rediss:// URL".into(),
            ));
        }
        let redis_timeout_ms = self
            .redis_timeout_ms
            .or(file.redis_timeout_ms)
            .unwrap_or(DEFAULT_REDIS_TIMEOUT_MS);
        if !(10..=60_000).contains(&redis_timeout_ms) {
            return Err(ConfigError::Invalid(
                "redis_timeout_ms must be 10 to 60000".into(),
            ));
        }
        let invalid_credentials_per_minute = self
            .invalid_credentials_per_minute
            .or(file.invalid_credentials_per_minute)
            .unwrap_or(DEFAULT_INVALID_CREDENTIALS_PER_MINUTE);
        if !(1..=1_000_000).contains(&invalid_credentials_per_minute) {
            return Err(ConfigError::Invalid(
                "invalid_credentials_per_minute must be 1 to 1000000".into(),
            ));
        }
        let leaks = self.leaks.or(file.leaks).unwrap_or_default().resolve()?;
        let connections = Self::connection_limits(
            self.header_timeout.or(file.header_timeout),
            self.max_connections.or(file.max_connections),
        )?;
        let webhooks = self.webhooks.merge(file.webhooks).resolve()?;
        Ok(Settings {
            listen,
            data_dir,
            store,
            secret,
            admin_key,
            max_keys_per_org,
            invalid_credentials_per_minute,
            log: self.log.or(file.log).unwrap_or_else(|| "info".into()),
            log_format: self.log_format.or(file.log_format).unwrap_or_default(),
            bootstrap_user: !(self.no_bootstrap_user || file.no_bootstrap_user),
            secure_cookies: self.secure_cookies || file.secure_cookies,
            forward_auth,
            cache_max_bytes,
            stale_if_error,
            audit_retention_days,
            metrics,
            connections,
            redis_url,
            on_redis_error: self
                .on_redis_error
                .or(file.on_redis_error)
                .unwrap_or_default(),
            redis_timeout: Duration::from_millis(redis_timeout_ms),
            webhooks,
            leaks,
        })
    }

    fn connection_limits(
        header_timeout: Option<u64>,
        max_connections: Option<usize>,
    ) -> Result<ConnectionLimits, ConfigError> {
        let header_timeout = header_timeout.unwrap_or(DEFAULT_HEADER_TIMEOUT_SECS);
        if !(1..=MAX_HEADER_TIMEOUT_SECS).contains(&header_timeout) {
            return Err(ConfigError::Invalid(format!(
                "header_timeout must be 1 to {MAX_HEADER_TIMEOUT_SECS} seconds"
            )));
        }
        let max_connections = max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS);
        if max_connections == 0 {
            return Err(ConfigError::Invalid(
                "max_connections must be at least 1".into(),
            ));
        }
        Ok(ConnectionLimits {
            header_timeout: Duration::from_secs(header_timeout),
            max_connections,
        })
    }
}
