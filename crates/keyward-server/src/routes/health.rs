//! Liveness and readiness.

use crate::error::{ApiError, ApiResult, Code};
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

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

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200)))]
pub async fn healthz() -> ApiJson<Value> {
    ApiJson(json!({ "status": "ok" }))
}

/// The store answers too: 503, saying why, while it can't be reached (the
/// node still verifies cached keys meanwhile; see `stale_if_error`).
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200), (status = 503)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<ApiJson<Value>> {
    let reason = if state.health.is_down() {
        "the store can't be reached"
    } else {
        match state.store.ping().await {
            Ok(()) => return Ok(ApiJson(json!({ "status": "ready" }))),
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
