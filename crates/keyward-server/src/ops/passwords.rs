//! Passwords: a signed-in user changes theirs; an organization's owner or
//! admin (or the admin key, or `keyward users reset-password` on the
//! server) issues a single-use link that sets a lost one.

use super::actions::{USER_PASSWORD_CHANGED, USER_PASSWORD_RESET, USER_PASSWORD_RESET_ISSUED};
use super::commit::{By, Change, commit, user_logs};
use super::invitations::check_email;
use super::members::{may_grant_role, member_or_404};
use super::rules::{not_found, truncate};
use super::sessions::hash_password;
use super::tokens::{self, Minted};
use crate::ctx::{Caller, Ctx, Grants, RequestMeta, Session, user_actor};
use crate::error::{ApiError, ApiResult, Code};
use crate::passwords;
use crate::state::AppState;
use chrono::Duration;
use futures::FutureExt;
use keyward_core::ApiKey;
use keyward_core::access::{Member, PasswordReset, User};
use std::net::IpAddr;
use uuid::Uuid;

pub const RESET_PREFIX: &str = "kwr";
pub const RESET_TTL: Duration = Duration::hours(1);
pub const RESET_PATH: &str = "/password-reset";

/// A new reset and its token, shown once.
pub struct IssuedReset {
    pub reset: PasswordReset,
    pub token: ApiKey,
}

impl IssuedReset {
    /// The portal's page that sets the new password.
    pub fn url(&self) -> String {
        tokens::page_url(RESET_PATH, &self.token)
    }
}

/// Changes the signed-in user's password. The current one is checked (a
/// wrong one counts as a failed sign-in for the throttle) and every other
/// session of the user ends; this one stays.
pub async fn change(
    state: &AppState,
    meta: &RequestMeta,
    session: &Session,
    current: &str,
    new: &str,
    client: IpAddr,
) -> ApiResult<()> {
    let user = &session.user;
    state.throttle.login_allowed(&user.email, client).await?;
    let stored = state
        .store
        .user_credentials(&user.email)
        .await?
        .map(|(_, stored)| stored)
        .ok_or_else(ApiError::unauthenticated)?;
    let current = current.to_owned();
    let matches = state
        .hashers
        .run(move |memory| passwords::verify(&current, &stored, memory))
        .await?;
    if !matches {
        state.throttle.login_failed(&user.email, client).await;
        return Err(ApiError::forbidden("the current password is wrong"));
    }
    let hash = hash_password(state, new).await?;
    let change = Change::in_orgs(USER_PASSWORD_CHANGED, user_logs(state, user.id).await?)
        .target("user", user.id, &user.name);
    let by = By {
        actor: user_actor(user),
        meta,
    };
    let (id, keep) = (user.id, session.token);
    let changed = commit(state, by, change, |store| {
        async move { store.set_password(id, &hash, Some(&keep)).await }.boxed()
    })
    .await?;
    if !changed {
        return Err(ApiError::unauthenticated());
    }
    tracing::info!(user_id = %user.id, "password changed");
    Ok(())
}

/// Whether the caller may reset `member`'s password: for a role they may
/// hand out (owners for owners, admins for admins and members), and only
/// for an account of this organization alone; one that belongs to others
/// too is the admin key's, as no single organization answers for it.
async fn may_reset(state: &AppState, ctx: &Ctx, member: &Member) -> ApiResult<()> {
    if !ctx.grants.is_org_admin() {
        return Err(ApiError::forbidden(
            "only the organization's owners and admins may reset a member's password",
        ));
    }
    may_grant_role(state, ctx.org.id, &ctx.grants, member.role).await?;
    let shared = state.store.user_orgs(member.user.id).await?.len() > 1;
    if shared && !matches!(ctx.grants, Grants::All) {
        return Err(ApiError::forbidden(
            "this user belongs to other organizations too: only the admin key may reset their password",
        ));
    }
    Ok(())
}

/// Issues a reset link for a member of the caller's organization.
pub async fn issue(state: &AppState, ctx: &Ctx, raw: &str) -> ApiResult<IssuedReset> {
    let org = ctx.org.id;
    let member = member_or_404(state, org, raw).await?;
    may_reset(state, ctx, &member).await?;
    issued(state, ctx.by(), &member.user, Some(org), vec![Some(org)]).await
}

/// Issues a reset link for the account with this email, on the server
/// itself (`keyward users reset-password`): the way back for an owner who
/// lost the bootstrap password.
pub async fn issue_on_server(state: &AppState, email: &str) -> ApiResult<IssuedReset> {
    let email = check_email(email)?;
    let (user, _) = state
        .store
        .user_credentials(&email)
        .await?
        .ok_or_else(|| not_found("user", &email))?;
    let meta = RequestMeta::default();
    let by = By {
        actor: Caller::Admin.actor(),
        meta: &meta,
    };
    let logs = user_logs(state, user.id).await?;
    issued(state, by, &user, None, logs).await
}

async fn issued(
    state: &AppState,
    by: By<'_>,
    user: &User,
    org: Option<Uuid>,
    logs: Vec<Option<Uuid>>,
) -> ApiResult<IssuedReset> {
    let Minted { token, hash } = tokens::mint(state, RESET_PREFIX)?;
    let now = truncate(state.clock.now());
    let reset = PasswordReset {
        id: Uuid::now_v7(),
        user_id: user.id,
        organization_id: org,
        created_by: by.actor.id.clone(),
        created_at: now,
        expires_at: now + RESET_TTL,
        used_at: None,
    };
    let change = Change::in_orgs(USER_PASSWORD_RESET_ISSUED, logs)
        .target("user", user.id, &user.name)
        .detail("expires_at", reset.expires_at);
    let reset = commit(state, by, change, |store| {
        async move {
            store
                .create_password_reset(&reset, &hash)
                .await
                .map(|()| reset)
        }
        .boxed()
    })
    .await?;
    tracing::info!(user_id = %user.id, "password reset issued");
    Ok(IssuedReset { reset, token })
}

fn invalid() -> ApiError {
    ApiError::new(
        Code::NotFound,
        "this password reset link is unknown, used or expired",
    )
}

/// Sets a new password with a reset token, once, and ends every session of
/// the user.
pub async fn complete(
    state: &AppState,
    meta: &RequestMeta,
    token: &str,
    new: &str,
) -> ApiResult<User> {
    let token = tokens::hash_of(state, token, RESET_PREFIX).ok_or_else(invalid)?;
    let reset = state
        .store
        .password_reset_by_token(&token)
        .await?
        .ok_or_else(invalid)?;
    let now = truncate(state.clock.now());
    if reset.used_at.is_some() || reset.expires_at <= now {
        return Err(invalid());
    }
    let user = state
        .store
        .user_by_id(reset.user_id)
        .await?
        .ok_or_else(invalid)?;
    let hash = hash_password(state, new).await?;
    let change = Change::in_orgs(USER_PASSWORD_RESET, user_logs(state, user.id).await?)
        .target("user", user.id, &user.name)
        .detail("reset", reset.id);
    let by = By {
        actor: user_actor(&user),
        meta,
    };
    let user = commit(state, by, change, |store| {
        async move { store.use_password_reset(&token, now, &hash).await }.boxed()
    })
    .await?
    .ok_or_else(invalid)?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(user)
}
