//! The connection to Redis, shared by the rate limiter and authentication
//! throttling when several nodes must count together
//! (`--redis-url` / `KEYWARD_REDIS_URL`). It connects lazily and
//! reconnects by itself; a node starts while Redis is away. Every call has
//! a timeout (`redis_timeout_ms`), so an unreachable Redis costs a request
//! at most that.
//! An outage is logged when it starts and when it ends, and each failed
//! call is counted for `/metrics`.

use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, RedisResult, ScriptInvocation};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub struct RedisLink {
    connection: ConnectionManager,
    /// The longest a call may take before it counts as failed.
    timeout: Duration,
    /// The URL without its password, for logs.
    shown: String,
    down: AtomicBool,
    errors: AtomicU64,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink")
            .field("url", &self.shown)
            .finish()
    }
}

/// `url` with any password replaced.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}/{path}")
        }
        _ => url.to_owned(),
    }
}

impl RedisLink {
    /// A link to `url` whose calls fail after `timeout`; nothing is
    /// connected yet.
    pub fn open(url: &str, timeout: Duration) -> Result<Self, String> {
        let shown = without_password(url);
        let client = redis::Client::open(url)
            .map_err(|e| format!("redis_url {shown} is not a Redis URL: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("redis_url {shown}: {e}"))?;
        Ok(Self {
            connection,
            timeout,
            shown,
            down: AtomicBool::new(false),
            errors: AtomicU64::new(0),
        })
    }

    /// Runs `script` as `invocation` asks, once, within the call timeout.
    pub async fn run<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> RedisResult<T> {
        let mut connection = self.connection.clone();
        let outcome = tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection))
            .await
            .unwrap_or_else(|_| {
                Err(redis::RedisError::from((
                    redis::ErrorKind::Io,
                    "no answer in time",
                )))
            });
        match &outcome {
            Ok(_) => {
                if self.down.swap(false, Ordering::AcqRel) {
                    tracing::warn!(redis = %self.shown, "Redis answers again");
                }
            }
            Err(error) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                if !self.down.swap(true, Ordering::AcqRel) {
                    tracing::error!(redis = %self.shown, %error, "Redis can't be reached");
                }
            }
        }
        outcome
    }

    /// Whether the last call failed.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Registers its counter and gauge as they are now.
    pub fn register_metrics(&self, registry: &mut Registry) {
        registry.register(
            "keyward_redis_errors",
            "Calls to Redis that failed or timed out",
            ConstCounter::new(self.errors.load(Ordering::Relaxed)),
        );
        registry.register(
            "keyward_redis_up",
            "Whether the last call to Redis succeeded",
            ConstGauge::new(i64::from(!self.is_down())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            without_password("redis://:s3cret@10.0.0.5:6379/0"),
            "redis://:***@10.0.0.5:6379/0"
        );
        assert_eq!(
            without_password("rediss://app:s3cret@cache/"),
            "rediss://app:***@cache/"
        );
        assert_eq!(
            without_password("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
    }
}
