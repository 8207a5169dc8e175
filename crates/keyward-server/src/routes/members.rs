//! `/api/v1/orgs/{org}/members`: who belongs to an organization, with what role.

use super::parse_id;
use super::roles::role_or_404;
use crate::auth::{Grants, MembersRead, MembersWrite, OrgAccess, RolesWrite};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::handout::{self, ensure_hands_out};
use crate::keys::truncate;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::{Member, OrgRole, PrincipalKind, PrincipalRef};
use keyward_core::handout::Handout;
use keyward_store::StoreError;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRoleRequest {
    /// `owner`, `admin` or `member`.
    #[schema(value_type = String, example = "admin")]
    pub role: OrgRole,
}

/// Only owners make or unmake owners, only admins and owners make admins;
/// and whoever hands out a role must hold all it grants (a narrowed
/// owner's key can't make admins, a key holding only `members:write`
/// can't even make members).
pub async fn may_grant_role(
    state: &AppState,
    org: Uuid,
    grants: &Grants,
    role: OrgRole,
) -> ApiResult<()> {
    let allowed = match role {
        OrgRole::Owner => grants.is_org_owner(),
        OrgRole::Admin => grants.is_org_admin(),
        OrgRole::Member => true,
    };
    if !allowed {
        return Err(ApiError::forbidden(format!(
            "only higher roles may hand out the role {role}"
        )));
    }
    ensure_hands_out(state, org, grants, Handout::OrgRole(role)).await
}

/// Taking an owner's or admin's role away takes the same rank as giving it.
async fn may_take_role(
    state: &AppState,
    org: Uuid,
    grants: &Grants,
    role: OrgRole,
) -> ApiResult<()> {
    match role {
        OrgRole::Member => Ok(()),
        higher => may_grant_role(state, org, grants, higher).await,
    }
}

fn last_owner(e: StoreError) -> ApiError {
    match e {
        StoreError::LastOwner => ApiError::new(
            Code::Conflict,
            "the organization must keep at least one owner; make another owner first",
        ),
        other => other.into(),
    }
}

async fn member_or_404(state: &AppState, org: Uuid, raw: &str) -> ApiResult<Member> {
    let found = match parse_id(raw) {
        Some(id) => state.store.member(org, id).await?,
        None => None,
    };
    found.ok_or_else(|| ApiError::new(Code::NotFound, format!("member {raw} was not found")))
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
    member_or_404(&state, access.org.id, &path.1)
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
    change_role(&state, access.org.id, &access.grants, &path.1, body.role)
        .await
        .map(ApiJson)
}

/// Changes a member's role; shared with the portal.
pub async fn change_role(
    state: &AppState,
    org: Uuid,
    grants: &Grants,
    raw: &str,
    role: OrgRole,
) -> ApiResult<Member> {
    let current = member_or_404(state, org, raw).await?;
    may_take_role(state, org, grants, current.role).await?;
    may_grant_role(state, org, grants, role).await?;
    let updated = state
        .store
        .set_member_role(org, current.user.id, role)
        .await
        .map_err(last_owner)?
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("member {raw} was not found")))?;
    state.cache.retire(Evict::Principal(current.user.id));
    Ok(updated)
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
    remove_member(&state, access.org.id, &access.grants, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member; shared with the portal.
pub async fn remove_member(
    state: &AppState,
    org: Uuid,
    grants: &Grants,
    raw: &str,
) -> ApiResult<()> {
    let current = member_or_404(state, org, raw).await?;
    may_take_role(state, org, grants, current.role).await?;
    state
        .store
        .remove_member(org, current.user.id, truncate(state.clock.now()))
        .await
        .map_err(last_owner)?;
    state.cache.retire(Evict::Principal(current.user.id));
    Ok(())
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
    let org = access.org.id;
    let member = member_or_404(&state, org, &path.1).await?;
    let role = role_or_404(&state, org, &path.2).await?;
    let principal = PrincipalRef {
        kind: PrincipalKind::User,
        id: member.user.id,
    };
    handout::assign_role(&state, org, &access.grants, principal, &role).await?;
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
    let member = member_or_404(&state, access.org.id, &path.1).await?;
    let role = role_or_404(&state, access.org.id, &path.2).await?.id;
    let principal = PrincipalRef {
        kind: PrincipalKind::User,
        id: member.user.id,
    };
    if !state
        .store
        .unassign_role(access.org.id, principal, role)
        .await?
    {
        return Err(ApiError::new(
            Code::NotFound,
            "the member does not hold that role",
        ));
    }
    state.cache.retire(Evict::Principal(member.user.id));
    Ok(StatusCode::NO_CONTENT)
}
