//! Value parsers shared by several commands.

use keyward_core::key_limits::RateLimit;
use serde_json::{Value, json};

/// The units a duration may end with, in seconds.
const UNITS: [(char, u64); 4] = [('s', 1), ('m', 60), ('h', 3_600), ('d', 86_400)];

pub fn parse_rfc3339(raw: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| format!("{raw:?} is not an RFC 3339 time such as 2030-01-01T00:00:00Z: {e}"))
}

pub fn parse_metadata(raw: &str) -> Result<Value, String> {
    match serde_json::from_str(raw) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("metadata must be a JSON object".to_owned()),
        Err(e) => Err(format!("metadata is not valid JSON: {e}")),
    }
}

/// A duration in seconds: `0`, or a whole number of seconds, minutes,
/// hours or days (`30s`, `15m`, `24h`, `7d`).
pub fn parse_grace(raw: &str) -> Result<u64, String> {
    let usage = || format!("{raw:?}: expected 0 or a duration such as 30s, 15m, 24h or 7d");
    if raw == "0" {
        return Ok(0);
    }
    let (count, unit) = UNITS
        .iter()
        .find_map(|(suffix, seconds)| Some((raw.strip_suffix(*suffix)?, *seconds)))
        .ok_or_else(usage)?;
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return Err(usage());
    }
    count
        .parse::<u64>()
        .ok()
        .and_then(|count| count.checked_mul(unit))
        .ok_or_else(|| format!("{raw:?} is too long"))
}

/// `NAME=LIMIT/DURATION` (`burst=50/10s`, `daily=10000/1d`) → a rate limit.
pub fn parse_ratelimit(raw: &str) -> Result<Value, String> {
    let limit = RateLimit::parse_short(raw).map_err(|e| e.to_string())?;
    serde_json::to_value(limit).map_err(|e| e.to_string())
}

/// `daily:AMOUNT`, `monthly:AMOUNT` or `monthly:AMOUNT@DAY` → a refill.
pub fn parse_refill(raw: &str) -> Result<Value, String> {
    let usage = || format!("{raw:?}: expected daily:AMOUNT, monthly:AMOUNT or monthly:AMOUNT@DAY");
    let (interval, rest) = raw.split_once(':').ok_or_else(usage)?;
    let (amount, day) = match rest.split_once('@') {
        Some((amount, day)) => (amount, Some(day.parse::<u32>().map_err(|_| usage())?)),
        None => (rest, None),
    };
    let amount: i64 = amount.parse().map_err(|_| usage())?;
    match (interval, day) {
        ("daily", None) => Ok(json!({ "interval": "daily", "amount": amount })),
        ("monthly", None) => Ok(json!({ "interval": "monthly", "amount": amount })),
        ("monthly", Some(day)) => {
            Ok(json!({ "interval": "monthly", "amount": amount, "refill_day": day }))
        }
        _ => Err(usage()),
    }
}

/// A credit balance, with its refill if one is given.
pub fn credits(remaining: i64, refill: Option<Value>) -> Value {
    match refill {
        Some(refill) => json!({ "remaining": remaining, "refill": refill }),
        None => json!({ "remaining": remaining }),
    }
}

/// `3` → a catalog id, `keys:read` → a name, `name@resource` → a grant.
pub fn parse_permission(raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    if let Some((name, resource)) = raw.split_once('@') {
        if name.is_empty() || resource.is_empty() {
            return Err(format!(
                "{raw:?}: expected PERMISSION@RESOURCE, e.g. datasets:edit@datasets/42"
            ));
        }
        return Ok(json!({ "permission": name, "resource": resource }));
    }
    if raw.is_empty() {
        return Err("a permission can't be empty".to_owned());
    }
    Ok(match raw.parse::<i64>() {
        Ok(id) => json!(id),
        Err(_) => json!(raw),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_and_refills_read_as_the_api_takes_them() {
        assert_eq!(
            parse_ratelimit("burst=50/10s"),
            Ok(json!({ "name": "burst", "limit": 50, "duration_ms": 10_000 }))
        );
        assert_eq!(
            parse_ratelimit("day=10000/1d").unwrap()["duration_ms"],
            86_400_000
        );
        assert!(parse_ratelimit("burst50/10s").is_err());
        assert!(parse_ratelimit("burst=x/10s").is_err());
        assert_eq!(
            parse_refill("monthly:500@15"),
            Ok(json!({ "interval": "monthly", "amount": 500, "refill_day": 15 }))
        );
        assert_eq!(
            parse_refill("daily:20"),
            Ok(json!({ "interval": "daily", "amount": 20 }))
        );
        assert!(parse_refill("daily:20@3").is_err());
        assert!(parse_refill("weekly:20").is_err());
    }

    #[test]
    fn durations_in_seconds_minutes_hours_or_days() {
        assert_eq!(parse_grace("0"), Ok(0));
        assert_eq!(parse_grace("30s"), Ok(30));
        assert_eq!(parse_grace("15m"), Ok(900));
        assert_eq!(parse_grace("1h"), Ok(3_600));
        assert_eq!(parse_grace("24h"), Ok(86_400));
        assert_eq!(parse_grace("7d"), Ok(604_800));
        for raw in ["", "10", "h", "-1h", "+1h", "1.5h", "1w", "1 h", "1hé", "é"] {
            assert!(parse_grace(raw).is_err(), "{raw:?}");
        }
        assert!(parse_grace("99999999999999999999d").is_err());
        assert!(parse_grace("999999999999999999d").is_err());
    }

    #[test]
    fn expiry_must_be_rfc3339() {
        assert!(parse_rfc3339("2030-01-01T00:00:00Z").is_ok());
        assert!(parse_rfc3339("2030-01-01T00:00:00+02:00").is_ok());
        assert!(parse_rfc3339("tomorrow").is_err());
    }

    #[test]
    fn metadata_must_be_an_object() {
        assert!(parse_metadata(r#"{"env": "prod"}"#).is_ok());
        assert!(parse_metadata("[1]").is_err());
        assert!(parse_metadata("{").is_err());
    }

    #[test]
    fn permissions_by_id_name_or_grant() {
        assert_eq!(parse_permission("3").unwrap(), json!(3));
        assert_eq!(parse_permission("keys:read").unwrap(), json!("keys:read"));
        assert_eq!(
            parse_permission("datasets:edit@teams/7/*").unwrap(),
            json!({"permission": "datasets:edit", "resource": "teams/7/*"})
        );
        assert!(parse_permission("@datasets/1").is_err());
        assert!(parse_permission("datasets:edit@").is_err());
        assert!(parse_permission("").is_err());
    }
}
