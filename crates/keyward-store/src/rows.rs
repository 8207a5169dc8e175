//! Turning stored columns back into domain values, shared by both stores.

use crate::Result;
use crate::error::corrupt;
use keyward_core::access::{OrgRole, PrincipalKind, TeamRole};
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
