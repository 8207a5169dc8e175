//! A key's abuse controls: rate limits, usage credits with their refill,
//! and the addresses it may be used from. Each validates on construction;
//! a key with none of them is [`KeyLimits::is_empty`] and costs
//! verification nothing.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Rate limits on one key.
pub const RATELIMITS_MAX: usize = 5;
/// Entries in a key's `allowed_ips`.
pub const ALLOWED_IPS_MAX: usize = 100;
/// The shortest and longest window of a rate limit.
pub const DURATION_MS_MIN: u64 = 1_000;
pub const DURATION_MS_MAX: u64 = 86_400_000;
/// The largest `limit` of a rate limit: the algorithm keeps time in
/// fractions of a millisecond, `duration / limit`.
pub const LIMIT_MAX: u64 = 1_000_000;
/// The largest credit balance or refill amount.
pub const CREDITS_MAX: i64 = 1_000_000_000_000;
/// The longest name of a rate limit.
const NAME_MAX: usize = 64;

/// Why a key's limits were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LimitsError(pub String);

fn refuse(message: impl Into<String>) -> LimitsError {
    LimitsError(message.into())
}

/// At most `limit` verifications per `duration_ms`, with bursts of up to
/// `limit` (GCRA: the allowance refills continuously, one every
/// `duration_ms / limit`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// 1 to 64 letters, digits, `_`, `-` or `.`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_.-]{1,64}$"))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000))]
    pub limit: u64,
    /// 1000 (a second) to 86400000 (a day).
    #[cfg_attr(feature = "openapi", schema(minimum = 1_000, maximum = 86_400_000))]
    pub duration_ms: u64,
}

impl RateLimit {
    pub fn check(&self) -> Result<(), LimitsError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= NAME_MAX
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !name_ok {
            return Err(refuse(format!(
                "ratelimits: name {:?} must be 1 to {NAME_MAX} letters, digits, '_', '-' or '.'",
                self.name
            )));
        }
        if !(1..=LIMIT_MAX).contains(&self.limit) {
            return Err(refuse(format!(
                "ratelimits.{}: limit must be 1 to {LIMIT_MAX}",
                self.name
            )));
        }
        if !(DURATION_MS_MIN..=DURATION_MS_MAX).contains(&self.duration_ms) {
            return Err(refuse(format!(
                "ratelimits.{}: duration_ms must be {DURATION_MS_MIN} to {DURATION_MS_MAX}",
                self.name
            )));
        }
        Ok(())
    }

    /// Reads `name=limit/duration`, the duration in ms, s, m, h or d
    /// (`burst=50/10s`, `daily=10000/1d`); checked.
    pub fn parse_short(text: &str) -> Result<Self, LimitsError> {
        let usage = || {
            refuse(format!(
                "rate limit {text:?}: write name=limit/duration, e.g. burst=50/10s"
            ))
        };
        let (name, rest) = text.trim().split_once('=').ok_or_else(usage)?;
        let (limit, duration) = rest.split_once('/').ok_or_else(usage)?;
        let limit = RateLimit {
            name: name.trim().to_owned(),
            limit: limit.trim().parse().map_err(|_| usage())?,
            duration_ms: parse_duration_ms(duration.trim()).ok_or_else(usage)?,
        };
        limit.check()?;
        Ok(limit)
    }

    /// The form [`RateLimit::parse_short`] reads.
    pub fn short(&self) -> String {
        format!(
            "{}={}/{}",
            self.name,
            self.limit,
            format_duration_ms(self.duration_ms)
        )
    }

    /// Milliseconds between two verifications at the steady rate.
    pub fn interval_ms(&self) -> f64 {
        self.duration_ms as f64 / self.limit as f64
    }
}

const DURATION_UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("ms", 1),
    ("m", 60_000),
    ("s", 1_000),
];

/// `1500ms`, `10s`, `15m`, `1h`, `1d` in milliseconds.
fn parse_duration_ms(text: &str) -> Option<u64> {
    DURATION_UNITS.iter().find_map(|(unit, ms)| {
        let count = text.strip_suffix(unit)?;
        count
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| count.parse::<u64>().ok()?.checked_mul(*ms))
            .flatten()
    })
}

/// Milliseconds in the largest unit that divides them.
pub fn format_duration_ms(ms: u64) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms > 0 && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// How often credits are refilled, at 00:00 UTC.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefillInterval {
    Daily,
    Monthly,
}

/// Credits set back to `amount` every day, or every month on `refill_day`
/// (the month's last day when it is shorter).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refill {
    pub interval: RefillInterval,
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub amount: i64,
    /// Monthly refills only: the day of the month, 1 to 31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 31))]
    pub refill_day: Option<u32>,
}

impl Refill {
    pub fn check(&self) -> Result<(), LimitsError> {
        if !(1..=CREDITS_MAX).contains(&self.amount) {
            return Err(refuse(format!(
                "credits.refill.amount must be 1 to {CREDITS_MAX}"
            )));
        }
        match (self.interval, self.refill_day) {
            (RefillInterval::Daily, Some(_)) => Err(refuse(
                "credits.refill.refill_day applies to a monthly refill only",
            )),
            (RefillInterval::Monthly, Some(day)) if !(1..=31).contains(&day) => {
                Err(refuse("credits.refill.refill_day must be 1 to 31"))
            }
            _ => Ok(()),
        }
    }

    /// The refill in force at `now`: the latest refill time not after it.
    pub fn last(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = now.date_naive();
        match self.interval {
            RefillInterval::Daily => midnight(today),
            RefillInterval::Monthly => {
                let this_month = self.day_in(today.year(), today.month());
                if this_month <= today {
                    midnight(this_month)
                } else {
                    let (year, month) = previous_month(today.year(), today.month());
                    midnight(self.day_in(year, month))
                }
            }
        }
    }

    /// The first refill after `now`.
    pub fn next(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let last = self.last(now);
        match self.interval {
            RefillInterval::Daily => last + TimeDelta::days(1),
            RefillInterval::Monthly => {
                let date = last.date_naive();
                let (year, month) = if date.month() == 12 {
                    (date.year() + 1, 1)
                } else {
                    (date.year(), date.month() + 1)
                };
                midnight(self.day_in(year, month))
            }
        }
    }

    fn day_in(&self, year: i32, month: u32) -> NaiveDate {
        let wanted = self.refill_day.unwrap_or(1);
        (1..=wanted)
            .rev()
            .find_map(|day| NaiveDate::from_ymd_opt(year, month, day))
            .unwrap_or(NaiveDate::MIN)
    }
}

fn previous_month(year: i32, month: u32) -> (i32, u32) {
    if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    }
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

/// A key's credit balance: what is left, and how it is refilled.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credits {
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 1_000_000_000_000_i64)
    )]
    pub remaining: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill: Option<Refill>,
}

impl Credits {
    pub fn check(&self) -> Result<(), LimitsError> {
        if !(0..=CREDITS_MAX).contains(&self.remaining) {
            return Err(refuse(format!(
                "credits.remaining must be 0 to {CREDITS_MAX}"
            )));
        }
        self.refill.as_ref().map_or(Ok(()), Refill::check)
    }
}

/// The stored balance of a key's credits: `remaining` as of the refill at
/// `refilled_at`; `generation` counts the times it was set by hand, so
/// consumption counted before a reset can't be written over it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditBalance {
    pub credits: Credits,
    pub refilled_at: DateTime<Utc>,
    pub generation: i64,
}

impl CreditBalance {
    /// The balance at `now`: refilled if a refill came since `refilled_at`.
    pub fn at(&self, now: DateTime<Utc>) -> (i64, DateTime<Utc>) {
        match &self.credits.refill {
            Some(refill) if refill.last(now) > self.refilled_at => {
                (refill.amount, refill.last(now))
            }
            _ => (self.credits.remaining, self.refilled_at),
        }
    }
}

/// The addresses a key may be used from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedIps(Vec<IpNet>);

impl AllowedIps {
    /// Parses addresses and CIDRs; host bits set in a CIDR are refused as
    /// ambiguous.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, LimitsError> {
        if entries.len() > ALLOWED_IPS_MAX {
            return Err(refuse(format!(
                "allowed_ips holds at most {ALLOWED_IPS_MAX} entries"
            )));
        }
        entries
            .iter()
            .map(|entry| {
                let text = entry.as_ref();
                let net = text
                    .parse::<IpNet>()
                    .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        refuse(format!(
                            "allowed_ips: {text:?} is not an address or a CIDR such as 10.0.0.0/8"
                        ))
                    })?;
                if net.trunc() != net {
                    return Err(refuse(format!(
                        "allowed_ips: {text:?} has host bits set; did you mean {}?",
                        net.trunc()
                    )));
                }
                Ok(net)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn allows(&self, client: IpAddr) -> bool {
        let client = client.to_canonical();
        self.0.iter().any(|net| net.contains(&client))
    }

    /// The entries as written back: a single address without `/32`.
    pub fn to_strings(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|net| {
                if net.prefix_len() == net.max_prefix_len() {
                    net.addr().to_string()
                } else {
                    net.to_string()
                }
            })
            .collect()
    }
}

/// Everything that limits a key's use beyond its state and grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyLimits {
    pub ratelimits: Vec<RateLimit>,
    pub credits: Option<CreditBalance>,
    pub allowed_ips: AllowedIps,
}

impl KeyLimits {
    pub fn is_empty(&self) -> bool {
        self.ratelimits.is_empty() && self.credits.is_none() && self.allowed_ips.is_empty()
    }

    /// Whether verification must count anything for this key.
    pub fn counts(&self) -> bool {
        !self.ratelimits.is_empty() || self.credits.is_some()
    }
}

/// Checks a key's rate limits: each valid, at most [`RATELIMITS_MAX`],
/// names unique.
pub fn check_ratelimits(limits: &[RateLimit]) -> Result<(), LimitsError> {
    if limits.len() > RATELIMITS_MAX {
        return Err(refuse(format!(
            "ratelimits holds at most {RATELIMITS_MAX} limits"
        )));
    }
    for (i, limit) in limits.iter().enumerate() {
        limit.check()?;
        if limits[..i].iter().any(|other| other.name == limit.name) {
            return Err(refuse(format!(
                "ratelimits: the name {:?} is used twice",
                limit.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn rate_limits_are_bounded() {
        let limit = |name: &str, limit, duration_ms| RateLimit {
            name: name.into(),
            limit,
            duration_ms,
        };
        assert!(check_ratelimits(&[limit("api", 50, 10_000)]).is_ok());
        assert!(check_ratelimits(&[limit("api", 0, 10_000)]).is_err());
        assert!(check_ratelimits(&[limit("api", 1, 999)]).is_err());
        assert!(check_ratelimits(&[limit("api", 1, 86_400_001)]).is_err());
        assert!(check_ratelimits(&[limit("", 1, 1_000)]).is_err());
        assert!(check_ratelimits(&[limit("a b", 1, 1_000)]).is_err());
        assert!(check_ratelimits(&[limit("a", 1, 1_000), limit("a", 2, 1_000)]).is_err());
        let six: Vec<_> = (0..6).map(|i| limit(&format!("l{i}"), 1, 1_000)).collect();
        assert!(check_ratelimits(&six).is_err());
    }

    #[test]
    fn rate_limits_read_and_write_their_short_form() {
        let limit = RateLimit::parse_short(" burst=50/10s ").unwrap();
        assert_eq!((limit.limit, limit.duration_ms), (50, 10_000));
        assert_eq!(limit.short(), "burst=50/10s");
        assert_eq!(RateLimit::parse_short("d=5/1d").unwrap().short(), "d=5/1d");
        assert_eq!(
            RateLimit::parse_short("x=5/1500ms").unwrap().short(),
            "x=5/1500ms"
        );
        assert_eq!(
            RateLimit::parse_short("m=5/90s").unwrap().duration_ms,
            90_000
        );
        for bad in [
            "burst",
            "burst=50",
            "burst=x/10s",
            "burst=50/10",
            "burst=50/10w",
            "b=1/500ms",
        ] {
            assert!(RateLimit::parse_short(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn daily_refills_happen_at_midnight() {
        let refill = Refill {
            interval: RefillInterval::Daily,
            amount: 10,
            refill_day: None,
        };
        let now = at("2026-03-05T13:00:00Z");
        assert_eq!(refill.last(now), at("2026-03-05T00:00:00Z"));
        assert_eq!(refill.next(now), at("2026-03-06T00:00:00Z"));
    }

    #[test]
    fn monthly_refills_fall_on_the_day_or_the_month_end() {
        let refill = Refill {
            interval: RefillInterval::Monthly,
            amount: 10,
            refill_day: Some(31),
        };
        let now = at("2026-02-10T00:00:00Z");
        assert_eq!(refill.last(now), at("2026-01-31T00:00:00Z"));
        assert_eq!(refill.next(now), at("2026-02-28T00:00:00Z"));
        let first = Refill {
            refill_day: None,
            ..refill
        };
        let new_year = at("2026-12-31T23:59:59Z");
        assert_eq!(first.last(new_year), at("2026-12-01T00:00:00Z"));
        assert_eq!(first.next(new_year), at("2027-01-01T00:00:00Z"));
        assert_eq!(
            first.last(at("2026-01-01T00:00:00Z")),
            at("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn a_balance_is_refilled_once_a_refill_passed() {
        let balance = CreditBalance {
            credits: Credits {
                remaining: 3,
                refill: Some(Refill {
                    interval: RefillInterval::Daily,
                    amount: 100,
                    refill_day: None,
                }),
            },
            refilled_at: at("2026-03-05T00:00:00Z"),
            generation: 0,
        };
        let same_day = at("2026-03-05T20:00:00Z");
        assert_eq!(balance.at(same_day), (3, at("2026-03-05T00:00:00Z")));
        let next_day = at("2026-03-06T01:00:00Z");
        assert_eq!(balance.at(next_day), (100, at("2026-03-06T00:00:00Z")));
    }

    #[test]
    fn allow_lists_parse_and_match() {
        let list = AllowedIps::parse(&["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"]).unwrap();
        assert!(list.allows("203.0.113.7".parse().unwrap()));
        assert!(list.allows("10.1.2.3".parse().unwrap()));
        assert!(list.allows("::ffff:10.9.9.9".parse().unwrap()));
        assert!(list.allows("2001:db8:1::5".parse().unwrap()));
        assert!(!list.allows("203.0.113.8".parse().unwrap()));
        assert_eq!(
            list.to_strings(),
            ["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"]
        );
        assert!(AllowedIps::parse(&["10.0.0.1/8"]).is_err());
        assert!(AllowedIps::parse(&["example.com"]).is_err());
        let many: Vec<String> = (0..101).map(|i| format!("10.0.0.{i}")).collect();
        assert!(AllowedIps::parse(&many).is_err());
    }
}
