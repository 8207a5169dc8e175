//! `/api/v1/orgs/{org}/roles`: custom roles, named sets of grants that
//! principals hold directly or through groups.

use super::parse_id;
use crate::auth::{Grants, OrgAccess, RolesRead, RolesWrite};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::handout::ensure_hands_out;
use crate::keys::{check_name, resolve_permissions, truncate};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::Role;
use keyward_core::handout::Handout;
use keyward_core::model::KeyGrant;
use keyward_store::RolePatch;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

const DESCRIPTION_MAX: usize = 1000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// Unique in the organization, at most 200 characters.
    pub name: String,
    pub description: Option<String>,
    /// Permission ids, names, or `{permission, resource}` objects; at most 256.
    #[serde(deserialize_with = "crate::bounds::role_grants")]
    #[schema(value_type = Vec<Object>)]
    pub grants: Vec<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces the role's grants; at most 256.
    #[serde(default, deserialize_with = "crate::bounds::optional_role_grants")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub grants: Option<Vec<Value>>,
}

pub(super) fn check_description(raw: Option<String>) -> ApiResult<Option<String>> {
    match raw {
        Some(d) if d.chars().count() > DESCRIPTION_MAX => Err(ApiError::validation(format!(
            "description must be at most {DESCRIPTION_MAX} characters"
        ))),
        other => Ok(other),
    }
}

fn role_not_found(raw: &str) -> ApiError {
    ApiError::new(Code::NotFound, format!("role {raw} was not found"))
}

/// The organization's role named by a path segment; 404 for anything else.
pub(super) async fn role_or_404(state: &AppState, org: Uuid, raw: &str) -> ApiResult<Role> {
    let id = parse_id(raw).ok_or_else(|| role_not_found(raw))?;
    state
        .store
        .role(org, id)
        .await?
        .ok_or_else(|| role_not_found(raw))
}

/// Resolves grant references against the catalog; the caller must hold
/// every grant the role would hand out.
async fn resolve_held(
    state: &AppState,
    org: Uuid,
    held: &Grants,
    refs: &[Value],
) -> ApiResult<Vec<KeyGrant>> {
    let catalog = state.store.catalog(org).await?;
    let grants = resolve_permissions(&catalog, refs)?;
    ensure_hands_out(state, org, held, Handout::Grants(&grants)).await?;
    Ok(grants)
}

/// The organization's custom roles.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/roles", tag = "roles",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 200, body = Vec<Object>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
) -> ApiResult<ApiJson<Vec<Role>>> {
    Ok(ApiJson(state.store.roles(access.org.id).await?))
}

/// Create a role; nobody creates a role with more than they hold.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/roles", tag = "roles",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateRoleRequest,
    responses((status = 201, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    ApiJson(body): ApiJson<CreateRoleRequest>,
) -> ApiResult<(StatusCode, ApiJson<Role>)> {
    let role = create_role(&state, access.org.id, &access.grants, body).await?;
    Ok((StatusCode::CREATED, ApiJson(role)))
}

/// Creates a role holding no more than the creator holds; shared with the portal.
pub async fn create_role(
    state: &AppState,
    org: Uuid,
    held: &Grants,
    body: CreateRoleRequest,
) -> ApiResult<Role> {
    let name = check_name(&body.name)?;
    let description = check_description(body.description)?.unwrap_or_default();
    let grants = resolve_held(state, org, held, &body.grants).await?;
    let role = Role {
        id: Uuid::now_v7(),
        organization_id: org,
        name,
        description,
        grants,
        created_at: truncate(state.clock.now()),
    };
    state.store.create_role(&role).await?;
    state.cache.retire(Evict::Org(org));
    Ok(role)
}

/// Read a role.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/roles/{role}", tag = "roles",
    params(("org" = String, Path), ("role" = Uuid, Path)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<Role>> {
    Ok(ApiJson(role_or_404(&state, access.org.id, &path.1).await?))
}

/// Rename a role, describe it or replace its grants; new grants must be held.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/roles/{role}", tag = "roles",
    params(("org" = String, Path), ("role" = Uuid, Path)),
    request_body = UpdateRoleRequest,
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateRoleRequest>,
) -> ApiResult<ApiJson<Role>> {
    let role = role_or_404(&state, access.org.id, &path.1).await?;
    let name = body.name.as_deref().map(check_name).transpose()?;
    let description = check_description(body.description)?;
    let grants = match &body.grants {
        Some(refs) => Some(resolve_held(&state, access.org.id, &access.grants, refs).await?),
        None => None,
    };
    let patch = RolePatch {
        name,
        description,
        grants,
    };
    let updated = state
        .store
        .update_role(access.org.id, role.id, &patch)
        .await?
        .ok_or_else(|| role_not_found(&path.1))?;
    state.cache.retire(Evict::Org(access.org.id));
    Ok(ApiJson(updated))
}

/// Delete a role; whoever held it, directly or through a group, loses it.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/roles/{role}", tag = "roles",
    params(("org" = String, Path), ("role" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    delete_role(&state, access.org.id, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a role; shared with the portal.
pub async fn delete_role(state: &AppState, org: Uuid, raw: &str) -> ApiResult<()> {
    let id = parse_id(raw).ok_or_else(|| role_not_found(raw))?;
    if !state.store.delete_role(org, id).await? {
        return Err(role_not_found(raw));
    }
    state.cache.retire(Evict::Org(org));
    Ok(())
}
