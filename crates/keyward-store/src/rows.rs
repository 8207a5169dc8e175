//! Turning stored columns back into domain values, shared by both stores.

use crate::Result;
use crate::error::corrupt;
use chrono::{DateTime, Utc};
use keyward_core::access::{OrgRole, PrincipalKind, TeamRole};
use keyward_core::key_limits::{AllowedIps, CreditBalance, Credits, KeyLimits, RateLimit};
use keyward_core::key_policy::KeyPolicy;
use keyward_core::leak_policy::LeakPolicy;
use keyward_core::model::{KeyGrant, Permission, Slug};
use keyward_core::{PermissionName, Prefix, Resource, Scope};
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) fn scope(s: &str) -> Result<Scope> {
    s.parse().map_err(corrupt)
}

pub(crate) fn org_role(s: &str) -> Result<OrgRole> {
    s.parse().map_err(corrupt)
}

pub(crate) fn team_role(s: &str) -> Result<TeamRole> {
    s.parse().map_err(corrupt)
}

pub(crate) fn principal_kind(s: &str) -> Result<PrincipalKind> {
    s.parse().map_err(corrupt)
}

pub(crate) fn slug(s: &str) -> Result<Slug> {
    Slug::parse(s).map_err(corrupt)
}

pub(crate) fn prefix(s: &str) -> Result<Prefix> {
    Prefix::parse(s).map_err(corrupt)
}

pub(crate) fn key_policy(
    max_lifetime_days: Option<i64>,
    require_expiry: bool,
) -> Result<KeyPolicy> {
    let days = max_lifetime_days
        .map(u32::try_from)
        .transpose()
        .map_err(corrupt)?;
    KeyPolicy::new(days, require_expiry).map_err(corrupt)
}

pub(crate) fn leak_policy(s: &str) -> Result<LeakPolicy> {
    s.parse().map_err(corrupt)
}

pub(crate) fn permission(
    id: i64,
    name: &str,
    description: String,
    read_only: bool,
) -> Result<Permission> {
    Ok(Permission {
        id,
        name: PermissionName::parse(name).map_err(corrupt)?,
        description,
        read_only,
    })
}

pub(crate) fn key_grant(id: i64, name: &str, resource: &str) -> Result<KeyGrant> {
    Ok(KeyGrant {
        id,
        name: PermissionName::parse(name).map_err(corrupt)?,
        resource: Resource::parse(resource).map_err(corrupt)?,
    })
}

pub(crate) fn metadata(
    value: serde_json::Value,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    match value {
        serde_json::Value::Object(map) => Ok(map),
        other => Err(corrupt(format!("key metadata is not an object: {other}"))),
    }
}

/// Explicit grants of several keys, grouped by key, in stored order.
pub(crate) type GrantsByKey = HashMap<Uuid, Vec<KeyGrant>>;

/// Grants of several roles, grouped by role, in stored order.
pub(crate) type GrantsByRole = HashMap<Uuid, Vec<KeyGrant>>;

/// A key's limits from their columns.
pub(crate) fn key_limits(
    ratelimits: serde_json::Value,
    allowed_ips: serde_json::Value,
    credits_remaining: Option<i64>,
    credits_refill: Option<serde_json::Value>,
    credits_refilled_at: Option<DateTime<Utc>>,
    credits_generation: i64,
) -> Result<KeyLimits> {
    let ratelimits: Vec<RateLimit> = serde_json::from_value(ratelimits).map_err(corrupt)?;
    let allowed_ips: Vec<String> = serde_json::from_value(allowed_ips).map_err(corrupt)?;
    let credits = match credits_remaining {
        None => None,
        Some(remaining) => Some(CreditBalance {
            credits: Credits {
                remaining,
                refill: credits_refill
                    .filter(|refill| !refill.is_null())
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(corrupt)?,
            },
            refilled_at: credits_refilled_at
                .ok_or_else(|| corrupt("a key's credits have no refill time"))?,
            generation: credits_generation,
        }),
    };
    Ok(KeyLimits {
        ratelimits,
        credits,
        allowed_ips: AllowedIps::parse(&allowed_ips).map_err(corrupt)?,
    })
}

/// The columns a key's limits are written to.
pub(crate) struct LimitColumns {
    pub ratelimits: serde_json::Value,
    pub allowed_ips: serde_json::Value,
    pub credits_remaining: Option<i64>,
    pub credits_refill: Option<serde_json::Value>,
    pub credits_refilled_at: Option<DateTime<Utc>>,
}

impl LimitColumns {
    pub fn of(limits: &KeyLimits) -> Self {
        let credits = limits.credits.as_ref();
        Self {
            ratelimits: ratelimits_json(&limits.ratelimits),
            allowed_ips: allowed_ips_json(&limits.allowed_ips),
            credits_remaining: credits.map(|c| c.credits.remaining),
            credits_refill: credits.and_then(refill_json),
            credits_refilled_at: credits.map(|c| c.refilled_at),
        }
    }
}

pub(crate) fn ratelimits_json(limits: &[RateLimit]) -> serde_json::Value {
    serde_json::to_value(limits).unwrap_or_default()
}

pub(crate) fn allowed_ips_json(ips: &AllowedIps) -> serde_json::Value {
    serde_json::Value::from(ips.to_strings())
}

pub(crate) fn refill_json(balance: &CreditBalance) -> Option<serde_json::Value> {
    balance
        .credits
        .refill
        .as_ref()
        .and_then(|refill| serde_json::to_value(refill).ok())
}
