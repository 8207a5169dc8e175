//! The verification path: format and checksum first, so junk
//! never reaches the store; HMAC; the in-memory cache; the store only on a
//! miss; state checks; the allow-list; the permission check; rate limits
//! and credits, for keys that have them. Shared by the verify endpoint and
//! forward-auth.

use crate::cache::ResolvedKey;
use crate::error::{ApiError, ApiResult};
use crate::limiter::Decision;
use crate::metrics::{OrgSlot, Verdict};
use crate::state::AppState;
use keyward_core::limit_decision;
use keyward_core::model::KeyState;
use keyward_core::{ApiKey, KeyHash, PermissionQuery, Resource};
use keyward_store::StoreError;
use std::net::IpAddr;
use std::sync::Arc;
use uuid::Uuid;

/// What verification concluded.
#[derive(Debug)]
pub enum Outcome {
    /// Malformed, unknown, or of an organization the verifier can't see.
    NotFound,
    /// Found, but expired, revoked or disabled.
    Refused(KeyState, Arc<ResolvedKey>),
    /// Used from an address outside the key's allow-list (or from no
    /// address given).
    IpNotAllowed(Arc<ResolvedKey>),
    /// Valid, but without the permission asked about.
    Insufficient(Arc<ResolvedKey>),
    /// Over a rate limit or its credits, as `Decision::verdict` says.
    Limited(Arc<ResolvedKey>, Decision),
    /// Valid; for a key with rate limits or credits, what they counted.
    Valid(Arc<ResolvedKey>, Option<Decision>),
}

impl Outcome {
    /// The answer as the metrics count it.
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Valid(..) => Verdict::Valid,
            Outcome::NotFound => Verdict::NotFound,
            Outcome::Refused(KeyState::Expired, _) => Verdict::Expired,
            Outcome::Refused(KeyState::Revoked, _) => Verdict::Revoked,
            Outcome::Refused(_, _) => Verdict::Disabled,
            Outcome::Insufficient(_) => Verdict::Insufficient,
            Outcome::IpNotAllowed(_) => Verdict::IpNotAllowed,
            Outcome::Limited(_, decision) => match decision.verdict {
                limit_decision::Verdict::UsageExceeded => Verdict::UsageExceeded,
                _ => Verdict::RateLimited,
            },
        }
    }
}

impl Outcome {
    /// Where the answer is counted: the key's organization's slot.
    pub fn org_slot(&self) -> OrgSlot {
        match self {
            Outcome::NotFound => OrgSlot::NONE,
            Outcome::Refused(_, key)
            | Outcome::IpNotAllowed(key)
            | Outcome::Insufficient(key)
            | Outcome::Limited(key, _)
            | Outcome::Valid(key, _) => key.metrics_slot,
        }
    }
}

/// What a verification asks beyond "is this key valid".
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    /// Only this organization's keys; any with `None`.
    pub org: Option<Uuid>,
    pub check: Option<&'a Check<'a>>,
    /// The client's address, for keys with an allow-list.
    pub client: Option<IpAddr>,
    /// The credits it costs a key that has them.
    pub cost: i64,
}

impl Ask<'_> {
    /// Any organization's key, no permission, no address, cost 1.
    pub const ANY: Ask<'static> = Ask {
        org: None,
        check: None,
        client: None,
        cost: 1,
    };
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

/// State, organization, allow-list and permission checks on a found key;
/// the rate limits and credits are [`verify_lookup`]'s.
pub fn conclude(state: &AppState, key: Option<Arc<ResolvedKey>>, ask: &Ask<'_>) -> Outcome {
    let Some(key) = key.filter(|key| ask.org.is_none_or(|org| org == key.org.id)) else {
        return Outcome::NotFound;
    };
    let now = state.clock.now();
    match key.state(now) {
        KeyState::Valid => {}
        refused => return Outcome::Refused(refused, key),
    }
    state.usage.record(key.record.id, &key.uses, now);
    if let Some(limits) = &key.record.limits {
        let allowed = limits.allowed_ips.is_empty()
            || ask
                .client
                .is_some_and(|client| limits.allowed_ips.allows(client));
        if !allowed {
            return Outcome::IpNotAllowed(key);
        }
    }
    if ask.check.is_some_and(|c| !c.passes(&key)) {
        return Outcome::Insufficient(key);
    }
    Outcome::Valid(key, None)
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

/// Verifies `text`. A cached key never waits on the store.
pub async fn verify(state: &AppState, text: &str, ask: &Ask<'_>) -> ApiResult<Outcome> {
    verify_lookup(state, lookup(state, text), ask).await
}

/// Finishes a verification begun with [`lookup`] or [`lookup_hashed`].
pub async fn verify_lookup(state: &AppState, lookup: Lookup, ask: &Ask<'_>) -> ApiResult<Outcome> {
    let outcome = match lookup {
        Lookup::Junk => Outcome::NotFound,
        Lookup::Cached(key) => conclude(state, key, ask),
        Lookup::Miss(hash) => conclude(state, load(state, &hash).await?, ask),
    };
    let outcome = match outcome {
        Outcome::Valid(key, None) => match key.record.limits.as_deref().filter(|l| l.counts()) {
            Some(limits) => {
                let now = state.clock.now();
                let decision = state
                    .limiter
                    .decide(key.record.id, limits, ask.cost, now)
                    .await;
                if decision.verdict == limit_decision::Verdict::Pass {
                    Outcome::Valid(key, Some(decision))
                } else {
                    Outcome::Limited(key, decision)
                }
            }
            None => Outcome::Valid(key, None),
        },
        other => other,
    };
    state
        .metrics
        .verified(outcome.org_slot(), outcome.verdict());
    Ok(outcome)
}
