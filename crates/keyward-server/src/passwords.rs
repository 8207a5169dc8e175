//! Password hashing with argon2id, a bounded number at a time.

use crate::error::{ApiError, ApiResult};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_PASSWORD_CHARS: usize = 1024;

/// Checks the length rules; says what is wrong.
pub fn check(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        ))
    } else if chars > MAX_PASSWORD_CHARS {
        Err(format!(
            "password must be at most {MAX_PASSWORD_CHARS} characters"
        ))
    } else {
        Ok(())
    }
}

pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Verifies in constant time; a malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashing work for unknown emails, so a login takes as long whether the
/// email exists or not.
pub fn verify_nothing(password: &str) {
    let _ = hash(password);
}

/// Each argon2 run holds about 19 MiB; more runs than cores only queue for
/// the CPU, and on a large machine this keeps their memory under ~150 MiB.
const MAX_CONCURRENT_HASHES: usize = 8;
/// How long a request waits for a free hasher before it is told to retry.
const HASHER_PATIENCE: Duration = Duration::from_secs(2);

/// The right to run argon2: a semaphore sized to the cores, so concurrent
/// logins queue instead of each taking its memory at once.
pub struct Hashers(Arc<Semaphore>);

impl Default for Hashers {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self(Arc::new(Semaphore::new(cores.min(MAX_CONCURRENT_HASHES))))
    }
}

impl Hashers {
    /// Runs argon2 `work` on the blocking threads once a hasher is free;
    /// after [`HASHER_PATIENCE`] the caller gets 429.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let permit = tokio::time::timeout(HASHER_PATIENCE, self.0.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::too_many_requests("password checks at once", HASHER_PATIENCE))?
            .map_err(|_| ApiError::internal())?;
        tokio::task::spawn_blocking(move || {
            let done = work();
            drop(permit);
            done
        })
        .await
        .map_err(|_| ApiError::internal())
    }
}

/// A random password for the bootstrap owner.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_reject() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("wrong horse battery", &stored));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn length_rules() {
        assert!(check("short").is_err());
        assert!(check("twelve chars").is_ok());
        assert_eq!(generate().len(), 20);
    }
}
