//! `/api/v1/orgs/{org}/roles`: custom roles, named sets of grants that
//! principals hold directly or through groups.

use super::views::PermissionRef;
use crate::auth::{OrgAccess, RolesRead, RolesWrite};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::{Label, REFUSED};
use crate::ops::roles::{self, NewRole, RoleUpdate};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::Role;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// Unique in the organization, at most 200 characters.
    #[schema(value_type = Label)]
    pub name: String,
    pub description: Option<String>,
    /// Permission ids, names, or `{permission, resource}` objects; at most 256.
    #[serde(deserialize_with = "crate::bounds::role_grants")]
    #[schema(value_type = Vec<PermissionRef>, min_items = 1, max_items = 256)]
    pub grants: Vec<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleRequest {
    #[schema(value_type = Option<Label>)]
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces the role's grants; at most 256.
    #[serde(default, deserialize_with = "crate::bounds::optional_role_grants")]
    #[schema(value_type = Option<Vec<PermissionRef>>, min_items = 1, max_items = 256)]
    pub grants: Option<Vec<Value>>,
}
/// The organization's custom roles.
#[utoipa::path(get, operation_id = "listRoles", path = "/api/v1/orgs/{org}/roles", tag = "roles",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<Role>, description = "The organization's custom roles"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
) -> ApiResult<ApiJson<Vec<Role>>> {
    Ok(ApiJson(state.store.roles(access.org.id).await?))
}

/// Create a role; nobody creates a role with more than they hold.
#[utoipa::path(post, operation_id = "createRole", path = "/api/v1/orgs/{org}/roles", tag = "roles",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateRoleRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = Role, description = "The new role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    ApiJson(body): ApiJson<CreateRoleRequest>,
) -> ApiResult<(StatusCode, ApiJson<Role>)> {
    let input = NewRole {
        name: body.name,
        description: body.description,
        grants: body.grants,
    };
    let role = roles::create(&state, &access, input).await?;
    Ok((StatusCode::CREATED, ApiJson(role)))
}
/// Read a role.
#[utoipa::path(get, operation_id = "getRole", path = "/api/v1/orgs/{org}/roles/{role}", tag = "roles",
    params(("org" = String, Path), ("role" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Role, description = "The role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn get(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<Role>> {
    Ok(ApiJson(
        roles::role_or_404(&state, access.org.id, &path.1).await?,
    ))
}

/// Rename a role, describe it or replace its grants; new grants must be held.
#[utoipa::path(patch, operation_id = "updateRole", path = "/api/v1/orgs/{org}/roles/{role}", tag = "roles",
    params(("org" = String, Path), ("role" = Uuid, Path)),
    request_body = UpdateRoleRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Role, description = "The changed role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn update(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateRoleRequest>,
) -> ApiResult<ApiJson<Role>> {
    let input = RoleUpdate {
        name: body.name,
        description: body.description,
        grants: body.grants,
    };
    Ok(ApiJson(
        roles::update(&state, &access, &path.1, input).await?,
    ))
}

/// Delete a role; whoever held it, directly or through a group, loses it.
#[utoipa::path(delete, operation_id = "deleteRole", path = "/api/v1/orgs/{org}/roles/{role}", tag = "roles",
    params(("org" = String, Path), ("role" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The role is deleted"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn delete(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    roles::delete(&state, &access, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}
