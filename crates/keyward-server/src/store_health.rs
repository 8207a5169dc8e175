//! Whether the store can be reached, and since when this node may have
//! missed a change: what decides if a cached answer may be served stale.
//! An outage is logged once when it starts and once when it ends.

use keyward_store::{Store, StoreError};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often the store is probed, to notice an outage and its end.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);

pub struct StoreHealth {
    started: Instant,
    /// Cached answers stay usable this long after the last moment this node
    /// was sure it had heard every change.
    stale_if_error: Duration,
    /// Whether this node hears every change now: its `LISTEN` connection is
    /// up (PostgreSQL), or the store answered its last probe (SQLite).
    hearing: AtomicBool,
    /// Milliseconds after `started` when `hearing` last turned false.
    stopped_hearing_ms: AtomicU64,
    down: AtomicBool,
    errors: AtomicU64,
    stale_served: AtomicU64,
    unavailable_answers: AtomicU64,
}

impl StoreHealth {
    pub fn new(stale_if_error: Duration) -> Self {
        Self {
            started: Instant::now(),
            stale_if_error,
            hearing: AtomicBool::new(false),
            stopped_hearing_ms: AtomicU64::new(0),
            down: AtomicBool::new(false),
            errors: AtomicU64::new(0),
            stale_served: AtomicU64::new(0),
            unavailable_answers: AtomicU64::new(0),
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether this node hears every change from now on.
    pub fn set_hearing(&self, hearing: bool) {
        if self.hearing.swap(hearing, Ordering::AcqRel) && !hearing {
            self.stopped_hearing_ms
                .store(self.elapsed_ms(), Ordering::Release);
        }
    }

    /// How long this node may have been missing changes.
    pub fn unheard_for(&self) -> Duration {
        if self.hearing.load(Ordering::Acquire) {
            return Duration::ZERO;
        }
        let since = self.stopped_hearing_ms.load(Ordering::Acquire);
        Duration::from_millis(self.elapsed_ms().saturating_sub(since))
    }

    /// Whether a cached answer may still be served while the store can't
    /// be reached; counts it as served if so.
    pub fn serve_stale(&self) -> bool {
        let fresh_enough = self.unheard_for() <= self.stale_if_error;
        if fresh_enough {
            self.stale_served.fetch_add(1, Ordering::Relaxed);
        }
        fresh_enough
    }

    /// Whether the store is known to be unreachable: callers that can
    /// answer without it don't wait for it.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// A store call failed; an unreachable store starts an outage.
    pub fn failed(&self, error: &StoreError) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if matches!(error, StoreError::Unavailable(_)) && !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(%error, "the store is unreachable; serving cached answers for up to stale_if_error");
        }
    }

    /// A request was answered 503 `STORE_UNAVAILABLE`.
    pub fn answered_unavailable(&self) {
        self.unavailable_answers.fetch_add(1, Ordering::Relaxed);
    }

    /// The store answered: an outage, if any, is over.
    pub fn answered(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::warn!(
                unheard_secs = self.unheard_for().as_secs(),
                "the store is reachable again"
            );
        }
    }

    /// Probes the store every [`PROBE_INTERVAL`], forever. `hears_by_probe`:
    /// the store is not shared, so a probe answered means no change was
    /// missed.
    pub async fn probe(&self, store: Arc<dyn Store>, hears_by_probe: bool) {
        let mut tick = tokio::time::interval(PROBE_INTERVAL);
        loop {
            tick.tick().await;
            let answered = match store.ping().await {
                Ok(()) => {
                    self.answered();
                    true
                }
                Err(error) => {
                    self.failed(&error);
                    false
                }
            };
            if hears_by_probe {
                self.set_hearing(answered);
            }
        }
    }

    /// Registers the counters and gauges as they are now.
    pub fn register(&self, registry: &mut Registry) {
        let counters = [
            (
                "keyward_store_errors",
                "Store calls on the verification path and probes that failed",
                &self.errors,
            ),
            (
                "keyward_stale_answers",
                "Verifications answered from memory while the store could not be reached",
                &self.stale_served,
            ),
            (
                "keyward_store_unavailable_answers",
                "Requests answered 503 STORE_UNAVAILABLE",
                &self.unavailable_answers,
            ),
        ];
        for (name, help, count) in counters {
            registry.register(name, help, ConstCounter::new(count.load(Ordering::Relaxed)));
        }
        registry.register(
            "keyward_unheard_seconds",
            "Seconds since this node last heard every change (0 while it does)",
            ConstGauge::new(self.unheard_for().as_secs_f64()),
        );
        registry.register(
            "keyward_store_up",
            "1 while the store answers, 0 during an outage",
            ConstGauge::new(i64::from(!self.is_down())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_answers_are_served_only_within_the_bound() {
        let health = StoreHealth::new(Duration::from_millis(50));
        health.set_hearing(true);
        assert_eq!(health.unheard_for(), Duration::ZERO);
        health.set_hearing(false);
        assert!(health.serve_stale());
        std::thread::sleep(Duration::from_millis(80));
        assert!(!health.serve_stale());
        health.set_hearing(true);
        assert!(health.serve_stale());
    }

    #[test]
    fn an_outage_starts_on_unreachable_and_ends_on_an_answer() {
        let health = StoreHealth::new(Duration::from_secs(1));
        health.failed(&StoreError::Corrupt("x".into()));
        assert!(!health.is_down());
        health.failed(&StoreError::Unavailable(sqlx::Error::PoolTimedOut));
        assert!(health.is_down());
        health.answered();
        assert!(!health.is_down());
    }
}
