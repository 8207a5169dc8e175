//! Signing in and out: the one path the API and the portal share.

use super::actions::{AUTH_LOGIN_FAILED, AUTH_LOGIN_SUCCEEDED, AUTH_LOGOUT};
use super::commit::{By, Change, commit, record, user_logs};
use super::rules::truncate;
use crate::ctx::{RequestMeta, Session, user_actor};
use crate::error::{ApiError, ApiResult, Code};
use crate::passwords;
use crate::state::AppState;
use crate::verify::SESSION_PREFIX;
use chrono::{DateTime, Duration, Utc};
use futures::FutureExt;
use keyward_core::access::User;
use keyward_core::audit::{ActorKind, Outcome, Party};
use keyward_core::{ApiKey, Prefix};
use std::net::IpAddr;

/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::hours(12);

/// A new session: the token (shown once) and when it ends.
pub struct NewSession {
    pub token: ApiKey,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

fn bad_credentials() -> ApiError {
    ApiError::new(Code::Unauthenticated, "the email or the password is wrong")
}

/// Checks the password and opens a session. Unknown emails, wrong
/// passwords and disabled users get the same answer after the same work,
/// and the same throttling.
pub async fn sign_in(
    state: &AppState,
    meta: &RequestMeta,
    email: &str,
    password: &str,
    client: IpAddr,
) -> ApiResult<NewSession> {
    let email = email.trim().to_lowercase();
    state.throttle.login_allowed(&email, client).await?;
    let found = state.store.user_credentials(&email).await?;
    let password = password.to_owned();
    // The user signing in, or else the account the email names, if any.
    let checked = state
        .hashers
        .run(move |memory| match found {
            Some((user, stored))
                if passwords::verify(&password, &stored, memory) && user.enabled =>
            {
                Ok(user)
            }
            Some((user, _)) => Err(Some(user)),
            None => {
                passwords::verify_nothing(&password, memory);
                Err(None)
            }
        })
        .await?;
    let user = match checked {
        Ok(user) => user,
        Err(account) => {
            state.throttle.login_failed(&email, client).await;
            if let Some(account) = account {
                record_failure(state, meta, &account, &email).await;
            }
            return Err(bad_credentials());
        }
    };
    state.throttle.login_succeeded(&email).await;
    let prefix = Prefix::parse(SESSION_PREFIX).map_err(|_| ApiError::internal())?;
    let token = ApiKey::mint(&prefix);
    let now = truncate(state.clock.now());
    let expires_at = now + SESSION_TTL;
    let change = Change::in_orgs(AUTH_LOGIN_SUCCEEDED, user_logs(state, user.id).await?)
        .target("user", user.id, &user.name);
    let by = By {
        actor: user_actor(&user),
        meta,
    };
    let (hash, user_id) = (state.hasher.hash(token.expose()), user.id);
    commit(state, by, change, |store| {
        async move { store.create_session(&hash, user_id, now, expires_at).await }.boxed()
    })
    .await?;
    tracing::info!(user_id = %user.id, "signed in");
    Ok(NewSession {
        token,
        user,
        expires_at,
    })
}

/// Records a failed sign-in in the logs of the organizations of `user`,
/// the account the email names; the caller learns nothing of it.
async fn record_failure(state: &AppState, meta: &RequestMeta, user: &User, email: &str) {
    let recorded = async {
        let change = Change::in_orgs(AUTH_LOGIN_FAILED, user_logs(state, user.id).await?)
            .target("user", user.id, &user.name);
        let by = By {
            actor: Party {
                kind: ActorKind::User,
                id: user.id.to_string(),
                name: email.to_owned(),
            },
            meta,
        };
        record(state, by, change, Outcome::Denied).await
    };
    if let Err(error) = recorded.await {
        tracing::warn!(%error, "a failed sign-in could not be recorded");
    }
}

/// Ends a session server-side.
pub async fn sign_out(state: &AppState, meta: &RequestMeta, session: &Session) -> ApiResult<()> {
    let user = &session.user;
    let change = Change::in_orgs(AUTH_LOGOUT, user_logs(state, user.id).await?)
        .target("user", user.id, &user.name);
    let by = By {
        actor: user_actor(user),
        meta,
    };
    let token = session.token;
    commit(state, by, change, |store| {
        async move { store.delete_session(&token).await }.boxed()
    })
    .await?;
    Ok(())
}

/// Hashes a password off the async threads; argon2 is slow on purpose.
pub async fn hash_password(state: &AppState, password: &str) -> ApiResult<String> {
    passwords::check(password).map_err(ApiError::validation)?;
    let password = password.to_owned();
    state
        .hashers
        .run(move |memory| passwords::hash(&password, memory))
        .await?
        .map_err(|error| {
            tracing::error!(%error, "password hashing failed");
            ApiError::internal()
        })
}
