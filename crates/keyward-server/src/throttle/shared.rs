//! Throttling tallies in Redis, so an attacker can't multiply the
//! allowance by the number of nodes: one script call per tally
//! (`tally.lua`), keyed by an HMAC of the account or address under the
//! server secret, which every node shares and no reader of Redis can
//! reverse. A node whose call fails counts in its own memory instead.

use super::{Backoff, Window};
use crate::redis_link::RedisLink;
use chrono::{DateTime, Utc};
use keyward_core::KeyHasher;
use redis::Script;
use std::sync::Arc;
use std::time::Duration;

/// What is asked of a tally.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// How long to wait.
    Wait,
    /// Count a failure.
    Fail,
    /// How long to wait, or else count a failure.
    Try,
    /// Forget the tally.
    Clear,
}

/// A policy as the script takes it.
pub trait Shape {
    fn shape(&self) -> (&'static str, [i64; 4]);
}

impl Shape for Window {
    fn shape(&self) -> (&'static str, [i64; 4]) {
        (
            "w",
            [i64::from(self.limit), self.length.num_milliseconds(), 0, 0],
        )
    }
}

impl Shape for Backoff {
    fn shape(&self) -> (&'static str, [i64; 4]) {
        (
            "b",
            [
                i64::from(self.free),
                self.window.num_milliseconds(),
                self.first.num_milliseconds(),
                self.max.num_milliseconds(),
            ],
        )
    }
}

pub struct SharedTallies {
    link: Arc<RedisLink>,
    script: Script,
    hasher: KeyHasher,
}

impl SharedTallies {
    pub fn new(link: Arc<RedisLink>, hasher: KeyHasher) -> Self {
        Self {
            link,
            script: Script::new(include_str!("tally.lua")),
            hasher,
        }
    }

    fn name(&self, table: &str, subject: &str) -> String {
        let hash = self.hasher.hash(&format!("{table}\0{subject}"));
        format!(
            "keyward:throttle:{table}:{}",
            hex::encode(&hash.as_bytes()[..16])
        )
    }

    /// Runs `op` on the tally of `subject` in `table`; `None` when Redis
    /// can't be reached.
    pub async fn run(
        &self,
        table: &str,
        subject: &str,
        policy: &impl Shape,
        op: Op,
        now: DateTime<Utc>,
    ) -> Option<Option<Duration>> {
        let (kind, args) = policy.shape();
        let op = match op {
            Op::Wait => "wait",
            Op::Fail => "fail",
            Op::Try => "try",
            Op::Clear => "clear",
        };
        let mut call = self.script.key(self.name(table, subject));
        call.arg(op)
            .arg(now.timestamp_millis())
            .arg(kind)
            .arg(&args[..]);
        let wait: i64 = self.link.run(&call).await.ok()?;
        Some(
            u64::try_from(wait)
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis),
        )
    }
}
