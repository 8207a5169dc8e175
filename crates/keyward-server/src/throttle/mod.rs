//! Authentication throttling on the injected clock: per node in memory,
//! or shared by every node in Redis.
//!
//! - An account (by email, known or not, so the answer is no oracle) may fail
//!   to sign in 5 times within 15 minutes; after that every attempt waits,
//!   whatever the password, for 1 s, then twice as long after each further
//!   failure, up to 15 minutes. A success clears the account.
//! - A client address may fail 30 sign-ins a minute, present 30 invalid API
//!   keys or session tokens a minute (`invalid_credentials_per_minute`), try 10 invitation acceptances a
//!   minute, and ask 20 revocations by possession a minute (live keys or
//!   not, so the limit says nothing about them). Valid credentials are
//!   never counted nor slowed.
//!
//! Addresses are counted per IPv4 address and per IPv6 /64. Each table holds
//! at most [`MAX_TRACKED`] entries (least used evicted first) and forgets an
//! entry once its window is over. The methods of [`Throttle`] are the whole
//! interface. With Redis configured the tallies live there ([`shared`]),
//! so every node counts together.

mod shared;

use crate::error::{ApiError, ApiResult};
use crate::redis_link::RedisLink;
use chrono::{DateTime, TimeDelta, Utc};
use keyward_core::{Clock, KeyHasher};
use moka::ops::compute::Op as Compute;
use moka::sync::Cache;
use shared::{Op, Shape, SharedTallies};
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

/// Entries kept per table; ~100 bytes each.
const MAX_TRACKED: u64 = 100_000;
/// Longer than any window or lock, so an entry moka drops on its own (it
/// keeps real time, not the injected clock) can't have been in force.
const UNUSED_FOR: Duration = Duration::from_secs(45 * 60);

const ACCOUNT: Backoff = Backoff {
    free: 5,
    window: TimeDelta::minutes(15),
    first: TimeDelta::seconds(1),
    max: TimeDelta::minutes(15),
};
const LOGINS: Window = Window {
    limit: 30,
    length: TimeDelta::minutes(1),
};
const INVITATIONS: Window = Window {
    limit: 10,
    length: TimeDelta::minutes(1),
};
const REVOCATIONS: Window = Window {
    limit: 20,
    length: TimeDelta::minutes(1),
};

/// Failures of one account or address.
#[derive(Debug, Clone, Copy)]
struct Tally {
    failures: u32,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    locked_until: DateTime<Utc>,
}

impl Tally {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            failures: 0,
            first: now,
            last: now,
            locked_until: now,
        }
    }

    fn wait(&self, now: DateTime<Utc>) -> Option<Duration> {
        (self.locked_until - now)
            .to_std()
            .ok()
            .filter(|d| !d.is_zero())
    }
}

/// A failure limit: how a tally grows and when it is forgotten.
trait Policy {
    fn is_over(&self, tally: &Tally, now: DateTime<Utc>) -> bool;
    fn lock(&self, tally: &Tally, now: DateTime<Utc>) -> Option<DateTime<Utc>>;
}

/// At most `limit` failures per `length`, counted from the first.
struct Window {
    limit: u32,
    length: TimeDelta,
}

impl Policy for Window {
    fn is_over(&self, tally: &Tally, now: DateTime<Utc>) -> bool {
        now >= tally.first + self.length
    }

    fn lock(&self, tally: &Tally, _: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (tally.failures >= self.limit).then(|| tally.first + self.length)
    }
}

/// After `free` failures, each further one locks for twice as long as the
/// previous, from `first` up to `max`; forgotten `window` after the last
/// failure or lock.
struct Backoff {
    free: u32,
    window: TimeDelta,
    first: TimeDelta,
    max: TimeDelta,
}

impl Policy for Backoff {
    fn is_over(&self, tally: &Tally, now: DateTime<Utc>) -> bool {
        now >= tally.last.max(tally.locked_until) + self.window
    }

    fn lock(&self, tally: &Tally, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let doublings = tally.failures.checked_sub(self.free)?;
        let lock = 2_i32
            .checked_pow(doublings)
            .and_then(|factor| self.first.checked_mul(factor))
            .map_or(self.max, |lock| lock.min(self.max));
        Some(now + lock)
    }
}

/// Tallies by a fixed-size key, bounded in number.
struct Tallies<P> {
    policy: P,
    entries: Cache<u64, Tally>,
}

impl<P: Policy> Tallies<P> {
    fn new(policy: P) -> Self {
        Self {
            policy,
            entries: Cache::builder()
                .max_capacity(MAX_TRACKED)
                .time_to_idle(UNUSED_FOR)
                .build(),
        }
    }

    fn wait(&self, key: u64, now: DateTime<Utc>) -> Option<Duration> {
        self.entries
            .get(&key)
            .filter(|tally| !self.policy.is_over(tally, now))
            .and_then(|tally| tally.wait(now))
    }

    fn fail(&self, key: u64, now: DateTime<Utc>) {
        self.entries.entry(key).and_compute_with(|entry| {
            let mut tally = entry
                .map(|e| e.into_value())
                .filter(|tally| !self.policy.is_over(tally, now))
                .unwrap_or_else(|| Tally::new(now));
            tally.failures = tally.failures.saturating_add(1);
            tally.last = now;
            if let Some(until) = self.policy.lock(&tally, now) {
                tally.locked_until = until;
            }
            Compute::Put(tally)
        });
    }

    fn clear(&self, key: u64) {
        self.entries.invalidate(&key);
    }
}

/// The throttle: in this node's memory, or in Redis when configured.
pub struct Throttle {
    clock: Arc<dyn Clock>,
    /// Keys the tables by a keyed hash: fixed size whatever the email's
    /// length, and not steerable into collisions.
    keys: RandomState,
    accounts: Tallies<Backoff>,
    logins: Tallies<Window>,
    credentials: Tallies<Window>,
    invitations: Tallies<Window>,
    shared: Option<SharedTallies>,
    revocations: Tallies<Window>,
}

impl Throttle {
    /// Counting in memory, or in Redis through `redis` (keyed by
    /// `hasher`), falling back to memory when a call fails.
    /// `credentials_per_minute`: the invalid credentials a client address
    /// may present in a minute.
    pub fn new(
        clock: Arc<dyn Clock>,
        redis: Option<Arc<RedisLink>>,
        hasher: KeyHasher,
        credentials_per_minute: u32,
    ) -> Self {
        Self {
            clock,
            keys: RandomState::new(),
            accounts: Tallies::new(ACCOUNT),
            logins: Tallies::new(LOGINS),
            credentials: Tallies::new(Window {
                limit: credentials_per_minute,
                length: TimeDelta::minutes(1),
            }),
            invitations: Tallies::new(INVITATIONS),
            shared: redis.map(|link| SharedTallies::new(link, hasher)),
            revocations: Tallies::new(REVOCATIONS),
        }
    }

    /// Does `op` to the tally of `subject` in `table`; says how long to
    /// wait (for [`Op::Wait`] and [`Op::Try`]).
    async fn tally<P: Policy + Shape>(
        &self,
        (table, tallies): (&str, &Tallies<P>),
        subject: &str,
        op: Op,
    ) -> Option<Duration> {
        let now = self.clock.now();
        if let Some(shared) = &self.shared
            && let Some(wait) = shared.run(table, subject, &tallies.policy, op, now).await
        {
            return wait;
        }
        let key = self.keys.hash_one(subject);
        match op {
            Op::Wait => tallies.wait(key, now),
            Op::Fail => {
                tallies.fail(key, now);
                None
            }
            Op::Try => {
                let wait = tallies.wait(key, now);
                if wait.is_none() {
                    tallies.fail(key, now);
                }
                wait
            }
            Op::Clear => {
                tallies.clear(key);
                None
            }
        }
    }

    fn accounts(&self) -> (&'static str, &Tallies<Backoff>) {
        ("account", &self.accounts)
    }

    fn logins(&self) -> (&'static str, &Tallies<Window>) {
        ("login", &self.logins)
    }

    /// Refuses a sign-in while the account or the address must wait.
    pub async fn login_allowed(&self, email: &str, client: IpAddr) -> ApiResult<()> {
        let address = network(client).to_string();
        let account = self.tally(self.accounts(), email, Op::Wait).await;
        let address = self.tally(self.logins(), &address, Op::Wait).await;
        match account.max(address) {
            Some(wait) => {
                tracing::info!(%client, "sign-in throttled");
                Err(ApiError::too_many_requests("failed sign-ins", wait))
            }
            None => Ok(()),
        }
    }

    pub async fn login_failed(&self, email: &str, client: IpAddr) {
        let address = network(client).to_string();
        self.tally(self.accounts(), email, Op::Fail).await;
        self.tally(self.logins(), &address, Op::Fail).await;
    }

    pub async fn login_succeeded(&self, email: &str) {
        self.tally(self.accounts(), email, Op::Clear).await;
    }

    /// Counts an invalid API key or session token; once the address is over
    /// its limit, `refused` becomes 429.
    pub async fn invalid_credential(&self, client: IpAddr, refused: ApiError) -> ApiError {
        let address = network(client).to_string();
        match self
            .tally(("credential", &self.credentials), &address, Op::Try)
            .await
        {
            Some(wait) => {
                tracing::info!(%client, "invalid credentials throttled");
                ApiError::too_many_requests("invalid credentials", wait)
            }
            None => refused,
        }
    }

    /// Counts an attempt with a single-use token (accepting an invitation,
    /// using a password reset), refusing it once the address is over its
    /// limit.
    pub async fn token_attempt(&self, client: IpAddr) -> ApiResult<()> {
        self.attempt(
            ("token", &self.invitations),
            client,
            "single-use token attempts",
        )
        .await
    }

    /// Counts a revocation by possession, refusing it once the address is
    /// over its limit.
    pub async fn revocation_attempt(&self, client: IpAddr) -> ApiResult<()> {
        self.attempt(
            ("revocation", &self.revocations),
            client,
            "revocations by possession",
        )
        .await
    }

    /// Counts an attempt by `client` in `table`, refusing it once the
    /// address is over its limit.
    async fn attempt(
        &self,
        table: (&str, &Tallies<Window>),
        client: IpAddr,
        what: &str,
    ) -> ApiResult<()> {
        let address = network(client).to_string();
        match self.tally(table, &address, Op::Try).await {
            Some(wait) => {
                tracing::info!(%client, what, "throttled");
                Err(ApiError::too_many_requests(what, wait))
            }
            None => Ok(()),
        }
    }
}

/// The unit one client controls: an IPv4 address, or an IPv6 /64.
fn network(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// Which (credential, operation) pairs were recorded this minute.
pub struct Denials(Cache<(String, String, i64), ()>);

impl Default for Denials {
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(120))
                .build(),
        )
    }
}

impl Denials {
    /// True the first time in a minute this credential is refused this operation.
    pub fn first(&self, credential: &str, operation: &str, minute: i64) -> bool {
        let key = (credential.to_owned(), operation.to_owned(), minute);
        let entry = self.0.entry(key).or_insert(());
        entry.is_fresh()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::seconds(seconds)
    }

    #[test]
    fn backoff_doubles_up_to_its_maximum() {
        let tallies = Tallies::new(ACCOUNT);
        let mut now = at(0);
        for _ in 0..4 {
            tallies.fail(1, now);
            assert_eq!(tallies.wait(1, now), None);
        }
        let mut waits = Vec::new();
        for _ in 0..14 {
            tallies.fail(1, now);
            let wait = tallies.wait(1, now).unwrap();
            waits.push(wait.as_secs());
            now += TimeDelta::from_std(wait).unwrap();
        }
        assert_eq!(
            waits,
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]
        );
    }

    #[test]
    fn window_limits_and_then_forgets() {
        let tallies = Tallies::new(LOGINS);
        for _ in 0..30 {
            assert_eq!(tallies.wait(7, at(10)), None);
            tallies.fail(7, at(10));
        }
        assert_eq!(tallies.wait(7, at(10)), Some(Duration::from_secs(60)));
        assert_eq!(tallies.wait(7, at(70)), None);
        tallies.fail(7, at(70));
        assert_eq!(tallies.wait(7, at(70)), None);
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_eq!(network(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
