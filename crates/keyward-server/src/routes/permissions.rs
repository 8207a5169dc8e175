//! The permission catalog: keyward's built-ins and the platform's own.

use super::views::PermissionView;
use crate::auth::{OrgAccess, OrgRead, OrgWrite};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::{PermissionNameSchema, REFUSED};
use crate::ops::permissions;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePermissionRequest {
    /// `resource:action`, e.g. `dataproducts:read`.
    #[schema(value_type = PermissionNameSchema)]
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
#[utoipa::path(get, operation_id = "listPermissions", path = "/api/v1/orgs/{org}/permissions", tag = "permissions",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<PermissionView>, description = "The organization's permission catalog"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<OrgRead>,
) -> ApiResult<ApiJson<Vec<PermissionView>>> {
    catalog(&state, access.org.id).await.map(ApiJson)
}

/// Register a platform permission.
#[utoipa::path(post, operation_id = "createPermission", path = "/api/v1/orgs/{org}/permissions", tag = "permissions",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreatePermissionRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = PermissionView, description = "The new permission"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<OrgWrite>,
    ApiJson(body): ApiJson<CreatePermissionRequest>,
) -> ApiResult<(StatusCode, ApiJson<PermissionView>)> {
    let created = permissions::register(
        &state,
        &access,
        &body.name,
        body.description,
        body.read_only,
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(created.into())))
}
