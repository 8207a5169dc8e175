//! `/api/v1/auth` and `/api/v1/me`: user sessions.

use super::views::OrgView;
use crate::ctx::{Caller, Grants, RequestMeta};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::REFUSED;
use crate::ops::sessions;
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use keyward_core::Grant;
use keyward_core::access::{OrgRole, PrincipalKind, PrincipalRef, User};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipView {
    #[serde(flatten)]
    pub organization: OrgView,
    #[schema(value_type = String)]
    pub role: OrgRole,
    /// The live grants in this organization.
    pub grants: Vec<Grant>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub user: User,
    pub organizations: Vec<MembershipView>,
}

/// Sign in with email and password; the token works as `Bearer`.
#[utoipa::path(post, operation_id = "login", path = "/api/v1/auth/login", tag = "sessions",
    request_body = LoginRequest,
    security(()),
    responses((status = 200, body = LoginResponse, description = "A session token"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<LoginResponse>> {
    let session = sessions::sign_in(&state, &meta, &body.email, &body.password, peer.ip()).await?;
    Ok(ApiJson(LoginResponse {
        token: session.token.expose().to_owned(),
        expires_at: session.expires_at,
    }))
}

/// End the session the request carries.
#[utoipa::path(post, operation_id = "logout", path = "/api/v1/auth/logout", tag = "sessions",
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The session is ended"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
) -> ApiResult<StatusCode> {
    if caller.read_only() {
        return Err(ApiError::new(
            Code::ReadOnlyKey,
            "a read-only key can't change anything",
        ));
    }
    match caller {
        Caller::User(session) => {
            sessions::sign_out(&state, &meta, &session).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(ApiError::forbidden(
            "only a session can be signed out; revoke keys instead",
        )),
    }
}

/// The signed-in user, their organizations with roles, and their live grants.
#[utoipa::path(get, operation_id = "getMe", path = "/api/v1/me", tag = "sessions",
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = MeView, description = "Who the caller is"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<ApiJson<MeView>> {
    let user_id = caller
        .user_id()
        .ok_or_else(|| ApiError::forbidden("this credential is not a user's"))?;
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let mut organizations = Vec::new();
    for (org, role) in state.store.user_orgs(user.id).await? {
        // A user key speaks only for its own organization.
        if let Caller::Key(key) = &caller
            && key.org.id != org.id
        {
            continue;
        }
        let principal = PrincipalRef {
            kind: PrincipalKind::User,
            id: user.id,
        };
        let grants = match (
            &caller,
            state.store.principal_access(org.id, principal).await?,
        ) {
            (Caller::Key(key), _) => Grants::Key(key.clone()).set().map(|s| s.grants().to_vec()),
            (_, Some(access)) => Some(
                access
                    .grants(&state.store.catalog(org.id).await?)
                    .grants()
                    .to_vec(),
            ),
            (_, None) => None,
        }
        .unwrap_or_default();
        organizations.push(MembershipView {
            organization: org.into(),
            role,
            grants,
        });
    }
    Ok(ApiJson(MeView {
        user,
        organizations,
    }))
}
