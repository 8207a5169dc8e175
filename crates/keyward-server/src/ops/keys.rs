//! Keys: creating, changing, rolling and revoking them, the one path the
//! API, the Dadosfera contract and the portal share, so every rule
//! (catalog, expiry and the organization's key policy, "never more than
//! the creator", read-only keys, the per-organization limit) holds
//! everywhere.

use super::actions::{
    KEY_CREATED, KEY_DISABLED, KEY_ENABLED, KEY_REVOKED, KEY_ROLLED, KEY_UPDATED,
};
use super::commit::{Change, commit};
use super::key_limits::{self, LimitsInput};
use super::rules::{
    check_expiry, check_name, ensure_holds, parse_id, permission_not_held, resolve_permissions,
    truncate,
};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, Code};
use crate::eviction::Evict;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use futures::FutureExt;
use keyward_core::access::team_resources;
use keyward_core::key_limits::KeyLimits;
use keyward_core::model::{Catalog, KeyPatch, KeyRecord, NewKey, RollEnd};
use keyward_core::{ApiKey, Resource, Scope};
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
    pub limits: LimitsInput,
}

/// Keys other than one's own personal keys need `keys:write` on what they
/// cover.
fn require_keys_write(ctx: &Ctx, resource: &Resource) -> ApiResult<()> {
    if ctx.grants.allows("keys:write", resource) {
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

/// Who owns a key of this scope, or why the caller can't create one.
async fn owner_for(state: &AppState, ctx: &Ctx, spec: &KeySpec) -> ApiResult<Uuid> {
    let org = &ctx.org;
    match spec.scope {
        Scope::User => ctx.caller.user_id().ok_or_else(|| {
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
            if !ctx.grants.is_team_owner(team_id) {
                return Err(ApiError::forbidden(
                    "team keys are created by the team's owners and the organization's owners and admins",
                ));
            }
            let [team, _] = team_resources(team_id);
            require_keys_write(ctx, &team)?;
            Ok(team_id)
        }
        Scope::Organization => {
            if !ctx.grants.is_org_owner() {
                return Err(ApiError::forbidden(
                    "only organization owners may create organization keys",
                ));
            }
            require_keys_write(ctx, &Resource::Any)?;
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
            if !ctx.grants.allows("members:write", &Resource::Any) {
                return Err(ApiError::forbidden(
                    "service account keys need the permission members:write",
                ));
            }
            Ok(account)
        }
    }
}

/// Whether the caller may change or revoke `key`: holders of `keys:write`,
/// and each key's owners (the user, the team's owners, holders of
/// `members:write` for service accounts).
pub fn may_manage(ctx: &Ctx, key: &KeyRecord) -> bool {
    ctx.grants.allows("keys:write", &Resource::Any)
        || match key.scope {
            Scope::User => ctx.caller.user_id() == Some(key.owner_id),
            Scope::Team => ctx.grants.is_team_owner(key.owner_id),
            Scope::ServiceAccount => ctx.grants.allows("members:write", &Resource::Any),
            Scope::Organization => false,
        }
}

/// The expiry a key may have under its organization's key policy: the
/// one asked for (`fill`: or, for a new key asking none, the latest the
/// policy allows), else 422 `KEY_POLICY_VIOLATION` naming the limit.
fn under_policy(
    ctx: &Ctx,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    fill: bool,
) -> ApiResult<Option<DateTime<Utc>>> {
    let policy = ctx.org.key_policy;
    let expires_at = if fill {
        policy.with_default(expires_at, now)
    } else {
        expires_at
    };
    policy.check(expires_at, now).map_err(|violation| {
        ApiError::new(Code::KeyPolicyViolation, violation.to_string())
            .with_details(json!({ "key_policy": policy }))
    })?;
    Ok(expires_at)
}

/// The rules on what a key (new or changed) holds: a read-only key holds
/// only read-only permissions, and the caller holds every permission it
/// names and everything it would act with (403 `PERMISSION_NOT_HELD`).
async fn check_grants(
    state: &AppState,
    ctx: &Ctx,
    record: &KeyRecord,
    catalog: &Catalog,
) -> ApiResult<()> {
    if let Some(grant) = record.writing_grant(catalog) {
        return Err(ApiError::validation(format!(
            "a read-only key can't hold {}, which changes things; \
             give it read-only permissions or make it not read-only",
            grant.name
        ))
        .with_details(json!({ "permission": grant.name })));
    }
    let Some(held) = ctx.grants.set() else {
        return Ok(());
    };
    for grant in &record.permissions {
        if !held.holds_somewhere(grant.name.as_str()) {
            return Err(permission_not_held(
                format!("you can't grant {}: you don't hold it", grant.name),
                grant.name.as_str(),
            ));
        }
    }
    let scope = state.scope_grants(record, catalog).await?;
    ensure_holds(
        &ctx.grants,
        &record.effective_grants(&scope.grants, catalog),
    )
}

/// Creates a key; returns its record and, once, its plaintext.
pub async fn create(state: &AppState, ctx: &Ctx, spec: KeySpec) -> ApiResult<(KeyRecord, ApiKey)> {
    let org = &ctx.org;
    let now = truncate(state.clock.now());
    let name = check_name(&spec.name)?;
    let expires_at = check_expiry(spec.expires_at, now)?;
    let owner_id = owner_for(state, ctx, &spec).await?;
    let expires_at = under_policy(ctx, expires_at, now, true)?;
    let limits = spec.limits.clone().check(now)?.over(&KeyLimits::default());
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
        created_by: ctx.caller.id(),
        created_at: now,
        expires_at,
        last_used_at: None,
        usage_count: 0,
        enabled: true,
        revoked_at: None,
        key_mask: key.mask(),
        metadata: spec.metadata,
        rolled_from: None,
        rolled_to: None,
        limits,
    };
    check_grants(state, ctx, &record, &catalog).await?;
    let hash = state.hasher.hash(key.expose());
    let change = Change::new(KEY_CREATED, Some(org.id))
        .target("key", record.id, &record.name)
        .detail("scope", record.scope)
        .detail("owner_id", record.owner_id)
        .detail("read_only", record.read_only)
        .detail("permissions", &record.permissions)
        .detail("expires_at", record.expires_at)
        .created_key(hash);
    let change = key_limits::describe(&record.limits, change);
    let new = NewKey { record, hash };
    let limit = state.settings.max_keys_per_org;
    let new = commit(state, ctx.by(), change, |store| {
        async move { store.insert_key(&new, limit, now).await.map(|()| new) }.boxed()
    })
    .await?;
    state.metrics.key_created();
    tracing::info!(key_id = %new.record.id, org = %org.slug.as_str(), scope = %new.record.scope, "key created");
    Ok((new.record, key))
}

/// A live key of the organization that the caller may manage, by the id
/// in the path: 404 for keys that don't exist (or are revoked), 403 for
/// others'.
async fn manageable(state: &AppState, ctx: &Ctx, raw: &str) -> ApiResult<KeyRecord> {
    let key = match parse_id(raw) {
        Some(id) => state.store.key(ctx.org.id, id).await?,
        None => None,
    }
    .filter(|k| k.revoked_at.is_none())
    .ok_or_else(|| ApiError::key_not_found(raw))?;
    if !may_manage(ctx, &key) {
        return Err(ApiError::forbidden(
            "this credential may not change that key: it needs keys:write or to own the key",
        ));
    }
    Ok(key)
}

/// What a change to a key asks for.
#[derive(Debug, Default)]
pub struct KeyUpdate {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    /// A new expiry, or `Some(None)` for none.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub metadata: Option<Map<String, Value>>,
    pub read_only: Option<bool>,
    /// New explicit permissions (the forms creation takes), or
    /// `Some(None)` for all of the scope's rights.
    pub permissions: Option<Option<Vec<Value>>>,
    pub limits: LimitsInput,
}

/// Changes a key the caller may manage, under the rules of creation for
/// what it holds and of the key policy for its expiry. A change of
/// `enabled` alone is recorded as `key.disabled` or `key.enabled`.
pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    raw: &str,
    input: KeyUpdate,
) -> ApiResult<KeyRecord> {
    let key = manageable(state, ctx, raw).await?;
    let now = truncate(state.clock.now());
    let limits = input.limits.check(now)?;
    let expires_at = match input.expires_at {
        Some(at) => Some(under_policy(ctx, check_expiry(at, now)?, now, false)?),
        None => None,
    };
    // What the key holds changes: the rules of creation apply to it anew.
    let permissions = if input.permissions.is_some() || input.read_only.is_some() {
        let catalog = state.store.catalog(ctx.org.id).await?;
        let grants = match &input.permissions {
            Some(Some(refs)) => Some(resolve_permissions(&catalog, refs)?),
            Some(None) => Some(Vec::new()),
            None => None,
        };
        let edited = KeyRecord {
            permissions: grants.clone().unwrap_or_else(|| key.permissions.clone()),
            read_only: input.read_only.unwrap_or(key.read_only),
            ..key.clone()
        };
        check_grants(state, ctx, &edited, &catalog).await?;
        grants
    } else {
        None
    };
    let mut patch = KeyPatch {
        name: input.name.as_deref().map(check_name).transpose()?,
        enabled: input.enabled,
        expires_at,
        metadata: input.metadata,
        read_only: input.read_only,
        permissions,
        ..KeyPatch::default()
    };
    let only_enabled = patch.name.is_none()
        && patch.expires_at.is_none()
        && patch.metadata.is_none()
        && patch.read_only.is_none()
        && patch.permissions.is_none()
        && limits.is_empty();
    let action = match patch.enabled {
        Some(false) if only_enabled => KEY_DISABLED,
        Some(true) if only_enabled => KEY_ENABLED,
        _ => KEY_UPDATED,
    };
    let change = Change::new(action, Some(ctx.org.id))
        .target("key", key.id, &key.name)
        .changed("name", &key.name, patch.name.as_ref())
        .changed("enabled", &key.enabled, patch.enabled.as_ref())
        .changed("expires_at", &key.expires_at, patch.expires_at.as_ref())
        .changed("metadata", &key.metadata, patch.metadata.as_ref())
        .changed("read_only", &key.read_only, patch.read_only.as_ref())
        .changed("permissions", &key.permissions, patch.permissions.as_ref())
        .evicts(Evict::Key(key.id));
    let change = limits.into_patch(&key.limits, change, &mut patch);
    let (org, id) = (ctx.org.id, key.id);
    let updated = commit(state, ctx.by(), change, |store| {
        async move { store.update_key(org, id, &patch).await }.boxed()
    })
    .await?;
    updated.ok_or_else(|| ApiError::key_not_found(raw))
}

/// Revokes a key the caller may manage, for good.
pub async fn revoke(state: &AppState, ctx: &Ctx, raw: &str) -> ApiResult<()> {
    let key = manageable(state, ctx, raw).await?;
    let (org, id) = (key.organization_id, key.id);
    let at = truncate(state.clock.now());
    let change = Change::new(KEY_REVOKED, Some(org))
        .target("key", id, &key.name)
        .evicts(Evict::Key(id));
    let revoked = commit(state, ctx.by(), change, |store| {
        async move { store.revoke_key(org, id, at).await }.boxed()
    })
    .await?;
    if !revoked {
        return Err(ApiError::key_not_found(raw));
    }
    tracing::info!(key_id = %id, org = %ctx.org.slug.as_str(), "key revoked");
    Ok(())
}

/// How long a rolled key keeps working by default: a day.
pub const GRACE_DEFAULT_SECONDS: u32 = 86_400;
/// The longest grace period: 30 days.
pub const GRACE_MAX_SECONDS: u32 = 2_592_000;

/// What rolling a key asks for.
#[derive(Debug, Default)]
pub struct KeyRoll {
    /// How long the old key keeps working; 0 revokes it at once.
    pub grace_seconds: Option<u32>,
    /// The new key's expiry, under the organization's key policy.
    pub expires_at: Option<DateTime<Utc>>,
    /// The new key's limits, in place of the old one's.
    pub limits: LimitsInput,
}

/// Rolls a key the caller may manage (the right revoking needs): a new
/// key with the old one's name, scope, owner, read-only flag, explicit
/// permissions, metadata and limits (its credit balance as stored), while the old one keeps working for the
/// grace period (never longer than it would have). Returns the new key's
/// record and, once, its plaintext.
pub async fn roll(
    state: &AppState,
    ctx: &Ctx,
    raw: &str,
    input: KeyRoll,
) -> ApiResult<(KeyRecord, ApiKey)> {
    let old = manageable(state, ctx, raw).await?;
    if let Some(new) = old.rolled_to {
        return Err(already_rolled(raw, new));
    }
    let grace = input.grace_seconds.unwrap_or(GRACE_DEFAULT_SECONDS);
    if grace > GRACE_MAX_SECONDS {
        return Err(ApiError::validation(format!(
            "grace_seconds must be at most {GRACE_MAX_SECONDS} (30 days)"
        )));
    }
    let now = truncate(state.clock.now());
    let expires_at = under_policy(ctx, check_expiry(input.expires_at, now)?, now, true)?;
    let limits = input.limits.check(now)?.over(&old.limits);
    let end = match grace {
        0 => RollEnd::RevokedAt(now),
        _ => RollEnd::ExpiresBy(now + chrono::Duration::seconds(i64::from(grace))),
    };
    let key = ApiKey::mint(&ctx.org.key_prefix);
    let record = KeyRecord {
        id: Uuid::now_v7(),
        created_by: ctx.caller.id(),
        created_at: now,
        expires_at,
        last_used_at: None,
        usage_count: 0,
        enabled: true,
        revoked_at: None,
        key_mask: key.mask(),
        rolled_from: Some(old.id),
        rolled_to: None,
        limits,
        ..old.clone()
    };
    let hash = state.hasher.hash(key.expose());
    let change = Change::new(KEY_ROLLED, Some(ctx.org.id))
        .target("key", old.id, &old.name)
        .detail("rolled_from", old.id)
        .detail("rolled_to", record.id)
        .detail("grace_seconds", grace)
        .detail("expires_at", record.expires_at)
        .evicts(Evict::Key(old.id))
        .created_key(hash);
    let new = NewKey { record, hash };
    let limit = state.settings.max_keys_per_org;
    let (rolled, new) = commit(state, ctx.by(), change, |store| {
        async move {
            let rolled = store.roll_key(&new, end, limit, now).await?;
            Ok((rolled, new))
        }
        .boxed()
    })
    .await?;
    if !rolled {
        // Revoked or rolled since it was read.
        let again = state.store.key(ctx.org.id, old.id).await?;
        return Err(match again.and_then(|k| k.rolled_to) {
            Some(new) => already_rolled(raw, new),
            None => ApiError::key_not_found(raw),
        });
    }
    state.metrics.key_created();
    tracing::info!(key_id = %new.record.id, rolled_from = %old.id, org = %ctx.org.slug.as_str(), grace, "key rolled");
    Ok((new.record, key))
}

fn already_rolled(raw: &str, new: Uuid) -> ApiError {
    ApiError::new(
        Code::KeyAlreadyRolled,
        format!("API key {raw} was already rolled; roll its successor {new} instead"),
    )
    .with_details(json!({ "rolled_to": new }))
}
