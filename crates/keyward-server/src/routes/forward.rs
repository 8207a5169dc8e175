//! `/api/v1/auth/forward`: forward-auth for nginx `auth_request`, Traefik
//! `forwardAuth` and Envoy `ext_authz` (HTTP). 200 with identity headers,
//! or 401/403 with the common error body.

use crate::auth::credential;
use crate::error::{ApiError, Code};
use crate::forward::{Decision, DefaultPolicy};
use crate::state::AppState;
use crate::verify::{self, Check, Outcome};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use keyward_core::model::KeyState;

/// The route, and its prefix form for Envoy, which appends the original path.
pub const PATH: &str = "/api/v1/auth/forward";

fn header<'a>(headers: &'a HeaderMap, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
}

/// The original request: Traefik's `X-Forwarded-*`, nginx's `X-Original-*`,
/// or (Envoy) this request's own method and the path after [`PATH`].
fn original(method: &Method, uri: &Uri, headers: &HeaderMap) -> (String, String) {
    let method = header(headers, &["x-forwarded-method", "x-original-method"])
        .map_or_else(|| method.as_str().to_owned(), str::to_owned);
    let path = header(headers, &["x-forwarded-uri", "x-original-uri"]).map_or_else(
        || {
            let own = uri.path_and_query().map_or("/", |p| p.as_str());
            match own.strip_prefix(PATH) {
                Some(rest) if rest.starts_with('/') => rest.to_owned(),
                _ => "/".to_owned(),
            }
        },
        str::to_owned,
    );
    (method, path)
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
#[utoipa::path(get, path = "/api/v1/auth/forward", tag = "verification",
    responses((status = 200, description = "allowed; identity in X-Keyward-* headers"),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn forward(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (method, path) = original(&method, &uri, &headers);
    let Some(text) = credential(&headers).filter(|t| !t.is_empty()) else {
        return ApiError::unauthenticated().into_response();
    };
    let rules = &state.settings.forward_auth;
    let decision = rules.decide(&method, &path);
    let read_only_method = matches!(
        method.to_ascii_uppercase().as_str(),
        "GET" | "HEAD" | "OPTIONS"
    );
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
        Err(error) => return ApiError::from(error).into_response(),
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
    if !permitted || (no_rule && rules.default == DefaultPolicy::Deny) {
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
