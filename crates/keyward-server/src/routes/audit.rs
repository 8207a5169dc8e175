//! `/api/v1/orgs/{org}/audit` and `/api/v1/audit`: the audit log read
//! back, as filtered pages (newest first), as a JSON Lines export (oldest
//! first, streamed from the store) and as a hash-chain check. An
//! organization's log needs `audit:read` there; the organization-less
//! chain (organizations created and deleted) is the admin key's.

use crate::audit_pages::{AuditPage, ChainView, ExportParams, ListParams, NDJSON, page, time};
use crate::auth::{AdminOnly, AuditRead, OrgAccess};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::openapi::REFUSED;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use uuid::Uuid;

/// Export lines the store may run ahead of a slow client.
const EXPORT_BUFFER: usize = 64;

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
#[utoipa::path(get, operation_id = "listOrgAuditEvents", path = "/api/v1/orgs/{org}/audit", tag = "audit",
    params(("org" = String, Path, description = "Organization id or slug"), ListParams),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = AuditPage, description = "One page of the organization's audit events, newest first"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<AuditRead>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<AuditPage>> {
    let query = params.query(Some(access.org.id))?;
    Ok(ApiJson(page(&state, &query).await?))
}

/// Export an organization's audit events, oldest first, as JSON Lines.
#[utoipa::path(get, operation_id = "exportOrgAuditEvents", path = "/api/v1/orgs/{org}/audit/export", tag = "audit",
    params(("org" = String, Path, description = "Organization id or slug"), ExportParams),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, content_type = "application/x-ndjson", body = String,
        description = "One audit event as JSON a line"),
        (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn export(
    State(state): State<AppState>,
    access: OrgAccess<AuditRead>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    export_lines(&state, Some(access.org.id), &params)
}

/// Check an organization's audit hash chain.
#[utoipa::path(get, operation_id = "verifyOrgAuditChain", path = "/api/v1/orgs/{org}/audit/verify", tag = "audit",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = ChainView, description = "Whether the organization's audit hash chain is intact"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn verify(
    State(state): State<AppState>,
    access: OrgAccess<AuditRead>,
) -> ApiResult<ApiJson<ChainView>> {
    check(&state, Some(access.org.id)).await
}

/// List the organization-less audit events (organizations created and
/// deleted), newest first (admin key only).
#[utoipa::path(get, operation_id = "listAuditEvents", path = "/api/v1/audit", tag = "audit",
    params(ListParams),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = AuditPage, description = "One page of audit events, newest first"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
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
#[utoipa::path(get, operation_id = "exportAuditEvents", path = "/api/v1/audit/export", tag = "audit",
    params(ExportParams),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, content_type = "application/x-ndjson", body = String,
        description = "One audit event as JSON a line"),
        (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn export_org_less(
    State(state): State<AppState>,
    _: AdminOnly,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    export_lines(&state, None, &params)
}

/// Check the organization-less audit hash chain (admin key only).
#[utoipa::path(get, operation_id = "verifyAuditChain", path = "/api/v1/audit/verify", tag = "audit",
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = ChainView, description = "Whether the audit hash chain is intact"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn verify_org_less(
    State(state): State<AppState>,
    _: AdminOnly,
) -> ApiResult<ApiJson<ChainView>> {
    check(&state, None).await
}
