//! Invitations: an owner or admin invites by email; the invitee accepts
//! with a single-use, expiring token and becomes a member.

use super::members::may_grant_role;
use super::parse_id;
use crate::auth::{Grants, MembersRead, MembersWrite, OrgAccess};
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::keys::{check_name, truncate};
use crate::sessions::hash_password;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Duration;
use keyward_core::access::{Invitation, OrgRole, User};
use keyward_core::{ApiKey, Prefix};
use serde::{Deserialize, Serialize};
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub token: String,
    pub name: String,
    /// At least 12 characters; ignored when the email already has a user.
    pub password: String,
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

/// Accepts an invitation; shared with the portal.
pub async fn accept_invitation(
    state: &AppState,
    token: &str,
    name: &str,
    password: &str,
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
    let name = check_name(name)?;
    let password_hash = hash_password(password).await?;
    let now = truncate(state.clock.now());
    let candidate = User {
        id: Uuid::now_v7(),
        email: String::new(),
        name,
        enabled: true,
        created_at: now,
    };
    let accepted = state
        .store
        .accept_invitation(&state.hasher.hash(token), now, &candidate, &password_hash)
        .await?
        .ok_or_else(invalid)?;
    state.cache.retire(Evict::Principal(accepted.user.id));
    tracing::info!(user_id = %accepted.user.id, org = %accepted.invitation.organization_id, "invitation accepted");
    Ok(AcceptResponse {
        user: accepted.user,
        organization_id: accepted.invitation.organization_id,
        role: accepted.invitation.role,
    })
}

/// Accept an invitation: creates the user (or adds the existing one).
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "members",
    request_body = AcceptRequest,
    responses((status = 201, body = AcceptResponse), (status = "4XX", body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AcceptRequest>,
) -> ApiResult<(StatusCode, ApiJson<AcceptResponse>)> {
    let accepted = accept_invitation(&state, &body.token, &body.name, &body.password).await?;
    Ok((StatusCode::CREATED, ApiJson(accepted)))
}
