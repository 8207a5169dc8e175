//! Prometheus metrics at `/metrics`: what verification answered, keys
//! created, and the cache. Counters are plain atomics, cheap on the hot path.
//! With `metrics.token` set, readers must send it as a bearer token; with
//! `metrics.listen` set, they're served on that address only.

use crate::error::{ApiError, ApiResult, Code};
use crate::state::AppState;
use crate::verify::Outcome;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::get;
use keyward_core::model::KeyState;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use subtle::ConstantTimeEq;

const CODES: [&str; 6] = [
    "VALID",
    "NOT_FOUND",
    "EXPIRED",
    "REVOKED",
    "DISABLED",
    "INSUFFICIENT_PERMISSIONS",
];

#[derive(Default)]
pub struct Metrics {
    verifications: [AtomicU64; 6],
    keys_created: AtomicU64,
}

impl Metrics {
    pub fn verified(&self, outcome: &Outcome) {
        let index = match outcome {
            Outcome::Valid(_) => 0,
            Outcome::NotFound => 1,
            Outcome::Refused(KeyState::Expired, _) => 2,
            Outcome::Refused(KeyState::Revoked, _) => 3,
            Outcome::Refused(_, _) => 4,
            Outcome::Insufficient(_) => 5,
        };
        self.verifications[index].fetch_add(1, Ordering::Relaxed);
    }

    pub fn key_created(&self) {
        self.keys_created.fetch_add(1, Ordering::Relaxed);
    }
}

/// The router of the separate metrics listener: `/metrics` and nothing else.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(crate::routes::not_found)
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
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, content_type = "text/plain"),
              (status = 401, body = crate::error::ErrorBody, description = "`metrics.token` is set and the request lacks it")))]
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
    let m = &state.metrics;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP keyward_verifications_total Verifications (verify endpoint and forward-auth) by answer."
    );
    let _ = writeln!(out, "# TYPE keyward_verifications_total counter");
    for (code, count) in CODES.iter().zip(&m.verifications) {
        let _ = writeln!(
            out,
            "keyward_verifications_total{{code=\"{code}\"}} {}",
            count.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP keyward_keys_created_total Keys created since start."
    );
    let _ = writeln!(out, "# TYPE keyward_keys_created_total counter");
    let _ = writeln!(
        out,
        "keyward_keys_created_total {}",
        m.keys_created.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP keyward_cached_keys Keys held in the verification cache."
    );
    let _ = writeln!(out, "# TYPE keyward_cached_keys gauge");
    let _ = writeln!(out, "keyward_cached_keys {}", state.cache.entries());
    let stats = &state.cache.stats;
    for (name, help, counter) in [
        ("hits", "Key lookups answered from memory.", &stats.hits),
        (
            "misses",
            "Key lookups not answered from memory.",
            &stats.misses,
        ),
        (
            "loads",
            "Store rounds loading a key (concurrent misses on one key share one).",
            &stats.loads,
        ),
    ] {
        let _ = writeln!(out, "# HELP keyward_cache_{name}_total {help}");
        let _ = writeln!(out, "# TYPE keyward_cache_{name}_total counter");
        let _ = writeln!(
            out,
            "keyward_cache_{name}_total {}",
            counter.load(Ordering::Relaxed)
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
