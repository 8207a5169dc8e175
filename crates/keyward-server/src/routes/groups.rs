//! `/api/v1/orgs/{org}/groups`: groups of principals (users, service
//! accounts) that carry roles their members inherit.

use crate::auth::{OrgAccess, RolesRead, RolesWrite};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::{Label, REFUSED};
use crate::ops::groups::{self, NewGroup, principal_from_path};
use crate::ops::roles::role_or_404;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::{Group, PrincipalKind, PrincipalRef};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMemberRequest {
    /// `user` or `service_account`.
    #[serde(rename = "type")]
    #[schema(value_type = PrincipalKind)]
    pub kind: PrincipalKind,
    pub id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    /// Unique in the organization, at most 200 characters.
    #[schema(value_type = Label)]
    pub name: String,
    /// Ids of the organization's roles the group carries; at most 256.
    #[serde(default, deserialize_with = "crate::bounds::group_list")]
    pub roles: Vec<Uuid>,
    /// Organization members and service accounts; at most 256.
    #[serde(default, deserialize_with = "crate::bounds::group_list")]
    pub members: Vec<GroupMemberRequest>,
}
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameGroupRequest {
    /// Unique in the organization, at most 200 characters.
    #[schema(value_type = Label)]
    pub name: String,
}

/// The organization's groups.
#[utoipa::path(get, operation_id = "listGroups", path = "/api/v1/orgs/{org}/groups", tag = "groups",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<Group>, description = "The organization's groups"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
) -> ApiResult<ApiJson<Vec<Group>>> {
    Ok(ApiJson(state.store.groups(access.org.id).await?))
}

/// Create a group; the caller must hold every grant of its roles.
#[utoipa::path(post, operation_id = "createGroup", path = "/api/v1/orgs/{org}/groups", tag = "groups",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateGroupRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = Group, description = "The new group"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    ApiJson(body): ApiJson<CreateGroupRequest>,
) -> ApiResult<(StatusCode, ApiJson<Group>)> {
    let input = NewGroup {
        name: body.name,
        roles: body.roles,
        members: body
            .members
            .into_iter()
            .map(|m| PrincipalRef {
                kind: m.kind,
                id: m.id,
            })
            .collect(),
    };
    let group = groups::create(&state, &access, input).await?;
    Ok((StatusCode::CREATED, ApiJson(group)))
}
/// Read a group, its roles and its members.
#[utoipa::path(get, operation_id = "getGroup", path = "/api/v1/orgs/{org}/groups/{group}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Group, description = "The group"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn get(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<Group>> {
    Ok(ApiJson(
        groups::group_or_404(&state, access.org.id, &path.1).await?,
    ))
}

/// Rename a group; its roles and members stay as they are.
#[utoipa::path(patch, operation_id = "renameGroup", path = "/api/v1/orgs/{org}/groups/{group}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path)),
    request_body = RenameGroupRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Group, description = "The renamed group"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn rename(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<RenameGroupRequest>,
) -> ApiResult<ApiJson<Group>> {
    Ok(ApiJson(
        groups::rename(&state, &access, &path.1, &body.name).await?,
    ))
}

/// Delete a group; its members lose the roles it carried.
#[utoipa::path(delete, operation_id = "deleteGroup", path = "/api/v1/orgs/{org}/groups/{group}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The group is deleted"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn delete(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    groups::delete(&state, &access, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}
/// Give the group a role; the caller must hold the role's grants.
#[utoipa::path(put, operation_id = "addGroupRole", path = "/api/v1/orgs/{org}/groups/{group}/roles/{role}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path), ("role" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The group holds the role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn put_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let group = groups::group_or_404(&state, access.org.id, &path.1).await?;
    let role = role_or_404(&state, access.org.id, &path.2).await?;
    groups::add_role(&state, &access, &group, &role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a role from the group.
#[utoipa::path(delete, operation_id = "removeGroupRole", path = "/api/v1/orgs/{org}/groups/{group}/roles/{role}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path), ("role" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The group no longer holds the role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn remove_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let group = groups::group_or_404(&state, access.org.id, &path.1).await?;
    groups::remove_role(&state, &access, &group, &path.2).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a user or service account of the organization to the group; the
/// caller must hold the grants of all the group's roles.
#[utoipa::path(put, operation_id = "addGroupMember", path = "/api/v1/orgs/{org}/groups/{group}/members/{type}/{id}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path),
        ("type" = String, Path, description = "`user` or `service_account`"), ("id" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The principal is a member of the group"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn put_member(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    let group = groups::group_or_404(&state, access.org.id, &path.1).await?;
    let principal = principal_from_path(&path.2, &path.3)?;
    groups::add_member(&state, &access, &group, principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member from the group.
#[utoipa::path(delete, operation_id = "removeGroupMember", path = "/api/v1/orgs/{org}/groups/{group}/members/{type}/{id}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path),
        ("type" = String, Path, description = "`user` or `service_account`"), ("id" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The principal is no longer a member of the group"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn remove_member(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    let group = groups::group_or_404(&state, access.org.id, &path.1).await?;
    let principal = principal_from_path(&path.2, &path.3)?;
    groups::remove_member(&state, &access, &group, principal).await?;
    Ok(StatusCode::NO_CONTENT)
}
