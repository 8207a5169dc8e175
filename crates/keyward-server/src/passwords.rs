//! Password hashing with argon2id, a bounded number at a time.

use crate::error::{ApiError, ApiResult};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};
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

/// Argon2's working memory (about 19 MiB with the default parameters). Each
/// hasher keeps its own between runs instead of allocating it per run: the
/// allocator's per-thread arenas would otherwise each hold on to a freed
/// block, and memory would grow with the number of blocking threads rather
/// than stay at hashers × 19 MiB.
#[derive(Default)]
pub struct Memory(Vec<Block>);

impl Memory {
    fn blocks(&mut self, params: &Params) -> &mut [Block] {
        let count = params.block_count();
        if self.0.len() < count {
            self.0.resize(count, Block::default());
        }
        &mut self.0[..count]
    }
}

/// An argon2id hash in the PHC string format, computed in `memory`.
pub fn hash(password: &str, memory: &mut Memory) -> Result<String, password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let argon = Argon2::default();
    let mut salt_bytes = [0_u8; Salt::MAX_LENGTH];
    let raw_salt = salt.as_salt().decode_b64(&mut salt_bytes)?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        let blocks = memory.blocks(argon.params());
        Ok(argon.hash_password_into_with_memory(password.as_bytes(), raw_salt, out, blocks)?)
    })?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Verifies with the stored hash's own parameters, comparing in constant
/// time; a malformed stored hash never matches.
pub fn verify(password: &str, stored: &str, memory: &mut Memory) -> bool {
    let mut check = || -> Result<bool, password_hash::Error> {
        let parsed = PasswordHash::new(stored)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(parsed.algorithm)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let argon = Argon2::new(algorithm, version, Params::try_from(&parsed)?);
        let mut salt_bytes = [0_u8; Salt::MAX_LENGTH];
        let raw_salt = salt.decode_b64(&mut salt_bytes)?;
        let computed = Output::init_with(expected.len(), |out| {
            let blocks = memory.blocks(argon.params());
            Ok(argon.hash_password_into_with_memory(password.as_bytes(), raw_salt, out, blocks)?)
        })?;
        // `Output`'s equality is constant-time.
        Ok(computed == expected)
    };
    check().unwrap_or(false)
}

/// Hashing work for unknown emails, so a login takes as long whether the
/// email exists or not.
pub fn verify_nothing(password: &str, memory: &mut Memory) {
    let _ = hash(password, memory);
}

/// Each argon2 run holds about 19 MiB; more runs than cores only queue for
/// the CPU, and on a large machine this keeps their memory under ~150 MiB.
const MAX_CONCURRENT_HASHES: usize = 8;
/// How long a request waits for a free hasher before it is told to retry.
const HASHER_PATIENCE: Duration = Duration::from_secs(2);

/// The right to run argon2: a semaphore sized to the cores, so concurrent
/// logins queue instead of each taking its memory at once, and the working
/// memories the running hashers reuse (never more than the permits).
pub struct Hashers {
    permits: Arc<Semaphore>,
    memories: Arc<Mutex<Vec<Memory>>>,
}

impl Default for Hashers {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self {
            permits: Arc::new(Semaphore::new(cores.min(MAX_CONCURRENT_HASHES))),
            memories: Arc::default(),
        }
    }
}

impl Hashers {
    /// Runs argon2 `work` on the blocking threads once a hasher is free,
    /// with that hasher's memory; after [`HASHER_PATIENCE`] the caller gets
    /// 429.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> ApiResult<T> {
        let permit = tokio::time::timeout(HASHER_PATIENCE, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::too_many_requests("password checks at once", HASHER_PATIENCE))?
            .map_err(|_| ApiError::internal())?;
        let memories = self.memories.clone();
        tokio::task::spawn_blocking(move || {
            let pool = || memories.lock().unwrap_or_else(PoisonError::into_inner);
            let mut memory = pool().pop().unwrap_or_default();
            let done = work(&mut memory);
            pool().push(memory);
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
        let memory = &mut Memory::default();
        let stored = hash("correct horse battery", memory).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &stored, memory));
        assert!(!verify("wrong horse battery", &stored, memory));
        assert!(!verify("x", "not a hash", memory));
    }

    /// Hashes stored before the memory was reused still verify, and new ones
    /// are what the argon2 crate itself would check.
    #[test]
    fn hashes_match_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let memory = &mut Memory::default();
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(verify("correct horse battery", &theirs, memory));
        assert!(!verify("correct horse batterY", &theirs, memory));
        let ours = hash("correct horse battery", memory).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
    }

    #[test]
    fn length_rules() {
        assert!(check("short").is_err());
        assert!(check("twelve chars").is_ok());
        assert_eq!(generate().len(), 20);
    }
}
