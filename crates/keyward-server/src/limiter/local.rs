//! Counters in this node's memory, one lock per key, kept while the key
//! is used: a rate limit idle for its whole window is whole again, so
//! forgetting it loses nothing, and a credit balance reaches the store
//! within seconds of its last use, long before it is forgotten.

use super::Counted;
use chrono::{DateTime, Utc};
use keyward_core::key_limits::{KeyLimits, RateLimit};
use keyward_core::limit_decision::{self, Counters};
use moka::sync::Cache;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use uuid::Uuid;

/// Longer than the longest window (a day), and than any flush.
const IDLE: Duration = Duration::from_secs(25 * 3600);

#[derive(Default)]
struct Entry {
    /// The limits `counters.tats` were counted under.
    limits: Vec<RateLimit>,
    counters: Counters,
    /// The balance the credits count from.
    generation: i64,
    refilled_at: Option<DateTime<Utc>>,
}

pub struct LocalCounters {
    entries: Cache<Uuid, Arc<Mutex<Entry>>>,
}

impl Default for LocalCounters {
    fn default() -> Self {
        Self {
            entries: Cache::builder().time_to_idle(IDLE).build(),
        }
    }
}

impl LocalCounters {
    pub fn decide(
        &self,
        key_id: Uuid,
        limits: &KeyLimits,
        cost: i64,
        now: DateTime<Utc>,
    ) -> Counted {
        let entry = self.entries.get_with(key_id, Arc::default);
        let mut entry = entry.lock().unwrap_or_else(PoisonError::into_inner);
        if entry.limits != limits.ratelimits {
            entry.limits.clone_from(&limits.ratelimits);
            entry.counters.tats.clear();
        }
        match &limits.credits {
            None => {
                entry.counters.credits = None;
                entry.refilled_at = None;
            }
            Some(balance) => match entry.refilled_at {
                Some(at) if entry.generation == balance.generation => {
                    if let Some(refill) = &balance.credits.refill {
                        let last = refill.last(now);
                        if last > at {
                            entry.counters.credits = Some(refill.amount);
                            entry.refilled_at = Some(last);
                        }
                    }
                }
                _ => {
                    let (remaining, at) = balance.at(now);
                    entry.counters.credits = Some(remaining);
                    entry.generation = balance.generation;
                    entry.refilled_at = Some(at);
                }
            },
        }
        let at = limit_decision::millis(now);
        let verdict = limit_decision::decide(&limits.ratelimits, &mut entry.counters, cost, at);
        Counted {
            now: at,
            verdict,
            tats: entry.counters.tats.clone(),
            credits: entry.counters.credits.zip(entry.refilled_at),
        }
    }

    /// The credits this node counted for `key_id` under `generation`.
    pub fn credits(&self, key_id: Uuid, generation: i64) -> Option<(i64, DateTime<Utc>)> {
        let entry = self.entries.get(&key_id)?;
        let entry = entry.lock().unwrap_or_else(PoisonError::into_inner);
        if entry.generation != generation {
            return None;
        }
        entry.counters.credits.zip(entry.refilled_at)
    }
}
