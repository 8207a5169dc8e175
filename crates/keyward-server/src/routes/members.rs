//! `/api/v1/orgs/{org}/members`: who belongs to an organization, with what role.

use crate::auth::{MembersRead, MembersWrite, OrgAccess, RolesWrite};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
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
    #[schema(value_type = String, example = "admin")]
    pub role: OrgRole,
}
/// The organization's members and their roles.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members", tag = "members",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 200, body = Vec<Object>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<MembersRead>,
) -> ApiResult<ApiJson<Vec<Member>>> {
    Ok(ApiJson(state.store.members(access.org.id).await?))
}

/// One member.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members/{user}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
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
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/members/{user}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path)),
    request_body = MemberRoleRequest,
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
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
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{user}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    members::remove(&state, &access, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}
/// Give a member a custom role; the caller must hold what it grants.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/members/{user}/roles/{role}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path), ("role" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
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
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{user}/roles/{role}", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path), ("role" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
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
