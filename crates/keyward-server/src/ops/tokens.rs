//! Single-use tokens handed to people (invitations, password resets):
//! minted under a prefix of their own, stored only as their HMAC, and
//! carried to a portal page in the URL's fragment, which browsers never
//! send to a server, so they stay out of its logs.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use keyward_core::{ApiKey, KeyHash, Prefix};

/// A new token, shown once, and the hash the store keeps.
pub struct Minted {
    pub token: ApiKey,
    pub hash: KeyHash,
}

pub fn mint(state: &AppState, prefix: &str) -> ApiResult<Minted> {
    let prefix = Prefix::parse(prefix).map_err(|_| ApiError::internal())?;
    let token = ApiKey::mint(&prefix);
    let hash = state.hasher.hash(token.expose());
    Ok(Minted { token, hash })
}

/// The hash of `raw` if it is a well-formed token of `prefix`'s kind.
pub fn hash_of(state: &AppState, raw: &str, prefix: &str) -> Option<KeyHash> {
    let parsed = ApiKey::parse(raw).ok()?;
    (parsed.prefix() == prefix).then(|| state.hasher.hash(raw))
}

/// The portal page at `path` that takes `token` from the fragment.
pub fn page_url(path: &str, token: &ApiKey) -> String {
    format!("{path}#{}", token.expose())
}
