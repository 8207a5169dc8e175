//! Liveness and readiness.

use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// Counts the answers of any route that found the store unreachable.
pub async fn count_unreachable(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if response.extensions().get::<Code>() == Some(&Code::StoreUnavailable) {
        state.health.answered_unavailable();
    }
    response
}

/// What the health routes answer when all is well.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` (liveness) or `ready` (readiness).
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process answers.
#[utoipa::path(get, operation_id = "healthz", path = "/healthz", tag = "health", security(()),
    responses((status = 200, body = HealthStatus, description = "The process is up: `{\"status\": \"ok\"}`")))]
pub async fn healthz() -> ApiJson<HealthStatus> {
    ApiJson(HealthStatus { status: "ok" })
}

/// The store answers too: 503, saying why, while it can't be reached (the
/// node still verifies cached keys meanwhile; see `stale_if_error`).
#[utoipa::path(get, operation_id = "readyz", path = "/readyz", tag = "health", security(()),
    responses((status = 200, body = HealthStatus, description = "The store answers: `{\"status\": \"ready\"}`"),
        (status = 503, body = ErrorBody,
         description = "UNAVAILABLE: the store can't be reached; `details` holds `reason` and `unheardSeconds`")))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<ApiJson<HealthStatus>> {
    let reason = if state.health.is_down() {
        "the store can't be reached"
    } else {
        match state.store.ping().await {
            Ok(()) => return Ok(ApiJson(HealthStatus { status: "ready" })),
            Err(error) => {
                state.health.failed(&error);
                "the store does not answer"
            }
        }
    };
    Err(
        ApiError::new(Code::Unavailable, reason).with_details(json!({
            "reason": reason,
            "unheardSeconds": state.health.unheard_for().as_secs(),
        })),
    )
}
