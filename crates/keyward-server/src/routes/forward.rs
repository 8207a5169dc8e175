//! `/api/v1/auth/forward`: forward-auth for nginx `auth_request`, Traefik
//! `forwardAuth` and Envoy `ext_authz` (HTTP). 200 with identity headers,
//! or 400/401/403 with the common error body.

use crate::auth::credential;
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::verify::{self, Check, Outcome};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use keyward_core::forward_rules::{Decision, DefaultPolicy};
use keyward_core::model::KeyState;
use std::net::SocketAddr;

pub use crate::forward::PATH;

/// The methods a proxy asks with; any other (TRACE, CONNECT, …) is a 405.
pub fn methods() -> MethodRouter<AppState> {
    let filter = [
        MethodFilter::HEAD,
        MethodFilter::POST,
        MethodFilter::PUT,
        MethodFilter::PATCH,
        MethodFilter::DELETE,
        MethodFilter::OPTIONS,
    ]
    .into_iter()
    .fold(MethodFilter::GET, MethodFilter::or);
    on(filter, forward)
}

fn allowed(headers: [(&'static str, String); 4]) -> Response {
    let mut response = StatusCode::OK.into_response();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn denied_by_rules() -> Response {
    ApiError::forbidden("this key may not make that request").into_response()
}

/// Decide whether the forwarded request may pass.
#[utoipa::path(method(get, head, post, put, patch, delete, options),
    path = "/api/v1/auth/forward", tag = "verification",
    responses((status = 200, description = "allowed; identity in X-Keyward-* headers"),
              (status = 400, description = "the original request is missing, ambiguous or in another proxy's headers",
               body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody),
              (status = 403, description = "not allowed, or the caller is not a trusted proxy",
               body = crate::error::ErrorBody),
              (status = 503, description = "STORE_UNAVAILABLE: the key is not in memory, or was cached longer than stale_if_error ago, and the store can't be reached",
               body = crate::error::ErrorBody)))]
pub async fn forward(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let settings = &state.settings.forward_auth;
    if !settings.trusts(peer.ip()) {
        tracing::info!(%peer, "forward-auth refused a peer outside trusted_proxies");
        return ApiError::forbidden("forward-auth answers only trusted proxies").into_response();
    }
    let original = match settings.original(&method, &uri, &headers) {
        Ok(original) => original,
        Err(error) => return error.into_response(),
    };
    let Some(text) = credential(&headers).filter(|t| !t.is_empty()) else {
        return ApiError::unauthenticated().into_response();
    };
    let decision = settings.rules.decide(original.method, &original.path);
    let read_only_method = ["GET", "HEAD", "OPTIONS"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(original.method));
    // One hash serves both the admin check and the key lookup.
    let hash = state.hasher.hash(text);
    if state.admin.ct_eq(&hash) {
        return allowed([
            ("x-keyward-key-id", "admin".into()),
            ("x-keyward-org", String::new()),
            ("x-keyward-principal", "admin".into()),
            ("x-keyward-scope", "admin".into()),
        ]);
    }
    let check = match &decision {
        Decision::Require(requirement) => Some(Check {
            permission: requirement.permission,
            resource: &requirement.resource,
        }),
        Decision::BadResource => return denied_by_rules(),
        Decision::NoRule => None,
    };
    let lookup = if verify::is_key(text) {
        verify::lookup_hashed(&state, hash)
    } else {
        verify::Lookup::Junk
    };
    let outcome = match verify::verify_lookup(&state, lookup, None, check.as_ref()).await {
        Ok(outcome) => outcome,
        Err(error) => return error.into_response(),
    };
    let (key, permitted) = match outcome {
        Outcome::Valid(key) => (key, true),
        Outcome::Insufficient(key) => (key, false),
        Outcome::NotFound | Outcome::Refused(KeyState::Valid, _) => {
            return ApiError::unauthenticated().into_response();
        }
        Outcome::Refused(refused, key) => {
            tracing::info!(key_id = %key.record.id, state = ?refused, "forward-auth refused a key");
            return ApiError::unauthenticated().into_response();
        }
    };
    if key.record.read_only && !read_only_method {
        return ApiError::new(Code::ReadOnlyKey, "a read-only key can't change anything")
            .into_response();
    }
    let no_rule = matches!(decision, Decision::NoRule);
    if !permitted || (no_rule && settings.rules.default == DefaultPolicy::Deny) {
        return denied_by_rules();
    }
    let record = &key.record;
    let scope = if record.read_only {
        format!("{}:read_only", record.scope)
    } else {
        record.scope.to_string()
    };
    allowed([
        ("x-keyward-key-id", record.id.to_string()),
        ("x-keyward-org", key.org.id.to_string()),
        (
            "x-keyward-principal",
            format!("{}:{}", record.scope, record.owner_id),
        ),
        ("x-keyward-scope", scope),
    ])
}
