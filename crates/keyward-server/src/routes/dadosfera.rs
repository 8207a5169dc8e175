//! The Dadosfera contract, verbatim shapes, on the caller's organization:
//! `GET/POST /api-key`, `DELETE /api-key/{id}`, `GET /permissions`.

use super::views::PermissionView;
use crate::auth::{KeysRead, OrgAccess, OrgMember, OrgRead};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::openapi::{Label, REFUSED};

use crate::extract::ApiJson;
use crate::ops::keys::{self, KeySpec};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use keyward_core::Scope;
use keyward_core::model::KeyRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// Dadosfera lists keys in one response; the key limit bounds its size.
const LIST_MAX: u32 = 10_000;

/// The Dadosfera routes act on the caller's organization; the admin key
/// names one.
const ORG_HEADER: &str = "The organization (id or slug): required with the admin key, \
                          optional for a key (it must be the key's own)";

#[derive(Debug, Serialize, ToSchema)]
pub struct DadosferaPermission {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DadosferaKey {
    pub id: Uuid,
    pub permissions: Vec<DadosferaPermission>,
    pub key_mask: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DadosferaCreatedKey {
    pub id: Uuid,
    pub key: String,
    pub key_mask: String,
    pub permissions: Vec<DadosferaPermission>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DadosferaCreateRequest {
    /// Permission ids from `GET /permissions`; at least one, at most 256.
    #[serde(deserialize_with = "crate::bounds::key_permissions")]
    #[schema(min_items = 1, max_items = 256)]
    pub permissions: Vec<i64>,
    #[schema(value_type = Option<Label>)]
    pub name: Option<String>,
}

fn permissions_of(k: &KeyRecord) -> Vec<DadosferaPermission> {
    k.permissions
        .iter()
        .map(|g| DadosferaPermission {
            id: g.id,
            name: g.name.to_string(),
        })
        .collect()
}

/// List the organization's live keys, masked.
#[utoipa::path(get, operation_id = "listDadosferaKeys", path = "/api-key", tag = "dadosfera",
    params(("X-Keyward-Org" = Option<String>, Header, description = ORG_HEADER)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<DadosferaKey>, description = "The organization's live keys, masked"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<KeysRead>,
) -> ApiResult<ApiJson<Vec<DadosferaKey>>> {
    let found = state.store.list_keys(access.org.id, None, LIST_MAX).await?;
    Ok(ApiJson(
        found
            .into_iter()
            .map(|k| DadosferaKey {
                id: k.id,
                permissions: permissions_of(&k),
                key_mask: k.key_mask,
                created_at: k.created_at,
            })
            .collect(),
    ))
}

/// Create an organization key with the given permissions.
#[utoipa::path(post, operation_id = "createDadosferaKey", path = "/api-key", tag = "dadosfera",
    params(("X-Keyward-Org" = Option<String>, Header, description = ORG_HEADER)),
    request_body = DadosferaCreateRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = DadosferaCreatedKey, description = "The new key, its secret shown this once"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    member: OrgMember,
    ApiJson(body): ApiJson<DadosferaCreateRequest>,
) -> ApiResult<(StatusCode, ApiJson<DadosferaCreatedKey>)> {
    let spec = KeySpec {
        name: body.name.unwrap_or_else(|| "API key".to_owned()),
        // Owners create organization keys; other users, keys acting with
        // their own rights.
        scope: if member.grants.is_org_owner() || member.caller.user_id().is_none() {
            Scope::Organization
        } else {
            Scope::User
        },
        read_only: false,
        permissions: Some(body.permissions.into_iter().map(Value::from).collect()),
        expires_at: None,
        metadata: Default::default(),
        team_id: None,
        service_account_id: None,
        limits: Default::default(),
    };
    let (record, key) = keys::create(&state, &member, spec).await?;
    let created = DadosferaCreatedKey {
        id: record.id,
        key: key.expose().to_owned(),
        key_mask: record.key_mask.clone(),
        permissions: permissions_of(&record),
        created_at: record.created_at,
        created_by: record.created_by,
    };
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// Revoke a key at once.
#[utoipa::path(delete, operation_id = "deleteDadosferaKey", path = "/api-key/{id}", tag = "dadosfera",
    params(("id" = String, Path), ("X-Keyward-Org" = Option<String>, Header, description = ORG_HEADER)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The key is revoked"), (status = 404, body = ErrorBody, description = "No live key of the organization has that id"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn delete(
    State(state): State<AppState>,
    member: OrgMember,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let not_found = |e: ApiError| match e.code {
        Code::KeyNotFound => e
            .with_error("API Key not found")
            .with_message(format!("API Key with ID {id} was not found")),
        _ => e,
    };
    keys::revoke(&state, &member, &id)
        .await
        .map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The permission catalog.
#[utoipa::path(get, operation_id = "listDadosferaPermissions", path = "/permissions", tag = "dadosfera",
    params(("X-Keyward-Org" = Option<String>, Header, description = ORG_HEADER)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<PermissionView>, description = "The organization's permission catalog"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn permissions(
    State(state): State<AppState>,
    access: OrgAccess<OrgRead>,
) -> ApiResult<ApiJson<Vec<PermissionView>>> {
    super::permissions::catalog(&state, access.org.id)
        .await
        .map(ApiJson)
}
