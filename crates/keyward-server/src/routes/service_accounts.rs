//! `/api/v1/orgs/{org}/service-accounts`: non-human principals, their
//! directly assigned roles and the groups they are in.

use crate::auth::{MembersRead, MembersWrite, OrgAccess, RolesRead, RolesWrite};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::{Label, REFUSED};
use crate::ops::roles::{self, role_or_404};
use crate::ops::service_accounts::{self as accounts, AccountUpdate};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::ServiceAccount;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceAccountRequest {
    /// At most 200 characters.
    #[schema(value_type = Label)]
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServiceAccountRequest {
    #[schema(value_type = Option<Label>)]
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
async fn view(state: &AppState, account: ServiceAccount) -> ApiResult<ServiceAccountView> {
    let (org, who) = (
        account.organization_id,
        accounts::principal(&account).principal,
    );
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
#[utoipa::path(get, operation_id = "listServiceAccounts", path = "/api/v1/orgs/{org}/service-accounts", tag = "service-accounts",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<ServiceAccount>, description = "The organization's service accounts"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<MembersRead>,
) -> ApiResult<ApiJson<Vec<ServiceAccount>>> {
    Ok(ApiJson(state.store.service_accounts(access.org.id).await?))
}

/// Create a service account.
#[utoipa::path(post, operation_id = "createServiceAccount", path = "/api/v1/orgs/{org}/service-accounts", tag = "service-accounts",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateServiceAccountRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = ServiceAccount, description = "The new service account"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    ApiJson(body): ApiJson<CreateServiceAccountRequest>,
) -> ApiResult<(StatusCode, ApiJson<ServiceAccountView>)> {
    let account = accounts::create(&state, &access, &body.name, body.description).await?;
    let created = ServiceAccountView {
        account,
        role_ids: Vec::new(),
        group_ids: Vec::new(),
    };
    Ok((StatusCode::CREATED, ApiJson(created)))
}
/// Read a service account, its roles and its groups.
#[utoipa::path(get, operation_id = "getServiceAccount", path = "/api/v1/orgs/{org}/service-accounts/{account}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = ServiceAccount, description = "The service account"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn get(
    State(state): State<AppState>,
    access: OrgAccess<MembersRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<ServiceAccountView>> {
    let account = accounts::account_or_404(&state, access.org.id, &path.1).await?;
    Ok(ApiJson(view(&state, account).await?))
}

/// Rename, describe, disable or enable a service account.
#[utoipa::path(patch, operation_id = "updateServiceAccount", path = "/api/v1/orgs/{org}/service-accounts/{account}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path)),
    request_body = UpdateServiceAccountRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = ServiceAccount, description = "The changed service account"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn update(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateServiceAccountRequest>,
) -> ApiResult<ApiJson<ServiceAccountView>> {
    let account = accounts::update(&state, &access, &path.1, body.into()).await?;
    Ok(ApiJson(view(&state, account).await?))
}
/// Delete a service account; its keys are revoked.
#[utoipa::path(delete, operation_id = "deleteServiceAccount", path = "/api/v1/orgs/{org}/service-accounts/{account}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The service account is deleted"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn delete(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    accounts::delete(&state, &access, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}
/// The ids of the roles assigned to the account directly (not through groups).
#[utoipa::path(get, operation_id = "listServiceAccountRoles", path = "/api/v1/orgs/{org}/service-accounts/{account}/roles", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<Uuid>, description = "The ids of the roles the service account holds"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn roles(
    State(state): State<AppState>,
    access: OrgAccess<RolesRead>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<Vec<Uuid>>> {
    let account = accounts::account_or_404(&state, access.org.id, &path.1).await?;
    let who = accounts::principal(&account).principal;
    Ok(ApiJson(
        state.store.assigned_roles(access.org.id, who).await?,
    ))
}

/// Assign a role to the account; the caller must hold the role's grants.
#[utoipa::path(put, operation_id = "assignServiceAccountRole", path = "/api/v1/orgs/{org}/service-accounts/{account}/roles/{role}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path), ("role" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The service account holds the role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn put_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let account = accounts::account_or_404(&state, access.org.id, &path.1).await?;
    let role = role_or_404(&state, access.org.id, &path.2).await?;
    roles::assign(&state, &access, &accounts::principal(&account), &role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a directly assigned role from the account.
#[utoipa::path(delete, operation_id = "unassignServiceAccountRole", path = "/api/v1/orgs/{org}/service-accounts/{account}/roles/{role}", tag = "service-accounts",
    params(("org" = String, Path), ("account" = Uuid, Path), ("role" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The service account no longer holds the role"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn remove_role(
    State(state): State<AppState>,
    access: OrgAccess<RolesWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let account = accounts::account_or_404(&state, access.org.id, &path.1).await?;
    let role = role_or_404(&state, access.org.id, &path.2).await?;
    roles::unassign(&state, &access, &accounts::principal(&account), &role).await?;
    Ok(StatusCode::NO_CONTENT)
}

impl From<UpdateServiceAccountRequest> for AccountUpdate {
    fn from(body: UpdateServiceAccountRequest) -> Self {
        Self {
            name: body.name,
            description: body.description,
            enabled: body.enabled,
        }
    }
}
