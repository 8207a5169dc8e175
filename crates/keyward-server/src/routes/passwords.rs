//! Passwords: `/api/v1/me/password` changes the signed-in user's; a
//! member's reset link comes from
//! `/api/v1/orgs/{org}/members/{user}/password-reset` and is used at
//! `/api/v1/auth/password-reset`.

use crate::auth::{MembersWrite, OrgAccess};
use crate::ctx::{Caller, RequestMeta};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::REFUSED;
use crate::ops::passwords;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResetIssued {
    /// Shown once: hand it (or `url`) to the member; it works once, for an hour.
    pub token: String,
    /// The portal's page that sets the new password; the token rides in the
    /// fragment.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

impl From<passwords::IssuedReset> for ResetIssued {
    fn from(issued: passwords::IssuedReset) -> Self {
        Self {
            url: issued.url(),
            token: issued.token.expose().to_owned(),
            expires_at: issued.reset.expires_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub token: String,
    /// At least 12 characters.
    pub new_password: String,
}

/// Change the signed-in user's password; every other session of theirs ends.
#[utoipa::path(post, operation_id = "changePassword", path = "/api/v1/me/password", tag = "sessions",
    request_body = ChangePasswordRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The password is changed"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn change(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Caller,
    meta: RequestMeta,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    if caller.read_only() {
        return Err(ApiError::new(
            Code::ReadOnlyKey,
            "a read-only key can't change anything",
        ));
    }
    let Caller::User(session) = caller else {
        return Err(ApiError::forbidden(
            "only a signed-in user's session can change their password",
        ));
    };
    passwords::change(
        &state,
        &meta,
        &session,
        &body.current_password,
        &body.new_password,
        peer.ip(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue a single-use link that sets a member's lost password (owners and
/// admins; only owners for an owner).
#[utoipa::path(post, operation_id = "issuePasswordReset", path = "/api/v1/orgs/{org}/members/{user}/password-reset", tag = "members",
    params(("org" = String, Path), ("user" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = ResetIssued, description = "The reset link, shown this once"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn issue(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<(StatusCode, ApiJson<ResetIssued>)> {
    let issued = passwords::issue(&state, &access, &path.1).await?;
    Ok((StatusCode::CREATED, ApiJson(issued.into())))
}

/// Set a new password with a reset link's token; every session of the user ends.
#[utoipa::path(post, operation_id = "resetPassword", path = "/api/v1/auth/password-reset", tag = "sessions",
    request_body = ResetPasswordRequest,
    security(()),
    responses((status = 204, description = "The password is set"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn reset(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<ResetPasswordRequest>,
) -> ApiResult<StatusCode> {
    state.throttle.token_attempt(peer.ip()).await?;
    passwords::complete(&state, &meta, &body.token, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
