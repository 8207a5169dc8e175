//! Rate limits and credits on the verification path. Only keys that have
//! them come here: a key without limits pays nothing for this module.
//!
//! Without Redis each node counts alone, in memory ([`local`]): exact on
//! one node, a limit of N per node on several. With Redis every decision
//! is one script call ([`shared`]), atomic across nodes; when Redis can't
//! be reached, `on_redis_error` allows or refuses. Balances of credits
//! reach the store within seconds ([`ledger`]), and at shutdown.

mod ledger;
mod local;
mod shared;

use crate::redis_link::RedisLink;
use chrono::{DateTime, Utc};
use keyward_core::key_limits::KeyLimits;
use keyward_core::limit_decision::{self, Verdict, left_of};
use keyward_store::Store;
use serde::Deserialize;
use std::sync::Arc;
use uuid::Uuid;

/// What a node does with a decision it can't take because Redis can't be
/// reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OnRedisError {
    /// Let the verification pass, uncounted.
    #[default]
    Allow,
    /// Refuse it as rate limited.
    Deny,
}

/// A rate limit after a verification.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitReport {
    pub name: String,
    pub limit: u64,
    pub duration_ms: u64,
    pub remaining: u64,
    /// When all of the limit is available again.
    pub reset_at: DateTime<Utc>,
    /// Milliseconds until then.
    pub reset_in_ms: u64,
}

/// A key's credits after a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditReport {
    pub remaining: i64,
    pub refill_at: Option<DateTime<Utc>>,
}

/// What the limits decided, and what is left of each.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub ratelimits: Vec<LimitReport>,
    pub credits: Option<CreditReport>,
    /// For a refused verification: seconds until one may pass.
    pub retry_after: u64,
}

/// Seconds until a refused verification may pass, at least 1.
fn retry_after(verdict: Verdict, credits: Option<CreditReport>, now: DateTime<Utc>) -> u64 {
    let ms = match verdict {
        Verdict::Pass => return 0,
        Verdict::RateLimited { retry_after_ms } => retry_after_ms.ceil() as i64,
        // Credits come back with a refill, or when a person sets them.
        Verdict::UsageExceeded => credits
            .and_then(|c| c.refill_at)
            .map_or(3_600_000, |at| (at - now).num_milliseconds()),
    };
    u64::try_from(ms.max(1)).map_or(1, |ms| ms.div_ceil(1000))
}

/// The counters after a decision, from either place they live.
struct Counted {
    /// When it was decided, on the clock of the place that decided.
    now: f64,
    verdict: Verdict,
    /// One theoretical arrival time per rate limit.
    tats: Vec<f64>,
    /// Credits left, and the refill they count from.
    credits: Option<(i64, DateTime<Utc>)>,
}

pub struct Limiter {
    local: local::LocalCounters,
    shared: Option<shared::SharedCounters>,
    ledger: ledger::Ledger,
}

impl Limiter {
    /// Counting in memory, or in Redis through `redis`.
    pub fn new(redis: Option<Arc<RedisLink>>, on_error: OnRedisError) -> Self {
        Self {
            local: local::LocalCounters::default(),
            shared: redis.map(|link| shared::SharedCounters::new(link, on_error)),
            ledger: ledger::Ledger::default(),
        }
    }

    /// Decides one verification of a key with rate limits or credits at
    /// `now`, costing `cost` credits, and counts it if it passes.
    pub async fn decide(
        &self,
        key_id: Uuid,
        limits: &KeyLimits,
        cost: i64,
        now: DateTime<Utc>,
    ) -> Decision {
        let counted = match &self.shared {
            Some(shared) => shared.decide(key_id, limits, cost, now).await,
            None => self.local.decide(key_id, limits, cost, now),
        };
        if let (Some(balance), Some((remaining, refilled_at))) = (&limits.credits, counted.credits)
        {
            let spent = counted.verdict == Verdict::Pass && cost > 0;
            if spent || refilled_at > balance.refilled_at {
                self.ledger
                    .note(key_id, balance.generation, remaining, refilled_at);
            }
        }
        self.report(limits, counted, now)
    }

    fn report(&self, limits: &KeyLimits, counted: Counted, now: DateTime<Utc>) -> Decision {
        let at = counted.now;
        let ratelimits = limits
            .ratelimits
            .iter()
            .zip(counted.tats.iter().copied().chain(std::iter::repeat(at)))
            .map(|(limit, tat)| {
                let left = left_of(limit, tat, at);
                LimitReport {
                    name: limit.name.clone(),
                    limit: limit.limit,
                    duration_ms: limit.duration_ms,
                    remaining: left.remaining,
                    reset_at: limit_decision::date(left.reset_at_ms),
                    reset_in_ms: (left.reset_at_ms - at).max(0.0).ceil() as u64,
                }
            })
            .collect();
        let credits = limits.credits.as_ref().map(|balance| {
            let remaining = counted
                .credits
                .map_or_else(|| balance.at(now).0, |(left, _)| left);
            CreditReport {
                remaining,
                refill_at: balance.credits.refill.as_ref().map(|r| r.next(now)),
            }
        });
        Decision {
            verdict: counted.verdict,
            retry_after: retry_after(counted.verdict, credits, now),
            ratelimits,
            credits,
        }
    }

    /// The credits a key has now, as this node knows them: for key views.
    pub fn credits_now(
        &self,
        key_id: Uuid,
        limits: &KeyLimits,
        now: DateTime<Utc>,
    ) -> Option<CreditReport> {
        let balance = limits.credits.as_ref()?;
        let (remaining, refilled_at) = self
            .local
            .credits(key_id, balance.generation)
            .or_else(|| self.ledger.pending(key_id, balance.generation))
            .unwrap_or_else(|| balance.at(now));
        let refill = balance.credits.refill.as_ref();
        let remaining = match refill {
            Some(refill) if refill.last(now) > refilled_at => refill.amount,
            _ => remaining,
        };
        Some(CreditReport {
            remaining,
            refill_at: refill.map(|r| r.next(now)),
        })
    }

    /// Writes the credit balances decided since the last flush.
    pub async fn flush(&self, store: &Arc<dyn Store>) {
        self.ledger.flush(store).await;
    }
}
