//! The server secret and the admin key at start-up.

use crate::config::Settings;
use keyward_core::{ApiKey, KeyHash, KeyHasher, Prefix, ServerSecret};
use keyward_store::Store;
use std::io::Write;
use std::path::Path;

const SECRET_FILE: &str = "secret";
pub const ADMIN_KEY_SETTING: &str = "admin_key_hash";
pub const ADMIN_KEY_PREFIX: &str = "kwadmin";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] keyward_store::StoreError),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SecretError + '_ {
    move |source| SecretError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Creates `path` (and its folder) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> Result<(), SecretError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    set_mode(dir, 0o700)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), SecretError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io_error(path))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), SecretError> {
    Ok(())
}

/// Creates an empty file with mode 0600 unless it exists, so what is
/// written into it later is never readable by others.
pub fn create_private_file(path: &Path) -> Result<(), SecretError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(io_error(path))?;
    set_mode(path, 0o600)
}

/// `KEYWARD_SECRET`, or the secret in the data folder, generated on first start.
pub fn server_secret(settings: &Settings) -> Result<ServerSecret, SecretError> {
    if let Some(text) = &settings.secret {
        return ServerSecret::from_bytes(text.expose().as_bytes().to_vec()).ok_or_else(|| {
            SecretError::Invalid("KEYWARD_SECRET must be at least 32 characters".into())
        });
    }
    let path = settings.data_dir.join(SECRET_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        return ServerSecret::from_bytes(text.trim().as_bytes().to_vec()).ok_or_else(|| {
            SecretError::Invalid(format!("{} holds fewer than 32 characters", path.display()))
        });
    }
    let generated = ServerSecret::generate();
    let text: String = generated
        .expose()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    create_private_file(&path)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(io_error(&path))?;
    file.write_all(text.as_bytes()).map_err(io_error(&path))?;
    file.sync_all().map_err(io_error(&path))?;
    tracing::info!(path = %path.display(), "generated the server secret");
    ServerSecret::from_bytes(text.into_bytes())
        .ok_or_else(|| SecretError::Invalid("generated secret too short".into()))
}

/// The admin key's hash; on the first start of a store without one and with
/// no `KEYWARD_ADMIN_KEY`, a new admin key too, to be shown once.
pub async fn admin_key(
    settings: &Settings,
    store: &dyn Store,
    hasher: &KeyHasher,
) -> Result<(KeyHash, Option<ApiKey>), SecretError> {
    if let Some(configured) = &settings.admin_key {
        return Ok((hasher.hash(configured.expose()), None));
    }
    if let Some(stored) = store.setting(ADMIN_KEY_SETTING).await? {
        let hash = KeyHash::from_slice(&stored)
            .ok_or_else(|| SecretError::Invalid("the stored admin key hash is malformed".into()))?;
        return Ok((hash, None));
    }
    let prefix =
        Prefix::parse(ADMIN_KEY_PREFIX).map_err(|e| SecretError::Invalid(e.to_string()))?;
    let key = ApiKey::mint(&prefix);
    let hash = hasher.hash(key.expose());
    if store
        .set_setting_once(ADMIN_KEY_SETTING, hash.as_bytes())
        .await?
    {
        Ok((hash, Some(key)))
    } else {
        // Another node bootstrapped first: use its key.
        let stored = store.setting(ADMIN_KEY_SETTING).await?.unwrap_or_default();
        let hash = KeyHash::from_slice(&stored)
            .ok_or_else(|| SecretError::Invalid("the stored admin key hash is malformed".into()))?;
        Ok((hash, None))
    }
}
