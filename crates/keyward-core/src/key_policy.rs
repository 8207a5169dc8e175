//! An organization's rule for its keys' expiry: at most so many days of
//! life, or at least some expiry. Keys made before a policy keep working;
//! the policy says which of them it would refuse today.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// The longest lifetime a policy may set, in days (about ten years).
pub const MAX_LIFETIME_DAYS: u32 = 3650;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KeyPolicy {
    /// Keys expire within this many days of their creation or change.
    pub max_lifetime_days: Option<u32>,
    /// Keys must have an expiry, however far.
    pub require_expiry: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("max_lifetime_days must be between 1 and {MAX_LIFETIME_DAYS}")]
pub struct BadLifetime;

/// Why a key's expiry breaks the policy; the message names the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("this organization's keys expire within {0} days")]
    TooLate(u32),
    #[error("this organization's keys must have an expiry")]
    ExpiryRequired,
}

impl KeyPolicy {
    pub fn new(max_lifetime_days: Option<u32>, require_expiry: bool) -> Result<Self, BadLifetime> {
        match max_lifetime_days {
            Some(days) if !(1..=MAX_LIFETIME_DAYS).contains(&days) => Err(BadLifetime),
            _ => Ok(Self {
                max_lifetime_days,
                require_expiry,
            }),
        }
    }

    /// The latest expiry a key may get at `now`, if the policy bounds it.
    pub fn latest_expiry(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.max_lifetime_days
            .map(|days| now + Duration::days(i64::from(days)))
    }

    /// The expiry of a key made at `now` that asked for `asked`: the
    /// latest the policy allows when it asked for none.
    pub fn with_default(
        &self,
        asked: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        asked.or_else(|| self.latest_expiry(now))
    }

    /// Whether a key may have `expires_at` from `now` on.
    pub fn check(
        &self,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), Violation> {
        match (self.max_lifetime_days, expires_at) {
            (Some(days), None) => Err(Violation::TooLate(days)),
            (Some(days), Some(at)) if Some(at) > self.latest_expiry(now) => {
                Err(Violation::TooLate(days))
            }
            (None, None) if self.require_expiry => Err(Violation::ExpiryRequired),
            _ => Ok(()),
        }
    }

    /// Which keys break the policy at `now`, for a listing: `None` when no
    /// key can, `Some(None)` for those without an expiry, `Some(Some(t))`
    /// for those without one or expiring after `t`.
    pub fn violation_bound(&self, now: DateTime<Utc>) -> Option<Option<DateTime<Utc>>> {
        match self.latest_expiry(now) {
            Some(latest) => Some(Some(latest)),
            None if self.require_expiry => Some(None),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn lifetimes_are_bounded() {
        assert_eq!(KeyPolicy::new(Some(0), false), Err(BadLifetime));
        assert_eq!(KeyPolicy::new(Some(3651), true), Err(BadLifetime));
        assert!(KeyPolicy::new(Some(1), false).is_ok());
        assert!(KeyPolicy::new(Some(3650), false).is_ok());
        assert_eq!(KeyPolicy::new(None, false), Ok(KeyPolicy::default()));
    }

    #[test]
    fn no_policy_allows_anything() {
        let policy = KeyPolicy::default();
        assert_eq!(policy.with_default(None, now()), None);
        assert_eq!(policy.check(None, now()), Ok(()));
        assert_eq!(
            policy.check(Some(now() + Duration::days(9999)), now()),
            Ok(())
        );
        assert_eq!(policy.violation_bound(now()), None);
    }

    #[test]
    fn a_maximum_defaults_and_bounds_expiries() {
        let policy = KeyPolicy::new(Some(90), false).unwrap();
        let latest = now() + Duration::days(90);
        assert_eq!(policy.with_default(None, now()), Some(latest));
        let asked = now() + Duration::days(7);
        assert_eq!(policy.with_default(Some(asked), now()), Some(asked));
        assert_eq!(policy.check(Some(latest), now()), Ok(()));
        let later = latest + Duration::milliseconds(1);
        assert_eq!(
            policy.check(Some(later), now()),
            Err(Violation::TooLate(90))
        );
        assert_eq!(policy.check(None, now()), Err(Violation::TooLate(90)));
        assert_eq!(
            Violation::TooLate(90).to_string(),
            "this organization's keys expire within 90 days"
        );
        assert_eq!(policy.violation_bound(now()), Some(Some(latest)));
    }

    #[test]
    fn required_expiry_refuses_none_only() {
        let policy = KeyPolicy::new(None, true).unwrap();
        assert_eq!(policy.with_default(None, now()), None);
        assert_eq!(policy.check(None, now()), Err(Violation::ExpiryRequired));
        let far = now() + Duration::days(5000);
        assert_eq!(policy.check(Some(far), now()), Ok(()));
        assert_eq!(policy.violation_bound(now()), Some(None));
    }
}
