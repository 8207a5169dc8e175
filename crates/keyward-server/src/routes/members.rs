//! `/api/v1/orgs/{org}/members`: who belongs to an organization, with what role.

use crate::auth::{MembersRead, MembersWrite, OrgAccess, RolesWrite};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::REFUSED;
use crate::ops::members;
use crate::ops::roles::{self, role_or_404};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::{Member, OrgRole};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRoleRequest {
    /// `owner`, `admin` or `member`.
    #[schema(value_type = OrgRole)]
    pub role: OrgRole,
}
/// The organization's members and their roles.
#[utoipa::path(get, operation_id = "listMembers", path = "/api/v1/orgs/{org}/members", tag = "members",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<Member>, description = "The organization's members"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<MembersRead>,
) -> ApiResult<ApiJson<Vec<Member>>> {
    Ok(ApiJson(state.store.members(access.org.id).await?))
}

/// One member.
#[utoipa::path(get, operation_id = "getMember", path = "/api/v1/orgs/{org}/members/{user}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Member, description = "The member"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn get(
    State(state): State<AppState>,
    access: OrgAccess<MembersRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<Member>> {
    members::member_or_404(&state, access.org.id, &path.1)
        .await
        .map(ApiJson)
}

/// Change a member's role; the last owner can't be demoted.
#[utoipa::path(patch, operation_id = "updateMember", path = "/api/v1/orgs/{org}/members/{user}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path)),
    request_body = MemberRoleRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Member, description = "The member with the new role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn update(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<MemberRoleRequest>,
) -> ApiResult<ApiJson<Member>> {
    members::change_role(&state, &access, &path.1, body.role)
        .await
        .map(ApiJson)
}
/// Remove a member: their teams, groups, roles and personal keys here go too.
#[utoipa::path(delete, operation_id = "removeMember", path = "/api/v1/orgs/{org}/members/{user}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The user is no longer a member"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn remove(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    members::remove(&state, &access, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}
/// Give a member a custom role; the caller must hold what it grants.
#[utoipa::path(put, operation_id = "assignMemberRole", path = "/api/v1/orgs/{org}/members/{user}/roles/{role}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path), ("role" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The member holds the role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn assign_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let member = members::member_or_404(&state, access.org.id, &path.1).await?;
    let role = role_or_404(&state, access.org.id, &path.2).await?;
    roles::assign(&state, &access, &members::principal(&member), &role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a custom role from a member.
#[utoipa::path(delete, operation_id = "unassignMemberRole", path = "/api/v1/orgs/{org}/members/{user}/roles/{role}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path), ("role" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The member no longer holds the role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn unassign_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let member = members::member_or_404(&state, access.org.id, &path.1).await?;
    let role = role_or_404(&state, access.org.id, &path.2).await?;
    roles::unassign(&state, &access, &members::principal(&member), &role).await?;
    Ok(StatusCode::NO_CONTENT)
}
