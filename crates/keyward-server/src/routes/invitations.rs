//! Invitations: an owner or admin invites by email; the invitee accepts
//! with a single-use, expiring token and becomes a member: signed in, if
//! the email has an account, else as a new user.

use super::members::may_grant_role;
use super::parse_id;
use crate::auth::{Caller, Grants, MembersRead, MembersWrite, OrgAccess, authenticate, credential};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::keys::{check_name, truncate};
use crate::sessions::hash_password;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::Duration;
use keyward_core::access::{Invitation, OrgRole, User};
use keyward_core::{ApiKey, Prefix};
use keyward_store::{Acceptance, Acceptor};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;
use uuid::Uuid;

pub const INVITATION_PREFIX: &str = "kwi";
pub const INVITATION_TTL: Duration = Duration::days(7);
/// Where the portal accepts invitations; the token follows in the fragment,
/// which browsers never send to a server.
pub const ACCEPT_PATH: &str = "/invitations/accept";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    #[schema(value_type = String, example = "member")]
    pub role: OrgRole,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationCreated {
    #[serde(flatten)]
    #[schema(value_type = Object)]
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
    pub name: Option<String>,
    /// The new user's password, at least 12 characters; not used when signed in.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptResponse {
    #[schema(value_type = Object)]
    pub user: User,
    pub organization_id: Uuid,
    #[schema(value_type = String)]
    pub role: OrgRole,
}

/// A plausible email: one `@`, something on each side, no spaces.
pub fn check_email(raw: &str) -> ApiResult<String> {
    let email = raw.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if ok {
        Ok(email)
    } else {
        Err(ApiError::validation(format!(
            "{raw:?} is not an email address"
        )))
    }
}

/// Invite someone by email.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations", tag = "members",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = InviteRequest,
    responses((status = 201, body = InvitationCreated), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    ApiJson(body): ApiJson<InviteRequest>,
) -> ApiResult<(StatusCode, ApiJson<InvitationCreated>)> {
    let created = invite_member(
        &state,
        &access.grants,
        access.org.id,
        &access.caller.id(),
        &body.email,
        body.role,
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// Invites someone with a role the inviter may hand out; shared with the portal.
pub async fn invite_member(
    state: &AppState,
    grants: &Grants,
    org: Uuid,
    by: &str,
    email: &str,
    role: OrgRole,
) -> ApiResult<InvitationCreated> {
    may_grant_role(state, org, grants, role).await?;
    invite(state, org, by, email, role).await
}

/// Creates an invitation; shared with the portal.
pub async fn invite(
    state: &AppState,
    org: Uuid,
    by: &str,
    email: &str,
    role: OrgRole,
) -> ApiResult<InvitationCreated> {
    let email = check_email(email)?;
    let prefix = Prefix::parse(INVITATION_PREFIX).map_err(|_| ApiError::internal())?;
    let token = ApiKey::mint(&prefix);
    let now = truncate(state.clock.now());
    let invitation = Invitation {
        id: Uuid::now_v7(),
        organization_id: org,
        email,
        role,
        created_by: by.to_owned(),
        created_at: now,
        expires_at: now + INVITATION_TTL,
        accepted_at: None,
    };
    state
        .store
        .create_invitation(&invitation, &state.hasher.hash(token.expose()))
        .await?;
    Ok(InvitationCreated {
        invitation,
        accept_url: format!("{ACCEPT_PATH}#{}", token.expose()),
        token: token.expose().to_owned(),
    })
}

/// Pending invitations.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/invitations", tag = "members",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 200, body = Vec<Object>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<MembersRead>,
) -> ApiResult<ApiJson<Vec<Invitation>>> {
    Ok(ApiJson(state.store.invitations(access.org.id).await?))
}

/// Withdraw an invitation.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/invitations/{id}", tag = "members",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    access: OrgAccess<MembersWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    withdraw(&state, access.org.id, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraws a pending invitation; shared with the portal.
pub async fn withdraw(state: &AppState, org: Uuid, raw: &str) -> ApiResult<()> {
    let deleted = match parse_id(raw) {
        Some(id) => state.store.delete_invitation(org, id).await?,
        None => false,
    };
    if deleted {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::NotFound,
            format!("invitation {raw} was not found"),
        ))
    }
}

/// Who accepts an invitation.
pub enum Joiner<'a> {
    /// The signed-in user; the invitation must be for their email.
    SignedIn(&'a User),
    /// A new account, for an email no user has.
    New { name: &'a str, password: &'a str },
}

/// Accepts an invitation; shared with the portal. An existing account
/// joins only through its own session, so the token alone (which the
/// inviter has too) never enrols someone else's account or tells whose it is.
pub async fn accept_invitation(
    state: &AppState,
    token: &str,
    joiner: Joiner<'_>,
) -> ApiResult<AcceptResponse> {
    let invalid = || {
        ApiError::new(
            Code::NotFound,
            "this invitation is unknown, used or expired",
        )
    };
    if ApiKey::parse(token).map(|t| t.prefix() == INVITATION_PREFIX) != Ok(true) {
        return Err(invalid());
    }
    let now = truncate(state.clock.now());
    let token = state.hasher.hash(token);
    let acceptance = match joiner {
        Joiner::SignedIn(user) => {
            state
                .store
                .accept_invitation(&token, now, Acceptor::User(user.id))
                .await?
        }
        Joiner::New { name, password } => {
            let user = User {
                id: Uuid::now_v7(),
                email: String::new(),
                name: check_name(name)?,
                enabled: true,
                created_at: now,
            };
            let password_hash = hash_password(state, password).await?;
            let acceptor = Acceptor::New {
                user: &user,
                password_hash: &password_hash,
            };
            state.store.accept_invitation(&token, now, acceptor).await?
        }
    };
    let accepted = match acceptance {
        Acceptance::Accepted(accepted) => accepted,
        Acceptance::Invalid => return Err(invalid()),
        Acceptance::OtherUser => {
            return Err(ApiError::forbidden(
                "this invitation is for another email address than the signed-in user's",
            ));
        }
        Acceptance::SignInFirst => {
            return Err(ApiError::new(
                Code::Unauthenticated,
                "sign in as the invited email address, then accept with that session",
            ));
        }
    };
    state.cache.retire(Evict::Principal(accepted.user.id));
    tracing::info!(user_id = %accepted.user.id, org = %accepted.invitation.organization_id, "invitation accepted");
    Ok(AcceptResponse {
        user: accepted.user,
        organization_id: accepted.invitation.organization_id,
        role: accepted.invitation.role,
    })
}

/// Accept an invitation: as the signed-in user (with their session token,
/// for an invitation to their email), or as a new user with `name` and
/// `password` when the email has no account.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "members",
    request_body = AcceptRequest,
    responses((status = 201, body = AcceptResponse), (status = "4XX", body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AcceptRequest>,
) -> ApiResult<(StatusCode, ApiJson<AcceptResponse>)> {
    state.throttle.invitation_attempt(peer.ip()).await?;
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
    let accepted = accept_invitation(&state, &body.token, joiner).await?;
    Ok((StatusCode::CREATED, ApiJson(accepted)))
}
