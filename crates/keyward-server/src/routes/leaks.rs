//! Leaked keys: `POST /api/v1/leaks/github` (GitHub's secret-scanning
//! partner program, signed with GitHub's keys), `POST /api/v1/leaks` (any
//! scanner, signed with the shared HMAC secret) and `POST
//! /api/v1/keys/revoke` (revocation by possession, in the manner of RFC
//! 7009).

use crate::ctx::RequestMeta;
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::extract::{ApiJson, RawBody, json_content_type, parse_json};
use crate::leaks::SIGNATURE_HEADER;
use crate::leaks::report::{self, Feedback, GenericReport, GithubEntry, Label, TOKEN_MAX};
use crate::openapi::REFUSED;
use crate::ops::leaks::{self, GITHUB, SCANNER};
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;

/// How many entries of a report were skipped as malformed.
const SKIPPED_HEADER: HeaderName = HeaderName::from_static("x-keyward-skipped-entries");

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Refused reports all hear the same; the cause is logged.
fn unsigned(cause: &dyn std::fmt::Display) -> ApiError {
    tracing::info!(%cause, "leak report refused");
    ApiError::new(
        Code::Unauthenticated,
        "the report's signature is missing or does not verify",
    )
}

/// Receive GitHub's secret-scanning report: each live keyward key in it
/// gets its organization's leak policy; the answer labels every token.
#[utoipa::path(post, operation_id = "reportGithubLeaks", path = "/api/v1/leaks/github", tag = "leaks",
    request_body(content = Vec<GithubEntry>, description = "GitHub's partner format: `[{token, type, url, source}]`, signed in `Github-Public-Key-Identifier` and `Github-Public-Key-Signature`"),
    security(()),
    responses(
        (status = 200, body = Vec<Feedback>, description = "GitHub's feedback form; `X-Keyward-Skipped-Entries` counts malformed entries"),
        (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn github(
    State(state): State<AppState>,
    headers: HeaderMap,
    meta: RequestMeta,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let Some(github) = state.leaks.github() else {
        return Err(unsigned(&"no [leaks.github] keys are configured"));
    };
    state
        .leaks
        .verify_github(
            header(&headers, "github-public-key-identifier"),
            header(&headers, "github-public-key-signature"),
            &body,
        )
        .await
        .map_err(|e| unsigned(&e))?;
    let parsed = report::parse_github(&body)?;
    let mut feedback = Vec::with_capacity(parsed.entries.len());
    for reported in &parsed.entries {
        let label = leaks::report(&state, &meta, &GITHUB, reported).await?;
        feedback.push(Feedback::new(reported, label, github.answer_token_raw));
    }
    if parsed.skipped > 0 {
        tracing::info!(
            skipped = parsed.skipped,
            "malformed leak report entries skipped"
        );
    }
    let mut response = ApiJson(feedback).into_response();
    response
        .headers_mut()
        .insert(SKIPPED_HEADER, HeaderValue::from(parsed.skipped));
    Ok(response)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeakAnswer {
    /// Whether the token is or was a keyward key.
    pub label: Label,
}

/// Receive one scanner's report of an exposed token, signed with the
/// shared secret: `X-Keyward-Signature: sha256=<hex HMAC-SHA256 of the body>`.
#[utoipa::path(post, operation_id = "reportLeak", path = "/api/v1/leaks", tag = "leaks",
    request_body = GenericReport,
    security(()),
    responses((status = 200, body = LeakAnswer, description = "What keyward did with the reported key"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn generic(
    State(state): State<AppState>,
    headers: HeaderMap,
    meta: RequestMeta,
    RawBody(body): RawBody,
) -> ApiResult<ApiJson<LeakAnswer>> {
    if !state.leaks.hmac_configured() {
        return Err(unsigned(&"no [leaks] hmac_secret is configured"));
    }
    if !state
        .leaks
        .verify_hmac(header(&headers, SIGNATURE_HEADER), &body)
    {
        return Err(unsigned(&"bad or missing X-Keyward-Signature"));
    }
    if !json_content_type(&headers) {
        return Err(ApiError::new(
            Code::UnsupportedMediaType,
            "send the report as JSON with `Content-Type: application/json`",
        ));
    }
    let reported = report::parse_generic(&body)?;
    let label = leaks::report(&state, &meta, &SCANNER, &reported).await?;
    Ok(ApiJson(LeakAnswer { label }))
}

/// `token=<key>` form-encoded, or `{"token": "<key>"}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The key, 1 to 512 bytes.
    #[schema(min_length = 1, max_length = 512)]
    pub token: String,
    /// RFC 7009's hint; keyward's tokens are all keys.
    #[serde(default)]
    pub token_type_hint: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokeAnswer {
    /// Always the same, whether or not the token was a live key.
    pub message: &'static str,
}

const REVOKE_ANSWER: &str = "if the token was a live keyward key, it is revoked";

fn form_content_type(headers: &HeaderMap) -> bool {
    header(headers, header::CONTENT_TYPE.as_str())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

fn revoke_request(headers: &HeaderMap, body: &[u8]) -> ApiResult<RevokeRequest> {
    let request: RevokeRequest = if form_content_type(headers) {
        form_request(body)?
    } else if json_content_type(headers) {
        parse_json(body)?
    } else {
        return Err(ApiError::new(
            Code::UnsupportedMediaType,
            "send `token=<key>` form-encoded or `{\"token\": \"<key>\"}` as JSON",
        ));
    };
    if request.token.is_empty() || request.token.len() > TOKEN_MAX {
        return Err(ApiError::validation(format!(
            "token must be 1 to {TOKEN_MAX} bytes"
        )));
    }
    crate::extract::check_line("token", &request.token)?;
    if let Some(hint) = &request.token_type_hint {
        crate::extract::check_line("token_type_hint", hint)?;
    }
    Ok(request)
}

fn form_request(body: &[u8]) -> ApiResult<RevokeRequest> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| ApiError::validation(format!("the form is not `token=<key>`: {e}")))
}

/// Revoke a key by holding it: no other credential. The answer is the
/// same whether or not the token was a live key.
#[utoipa::path(post, operation_id = "revokeLeakedKey", path = "/api/v1/keys/revoke", tag = "leaks",
    request_body(content = RevokeRequest, content_type = "application/x-www-form-urlencoded"),
    security(()),
    responses((status = 200, body = RevokeAnswer, description = "What keyward did with the key"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn revoke(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    meta: RequestMeta,
    RawBody(body): RawBody,
) -> ApiResult<ApiJson<RevokeAnswer>> {
    state.throttle.revocation_attempt(peer.ip()).await?;
    let request = revoke_request(&headers, &body)?;
    leaks::revoke_held(&state, &meta, &request.token).await?;
    Ok(ApiJson(RevokeAnswer {
        message: REVOKE_ANSWER,
    }))
}
