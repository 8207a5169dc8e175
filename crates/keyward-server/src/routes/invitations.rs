//! Invitations: an owner or admin invites by email; the invitee accepts
//! with a single-use, expiring token and becomes a member: signed in, if
//! the email has an account, else as a new user.

use crate::auth::{MembersRead, MembersWrite, OrgAccess, authenticate, credential};
use crate::ctx::{Caller, RequestMeta};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::{Label, REFUSED};
use crate::ops::invitations::{self, Joiner};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use keyward_core::access::{Invitation, OrgRole, User};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[schema(format = Email)]
    pub email: String,
    #[schema(value_type = OrgRole)]
    pub role: OrgRole,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationCreated {
    #[serde(flatten)]
    pub invitation: Invitation,
    /// Shown once: hand it (or `accept_url`) to the invitee.
    pub token: String,
    pub accept_url: String,
}

/// Accepted by the invited account's signed-in user (the request carries
/// their session), or, for an email with no account, by a new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub token: String,
    /// The new user's name; not used when signed in.
    #[schema(value_type = Option<Label>)]
    pub name: Option<String>,
    /// The new user's password, at least 12 characters; not used when signed in.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptResponse {
    pub user: User,
    pub organization_id: Uuid,
    #[schema(value_type = String)]
    pub role: OrgRole,
}
/// Invite someone by email.
#[utoipa::path(post, operation_id = "createInvitation", path = "/api/v1/orgs/{org}/invitations", tag = "members",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = InviteRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = InvitationCreated, description = "The invitation and its link, shown this once"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    ApiJson(body): ApiJson<InviteRequest>,
) -> ApiResult<(StatusCode, ApiJson<InvitationCreated>)> {
    let invited = invitations::invite(&state, &access, &body.email, body.role).await?;
    let created = InvitationCreated {
        accept_url: invited.accept_url(),
        token: invited.token.expose().to_owned(),
        invitation: invited.invitation,
    };
    Ok((StatusCode::CREATED, ApiJson(created)))
}
/// Pending invitations.
#[utoipa::path(get, operation_id = "listInvitations", path = "/api/v1/orgs/{org}/invitations", tag = "members",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<Invitation>, description = "The organization's invitations"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<MembersRead>,
) -> ApiResult<ApiJson<Vec<Invitation>>> {
    Ok(ApiJson(state.store.invitations(access.org.id).await?))
}

/// Withdraw an invitation.
#[utoipa::path(delete, operation_id = "deleteInvitation", path = "/api/v1/orgs/{org}/invitations/{id}", tag = "members",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The invitation is withdrawn"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn delete(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    invitations::withdraw(&state, &access, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept an invitation: as the signed-in user (with their session token,
/// for an invitation to their email), or as a new user with `name` and
/// `password` when the email has no account.
#[utoipa::path(post, operation_id = "acceptInvitation", path = "/api/v1/invitations/accept", tag = "members",
    request_body = AcceptRequest,
    security(()),
    responses((status = 201, body = AcceptResponse, description = "The new member and a session token"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    meta: RequestMeta,
    ApiJson(body): ApiJson<AcceptRequest>,
) -> ApiResult<(StatusCode, ApiJson<AcceptResponse>)> {
    state.throttle.token_attempt(peer.ip()).await?;
    let signed_in = match credential(&headers) {
        None => None,
        Some(text) => match authenticate(&state, Some(text), Some(peer.ip())).await? {
            Caller::User(session) => Some(session),
            _ => {
                return Err(ApiError::forbidden(
                    "invitations are accepted with the invited user's session, not a key",
                ));
            }
        },
    };
    let joiner = match (&signed_in, &body.name, &body.password) {
        (Some(session), _, _) => Joiner::SignedIn(&session.user),
        (None, Some(name), Some(password)) => Joiner::New { name, password },
        (None, _, _) => {
            return Err(ApiError::validation(
                "sign in as the invited user, or give `name` and `password` for a new account",
            ));
        }
    };
    let joined = invitations::accept(&state, &meta, &body.token, joiner).await?;
    let accepted = AcceptResponse {
        user: joined.user,
        organization_id: joined.organization_id,
        role: joined.role,
    };
    Ok((StatusCode::CREATED, ApiJson(accepted)))
}
