//! The permission catalog: keyward's built-ins and the platform's own.

use super::views::PermissionView;
use crate::auth::{OrgAccess, OrgRead, OrgWrite};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use keyward_core::PermissionName;
use keyward_core::permission::is_builtin;
use keyward_store::NewPermission;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePermissionRequest {
    /// `resource:action`, e.g. `dataproducts:read`.
    pub name: String,
    pub description: Option<String>,
    /// True for actions that change nothing; read-only keys keep only these.
    #[serde(default)]
    pub read_only: bool,
}

pub async fn catalog(state: &AppState, org: uuid::Uuid) -> ApiResult<Vec<PermissionView>> {
    Ok(state
        .store
        .catalog(org)
        .await?
        .0
        .into_iter()
        .map(PermissionView::from)
        .collect())
}

/// The organization's permission catalog.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/permissions", tag = "permissions",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 200, body = Vec<PermissionView>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<OrgRead>,
) -> ApiResult<ApiJson<Vec<PermissionView>>> {
    catalog(&state, access.org.id).await.map(ApiJson)
}

/// Register a platform permission.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/permissions", tag = "permissions",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreatePermissionRequest,
    responses((status = 201, body = PermissionView), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<OrgWrite>,
    ApiJson(body): ApiJson<CreatePermissionRequest>,
) -> ApiResult<(StatusCode, ApiJson<PermissionView>)> {
    let created = register(&state, access.org.id, body).await?;
    Ok((StatusCode::CREATED, ApiJson(created.into())))
}

/// Registers a platform permission in the catalog; shared with the portal.
pub async fn register(
    state: &AppState,
    org: uuid::Uuid,
    body: CreatePermissionRequest,
) -> ApiResult<keyward_core::model::Permission> {
    let name =
        PermissionName::parse(&body.name).map_err(|e| ApiError::validation(e.to_string()))?;
    if is_builtin(name.as_str()) {
        return Err(ApiError::new(
            Code::Conflict,
            format!("{name} is a built-in permission"),
        ));
    }
    let description = body.description.unwrap_or_default();
    if description.chars().count() > 1000 {
        return Err(ApiError::validation(
            "description must be at most 1000 characters",
        ));
    }
    let new = NewPermission {
        name,
        description,
        read_only: body.read_only,
    };
    let created = state.store.create_permission(org, &new).await?;
    // Owner-level keys hold every catalog permission: their grants grew.
    state.cache.retire(Evict::Org(org));
    Ok(created)
}
