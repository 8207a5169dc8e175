//! `/api/v1/orgs`: organizations, the tenants.

use super::views::OrgView;
use crate::auth::{AdminOnly, OrgAccess, OrgRead, OrgWrite};
use crate::ctx::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::{Label, REFUSED};
use crate::ops::orgs::{self, NewOrg, OrgUpdate};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::model::Organization;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    #[schema(value_type = Label)]
    pub name: String,
    /// Lowercase letters, digits and dashes; derived from the name if absent.
    #[schema(pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    pub slug: Option<String>,
    /// 2 to 12 lowercase letters or digits; `kw` if absent.
    #[schema(pattern = "^[a-z0-9]{2,12}$")]
    pub key_prefix: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgRequest {
    #[schema(value_type = Option<Label>)]
    pub name: Option<String>,
    #[schema(pattern = "^[a-z0-9]{2,12}$")]
    pub key_prefix: Option<String>,
    /// The rule for the organization's keys' expiry (owners only); it
    /// replaces the current one whole.
    pub key_policy: Option<KeyPolicyRequest>,
    /// What a leak report does to the organization's keys (owners only):
    /// `revoke`, `disable` or `notify`.
    #[schema(value_type = Option<keyward_core::leak_policy::LeakPolicy>)]
    pub leak_policy: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPolicyRequest {
    /// Keys expire within this many days, 1 to 3650: a key asking no
    /// expiry gets the latest, one asking later is refused. `null` for no
    /// limit.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub max_lifetime_days: Option<u32>,
    /// Keys must have an expiry.
    #[serde(default)]
    pub require_expiry: bool,
}
/// Create an organization (admin key only).
#[utoipa::path(post, operation_id = "createOrg", path = "/api/v1/orgs", tag = "organizations",
    request_body = CreateOrgRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = OrgView, description = "The new organization"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    admin: AdminOnly,
    ApiJson(body): ApiJson<CreateOrgRequest>,
) -> ApiResult<(StatusCode, ApiJson<OrgView>)> {
    let input = NewOrg {
        name: body.name,
        slug: body.slug,
        key_prefix: body.key_prefix,
    };
    let org = orgs::create(&state, &admin.meta, input).await?;
    Ok((StatusCode::CREATED, ApiJson(org.into())))
}

/// List organizations: all of them for the admin key, else the caller's own.
#[utoipa::path(get, operation_id = "listOrgs", path = "/api/v1/orgs", tag = "organizations",
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<OrgView>, description = "The organizations the caller may see"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<Vec<OrgView>>> {
    let orgs = match &caller {
        Caller::Admin => state.store.list_orgs().await?,
        Caller::Key(key) => vec![Organization::clone(&key.org)],
        Caller::User(session) => state
            .store
            .user_orgs(session.user.id)
            .await?
            .into_iter()
            .map(|(org, _)| org)
            .collect(),
    };
    Ok(ApiJson(orgs.into_iter().map(OrgView::from).collect()))
}

/// Read an organization.
#[utoipa::path(get, operation_id = "getOrg", path = "/api/v1/orgs/{org}", tag = "organizations",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = OrgView, description = "The organization"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn get(access: OrgAccess<OrgRead>) -> ApiJson<OrgView> {
    ApiJson(access.ctx.org.into())
}

/// Rename an organization, change the prefix of its new keys, or (owners
/// only) its key policy and leak policy.
#[utoipa::path(patch, operation_id = "updateOrg", path = "/api/v1/orgs/{org}", tag = "organizations",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = UpdateOrgRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = OrgView, description = "The changed organization"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn update(
    State(state): State<AppState>,
    access: OrgAccess<OrgWrite>,
    ApiJson(body): ApiJson<UpdateOrgRequest>,
) -> ApiResult<ApiJson<OrgView>> {
    let input = OrgUpdate {
        name: body.name,
        key_prefix: body.key_prefix,
        key_policy: body
            .key_policy
            .map(|p| (p.max_lifetime_days, p.require_expiry)),
        leak_policy: body.leak_policy,
    };
    let org = orgs::update(&state, &access, input).await?;
    Ok(ApiJson(org.into()))
}

/// Delete an organization with all its keys (admin key only).
#[utoipa::path(delete, operation_id = "deleteOrg", path = "/api/v1/orgs/{org}", tag = "organizations",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The organization is deleted"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn delete(
    State(state): State<AppState>,
    admin: AdminOnly,
    Path(org): Path<String>,
) -> ApiResult<StatusCode> {
    orgs::delete(&state, &admin.meta, &org).await?;
    Ok(StatusCode::NO_CONTENT)
}
