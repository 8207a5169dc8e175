//! `/api/v1/orgs`: organizations, the tenants.

use super::views::OrgView;
use crate::auth::{AdminOnly, Caller, OrgAccess, OrgRead, OrgWrite};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::keys::{check_name, truncate};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::Prefix;
use keyward_core::model::{Organization, Slug};
use keyward_store::OrgPatch;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    pub name: String,
    /// Lowercase letters, digits and dashes; derived from the name if absent.
    pub slug: Option<String>,
    /// 2 to 12 lowercase letters or digits; `kw` if absent.
    pub key_prefix: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgRequest {
    pub name: Option<String>,
    pub key_prefix: Option<String>,
}

fn parse_prefix(raw: &str) -> ApiResult<Prefix> {
    Prefix::parse(raw).map_err(|e| ApiError::validation(format!("key_prefix: {e}")))
}

/// Create an organization (admin key only).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "organizations",
    request_body = CreateOrgRequest,
    responses((status = 201, body = OrgView), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    _: AdminOnly,
    ApiJson(body): ApiJson<CreateOrgRequest>,
) -> ApiResult<(StatusCode, ApiJson<OrgView>)> {
    let name = check_name(&body.name)?;
    let slug = match &body.slug {
        Some(slug) => Slug::parse(slug),
        None => Slug::from_name(&name),
    }
    .map_err(|e| ApiError::validation(e.to_string()))?;
    let key_prefix = body
        .key_prefix
        .as_deref()
        .map(parse_prefix)
        .transpose()?
        .unwrap_or_default();
    let org = Organization {
        id: Uuid::now_v7(),
        name,
        slug,
        key_prefix,
        created_at: truncate(state.clock.now()),
    };
    state.store.create_org(&org).await?;
    tracing::info!(org = %org.slug.as_str(), "organization created");
    Ok((StatusCode::CREATED, ApiJson(org.into())))
}

/// List organizations: all of them for the admin key, else the caller's own.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "organizations",
    responses((status = 200, body = Vec<OrgView>), (status = "4XX", body = ErrorBody)))]
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
#[utoipa::path(get, path = "/api/v1/orgs/{org}", tag = "organizations",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 200, body = OrgView), (status = "4XX", body = ErrorBody)))]
pub async fn get(access: OrgAccess<OrgRead>) -> ApiJson<OrgView> {
    ApiJson(access.org.into())
}

/// Rename an organization or change the prefix of its new keys.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}", tag = "organizations",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = UpdateOrgRequest,
    responses((status = 200, body = OrgView), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    access: OrgAccess<OrgWrite>,
    ApiJson(body): ApiJson<UpdateOrgRequest>,
) -> ApiResult<ApiJson<OrgView>> {
    let patch = OrgPatch {
        name: body.name.as_deref().map(check_name).transpose()?,
        key_prefix: body.key_prefix.as_deref().map(parse_prefix).transpose()?,
    };
    let org = state
        .store
        .update_org(access.org.id, &patch)
        .await?
        .ok_or_else(|| ApiError::org_not_found(&access.org.id.to_string()))?;
    state.cache.retire(Evict::Org(org.id));
    Ok(ApiJson(org.into()))
}

/// Delete an organization with all its keys (admin key only).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}", tag = "organizations",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    _: AdminOnly,
    Path(org): Path<String>,
) -> ApiResult<StatusCode> {
    let found = state
        .store
        .find_org(&org)
        .await?
        .ok_or_else(|| ApiError::org_not_found(&org))?;
    state.store.delete_org(found.id).await?;
    state.cache.retire(Evict::Org(found.id));
    tracing::info!(org = %found.slug.as_str(), "organization deleted");
    Ok(StatusCode::NO_CONTENT)
}
