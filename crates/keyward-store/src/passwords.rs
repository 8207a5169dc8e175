//! Passwords: changing one, and the single-use links that set a lost one.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::KeyHash;
use keyward_core::access::{PasswordReset, User};
use uuid::Uuid;

#[async_trait]
pub trait PasswordStore: Send + Sync {
    /// Sets the user's password and, in the same transaction, ends every
    /// session of theirs but `keep`; `false` when there is no such user.
    async fn set_password(
        &self,
        user_id: Uuid,
        password_hash: &str,
        keep: Option<&KeyHash>,
    ) -> Result<bool>;
    async fn create_password_reset(&self, reset: &PasswordReset, token: &KeyHash) -> Result<()>;
    /// The reset a token names, used, expired or not.
    async fn password_reset_by_token(&self, token: &KeyHash) -> Result<Option<PasswordReset>>;
    /// In one transaction: marks an unexpired, unused reset used (and every
    /// other open reset of its user with it), sets the user's password and
    /// ends all their sessions. `None`, writing nothing, when the token is
    /// unknown, used or expired.
    async fn use_password_reset(
        &self,
        token: &KeyHash,
        now: DateTime<Utc>,
        password_hash: &str,
    ) -> Result<Option<User>>;
}
