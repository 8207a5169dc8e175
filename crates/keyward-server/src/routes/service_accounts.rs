//! `/api/v1/orgs/{org}/service-accounts`: non-human principals, their
//! directly assigned roles and the groups they are in.

use super::parse_id;
use super::roles::{check_description, role_or_404};
use crate::auth::{MembersRead, MembersWrite, OrgAccess, RolesRead, RolesWrite};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::handout;
use crate::keys::{check_name, truncate};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::{PrincipalKind, PrincipalRef, ServiceAccount};
use keyward_store::ServiceAccountPatch;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceAccountRequest {
    /// At most 200 characters.
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServiceAccountRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    /// A disabled account's keys stop working until it is enabled again.
    pub enabled: Option<bool>,
}

/// An account with the roles assigned to it directly and the groups it is in.
#[derive(Debug, Serialize)]
pub struct ServiceAccountView {
    #[serde(flatten)]
    pub account: ServiceAccount,
    pub role_ids: Vec<Uuid>,
    pub group_ids: Vec<Uuid>,
}

fn principal(id: Uuid) -> PrincipalRef {
    PrincipalRef {
        kind: PrincipalKind::ServiceAccount,
        id,
    }
}

fn account_not_found(raw: &str) -> ApiError {
    ApiError::new(
        Code::NotFound,
        format!("service account {raw} was not found"),
    )
}

async fn account_or_404(state: &AppState, org: Uuid, raw: &str) -> ApiResult<ServiceAccount> {
    let id = parse_id(raw).ok_or_else(|| account_not_found(raw))?;
    state
        .store
        .service_account(org, id)
        .await?
        .ok_or_else(|| account_not_found(raw))
}

async fn view(state: &AppState, account: ServiceAccount) -> ApiResult<ServiceAccountView> {
    let (org, who) = (account.organization_id, principal(account.id));
    let role_ids = state.store.assigned_roles(org, who).await?;
    let group_ids = state
        .store
        .groups(org)
        .await?
        .into_iter()
        .filter(|group| group.members.contains(&who))
        .map(|group| group.id)
        .collect();
    Ok(ServiceAccountView {
        account,
        role_ids,
        group_ids,
    })
}

/// The organization's service accounts.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/service-accounts", tag = "service-accounts",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 200, body = Vec<Object>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<MembersRead>,
) -> ApiResult<ApiJson<Vec<ServiceAccount>>> {
    Ok(ApiJson(state.store.service_accounts(access.org.id).await?))
}

/// Create a service account.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/service-accounts", tag = "service-accounts",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateServiceAccountRequest,
    responses((status = 201, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    ApiJson(body): ApiJson<CreateServiceAccountRequest>,
) -> ApiResult<(StatusCode, ApiJson<ServiceAccountView>)> {
    let account = create_account(&state, access.org.id, body).await?;
    let created = ServiceAccountView {
        account,
        role_ids: Vec::new(),
        group_ids: Vec::new(),
    };
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// Creates a service account; shared with the portal.
pub async fn create_account(
    state: &AppState,
    org: Uuid,
    body: CreateServiceAccountRequest,
) -> ApiResult<ServiceAccount> {
    let account = ServiceAccount {
        id: Uuid::now_v7(),
        organization_id: org,
        name: check_name(&body.name)?,
        description: check_description(body.description)?.unwrap_or_default(),
        enabled: true,
        created_at: truncate(state.clock.now()),
    };
    state.store.create_service_account(&account).await?;
    state.cache.retire(Evict::Principal(account.id));
    Ok(account)
}

/// Read a service account, its roles and its groups.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/service-accounts/{account}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    access: OrgAccess<MembersRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<ServiceAccountView>> {
    let account = account_or_404(&state, access.org.id, &path.1).await?;
    Ok(ApiJson(view(&state, account).await?))
}

/// Rename, describe, disable or enable a service account.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/service-accounts/{account}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path)),
    request_body = UpdateServiceAccountRequest,
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateServiceAccountRequest>,
) -> ApiResult<ApiJson<ServiceAccountView>> {
    let account = update_account(&state, access.org.id, &path.1, body).await?;
    Ok(ApiJson(view(&state, account).await?))
}

/// Renames, describes, disables or enables a service account; shared with the portal.
pub async fn update_account(
    state: &AppState,
    org: Uuid,
    raw: &str,
    body: UpdateServiceAccountRequest,
) -> ApiResult<ServiceAccount> {
    let id = parse_id(raw).ok_or_else(|| account_not_found(raw))?;
    let patch = ServiceAccountPatch {
        name: body.name.as_deref().map(check_name).transpose()?,
        description: check_description(body.description)?,
        enabled: body.enabled,
    };
    let account = state
        .store
        .update_service_account(org, id, &patch)
        .await?
        .ok_or_else(|| account_not_found(raw))?;
    state.cache.retire(Evict::Principal(id));
    Ok(account)
}

/// Delete a service account; its keys are revoked.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/service-accounts/{account}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    delete_account(&state, access.org.id, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a service account and revokes its keys; shared with the portal.
pub async fn delete_account(state: &AppState, org: Uuid, raw: &str) -> ApiResult<()> {
    let id = parse_id(raw).ok_or_else(|| account_not_found(raw))?;
    let at = truncate(state.clock.now());
    if !state.store.delete_service_account(org, id, at).await? {
        return Err(account_not_found(raw));
    }
    state.cache.retire(Evict::Principal(id));
    Ok(())
}

/// The ids of the roles assigned to the account directly (not through groups).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/service-accounts/{account}/roles", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path)),
    responses((status = 200, body = Vec<Uuid>), (status = "4XX", body = ErrorBody)))]
pub async fn roles(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<Vec<Uuid>>> {
    let account = account_or_404(&state, access.org.id, &path.1).await?;
    let who = principal(account.id);
    Ok(ApiJson(
        state.store.assigned_roles(access.org.id, who).await?,
    ))
}

/// Assign a role to the account; the caller must hold the role's grants.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/service-accounts/{account}/roles/{role}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path), ("role" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn put_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let org = access.org.id;
    let account = account_or_404(&state, org, &path.1).await?;
    let role = role_or_404(&state, org, &path.2).await?;
    handout::assign_role(&state, org, &access.grants, principal(account.id), &role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a directly assigned role from the account.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/service-accounts/{account}/roles/{role}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path), ("role" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let org = access.org.id;
    let account = account_or_404(&state, org, &path.1).await?;
    let not_assigned = || {
        ApiError::new(
            Code::NotFound,
            format!("role {} is not assigned to this service account", path.2),
        )
    };
    let role = parse_id(&path.2).ok_or_else(not_assigned)?;
    if !state
        .store
        .unassign_role(org, principal(account.id), role)
        .await?
    {
        return Err(not_assigned());
    }
    state.cache.retire(Evict::Principal(account.id));
    Ok(StatusCode::NO_CONTENT)
}
