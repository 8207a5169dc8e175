//! Invitations: an owner or admin invites by email; the invitee accepts
//! with a single-use, expiring token and becomes a member: signed in, if
//! the email has an account, else as a new user.

use super::actions::{INVITATION_WITHDRAWN, MEMBER_INVITED, MEMBER_JOINED};
use super::commit::{By, Change, commit};
use super::members::may_grant_role;
use super::rules::{check_name, found, not_found, parse_id, truncate};
use super::sessions::hash_password;
use super::tokens::{self, Minted};
use crate::ctx::{Ctx, RequestMeta, user_actor};
use crate::error::{ApiError, ApiResult, Code};
use crate::eviction::Evict;
use crate::state::AppState;
use chrono::Duration;
use futures::FutureExt;
use keyward_core::ApiKey;
use keyward_core::access::{Invitation, OrgRole, User};
use keyward_store::{Acceptance, Acceptor};
use uuid::Uuid;

pub const INVITATION_PREFIX: &str = "kwi";
pub const INVITATION_TTL: Duration = Duration::days(7);
pub const ACCEPT_PATH: &str = "/invitations/accept";

/// A new invitation and its token, shown once.
pub struct Invited {
    pub invitation: Invitation,
    pub token: ApiKey,
}

impl Invited {
    /// The portal's page that accepts it; the token rides in the fragment,
    /// which browsers never send to a server.
    pub fn accept_url(&self) -> String {
        tokens::page_url(ACCEPT_PATH, &self.token)
    }
}

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

/// Invites someone with a role the inviter may hand out.
pub async fn invite(state: &AppState, ctx: &Ctx, email: &str, role: OrgRole) -> ApiResult<Invited> {
    let org = ctx.org.id;
    may_grant_role(state, org, &ctx.grants, role).await?;
    let email = check_email(email)?;
    let Minted { token, hash } = tokens::mint(state, INVITATION_PREFIX)?;
    let now = truncate(state.clock.now());
    let invitation = Invitation {
        id: Uuid::now_v7(),
        organization_id: org,
        email,
        role,
        created_by: ctx.caller.id(),
        created_at: now,
        expires_at: now + INVITATION_TTL,
        accepted_at: None,
    };
    let change = Change::new(MEMBER_INVITED, Some(org))
        .target("invitation", invitation.id, &invitation.email)
        .detail("role", role)
        .detail("expires_at", invitation.expires_at);
    let invitation = commit(state, ctx.by(), change, |store| {
        async move {
            store
                .create_invitation(&invitation, &hash)
                .await
                .map(|()| invitation)
        }
        .boxed()
    })
    .await?;
    Ok(Invited { invitation, token })
}

/// Withdraws a pending invitation.
pub async fn withdraw(state: &AppState, ctx: &Ctx, raw: &str) -> ApiResult<()> {
    let org = ctx.org.id;
    let id = parse_id(raw).ok_or_else(|| not_found("invitation", raw))?;
    let Some(invitation) = state
        .store
        .invitations(org)
        .await?
        .into_iter()
        .find(|i| i.id == id)
    else {
        return Err(not_found("invitation", raw));
    };
    let change = Change::new(INVITATION_WITHDRAWN, Some(org))
        .target("invitation", id, &invitation.email)
        .detail("role", invitation.role);
    let deleted = commit(state, ctx.by(), change, |store| {
        async move { store.delete_invitation(org, id).await }.boxed()
    })
    .await?;
    found(deleted, "invitation", raw)
}

/// Who accepts an invitation.
pub enum Joiner<'a> {
    SignedIn(&'a User),
    New { name: &'a str, password: &'a str },
}

/// What accepting did: the member and where they joined.
pub struct Joined {
    pub user: User,
    pub organization_id: Uuid,
    pub role: OrgRole,
}

fn invalid() -> ApiError {
    ApiError::new(
        Code::NotFound,
        "this invitation is unknown, used or expired",
    )
}

/// Accepts an invitation. An existing account joins only signed in.
pub async fn accept(
    state: &AppState,
    meta: &RequestMeta,
    token: &str,
    joiner: Joiner<'_>,
) -> ApiResult<Joined> {
    let token = tokens::hash_of(state, token, INVITATION_PREFIX).ok_or_else(invalid)?;
    let now = truncate(state.clock.now());
    let invitation = state
        .store
        .invitation_by_token(&token)
        .await?
        .ok_or_else(invalid)?;
    let new_user;
    let password_hash;
    let (user, acceptor) = match joiner {
        Joiner::SignedIn(user) => (user, Acceptor::User(user.id)),
        Joiner::New { name, password } => {
            new_user = User {
                id: Uuid::now_v7(),
                email: invitation.email.clone(),
                name: check_name(name)?,
                enabled: true,
                created_at: now,
            };
            password_hash = hash_password(state, password).await?;
            let acceptor = Acceptor::New {
                user: &new_user,
                password_hash: &password_hash,
            };
            (&new_user, acceptor)
        }
    };
    let change = Change::new(MEMBER_JOINED, Some(invitation.organization_id))
        .target("user", user.id, &user.name)
        .detail("invitation", invitation.id)
        .detail("role", invitation.role)
        .evicts(Evict::Principal(user.id));
    let by = By {
        actor: user_actor(user),
        meta,
    };
    let acceptance = commit(state, by, change, |store| {
        async move { store.accept_invitation(&token, now, acceptor).await }.boxed()
    })
    .await?;
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
    tracing::info!(user_id = %accepted.user.id, org = %accepted.invitation.organization_id, "invitation accepted");
    Ok(Joined {
        user: accepted.user,
        organization_id: accepted.invitation.organization_id,
        role: accepted.invitation.role,
    })
}
