//! The checks every operation shares: names, descriptions, expiry, ids,
//! permission references, and "never hand out more than you hold".

use crate::ctx::Grants;
use crate::error::{ApiError, ApiResult, Code};
use chrono::{DateTime, SubsecRound, Utc};
use keyward_core::model::{Catalog, KeyGrant, parse_name};
use keyward_core::{GrantSet, Resource};
use serde_json::{Value, json};
use uuid::Uuid;

const DESCRIPTION_MAX: usize = 1000;

/// Timestamps are kept to the millisecond, the same on every store.
pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}

pub fn check_expiry(
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ApiResult<Option<DateTime<Utc>>> {
    match expires_at.map(truncate) {
        Some(at) if at <= now => Err(ApiError::validation(format!(
            "expires_at {} is not in the future",
            at.to_rfc3339()
        ))),
        other => Ok(other),
    }
}

pub fn check_name(raw: &str) -> ApiResult<String> {
    parse_name(raw).map_err(|e| ApiError::validation(format!("name {e}")))
}

/// Resolves permission references against the catalog; unknown ones are
/// named in `details`.
pub fn resolve_permissions(catalog: &Catalog, refs: &[Value]) -> ApiResult<Vec<KeyGrant>> {
    if refs.is_empty() {
        return Err(ApiError::new(
            Code::InvalidPermission,
            "an explicit permission list must hold at least one permission",
        ));
    }
    let mut unknown = Vec::new();
    let mut grants = Vec::with_capacity(refs.len());
    for item in refs {
        let (permission, resource) = match item {
            Value::Object(fields) => {
                let resource = match fields.get("resource") {
                    None | Some(Value::Null) => "*",
                    Some(Value::String(r)) => r.as_str(),
                    Some(_) => {
                        return Err(ApiError::validation(
                            "a permission's resource must be a string",
                        ));
                    }
                };
                (fields.get("permission").unwrap_or(&Value::Null), resource)
            }
            other => (other, "*"),
        };
        let found = match permission {
            Value::Number(n) => n.as_i64().and_then(|id| catalog.by_id(id)),
            Value::String(name) => catalog.by_name(name),
            _ => {
                return Err(ApiError::validation(
                    "each permission is an id, a name, or {\"permission\": id or name, \"resource\": \"…\"}",
                ));
            }
        };
        let resource =
            Resource::parse(resource).map_err(|e| ApiError::validation(e.to_string()))?;
        match found {
            Some(p) => grants.push(KeyGrant {
                id: p.id,
                name: p.name.clone(),
                resource,
            }),
            None => unknown.push(permission.clone()),
        }
    }
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown.iter().map(Value::to_string).collect();
        return Err(ApiError::new(
            Code::InvalidPermission,
            format!("Invalid permission IDs: {}", listed.join(", ")),
        )
        .with_details(json!({ "unknown": unknown })));
    }
    Ok(grants)
}

pub fn permission_not_held(message: String, permission: &str) -> ApiError {
    ApiError::new(Code::PermissionNotHeld, message)
        .with_details(json!({ "permission": permission }))
}

/// Refuses to hand out grants the caller doesn't hold: no key, role or
/// group ever carries more than the one who made it.
pub fn ensure_holds(grants: &Grants, wanted: &GrantSet) -> ApiResult<()> {
    let Some(held) = grants.set() else {
        return Ok(());
    };
    match held.first_uncovered(wanted) {
        None => Ok(()),
        Some(extra) => Err(permission_not_held(
            format!(
                "that would grant {} on {}, which you don't hold; nobody hands out more than they have",
                extra.permission, extra.resource
            ),
            extra.permission.as_str(),
        )),
    }
}

/// An id from a path segment, if it is one.
pub fn parse_id(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
}

/// 404 for a `kind` the path names that doesn't exist.
pub fn not_found(kind: &str, raw: &str) -> ApiError {
    ApiError::new(Code::NotFound, format!("{kind} {raw} was not found"))
}

/// `Ok` when an operation found what the path names, else its 404.
pub fn found(done: bool, kind: &str, raw: &str) -> ApiResult<()> {
    if done {
        Ok(())
    } else {
        Err(not_found(kind, raw))
    }
}

pub fn check_description(raw: Option<String>) -> ApiResult<Option<String>> {
    match raw {
        Some(d) if d.chars().count() > DESCRIPTION_MAX => Err(ApiError::validation(format!(
            "description must be at most {DESCRIPTION_MAX} characters"
        ))),
        other => Ok(other),
    }
}
