//! Signing in and out: the one path the API and the portal share.

use crate::auth::SESSION_PREFIX;
use crate::error::{ApiError, ApiResult, Code};
use crate::keys::truncate;
use crate::passwords;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use keyward_core::access::User;
use keyward_core::{ApiKey, KeyHash, Prefix};
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
    email: &str,
    password: &str,
    client: IpAddr,
) -> ApiResult<NewSession> {
    let email = email.trim().to_lowercase();
    state.throttle.login_allowed(&email, client).await?;
    let found = state.store.user_credentials(&email).await?;
    let password = password.to_owned();
    let checked = state
        .hashers
        .run(move || match found {
            Some((user, stored)) if passwords::verify(&password, &stored) && user.enabled => {
                Some(user)
            }
            Some(_) => None,
            None => {
                passwords::verify_nothing(&password);
                None
            }
        })
        .await?;
    let Some(user) = checked else {
        state.throttle.login_failed(&email, client).await;
        return Err(bad_credentials());
    };
    state.throttle.login_succeeded(&email).await;
    let prefix = Prefix::parse(SESSION_PREFIX).map_err(|_| ApiError::internal())?;
    let token = ApiKey::mint(&prefix);
    let now = truncate(state.clock.now());
    let expires_at = now + SESSION_TTL;
    state
        .store
        .create_session(&state.hasher.hash(token.expose()), user.id, now, expires_at)
        .await?;
    tracing::info!(user_id = %user.id, "signed in");
    Ok(NewSession {
        token,
        user,
        expires_at,
    })
}

/// Ends a session server-side.
pub async fn sign_out(state: &AppState, token: &KeyHash) -> ApiResult<()> {
    state.store.delete_session(token).await?;
    Ok(())
}

/// Hashes a password off the async threads; argon2 is slow on purpose.
pub async fn hash_password(state: &AppState, password: &str) -> ApiResult<String> {
    passwords::check(password).map_err(ApiError::validation)?;
    let password = password.to_owned();
    state
        .hashers
        .run(move || passwords::hash(&password))
        .await?
        .map_err(|error| {
            tracing::error!(%error, "password hashing failed");
            ApiError::internal()
        })
}
