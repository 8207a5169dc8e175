//! Recovery on the server itself, against the configured store, with no
//! server running: `keyward users reset-password EMAIL` issues a reset
//! link for an account whose password is lost, the bootstrap owner's
//! included, so a missed start-up banner is never a lock-out.

use crate::config::Config;
use crate::ops::passwords::{self, IssuedReset};
use crate::secret::{self, SecretError};
use crate::startup::{StartupError, assemble, open_store};
use keyward_core::{KeyHasher, SystemClock};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Refused(String),
}

impl From<SecretError> for RecoveryError {
    fn from(error: SecretError) -> Self {
        Self::Startup(error.into())
    }
}

/// Issues a password reset link for the account with `email`, recorded in
/// the audit log as the admin key's.
pub async fn reset_password(config: Config, email: &str) -> Result<IssuedReset, RecoveryError> {
    let settings = config.resolve().map_err(StartupError::from)?;
    let loaded = secret::server_secret(&settings)?;
    if loaded.generated {
        return Err(RecoveryError::Refused(
            "no server secret: give the server's KEYWARD_SECRET or --data-dir".into(),
        ));
    }
    let hasher = KeyHasher::new(&loaded.secret)
        .map_err(|_| SecretError::Invalid("the server secret can't key an HMAC".into()))?;
    let store = open_store(&settings).await?;
    secret::check_fingerprint(store.as_ref(), &hasher).await?;
    // This state answers no request: its admin key matches nothing.
    let admin = hasher.hash(&Uuid::new_v4().to_string());
    let state = assemble(settings, store, hasher, Arc::new(SystemClock), admin)?;
    passwords::issue_on_server(&state, email)
        .await
        .map_err(|refused| RecoveryError::Refused(refused.message))
}
