//! The expiry a key form offers and what a choice means: a few presets,
//! a date, or none, within the organization's key policy.

use super::key_form::Choice;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use keyward_core::key_policy::KeyPolicy;

/// The presets, in days from now.
const PRESET_DAYS: [u32; 4] = [7, 30, 60, 90];
/// The preset chosen when a form opens, if the policy allows it.
const DEFAULT_DAYS: u32 = 30;
/// The choice that keeps an edited key's expiry.
pub const KEEP: &str = "keep";
const CUSTOM: &str = "custom";
const NEVER: &str = "never";

/// An expiry choice, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Unchanged (editing only).
    Keep,
    At(Option<DateTime<Utc>>),
}

/// The choices the policy allows: presets up to its maximum (and the
/// maximum itself), a date, and no expiry unless the policy wants one;
/// `keep` first when editing, described by the key's current expiry.
pub fn choices(policy: &KeyPolicy, keep: Option<String>) -> Vec<Choice> {
    let choice = |id: String, name: String| Choice { id, name };
    let max = policy.max_lifetime_days;
    let mut days: Vec<u32> = PRESET_DAYS
        .into_iter()
        .filter(|d| max.is_none_or(|m| *d <= m))
        .collect();
    if let Some(m) = max.filter(|m| !days.contains(m) && *m < 365) {
        days.push(m);
    }
    let mut out: Vec<Choice> = keep
        .map(|now| choice(KEEP.to_owned(), format!("unchanged ({now})")))
        .into_iter()
        .collect();
    out.extend(
        days.into_iter()
            .map(|d| choice(d.to_string(), format!("in {d} days"))),
    );
    out.push(choice(CUSTOM.to_owned(), "on a date I choose".to_owned()));
    if max.is_none() && !policy.require_expiry {
        out.push(choice(NEVER.to_owned(), "never".to_owned()));
    }
    out
}

/// The choice a form opens with: `keep` when editing, else 30 days or the
/// policy's maximum if shorter.
pub fn default_choice(policy: &KeyPolicy, editing: bool) -> String {
    if editing {
        return KEEP.to_owned();
    }
    policy
        .max_lifetime_days
        .map_or(DEFAULT_DAYS, |m| m.min(DEFAULT_DAYS))
        .to_string()
}

/// What `choice` (and `date`, for a custom one) mean at `now`, or why
/// they can't be read. The policy itself is the domain's to enforce.
pub fn read(choice: &str, date: &str, now: DateTime<Utc>) -> Result<Expiry, &'static str> {
    match choice {
        KEEP => Ok(Expiry::Keep),
        NEVER => Ok(Expiry::At(None)),
        CUSTOM => match NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d") {
            // The key works through the whole chosen day, in UTC.
            Ok(day) => Ok(Expiry::At(Some(
                day.and_time(NaiveTime::MIN).and_utc() + Duration::days(1)
                    - Duration::milliseconds(1),
            ))),
            Err(_) => Err("Give the date as YYYY-MM-DD."),
        },
        days => match days.parse::<u32>() {
            Ok(days) if (1..=keyward_core::key_policy::MAX_LIFETIME_DAYS).contains(&days) => {
                Ok(Expiry::At(Some(now + Duration::days(i64::from(days)))))
            }
            _ => Err("Choose when the key expires."),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(policy: &KeyPolicy, keep: Option<String>) -> Vec<String> {
        choices(policy, keep).into_iter().map(|c| c.id).collect()
    }

    #[test]
    fn the_policy_bounds_the_choices() {
        let free = KeyPolicy::default();
        assert_eq!(ids(&free, None), ["7", "30", "60", "90", "custom", "never"]);
        assert_eq!(default_choice(&free, false), "30");
        let forty = KeyPolicy::new(Some(45), false).unwrap();
        assert_eq!(ids(&forty, None), ["7", "30", "45", "custom"]);
        let five = KeyPolicy::new(Some(5), false).unwrap();
        assert_eq!(ids(&five, None), ["5", "custom"]);
        assert_eq!(default_choice(&five, false), "5");
        let required = KeyPolicy::new(None, true).unwrap();
        assert_eq!(ids(&required, None), ["7", "30", "60", "90", "custom"]);
        assert_eq!(
            ids(&free, Some("never".to_owned()))[0],
            "keep",
            "an edit keeps the expiry unless changed"
        );
        assert_eq!(default_choice(&free, true), "keep");
    }

    #[test]
    fn choices_read_as_expiries() {
        let now = Utc::now();
        assert_eq!(read("keep", "", now), Ok(Expiry::Keep));
        assert_eq!(read("never", "", now), Ok(Expiry::At(None)));
        assert_eq!(
            read("7", "", now),
            Ok(Expiry::At(Some(now + Duration::days(7))))
        );
        let day = read("custom", "2030-01-31", now).unwrap();
        assert_eq!(
            day,
            Expiry::At(Some("2030-01-31T23:59:59.999Z".parse().unwrap()))
        );
        for bad in ["", "0", "-1", "99999", "soon"] {
            assert!(read(bad, "", now).is_err(), "{bad}");
        }
        assert!(read("custom", "31/01/2030", now).is_err());
    }
}
