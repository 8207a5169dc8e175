//! `/metrics` in Prometheus' text format (see [`crate::metrics`]). With
//! `metrics.token` set, readers must send it as a bearer token; with
//! `metrics.listen` set, they're served on that address only.

use crate::error::{ApiError, ApiResult, Code};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::prometheus_text;
use subtle::ConstantTimeEq;

/// The router of the separate metrics listener: `/metrics` and nothing else.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(super::not_found)
        .with_state(state)
}

/// Whether the request carries the configured token, if one is configured.
fn authorized(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.settings.metrics.token else {
        return true;
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, rest)| rest.trim());
    bool::from(sent.as_bytes().ct_eq(token.expose().as_bytes()))
}

/// The metrics in Prometheus' text format.
#[utoipa::path(get, operation_id = "metrics", path = "/metrics", tag = "health",
    security((), ("bearer" = [])),
    responses((status = 200, content_type = "text/plain", body = String,
               description = "The metrics in Prometheus' text exposition format"),
              (status = 401, body = crate::error::ErrorBody,
               description = "`metrics.token` is set and the request lacks it (`Authorization: Bearer <token>`)")))]
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    if !authorized(&state, &headers) {
        return Err(ApiError::new(
            Code::Unauthenticated,
            "send the metrics token as `Authorization: Bearer …`",
        ));
    }
    let out = crate::metrics::scrape::render(&state)
        .map_err(|_| ApiError::new(Code::Internal, "the metrics could not be written"))?;
    Ok(([(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)], out))
}
