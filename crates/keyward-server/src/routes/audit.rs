//! `/api/v1/orgs/{org}/audit` and `/api/v1/audit`: the audit log read
//! back, as filtered pages (newest first), as a JSON Lines export (oldest
//! first, streamed from the store) and as a hash-chain check. An
//! organization's log needs `audit:read` there; the organization-less
//! chain (organizations created and deleted) is the admin key's.

use crate::auth::{AdminOnly, AuditRead, OrgAccess};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use keyward_core::audit::{ActionFilter, AuditEvent};
use keyward_store::{AuditQuery, ChainCheck};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const PAGE_DEFAULT: u32 = 50;
/// Export lines the store may run ahead of a slow client.
const EXPORT_BUFFER: usize = 64;
pub const NDJSON: &str = "application/x-ndjson";

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// One action (`key.revoked`) or every action on a resource (`key.*`).
    pub action: Option<String>,
    /// Events by this actor (a user, key or service account id).
    pub actor_id: Option<String>,
    /// Events about this target.
    pub target_id: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Events before this time (RFC 3339).
    pub until: Option<String>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// Events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Events before this time (RFC 3339).
    pub until: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Events: `{id, at, organization_id, action, outcome, actor {type, id,
    /// name}, target {type, id, name}, request_id, ip, user_agent, details}`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// What checking a chain found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainView {
    pub ok: bool,
    /// Events whose hash and place were confirmed, from the chain's start
    /// (or the last pruned event) on.
    pub checked: u64,
    /// The first event that doesn't match its hash or place; `null` when
    /// none does, or when the chain ends short of its head.
    pub first_broken: Option<Uuid>,
}

impl From<ChainCheck> for ChainView {
    fn from(check: ChainCheck) -> Self {
        Self {
            ok: check.ok,
            checked: check.checked,
            first_broken: check.first_broken,
        }
    }
}

/// A given, non-empty parameter (forms send empty fields).
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn time(name: &str, value: &Option<String>) -> ApiResult<Option<DateTime<Utc>>> {
    given(value)
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::validation(format!(
                        "{name} must be an RFC 3339 time such as 2025-01-31T00:00:00Z"
                    ))
                })
        })
        .transpose()
}

impl ListParams {
    /// The store's query for one chain, every parameter checked.
    pub fn query(&self, organization: Option<Uuid>) -> ApiResult<AuditQuery> {
        let limit = self.limit.unwrap_or(PAGE_DEFAULT);
        if !(1..=AuditQuery::MAX_LIMIT).contains(&limit) {
            return Err(ApiError::validation(format!(
                "limit must be between 1 and {}",
                AuditQuery::MAX_LIMIT
            )));
        }
        let action = given(&self.action)
            .map(str::parse::<ActionFilter>)
            .transpose()
            .map_err(|e| ApiError::validation(format!("{e}, or `resource.*`")))?;
        let before = given(&self.cursor)
            .map(|raw| {
                Uuid::parse_str(raw)
                    .map_err(|_| ApiError::validation("cursor is not one this server gave out"))
            })
            .transpose()?;
        Ok(AuditQuery {
            organization,
            action,
            actor_id: given(&self.actor_id).map(str::to_owned),
            target_id: given(&self.target_id).map(str::to_owned),
            since: time("since", &self.since)?,
            until: time("until", &self.until)?,
            before,
            limit,
        })
    }
}

/// A page of the chain `query` names, and whether another follows it.
pub async fn page(state: &AppState, query: &AuditQuery) -> ApiResult<AuditPage> {
    let items = state.store.audit_events(query).await?;
    let last = items
        .last()
        .map(|event| event.id)
        .filter(|_| items.len() == query.limit as usize);
    // A full page has a next one only if an older event matches too.
    let next_cursor = match last {
        Some(id) => {
            let probe = AuditQuery {
                before: Some(id),
                limit: 1,
                ..query.clone()
            };
            let more = !state.store.audit_events(&probe).await?.is_empty();
            more.then(|| id.to_string())
        }
        None => None,
    };
    Ok(AuditPage { items, next_cursor })
}

/// The chain's matching events, oldest first, one JSON object a line, as
/// the store yields them. A store error ends the body abruptly, so the
/// client can't mistake a cut export for a whole one.
fn export_lines(state: &AppState, org: Option<Uuid>, params: &ExportParams) -> ApiResult<Response> {
    let since = time("since", &params.since)?;
    let until = time("until", &params.until)?;
    let (lines, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(EXPORT_BUFFER);
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut events = store.audit_export(org, since, until);
        while let Some(event) = events.next().await {
            let line = match event {
                Ok(event) => serde_json::to_vec(&event).map_err(std::io::Error::other),
                Err(error) => {
                    tracing::error!(%error, "the audit export stopped on a store error");
                    Err(std::io::Error::other("the audit export stopped"))
                }
            };
            let failed = line.is_err();
            let line = line.map(|mut bytes| {
                bytes.push(b'\n');
                Bytes::from(bytes)
            });
            // The client left: stop reading the store.
            if lines.send(line).await.is_err() || failed {
                return;
            }
        }
    });
    let body = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|line| (line, receiver))
    });
    Ok(([(header::CONTENT_TYPE, NDJSON)], Body::from_stream(body)).into_response())
}

async fn check(state: &AppState, org: Option<Uuid>) -> ApiResult<ApiJson<ChainView>> {
    Ok(ApiJson(state.store.verify_audit_chain(org).await?.into()))
}

/// List an organization's audit events, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit", tag = "audit",
    params(("org" = String, Path, description = "Organization id or slug"), ListParams),
    responses((status = 200, body = AuditPage), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<AuditRead>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<AuditPage>> {
    let query = params.query(Some(access.org.id))?;
    Ok(ApiJson(page(&state, &query).await?))
}

/// Export an organization's audit events, oldest first, as JSON Lines.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit/export", tag = "audit",
    params(("org" = String, Path, description = "Organization id or slug"), ExportParams),
    responses((status = 200, content_type = "application/x-ndjson", body = String,
        description = "One audit event as JSON a line"),
        (status = "4XX", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    access: OrgAccess<AuditRead>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    export_lines(&state, Some(access.org.id), &params)
}

/// Check an organization's audit hash chain.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit/verify", tag = "audit",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 200, body = ChainView), (status = "4XX", body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    access: OrgAccess<AuditRead>,
) -> ApiResult<ApiJson<ChainView>> {
    check(&state, Some(access.org.id)).await
}

/// List the organization-less audit events (organizations created and
/// deleted), newest first (admin key only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(ListParams),
    responses((status = 200, body = AuditPage), (status = "4XX", body = ErrorBody)))]
pub async fn list_org_less(
    State(state): State<AppState>,
    _: AdminOnly,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<AuditPage>> {
    let query = params.query(None)?;
    Ok(ApiJson(page(&state, &query).await?))
}

/// Export the organization-less audit events, oldest first, as JSON Lines
/// (admin key only).
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit",
    params(ExportParams),
    responses((status = 200, content_type = "application/x-ndjson", body = String,
        description = "One audit event as JSON a line"),
        (status = "4XX", body = ErrorBody)))]
pub async fn export_org_less(
    State(state): State<AppState>,
    _: AdminOnly,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    export_lines(&state, None, &params)
}

/// Check the organization-less audit hash chain (admin key only).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = ChainView), (status = "4XX", body = ErrorBody)))]
pub async fn verify_org_less(
    State(state): State<AppState>,
    _: AdminOnly,
) -> ApiResult<ApiJson<ChainView>> {
    check(&state, None).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn params(fill: impl FnOnce(&mut ListParams)) -> ListParams {
        let mut params = ListParams::default();
        fill(&mut params);
        params
    }

    #[test]
    fn empty_parameters_are_absent() {
        let empty = Some(String::new());
        let query = params(|p| {
            p.action = empty.clone();
            p.actor_id = empty.clone();
            p.since = empty.clone();
            p.cursor = empty.clone();
        })
        .query(None)
        .unwrap();
        assert_eq!(
            query,
            AuditQuery {
                limit: PAGE_DEFAULT,
                ..AuditQuery::new(None)
            }
        );
    }

    #[test]
    fn bad_values_are_422() {
        let bad: Vec<ListParams> = vec![
            params(|p| p.limit = Some(0)),
            params(|p| p.limit = Some(101)),
            params(|p| p.action = Some("key.*.*".into())),
            params(|p| p.since = Some("yesterday".into())),
            params(|p| p.until = Some("2025-01-01".into())),
            params(|p| p.cursor = Some("abc".into())),
        ];
        for params in bad {
            let error = params.query(None).unwrap_err();
            assert_eq!(error.code.status(), 422, "{params:?}");
        }
    }

    #[test]
    fn times_keep_their_instant() {
        let query = params(|p| p.since = Some("2025-01-31T02:00:00+02:00".into()))
            .query(None)
            .unwrap();
        assert_eq!(
            query.since.unwrap().to_rfc3339(),
            "2025-01-31T00:00:00+00:00"
        );
    }
}
