//! `/api/v1/auth/forward`: forward-auth for nginx `auth_request`, Traefik
//! `forwardAuth` and Envoy `ext_authz` (HTTP). 200 with identity headers,
//! or 400/401/403 with the common error body.

use crate::access_log::KeySeen;
use crate::auth::credential;
use crate::cache::ResolvedKey;
use crate::error::{ApiError, BearerError, Code, ErrorBody};
use crate::limiter::Decision;
use crate::state::AppState;
use crate::verify::{self, Ask, Check, Outcome};
use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use keyward_core::forward_rules::{Decision as RuleDecision, DefaultPolicy};
use keyward_core::limit_decision::Verdict;
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
    refuse(ApiError::forbidden("this key may not make that request"))
}

/// A refusal as a proxy passes it on: the common error body, a
/// `WWW-Authenticate` challenge with RFC 6750's `error` (`invalid_token`
/// for a key that can't be used, `insufficient_scope` for one that may not
/// make this request; none when no key was sent) and the code in
/// `X-Keyward-Code`, a header nginx's `auth_request_set` can read.
fn refuse(error: ApiError) -> Response {
    let error = match error.code.status() {
        StatusCode::FORBIDDEN => error.with_bearer_error(BearerError::InsufficientScope),
        StatusCode::TOO_MANY_REQUESTS => error.with_bearer_error(BearerError::InvalidToken),
        _ => error,
    };
    let code = HeaderValue::from_str(&error.code_name());
    let mut response = error.into_response();
    if let Ok(code) = code {
        response.headers_mut().insert("x-keyward-code", code);
    }
    response
}

/// Decide whether the forwarded request may pass.
///
/// The proxy sends the client's credential as it came (`x-api-key`,
/// `Authorization: Api-Key …`, `Bearer …` or the bare key) and the original
/// request in its dialect's headers: nginx `X-Original-Method` and
/// `X-Original-URI`; Traefik `X-Forwarded-Method` and `X-Forwarded-Uri`;
/// Envoy this request's own method and the original path appended to this
/// one (`/api/v1/auth/forward/<path>`), the client's address in
/// `X-Envoy-External-Address`. The parameters below are nginx's, the
/// default (`forward_auth.proxy`); another dialect's headers than the
/// configured one's are a 400. Only peers in
/// `forward_auth.trusted_proxies` are answered.
#[utoipa::path(method(get, head, post, put, patch, delete, options), operation_id = "forwardAuth",
    path = "/api/v1/auth/forward", tag = "verification",
    params(
        ("X-Original-Method" = String, Header, pattern = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
         description = "nginx (the default dialect): the original request's method"),
        ("X-Original-URI" = String, Header,
         pattern = r"^/([^\x00-\x1f\x7f-\xff\\%?#]|%(2[0-9A-Da-d]|[346][0-9A-Fa-f]|5[0-9ABD-Fabd-f]|7[0-9A-Ea-e]))*([?#][\x20-\x7e]*)?$",
         description = "nginx (the default dialect): the original request's path and query. \
                        The path is matched in its canonical form (RFC 3986 §6.2.2); one \
                        servers could read in two ways (an encoded slash, backslash or dot \
                        segment, a control character) is a 400"),
        ("X-Real-IP" = Option<String>, Header, description = "nginx: the client's address, for keys with an allow-list"),
        ("X-Forwarded-For" = Option<String>, Header,
         description = "The client's address when the dialect's own header is absent: the last entry that is not a trusted proxy"),
    ),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses(
        (status = 200, description = "Allowed; who asked is in the X-Keyward-* headers",
         headers(
            ("X-Keyward-Key-Id" = String, description = "The key's id, or `admin`"),
            ("X-Keyward-Org" = String, description = "The key's organization id; empty for the admin key"),
            ("X-Keyward-Principal" = String, description = "`<scope>:<owner id>`, or `admin`"),
            ("X-Keyward-Scope" = String, description = "The key's scope, with `:read_only` for a read-only key"),
         )),
        (status = 400, description = "The original request is missing, ambiguous or in another proxy's headers, or a client address header is not an address",
         body = ErrorBody),
        (status = 401, description = "No credential, or one keyward does not accept (unknown, revoked, expired, disabled)",
         body = ErrorBody,
         headers(("WWW-Authenticate" = String, description = "The schemes a key may be sent in"))),
        (status = 403, description = "Not allowed: the rules refuse the request, the key is read-only and the method writes, the client's address is outside the key's allow-list (IP_NOT_ALLOWED), or the caller is not a trusted proxy",
         body = ErrorBody),
        (status = 429, description = "RATE_LIMITED or USAGE_EXCEEDED",
         body = ErrorBody,
         headers(
            ("X-Keyward-Code" = String, description = "`RATE_LIMITED` or `USAGE_EXCEEDED`"),
            ("Retry-After" = u64, description = "Seconds until the request may pass"),
            ("RateLimit-Policy" = String, description = "`\"name\";q=limit;w=seconds`, one item a rate limit"),
            ("RateLimit" = String, description = "`\"name\";r=remaining;t=seconds`, one item a rate limit"),
         )),
        (status = 503, description = "STORE_UNAVAILABLE: the key is not in memory, or was cached longer than stale_if_error ago, and the store can't be reached",
         body = ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait before asking again")))))]
pub async fn forward(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    seen: Option<Extension<KeySeen>>,
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
    if settings.passes_preflight(original.method, &headers) {
        return StatusCode::OK.into_response();
    }
    let Some(text) = credential(&headers).filter(|t| !t.is_empty()) else {
        return refuse(ApiError::no_credential());
    };
    let decision_of_rules = settings.rules.decide(original.method, &original.path);
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
    let (check, cost) = match &decision_of_rules {
        RuleDecision::Require(requirement) => (
            Some(Check {
                permission: requirement.permission,
                resource: &requirement.resource,
            }),
            requirement.cost,
        ),
        RuleDecision::BadResource => return denied_by_rules(),
        RuleDecision::NoRule => (None, 1),
    };
    let lookup = if verify::is_key(text) {
        verify::lookup_hashed(&state, hash)
    } else {
        verify::Lookup::Junk
    };
    // The client's address is read only for a key that may have an
    // allow-list: a cached key without one doesn't pay for it.
    let client = match &lookup {
        verify::Lookup::Cached(Some(key)) if !key.has_allow_list() => None,
        verify::Lookup::Cached(None) | verify::Lookup::Junk => None,
        _ => match settings.client(peer.ip(), &headers) {
            Ok(client) => Some(client),
            Err(error) => return error.into_response(),
        },
    };
    let ask = Ask {
        org: None,
        check: check.as_ref(),
        client,
        cost,
    };
    let outcome = match verify::verify_lookup(&state, lookup, &ask).await {
        Ok(outcome) => outcome,
        Err(error) => return refuse(error),
    };
    let (key, permitted) = match outcome {
        Outcome::Valid(key, _) => (key, true),
        Outcome::Insufficient(key) => (key, false),
        Outcome::NotFound => return refuse(ApiError::unauthenticated()),
        Outcome::Refused(refused, key) => {
            tracing::info!(key_id = %key.record.id, state = ?refused, "forward-auth refused a key");
            return refuse(ApiError::key_refused(refused));
        }
        Outcome::IpNotAllowed(key) => {
            tracing::info!(key_id = %key.record.id, ?client, "forward-auth refused a key outside its allow-list");
            return refuse(ApiError::ip_not_allowed());
        }
        Outcome::Limited(key, decision) => return limited(&key, &decision),
    };
    // The access log names the key the proxy asked about.
    if let Some(Extension(seen)) = &seen {
        seen.set(key.record.id);
    }
    if key.record.read_only && !read_only_method {
        return refuse(ApiError::new(
            Code::ReadOnlyKey,
            "a read-only key can't change anything",
        ));
    }
    let no_rule = matches!(decision_of_rules, RuleDecision::NoRule);
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

/// 429 for a key over a rate limit (`RATE_LIMITED`) or its credits
/// (`USAGE_EXCEEDED`), with `Retry-After` and the IETF `RateLimit-Policy`
/// and `RateLimit` headers.
fn limited(key: &ResolvedKey, decision: &Decision) -> Response {
    let (code, message) = match decision.verdict {
        Verdict::UsageExceeded => (
            Code::UsageExceeded,
            "this key has no credits left for this request",
        ),
        _ => (Code::RateLimited, "this key is over its rate limit"),
    };
    tracing::info!(key_id = %key.record.id, ?code, "forward-auth refused a limited key");
    let mut error = ApiError::new(code, message);
    error.retry_after = Some(decision.retry_after);
    let mut response = refuse(error);
    rate_limit_headers(&mut response, decision);
    response
}

/// `RateLimit-Policy: "name";q=limit;w=seconds` and
/// `RateLimit: "name";r=remaining;t=seconds until whole`, one item per
/// limit (draft-ietf-httpapi-ratelimit-headers).
fn rate_limit_headers(response: &mut Response, decision: &Decision) {
    if decision.ratelimits.is_empty() {
        return;
    }
    let mut policies = Vec::with_capacity(decision.ratelimits.len());
    let mut states = Vec::with_capacity(decision.ratelimits.len());
    for limit in &decision.ratelimits {
        let window = limit.duration_ms.div_ceil(1000);
        let reset = limit.reset_in_ms.div_ceil(1000);
        policies.push(format!("\"{}\";q={};w={window}", limit.name, limit.limit));
        states.push(format!(
            "\"{}\";r={};t={reset}",
            limit.name, limit.remaining
        ));
    }
    for (name, items) in [("ratelimit-policy", policies), ("ratelimit", states)] {
        if let Ok(value) = HeaderValue::from_str(&items.join(", ")) {
            response.headers_mut().insert(name, value);
        }
    }
}
