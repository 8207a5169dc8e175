//! The verification path: format and checksum first, so junk
//! never reaches the store; HMAC; the in-memory cache; the store only on a
//! miss; state checks; the permission check. Shared by the verify endpoint
//! and forward-auth.

use crate::cache::ResolvedKey;
use crate::error::{ApiError, ApiResult};
use crate::metrics::Verdict;
use crate::state::AppState;
use keyward_core::model::KeyState;
use keyward_core::{ApiKey, KeyHash, PermissionQuery, Resource};
use keyward_store::StoreError;
use std::sync::Arc;
use uuid::Uuid;

/// What verification concluded.
#[derive(Debug)]
pub enum Outcome {
    /// Malformed, unknown, or of an organization the verifier can't see.
    NotFound,
    /// Found, but expired, revoked or disabled.
    Refused(KeyState, Arc<ResolvedKey>),
    /// Valid, but without the permission asked about.
    Insufficient(Arc<ResolvedKey>),
    Valid(Arc<ResolvedKey>),
}

impl Outcome {
    /// The answer as the metrics count it.
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Valid(_) => Verdict::Valid,
            Outcome::NotFound => Verdict::NotFound,
            Outcome::Refused(KeyState::Expired, _) => Verdict::Expired,
            Outcome::Refused(KeyState::Revoked, _) => Verdict::Revoked,
            Outcome::Refused(_, _) => Verdict::Disabled,
            Outcome::Insufficient(_) => Verdict::Insufficient,
        }
    }
}

/// Session tokens share the key format under their own prefix; they are
/// never keys.
pub const SESSION_PREFIX: &str = "kws";

/// A permission query on a resource.
pub struct Check<'a> {
    pub permission: &'a PermissionQuery,
    pub resource: &'a Resource,
}

impl Check<'_> {
    pub fn passes(&self, key: &ResolvedKey) -> bool {
        self.permission
            .evaluate(&|p| key.grants.allows(p.as_str(), self.resource))
    }
}

/// The synchronous first half of verification.
pub enum Lookup {
    /// Malformed, failing its checksum, or a session token.
    Junk,
    /// Answered from memory: the key, or `None` for one known not to exist.
    Cached(Option<Arc<ResolvedKey>>),
    /// Not in memory: the store must be asked about this hash.
    Miss(KeyHash),
}

/// Gate, hash, cache: everything short of the store.
pub fn lookup(state: &AppState, text: &str) -> Lookup {
    if !is_key(text) {
        return Lookup::Junk;
    }
    lookup_hashed(state, state.hasher.hash(text))
}

/// Whether `text` passes the format and checksum gate as a key.
pub fn is_key(text: &str) -> bool {
    matches!(ApiKey::check(text), Ok(prefix_len) if &text[..prefix_len] != SESSION_PREFIX)
}

/// [`lookup`] for a key that passed [`is_key`] and whose hash is known.
pub fn lookup_hashed(state: &AppState, hash: KeyHash) -> Lookup {
    match state.cache.get(&hash) {
        // While the store can't be reached, even a current answer is served
        // only within `stale_if_error`.
        Some(hit) if !state.health.is_down() || state.health.serve_stale() => Lookup::Cached(hit),
        _ => Lookup::Miss(hash),
    }
}

/// State, organization and permission checks on a found key.
pub fn conclude(
    state: &AppState,
    key: Option<Arc<ResolvedKey>>,
    org: Option<Uuid>,
    check: Option<&Check<'_>>,
) -> Outcome {
    let Some(key) = key.filter(|key| org.is_none_or(|org| org == key.org.id)) else {
        return Outcome::NotFound;
    };
    let now = state.clock.now();
    match key.state(now) {
        KeyState::Valid => {}
        refused => return Outcome::Refused(refused, key),
    }
    state.usage.record(key.record.id, &key.uses, now);
    if check.is_some_and(|c| !c.passes(&key)) {
        return Outcome::Insufficient(key);
    }
    Outcome::Valid(key)
}

/// A key not current in memory: from the store, or, while the store can't
/// be reached, the answer last held for it within `stale_if_error`.
pub async fn load(state: &AppState, hash: &KeyHash) -> ApiResult<Option<Arc<ResolvedKey>>> {
    if !state.health.is_down() {
        match state.load_key(hash).await {
            Err(error @ StoreError::Unavailable(_)) => state.health.failed(&error),
            loaded => return Ok(loaded?),
        }
    }
    match state.cache.stale(hash) {
        Some(key) if state.health.serve_stale() => Ok(Some(key)),
        _ => Err(ApiError::store_unavailable()),
    }
}

/// Verifies `text`; `org` limits the answer to one organization's keys.
/// A cached key never waits on the store.
pub async fn verify(
    state: &AppState,
    text: &str,
    org: Option<Uuid>,
    check: Option<&Check<'_>>,
) -> ApiResult<Outcome> {
    verify_lookup(state, lookup(state, text), org, check).await
}

/// Finishes a verification begun with [`lookup`] or [`lookup_hashed`].
pub async fn verify_lookup(
    state: &AppState,
    lookup: Lookup,
    org: Option<Uuid>,
    check: Option<&Check<'_>>,
) -> ApiResult<Outcome> {
    let outcome = match lookup {
        Lookup::Junk => Outcome::NotFound,
        Lookup::Cached(key) => conclude(state, key, org, check),
        Lookup::Miss(hash) => conclude(state, load(state, &hash).await?, org, check),
    };
    state.metrics.verified(outcome.verdict());
    Ok(outcome)
}
