//! `/api/v1/orgs/{org}/keys`: create, list, read, update, roll and revoke
//! keys.

use super::views::{KeyPage, KeyView, PermissionRef};
use crate::auth::{KeysRead, OrgAccess, OrgMember};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, double_option};
use crate::openapi::{Label, Metadata, REFUSED};
use crate::ops::key_limits::LimitsInput;
use crate::ops::keys::{self, KeyRoll, KeySpec, KeyUpdate};
use crate::ops::rules::parse_id;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use keyward_core::key_limits::{Credits, RateLimit};
use keyward_core::key_policy::MAX_LIFETIME_DAYS;
use keyward_core::model::KeyRecord;
use keyward_core::{ApiKey, Scope};
use keyward_store::KeyFilter;

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A key as the API shows it, its credits as this node knows them now.
fn view(state: &AppState, record: KeyRecord, key: Option<&ApiKey>) -> KeyView {
    let credits = state
        .limiter
        .credits_now(record.id, &record.limits, state.clock.now());
    KeyView::new(record, key.map(|k| k.expose().to_owned()), credits)
}

pub const PAGE_DEFAULT: u32 = 50;
pub const PAGE_MAX: u32 = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// A label, at most 200 characters.
    #[schema(value_type = Label)]
    pub name: String,
    /// `user`, `team`, `organization` or `service_account`.
    #[schema(value_type = Scope)]
    pub scope: Scope,
    #[serde(default)]
    pub read_only: bool,
    /// Narrows the key: permission ids, names, or `{permission, resource}`;
    /// at most 256.
    #[serde(default, deserialize_with = "crate::bounds::optional_key_permissions")]
    #[schema(value_type = Option<Vec<PermissionRef>>, min_items = 1, max_items = 256)]
    pub permissions: Option<Vec<Value>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Free-form JSON kept with the key and returned by verification; at
    /// most 4096 bytes as JSON and 8 levels deep.
    #[serde(default, deserialize_with = "crate::bounds::metadata")]
    #[schema(value_type = Option<Metadata>)]
    pub metadata: Option<Map<String, Value>>,
    /// Required for `team` keys.
    pub team_id: Option<Uuid>,
    /// Required for `service_account` keys.
    pub service_account_id: Option<Uuid>,
    /// At most 5; every verification counts against each.
    pub ratelimits: Option<Vec<RateLimit>>,
    /// Usage credits: a verification costs 1 (or its `cost`).
    pub credits: Option<Credits>,
    /// Addresses and CIDRs the key may be used from, at most 100; any
    /// address when absent or empty.
    #[schema(max_items = 100)]
    pub allowed_ips: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyRequest {
    #[schema(value_type = Option<Label>)]
    pub name: Option<String>,
    pub enabled: Option<bool>,
    /// A new expiry, or `null` for none.
    #[serde(default, deserialize_with = "double_option")]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// Free-form JSON kept with the key and returned by verification; at
    /// most 4096 bytes as JSON and 8 levels deep.
    #[serde(default, deserialize_with = "crate::bounds::metadata")]
    #[schema(value_type = Option<Metadata>)]
    pub metadata: Option<Map<String, Value>>,
    /// A read-only key holds only read-only permissions.
    pub read_only: Option<bool>,
    /// New explicit permissions, as at creation (at least one, each held
    /// by the caller), or `null` for all of the scope's rights.
    #[serde(default, deserialize_with = "crate::bounds::changed_key_permissions")]
    #[schema(value_type = Option<Vec<PermissionRef>>, min_items = 1, max_items = 256)]
    pub permissions: Option<Option<Vec<Value>>>,
    /// New rate limits (at most 5); `[]` takes them away.
    pub ratelimits: Option<Vec<RateLimit>>,
    /// A new credit balance and refill, or `null` to take credits away.
    #[serde(default, deserialize_with = "double_option")]
    pub credits: Option<Option<Credits>>,
    /// New allowed addresses (at most 100); `[]` allows any.
    #[schema(max_items = 100)]
    pub allowed_ips: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollKeyRequest {
    /// How long the old key keeps working, in seconds: 0 revokes it at
    /// once, at most 2592000 (30 days); 86400 if absent. Never past its
    /// own expiry.
    pub grace_seconds: Option<u32>,
    /// The new key's expiry, under the organization's key policy; none if
    /// absent (or the policy's latest).
    pub expires_at: Option<DateTime<Utc>>,
    /// The new key's rate limits; the old key's if absent.
    pub ratelimits: Option<Vec<RateLimit>>,
    /// The new key's credits; the old key's stored balance if absent.
    pub credits: Option<Credits>,
    /// The new key's allowed addresses; the old key's if absent.
    #[schema(max_items = 100)]
    pub allowed_ips: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub cursor: Option<String>,
    /// Only keys expiring within this many days from now, 1 to 3650 (not
    /// yet expired).
    #[param(minimum = 1, maximum = 3650)]
    pub expiring_within_days: Option<u32>,
    /// `true`: only keys the organization's key policy would refuse today
    /// (made before it).
    pub violates_policy: Option<bool>,
}

/// Create a key; the response carries `key`, the secret, this once.
#[utoipa::path(post, operation_id = "createKey", path = "/api/v1/orgs/{org}/keys", tag = "keys",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateKeyRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = KeyView, description = "The new key, its secret in `key` this once"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    member: OrgMember,
    ApiJson(body): ApiJson<CreateKeyRequest>,
) -> ApiResult<(StatusCode, ApiJson<KeyView>)> {
    let spec = KeySpec {
        name: body.name,
        scope: body.scope,
        read_only: body.read_only,
        permissions: body.permissions,
        expires_at: body.expires_at,
        metadata: body.metadata.unwrap_or_default(),
        team_id: body.team_id,
        service_account_id: body.service_account_id,
        limits: LimitsInput {
            ratelimits: body.ratelimits,
            credits: body.credits.map(Some),
            allowed_ips: body.allowed_ips,
        },
    };
    let (record, key) = keys::create(&state, &member, spec).await?;
    let view = view(&state, record, Some(&key));
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// List live keys, newest first, masked; optionally only those expiring
/// soon or those breaking the organization's key policy.
#[utoipa::path(get, operation_id = "listKeys", path = "/api/v1/orgs/{org}/keys", tag = "keys",
    params(("org" = String, Path, description = "Organization id or slug"), ListParams),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = KeyPage, description = "One page of live keys, masked, newest first"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<KeysRead>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<KeyPage>> {
    let limit = params.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::validation(format!(
            "limit must be between 1 and {PAGE_MAX}"
        )));
    }
    let before = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            parse_id(raw)
                .ok_or_else(|| ApiError::validation("cursor is not one this server gave out"))?,
        ),
    };
    let now = state.clock.now();
    let expiring = match params.expiring_within_days {
        Some(days) if (1..=MAX_LIFETIME_DAYS).contains(&days) => {
            Some((now, now + Duration::days(i64::from(days))))
        }
        Some(_) => {
            return Err(ApiError::validation(format!(
                "expiring_within_days must be between 1 and {MAX_LIFETIME_DAYS}"
            )));
        }
        None => None,
    };
    let unbounded_after = match params.violates_policy {
        Some(true) => match access.org.key_policy.violation_bound(now) {
            Some(bound) => Some(bound),
            // No key breaks an empty policy.
            None => return Ok(ApiJson(KeyPage::default())),
        },
        _ => None,
    };
    let filter = KeyFilter {
        expiring,
        unbounded_after,
    };
    let found = state
        .store
        .list_keys_where(access.org.id, before, limit, &filter)
        .await?;
    let next_cursor = (found.len() == limit as usize)
        .then(|| found.last().map(|k| k.id.to_string()))
        .flatten();
    let items = found.into_iter().map(|k| view(&state, k, None)).collect();
    Ok(ApiJson(KeyPage { items, next_cursor }))
}

/// Read one key, masked.
#[utoipa::path(get, operation_id = "getKey", path = "/api/v1/orgs/{org}/keys/{id}", tag = "keys",
    params(("org" = String, Path), ("id" = String, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = KeyView, description = "The key, masked"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn get(
    State(state): State<AppState>,
    access: OrgAccess<KeysRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<KeyView>> {
    let (_, id) = path;
    let record = match parse_id(&id) {
        Some(uuid) => state.store.key(access.org.id, uuid).await?,
        None => None,
    };
    match record {
        Some(k) if k.revoked_at.is_none() => Ok(ApiJson(view(&state, k, None))),
        _ => Err(ApiError::key_not_found(id)),
    }
}

/// Change a key's name, enabled state, expiry, metadata, read-only flag or
/// permissions; the change applies from the next verification on.
#[utoipa::path(patch, operation_id = "updateKey", path = "/api/v1/orgs/{org}/keys/{id}", tag = "keys",
    params(("org" = String, Path), ("id" = String, Path)),
    request_body = UpdateKeyRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = KeyView, description = "The changed key, masked"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn update(
    State(state): State<AppState>,
    member: OrgMember,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateKeyRequest>,
) -> ApiResult<ApiJson<KeyView>> {
    let (_, id) = path;
    let updated = keys::update(&state, &member, &id, body.into()).await?;
    Ok(ApiJson(view(&state, updated, None)))
}

/// Roll a key: a new key like it (the response carries `key`, the
/// secret, this once, and `rolled_from`), while the old one keeps working
/// for the grace period.
#[utoipa::path(post, operation_id = "rollKey", path = "/api/v1/orgs/{org}/keys/{id}/roll", tag = "keys",
    params(("org" = String, Path), ("id" = String, Path)),
    request_body = RollKeyRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = KeyView, description = "The new key, its secret in `key` this once"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn roll(
    State(state): State<AppState>,
    member: OrgMember,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<RollKeyRequest>,
) -> ApiResult<(StatusCode, ApiJson<KeyView>)> {
    let (_, id) = path;
    let input = KeyRoll {
        grace_seconds: body.grace_seconds,
        expires_at: body.expires_at,
        limits: LimitsInput {
            ratelimits: body.ratelimits,
            credits: body.credits.map(Some),
            allowed_ips: body.allowed_ips,
        },
    };
    let (record, key) = keys::roll(&state, &member, &id, input).await?;
    let view = view(&state, record, Some(&key));
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// Revoke a key for good.
#[utoipa::path(delete, operation_id = "revokeKey", path = "/api/v1/orgs/{org}/keys/{id}", tag = "keys",
    params(("org" = String, Path), ("id" = String, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The key is revoked"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn revoke(
    State(state): State<AppState>,
    member: OrgMember,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (_, id) = path;
    keys::revoke(&state, &member, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

impl From<UpdateKeyRequest> for KeyUpdate {
    fn from(body: UpdateKeyRequest) -> Self {
        Self {
            name: body.name,
            enabled: body.enabled,
            expires_at: body.expires_at,
            metadata: body.metadata,
            read_only: body.read_only,
            permissions: body.permissions,
            limits: LimitsInput {
                ratelimits: body.ratelimits,
                credits: body.credits,
                allowed_ips: body.allowed_ips,
            },
        }
    }
}
