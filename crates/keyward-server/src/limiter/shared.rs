//! Counters in Redis, shared by every node: one script call per decision
//! (`decide.lua`), atomic there, so two nodes serving the same key count
//! as one. When Redis can't be reached, `on_redis_error` decides.

use super::{Counted, OnRedisError};
use crate::redis_link::RedisLink;
use chrono::{DateTime, Utc};
use keyward_core::key_limits::KeyLimits;
use keyward_core::limit_decision::{self, EPOCH_MS, Verdict, millis};
use redis::Script;
use std::sync::Arc;
use uuid::Uuid;

/// How long a node refusing for want of Redis asks the client to wait.
const DENIED_WAIT_MS: f64 = 1_000.0;

pub struct SharedCounters {
    link: Arc<RedisLink>,
    script: Script,
    on_error: OnRedisError,
}

impl SharedCounters {
    pub fn new(link: Arc<RedisLink>, on_error: OnRedisError) -> Self {
        Self {
            link,
            script: Script::new(include_str!("decide.lua")),
            on_error,
        }
    }

    pub async fn decide(
        &self,
        key_id: Uuid,
        limits: &KeyLimits,
        cost: i64,
        now: DateTime<Utc>,
    ) -> Counted {
        let mut call = self.script.key(format!("keyward:limits:{key_id}"));
        call.arg(EPOCH_MS).arg(cost).arg(limits.ratelimits.len());
        for limit in &limits.ratelimits {
            call.arg(&limit.name)
                .arg(limit.interval_ms())
                .arg(limit.duration_ms);
        }
        match &limits.credits {
            None => {
                call.arg("0");
            }
            Some(balance) => {
                let refill = balance.credits.refill.as_ref();
                call.arg("1")
                    .arg(balance.generation)
                    .arg(balance.credits.remaining)
                    .arg(millis(balance.refilled_at))
                    .arg(refill.map_or(String::new(), |r| millis(r.last(now)).to_string()))
                    .arg(refill.map_or(0, |r| r.amount));
            }
        }
        match self.link.run::<Vec<String>>(&call).await {
            Ok(answer) => match parse(&answer, limits.ratelimits.len()) {
                Some(counted) => counted,
                None => {
                    tracing::error!(answer = ?answer, "the rate limit script answered in an unexpected form");
                    self.unavailable(now)
                }
            },
            Err(_) => self.unavailable(now),
        }
    }

    /// The decision when Redis can't take it: allowed uncounted, or
    /// refused, per `on_redis_error`.
    fn unavailable(&self, now: DateTime<Utc>) -> Counted {
        Counted {
            now: millis(now),
            verdict: match self.on_error {
                OnRedisError::Allow => Verdict::Pass,
                OnRedisError::Deny => Verdict::RateLimited {
                    retry_after_ms: DENIED_WAIT_MS,
                },
            },
            tats: Vec::new(),
            credits: None,
        }
    }
}

/// The script's answer: its time, verdict, wait, credits, their refill,
/// arrival times.
fn parse(answer: &[String], limits: usize) -> Option<Counted> {
    let [now, verdict, wait, credits, refilled, tats @ ..] = answer else {
        return None;
    };
    if tats.len() != limits {
        return None;
    }
    let verdict = match verdict.as_str() {
        "0" => Verdict::Pass,
        "1" => Verdict::RateLimited {
            retry_after_ms: wait.parse().ok()?,
        },
        "2" => Verdict::UsageExceeded,
        _ => return None,
    };
    let credits = match (credits.as_str(), refilled.as_str()) {
        ("", _) | (_, "") => None,
        (left, at) => {
            let left: f64 = left.parse().ok()?;
            let at: f64 = at.parse().ok()?;
            Some((left as i64, limit_decision::date(at)))
        }
    };
    let tats = tats
        .iter()
        .map(|t| t.parse().ok())
        .collect::<Option<Vec<f64>>>()?;
    Some(Counted {
        now: now.parse().ok()?,
        verdict,
        tats,
        credits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_or_refused() {
        let answer = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let counted = parse(&answer(&["5", "1", "200", "", "", "10000"]), 1).unwrap();
        assert_eq!(
            counted.verdict,
            Verdict::RateLimited {
                retry_after_ms: 200.0
            }
        );
        assert_eq!((counted.now, counted.tats), (5.0, vec![10_000.0]));
        let counted = parse(&answer(&["5", "0", "0", "99", "0", ""]), 0);
        assert!(counted.is_none());
        let counted = parse(&answer(&["5", "0", "0", "99", "0"]), 0).unwrap();
        assert_eq!(counted.credits.map(|c| c.0), Some(99));
        assert!(parse(&answer(&["5", "7", "0", "", ""]), 0).is_none());
        assert!(parse(&answer(&["5", "0", "0"]), 0).is_none());
    }
}
