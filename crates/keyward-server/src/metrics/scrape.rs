//! `/metrics` as a whole: the metrics counted as they happen, then what is
//! read from the server's parts when scraped: verification answers by
//! organization, the verification cache, the store's and Redis' health,
//! the usage not yet written.

use crate::cache::{EVICTION_CAUSES, KeyCache};
use crate::state::AppState;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering;

/// Every metric, in Prometheus' text format.
pub fn render(state: &AppState) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    state.metrics.write_to(&mut out)?;
    let mut now = Registry::default();
    state.metrics.verifications.register(&mut now);
    register_cache(&state.cache, &mut now);
    state.health.register(&mut now);
    if let Some(redis) = &state.redis {
        redis.register_metrics(&mut now);
    }
    now.register(
        "keyward_usage_flush_lag_seconds",
        "How long the oldest key use not yet written to the store has waited (0 while all are written)",
        ConstGauge::new(state.usage.unwritten_for().as_secs_f64()),
    );
    prometheus_text::encode(&mut out, &now)?;
    Ok(out)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CauseLabels {
    cause: &'static str,
}

fn register_cache(cache: &KeyCache, registry: &mut Registry) {
    let stats = &cache.stats;
    registry.register(
        "keyward_cache_entries",
        "Resolved keys held in the verification cache",
        ConstGauge::new(i64::try_from(cache.entries()).unwrap_or(i64::MAX)),
    );
    for (name, help, count) in [
        (
            "keyward_cache_hits",
            "Key lookups answered from memory",
            &stats.hits,
        ),
        (
            "keyward_cache_misses",
            "Key lookups not answered from memory",
            &stats.misses,
        ),
        (
            "keyward_cache_loads",
            "Store rounds loading a key (concurrent misses on one key share one)",
            &stats.loads,
        ),
    ] {
        registry.register(name, help, ConstCounter::new(count.load(Ordering::Relaxed)));
    }
    let evictions = Family::<CauseLabels, Counter>::default();
    for (cause, count) in EVICTION_CAUSES.into_iter().zip(&stats.evictions) {
        evictions
            .get_or_create(&CauseLabels { cause })
            .inc_by(count.load(Ordering::Relaxed));
    }
    registry.register(
        "keyward_cache_evictions",
        "Resolved keys dropped from the verification cache, by cause: size (its bound), replaced (reloaded after a change), explicit, expired",
        evictions,
    );
}
