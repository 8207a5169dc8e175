//! The server secret and the admin key at start-up.

use crate::config::Settings;
use keyward_core::{ApiKey, KeyHash, KeyHasher, Prefix, ServerSecret};
use keyward_store::Store;
use std::io::Write;
use std::path::Path;

const SECRET_FILE: &str = "secret";
pub const ADMIN_KEY_SETTING: &str = "admin_key_hash";
pub const ADMIN_KEY_PREFIX: &str = "kwadmin";
pub const FINGERPRINT_SETTING: &str = "server_secret_fingerprint";
/// What the fingerprint is an HMAC of: a label, so the stored value says
/// nothing about the secret or any key.
const FINGERPRINT_LABEL: &str = "keyward server secret fingerprint v1";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(
        "this node's server secret is not the one the store was first started with, so it \
         could verify none of the store's keys; start every node with the same KEYWARD_SECRET \
         (the first node's secret is in the `secret` file of its data folder)"
    )]
    Mismatch,
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

/// The server secret, and whether it was generated just now (to be saved
/// with [`save_generated`] once the store has accepted it).
pub struct LoadedSecret {
    pub secret: ServerSecret,
    pub generated: bool,
}

/// `KEYWARD_SECRET`, the secret in the data folder, or a new one on the
/// first start.
pub fn server_secret(settings: &Settings) -> Result<LoadedSecret, SecretError> {
    if let Some(text) = &settings.secret {
        let secret =
            ServerSecret::from_bytes(text.expose().as_bytes().to_vec()).ok_or_else(|| {
                SecretError::Invalid("KEYWARD_SECRET must be at least 32 characters".into())
            })?;
        return Ok(LoadedSecret {
            secret,
            generated: false,
        });
    }
    let path = settings.data_dir.join(SECRET_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        let secret =
            ServerSecret::from_bytes(text.trim().as_bytes().to_vec()).ok_or_else(|| {
                SecretError::Invalid(format!("{} holds fewer than 32 characters", path.display()))
            })?;
        return Ok(LoadedSecret {
            secret,
            generated: false,
        });
    }
    let text = hex::encode(ServerSecret::generate().expose());
    let secret = ServerSecret::from_bytes(text.into_bytes())
        .ok_or_else(|| SecretError::Invalid("generated secret too short".into()))?;
    Ok(LoadedSecret {
        secret,
        generated: true,
    })
}

/// Writes a generated secret into the data folder, readable by the owner only.
pub fn save_generated(settings: &Settings, secret: &ServerSecret) -> Result<(), SecretError> {
    let path = settings.data_dir.join(SECRET_FILE);
    create_private_file(&path)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(io_error(&path))?;
    file.write_all(secret.expose()).map_err(io_error(&path))?;
    file.sync_all().map_err(io_error(&path))?;
    tracing::info!(path = %path.display(), "generated the server secret");
    Ok(())
}

/// Records the server secret's fingerprint on the store's first start, and
/// refuses a secret that doesn't match it: nodes with different secrets
/// would silently fail each other's keys.
pub async fn check_fingerprint(store: &dyn Store, hasher: &KeyHasher) -> Result<(), SecretError> {
    let ours = hasher.hash(FINGERPRINT_LABEL);
    let recorded = match store.setting(FINGERPRINT_SETTING).await? {
        Some(recorded) => recorded,
        None if store
            .set_setting_once(FINGERPRINT_SETTING, ours.as_bytes())
            .await? =>
        {
            return Ok(());
        }
        // Another node recorded its own first.
        None => store
            .setting(FINGERPRINT_SETTING)
            .await?
            .unwrap_or_default(),
    };
    let recorded = KeyHash::from_slice(&recorded).ok_or(SecretError::Mismatch)?;
    if ours.ct_eq(&recorded) {
        Ok(())
    } else {
        Err(SecretError::Mismatch)
    }
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
