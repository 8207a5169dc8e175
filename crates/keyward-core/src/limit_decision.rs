//! One verification's decision against a key's rate limits and credits,
//! all or nothing: a request that would exceed any of them is refused and
//! counts against none. The server applies it under a lock per key, and
//! its Redis script (`keyward-server/src/limiter/decide.lua`) is the same
//! arithmetic, so one node and several decide alike.
//!
//! Rate limits are GCRA: each keeps a theoretical arrival time (`tat`); a
//! limit of `limit` per `duration_ms` lets a burst of `limit` through and
//! then one every `duration_ms / limit`, with no window boundary to double
//! it. Times are milliseconds since [`EPOCH_MS`] as `f64`, which keeps
//! fractions of a microsecond for decades.

use crate::key_limits::RateLimit;
use chrono::{DateTime, Utc};

/// 2026-01-01T00:00:00Z in milliseconds since the Unix epoch.
pub const EPOCH_MS: i64 = 1_767_225_600_000;
/// Slack for floating-point error in comparisons, in milliseconds.
const SLACK_MS: f64 = 1e-6;

/// A time as the decision keeps it.
pub fn millis(at: DateTime<Utc>) -> f64 {
    (at.timestamp_millis() - EPOCH_MS) as f64
}

/// A time the decision kept, back as a date.
pub fn date(millis: f64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(EPOCH_MS + millis.ceil() as i64).unwrap_or(DateTime::UNIX_EPOCH)
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    Pass,
    /// A rate limit is reached; one more verification passes after this
    /// many milliseconds.
    RateLimited {
        retry_after_ms: f64,
    },
    /// The cost is more than the credits left.
    UsageExceeded,
}

/// A rate limit after the decision: what is left and when all of it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitLeft {
    pub remaining: u64,
    pub reset_at_ms: f64,
}

/// The state of one key's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    /// One theoretical arrival time per rate limit, in the key's order.
    pub tats: Vec<f64>,
    /// Credits left, when the key has credits.
    pub credits: Option<i64>,
}

/// Decides one verification at `now` costing `cost` credits, and counts it
/// when it passes.
pub fn decide(limits: &[RateLimit], counters: &mut Counters, cost: i64, now: f64) -> Verdict {
    counters.tats.resize(limits.len(), f64::MIN);
    let mut verdict = match counters.credits {
        Some(left) if cost > left => Verdict::UsageExceeded,
        _ => Verdict::Pass,
    };
    if verdict == Verdict::Pass {
        let mut wait = 0.0_f64;
        for (limit, tat) in limits.iter().zip(&counters.tats) {
            let next = tat.max(now) + limit.interval_ms();
            let over = next - now - limit.duration_ms as f64;
            if over > SLACK_MS {
                wait = wait.max(over);
            }
        }
        if wait > 0.0 {
            verdict = Verdict::RateLimited {
                retry_after_ms: wait,
            };
        }
    }
    if verdict == Verdict::Pass {
        for (limit, tat) in limits.iter().zip(counters.tats.iter_mut()) {
            *tat = tat.max(now) + limit.interval_ms();
        }
        if let Some(left) = counters.credits.as_mut() {
            *left -= cost;
        }
    }
    verdict
}

/// What each limit has left at `now`.
pub fn left(limits: &[RateLimit], counters: &Counters, now: f64) -> Vec<LimitLeft> {
    limits
        .iter()
        .zip(&counters.tats)
        .map(|(limit, tat)| left_of(limit, *tat, now))
        .collect()
}

/// What a limit whose arrival time is `tat` has left at `now`.
pub fn left_of(limit: &RateLimit, tat: f64, now: f64) -> LimitLeft {
    let tat = tat.max(now);
    let room = limit.duration_ms as f64 - (tat - now);
    let remaining = ((room + SLACK_MS) / limit.interval_ms()).floor().max(0.0) as u64;
    LimitLeft {
        remaining: remaining.min(limit.limit),
        reset_at_ms: tat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(limit: u64, duration_ms: u64) -> RateLimit {
        RateLimit {
            name: "l".into(),
            limit,
            duration_ms,
        }
    }

    fn passes(
        limits: &[RateLimit],
        counters: &mut Counters,
        cost: i64,
        now: f64,
        n: usize,
    ) -> usize {
        (0..n)
            .filter(|_| decide(limits, counters, cost, now) == Verdict::Pass)
            .count()
    }

    #[test]
    fn a_burst_passes_the_limit_exactly() {
        let limits = [limit(50, 10_000)];
        let mut counters = Counters::default();
        assert_eq!(passes(&limits, &mut counters, 1, 0.0, 200), 50);
        let verdict = decide(&limits, &mut counters, 1, 0.0);
        let left = left(&limits, &counters, 0.0);
        assert_eq!(
            verdict,
            Verdict::RateLimited {
                retry_after_ms: 200.0
            }
        );
        assert_eq!(left[0].remaining, 0);
        assert_eq!(left[0].reset_at_ms, 10_000.0);
    }

    #[test]
    fn the_allowance_refills_steadily_without_a_boundary() {
        let limits = [limit(10, 1_000)];
        let mut counters = Counters::default();
        assert_eq!(passes(&limits, &mut counters, 1, 0.0, 10), 10);
        // One every 100 ms after the burst, not ten at the next second.
        assert_eq!(passes(&limits, &mut counters, 1, 99.0, 5), 0);
        assert_eq!(passes(&limits, &mut counters, 1, 100.0, 5), 1);
        assert_eq!(passes(&limits, &mut counters, 1, 1_000.0, 20), 9);
        // Idle for a whole window: the burst is back, and no more.
        assert_eq!(passes(&limits, &mut counters, 1, 5_000.0, 20), 10);
    }

    #[test]
    fn a_refused_request_counts_against_no_limit() {
        let limits = [limit(100, 10_000), limit(2, 10_000)];
        let mut counters = Counters::default();
        assert_eq!(passes(&limits, &mut counters, 1, 0.0, 10), 2);
        decide(&limits, &mut counters, 1, 0.0);
        let left = left(&limits, &counters, 0.0);
        assert_eq!(left[0].remaining, 98);
        assert_eq!(left[1].remaining, 0);
    }

    #[test]
    fn credits_are_spent_exactly_and_never_below_zero() {
        let mut counters = Counters {
            tats: Vec::new(),
            credits: Some(100),
        };
        assert_eq!(passes(&[], &mut counters, 1, 0.0, 1_000), 100);
        assert_eq!(counters.credits, Some(0));
        assert_eq!(decide(&[], &mut counters, 1, 0.0), Verdict::UsageExceeded);
        assert_eq!(decide(&[], &mut counters, 0, 0.0), Verdict::Pass);
        let mut counters = Counters {
            tats: Vec::new(),
            credits: Some(5),
        };
        assert_eq!(decide(&[], &mut counters, 6, 0.0), Verdict::UsageExceeded);
        assert_eq!(counters.credits, Some(5));
    }

    #[test]
    fn credits_refused_count_against_no_limit() {
        let limits = [limit(10, 1_000)];
        let mut counters = Counters {
            tats: Vec::new(),
            credits: Some(1),
        };
        assert_eq!(passes(&limits, &mut counters, 1, 0.0, 5), 1);
        decide(&limits, &mut counters, 1, 0.0);
        let left = left(&limits, &counters, 0.0);
        assert_eq!(left[0].remaining, 9);
    }

    #[test]
    fn times_round_trip() {
        let at: DateTime<Utc> = "2026-06-01T12:00:00.250Z".parse().unwrap();
        assert_eq!(date(millis(at)), at);
    }
}
