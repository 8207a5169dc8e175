//! Liveness and readiness.

use crate::error::{ApiError, ApiResult, Code};
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use serde_json::{Value, json};

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200)))]
pub async fn healthz() -> ApiJson<Value> {
    ApiJson(json!({ "status": "ok" }))
}

/// The store answers too.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200), (status = 503)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<ApiJson<Value>> {
    match state.store.ping().await {
        Ok(()) => Ok(ApiJson(json!({ "status": "ready" }))),
        Err(error) => {
            tracing::warn!(%error, "store not ready");
            Err(ApiError::new(
                Code::Unavailable,
                "the store does not answer",
            ))
        }
    }
}
