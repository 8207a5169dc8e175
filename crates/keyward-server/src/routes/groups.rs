//! `/api/v1/orgs/{org}/groups`: groups of principals (users, service
//! accounts) that carry roles their members inherit.

use super::parse_id;
use super::roles::role_or_404;
use crate::auth::{Grants, OrgAccess, RolesRead, RolesWrite};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::handout::ensure_hands_out;
use crate::keys::{check_name, truncate};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::{Group, PrincipalKind, PrincipalRef, Role};
use keyward_core::handout::Handout;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMemberRequest {
    /// `user` or `service_account`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "user")]
    pub kind: PrincipalKind,
    pub id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    /// Unique in the organization, at most 200 characters.
    pub name: String,
    /// Ids of the organization's roles the group carries; at most 256.
    #[serde(default, deserialize_with = "crate::bounds::group_list")]
    pub roles: Vec<Uuid>,
    /// Organization members and service accounts; at most 256.
    #[serde(default, deserialize_with = "crate::bounds::group_list")]
    pub members: Vec<GroupMemberRequest>,
}

fn group_not_found(raw: &str) -> ApiError {
    ApiError::new(Code::NotFound, format!("group {raw} was not found"))
}

async fn group_or_404(state: &AppState, org: Uuid, raw: &str) -> ApiResult<Group> {
    let id = parse_id(raw).ok_or_else(|| group_not_found(raw))?;
    state
        .store
        .group(org, id)
        .await?
        .ok_or_else(|| group_not_found(raw))
}

/// Keeps the first of each repeated item.
fn dedup<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The organization's roles among `ids`; ids naming no role are left out.
async fn roles_among(state: &AppState, org: Uuid, ids: &[Uuid]) -> ApiResult<Vec<Role>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut roles = state.store.roles(org).await?;
    roles.retain(|role| ids.contains(&role.id));
    Ok(roles)
}

/// Refuses principals that aren't in the organization.
async fn ensure_principal(state: &AppState, org: Uuid, principal: PrincipalRef) -> ApiResult<()> {
    let id = principal.id;
    match principal.kind {
        PrincipalKind::User => match state.store.member(org, id).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::validation(format!(
                "user {id} is not a member of this organization"
            ))),
        },
        PrincipalKind::ServiceAccount => match state.store.service_account(org, id).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::validation(format!(
                "service account {id} is not in this organization"
            ))),
        },
    }
}

/// The principal named by the `{type}/{id}` path segments.
fn principal_from_path(kind: &str, id: &str) -> ApiResult<PrincipalRef> {
    let kind = kind
        .parse::<PrincipalKind>()
        .map_err(|e| ApiError::new(Code::NotFound, format!("member type {e}")))?;
    let id = parse_id(id)
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("{kind} {id} was not found")))?;
    Ok(PrincipalRef { kind, id })
}

/// The organization's groups.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/groups", tag = "groups",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 200, body = Vec<Object>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
) -> ApiResult<ApiJson<Vec<Group>>> {
    Ok(ApiJson(state.store.groups(access.org.id).await?))
}

/// Create a group; the caller must hold every grant of its roles.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/groups", tag = "groups",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateGroupRequest,
    responses((status = 201, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    ApiJson(body): ApiJson<CreateGroupRequest>,
) -> ApiResult<(StatusCode, ApiJson<Group>)> {
    let group = create_group(&state, access.org.id, &access.grants, body).await?;
    Ok((StatusCode::CREATED, ApiJson(group)))
}

/// Creates a group whose roles the creator holds; shared with the portal.
pub async fn create_group(
    state: &AppState,
    org: Uuid,
    held: &Grants,
    body: CreateGroupRequest,
) -> ApiResult<Group> {
    let name = check_name(&body.name)?;
    let role_ids = dedup(body.roles);
    let roles = roles_among(state, org, &role_ids).await?;
    let unknown: Vec<Uuid> = role_ids
        .iter()
        .filter(|id| !roles.iter().any(|role| role.id == **id))
        .copied()
        .collect();
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown.iter().map(Uuid::to_string).collect();
        return Err(ApiError::validation(format!(
            "these roles are not in this organization: {}",
            listed.join(", ")
        ))
        .with_details(json!({ "unknown_roles": unknown })));
    }
    let members = dedup(body.members.into_iter().map(|m| PrincipalRef {
        kind: m.kind,
        id: m.id,
    }));
    for member in &members {
        ensure_principal(state, org, *member).await?;
    }
    ensure_hands_out(state, org, held, Handout::Roles(&roles)).await?;
    let group = Group {
        id: Uuid::now_v7(),
        organization_id: org,
        name,
        role_ids,
        members,
        created_at: truncate(state.clock.now()),
    };
    state.store.create_group(&group).await?;
    state.cache.retire(Evict::Org(org));
    Ok(group)
}

/// Read a group, its roles and its members.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/groups/{group}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<Group>> {
    Ok(ApiJson(group_or_404(&state, access.org.id, &path.1).await?))
}

/// Delete a group; its members lose the roles it carried.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/groups/{group}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    delete_group(&state, access.org.id, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a group; shared with the portal.
pub async fn delete_group(state: &AppState, org: Uuid, raw: &str) -> ApiResult<()> {
    let id = parse_id(raw).ok_or_else(|| group_not_found(raw))?;
    if !state.store.delete_group(org, id).await? {
        return Err(group_not_found(raw));
    }
    state.cache.retire(Evict::Org(org));
    Ok(())
}

/// Give the group a role; the caller must hold the role's grants.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/groups/{group}/roles/{role}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path), ("role" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn put_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let group = group_or_404(&state, access.org.id, &path.1).await?;
    let role = role_or_404(&state, access.org.id, &path.2).await?;
    let handout = Handout::Roles(std::slice::from_ref(&role));
    ensure_hands_out(&state, access.org.id, &access.grants, handout).await?;
    state.store.add_group_role(group.id, role.id).await?;
    state.cache.retire(Evict::Org(access.org.id));
    Ok(StatusCode::NO_CONTENT)
}

/// Take a role from the group.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/groups/{group}/roles/{role}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path), ("role" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let group = group_or_404(&state, access.org.id, &path.1).await?;
    let not_in_group = || {
        ApiError::new(
            Code::NotFound,
            format!("role {} is not in this group", path.2),
        )
    };
    let role = parse_id(&path.2).ok_or_else(not_in_group)?;
    if !state.store.remove_group_role(group.id, role).await? {
        return Err(not_in_group());
    }
    state.cache.retire(Evict::Org(access.org.id));
    Ok(StatusCode::NO_CONTENT)
}

/// Add a user or service account of the organization to the group; the
/// caller must hold the grants of all the group's roles.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/groups/{group}/members/{type}/{id}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path),
        ("type" = String, Path, description = "`user` or `service_account`"), ("id" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn put_member(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    let org = access.org.id;
    let group = group_or_404(&state, org, &path.1).await?;
    let principal = principal_from_path(&path.2, &path.3)?;
    ensure_principal(&state, org, principal).await?;
    let roles = roles_among(&state, org, &group.role_ids).await?;
    ensure_hands_out(&state, org, &access.grants, Handout::Roles(&roles)).await?;
    state.store.add_group_member(group.id, principal).await?;
    state.cache.retire(Evict::Principal(principal.id));
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member from the group.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/groups/{group}/members/{type}/{id}", tag = "groups",
    params(("org" = String, Path), ("group" = Uuid, Path),
        ("type" = String, Path, description = "`user` or `service_account`"), ("id" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    let group = group_or_404(&state, access.org.id, &path.1).await?;
    let principal = principal_from_path(&path.2, &path.3)?;
    if !state.store.remove_group_member(group.id, principal).await? {
        return Err(ApiError::new(
            Code::NotFound,
            format!("{} {} is not in this group", principal.kind, principal.id),
        ));
    }
    state.cache.retire(Evict::Principal(principal.id));
    Ok(StatusCode::NO_CONTENT)
}
