//! Creating keys: the one path the API, the Dadosfera contract and the
//! portal share, so every rule (catalog, expiry, "never more than the
//! creator", the per-organization limit) holds everywhere.

use crate::auth::{Caller, Grants};
use crate::error::{ApiError, ApiResult, Code};
use crate::eviction::Evict;
use crate::state::AppState;
use chrono::{DateTime, SubsecRound, Utc};
use keyward_core::access::team_resources;
use keyward_core::model::{Catalog, KeyGrant, KeyRecord, NewKey, Organization, parse_name};
use keyward_core::{ApiKey, GrantSet, Resource, Scope};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// What a caller asks for.
#[derive(Debug, Clone)]
pub struct KeySpec {
    pub name: String,
    pub scope: Scope,
    pub read_only: bool,
    /// Ids, names or `{permission, resource}` objects; `None` for no narrowing.
    pub permissions: Option<Vec<Value>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub metadata: Map<String, Value>,
    /// The team of a `team` key.
    pub team_id: Option<Uuid>,
    /// The account of a `service_account` key.
    pub service_account_id: Option<Uuid>,
}

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

fn permission_not_held(message: String, permission: &str) -> ApiError {
    ApiError::new(Code::PermissionNotHeld, message)
        .with_details(json!({ "permission": permission }))
}

/// Keys other than one's own personal keys need `keys:write` on what they
/// cover.
fn require_keys_write(access: &Access<'_>, resource: &Resource) -> ApiResult<()> {
    if access.grants.allows("keys:write", resource) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "creating this key needs the permission keys:write",
        ))
    }
}

fn required(id: Option<Uuid>, field: &str, scope: Scope) -> ApiResult<Uuid> {
    id.ok_or_else(|| ApiError::validation(format!("a `{scope}` key needs `{field}`")))
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

/// Who owns a key of this scope, or why the caller can't create one.
async fn owner_for(state: &AppState, access: &Access<'_>, spec: &KeySpec) -> ApiResult<Uuid> {
    let org = access.org;
    match spec.scope {
        Scope::User => access.caller.user_id().ok_or_else(|| {
            ApiError::validation(
                "a `user` key belongs to the user who creates it: sign in to create one",
            )
        }),
        Scope::Team => {
            let team_id = required(spec.team_id, "team_id", Scope::Team)?;
            if state.store.team(org.id, team_id).await?.is_none() {
                return Err(ApiError::validation(format!(
                    "team {team_id} is not in this organization"
                )));
            }
            if !access.grants.is_team_owner(team_id) {
                return Err(ApiError::forbidden(
                    "team keys are created by the team's owners and the organization's owners and admins",
                ));
            }
            let [team, _] = team_resources(team_id);
            require_keys_write(access, &team)?;
            Ok(team_id)
        }
        Scope::Organization => {
            if !access.grants.is_org_owner() {
                return Err(ApiError::forbidden(
                    "only organization owners may create organization keys",
                ));
            }
            require_keys_write(access, &Resource::Any)?;
            Ok(org.id)
        }
        Scope::ServiceAccount => {
            let account = required(
                spec.service_account_id,
                "service_account_id",
                Scope::ServiceAccount,
            )?;
            if state
                .store
                .service_account(org.id, account)
                .await?
                .is_none()
            {
                return Err(ApiError::validation(format!(
                    "service account {account} is not in this organization"
                )));
            }
            if !access.grants.allows("members:write", &Resource::Any) {
                return Err(ApiError::forbidden(
                    "service account keys need the permission members:write",
                ));
            }
            Ok(account)
        }
    }
}

/// The caller, the organization, and what the caller holds there.
pub struct Access<'a> {
    pub caller: &'a Caller,
    pub org: &'a Organization,
    pub grants: &'a Grants,
}

/// Whether the caller may change or revoke `key`: holders of `keys:write`,
/// and each key's owners (the user, the team's owners, holders of
/// `members:write` for service accounts).
pub fn may_manage(access: &Access<'_>, key: &KeyRecord) -> bool {
    access.grants.allows("keys:write", &Resource::Any)
        || match key.scope {
            Scope::User => access.caller.user_id() == Some(key.owner_id),
            Scope::Team => access.grants.is_team_owner(key.owner_id),
            Scope::ServiceAccount => access.grants.allows("members:write", &Resource::Any),
            Scope::Organization => false,
        }
}

/// Creates a key; returns its record and, once, its plaintext.
pub async fn create(
    state: &AppState,
    access: &Access<'_>,
    spec: KeySpec,
) -> ApiResult<(KeyRecord, ApiKey)> {
    let (caller, org) = (access.caller, access.org);
    let now = truncate(state.clock.now());
    let name = check_name(&spec.name)?;
    let expires_at = check_expiry(spec.expires_at, now)?;
    let owner_id = owner_for(state, access, &spec).await?;
    let catalog = state.store.catalog(org.id).await?;
    let permissions = match &spec.permissions {
        Some(refs) => resolve_permissions(&catalog, refs)?,
        None => Vec::new(),
    };
    let key = ApiKey::mint(&org.key_prefix);
    let record = KeyRecord {
        id: Uuid::now_v7(),
        organization_id: org.id,
        name,
        scope: spec.scope,
        read_only: spec.read_only,
        owner_id,
        permissions,
        created_by: caller.id(),
        created_at: now,
        expires_at,
        last_used_at: None,
        usage_count: 0,
        enabled: true,
        revoked_at: None,
        key_mask: key.mask(),
        metadata: spec.metadata,
    };
    if let Some(held) = access.grants.set() {
        for grant in &record.permissions {
            if !held.holds_somewhere(grant.name.as_str()) {
                return Err(permission_not_held(
                    format!("you can't grant {}: you don't hold it", grant.name),
                    grant.name.as_str(),
                ));
            }
        }
        let scope = state.scope_grants(&record, &catalog).await?;
        ensure_holds(
            access.grants,
            &record.effective_grants(&scope.grants, &catalog),
        )?;
    }
    let hash = state.hasher.hash(key.expose());
    let new = NewKey { record, hash };
    state
        .store
        .insert_key(&new, state.settings.max_keys_per_org, now)
        .await?;
    state.cache.created(&hash);
    state.metrics.key_created();
    tracing::info!(key_id = %new.record.id, org = %org.slug.as_str(), scope = %new.record.scope, "key created");
    Ok((new.record, key))
}

/// Revokes a key for good and retires cached answers about it.
pub async fn revoke(state: &AppState, org: &Organization, id: Uuid) -> ApiResult<bool> {
    let revoked = state
        .store
        .revoke_key(org.id, id, truncate(state.clock.now()))
        .await?;
    if revoked {
        state.cache.retire(Evict::Key(id));
        tracing::info!(key_id = %id, org = %org.slug.as_str(), "key revoked");
    }
    Ok(revoked)
}
