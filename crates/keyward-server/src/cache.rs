//! The verification cache: resolved keys by hash, in memory, so a cached key
//! is answered without the store. Any change that can alter an answer bumps
//! the generation, which retires every entry resolved before it; the change
//! and the bump happen in the same request, so the next lookup reloads.

use crate::usage::Uses;
use keyward_core::access::{PrincipalAccess, team_resources};
use keyward_core::model::{Catalog, KeyRecord, KeyState, Organization};
use keyward_core::{GrantSet, KeyHash, Resource, Scope};
use moka::sync::Cache;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// A key as verification needs it: its record, its organization and the
/// grants it holds right now.
#[derive(Debug)]
pub struct ResolvedKey {
    pub record: KeyRecord,
    pub org: Organization,
    pub catalog: Arc<Catalog>,
    pub grants: GrantSet,
    /// For user and service-account keys: what the owner holds now.
    pub owner: Option<PrincipalAccess>,
    /// False when the owner left, was disabled or deleted.
    pub owner_active: bool,
    /// The owner's display name.
    pub owner_name: String,
    /// Uses since the last flush of usage.
    pub uses: Arc<Uses>,
    generation: u64,
}

impl ResolvedKey {
    pub fn state(&self, now: chrono::DateTime<chrono::Utc>) -> KeyState {
        match self.record.state(now) {
            KeyState::Valid if !self.owner_active => KeyState::Disabled,
            state => state,
        }
    }
}

/// Key hashes are HMAC outputs, uniformly random already: their first eight
/// bytes are as good a hash as any, at no cost.
#[derive(Clone, Default)]
pub struct KeyHashBuilder;

#[derive(Default)]
pub struct FirstBytes(u64);

impl std::hash::Hasher for FirstBytes {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }
}

impl std::hash::BuildHasher for KeyHashBuilder {
    type Hasher = FirstBytes;
    fn build_hasher(&self) -> FirstBytes {
        FirstBytes::default()
    }
}

pub struct KeyCache {
    resolved: Cache<KeyHash, Arc<ResolvedKey>, KeyHashBuilder>,
    unknown: Cache<KeyHash, ()>,
    generation: AtomicU64,
    /// Wakes the task that tells other nodes (PostgreSQL `NOTIFY`); several
    /// changes before it runs make one announcement.
    announce: Notify,
}

impl KeyCache {
    pub fn new(capacity: u64) -> Self {
        Self {
            resolved: Cache::builder()
                .max_capacity(capacity)
                .build_with_hasher(KeyHashBuilder),
            unknown: Cache::builder()
                .max_capacity(capacity.min(100_000))
                .time_to_live(Duration::from_secs(60))
                .build(),
            generation: AtomicU64::new(0),
            announce: Notify::new(),
        }
    }

    /// Resolved keys held, approximately.
    pub fn entries(&self) -> u64 {
        self.resolved.entry_count()
    }

    /// The generation to stamp on an entry whose loading starts now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A current entry, if any: `Some(None)` for a key known not to exist.
    pub fn get(&self, hash: &KeyHash) -> Option<Option<Arc<ResolvedKey>>> {
        if let Some(entry) = self.resolved.get(hash)
            && entry.generation == self.generation()
        {
            return Some(Some(entry));
        }
        self.unknown.contains_key(hash).then_some(None)
    }

    pub fn insert(&self, hash: KeyHash, key: Option<Arc<ResolvedKey>>) {
        match key {
            Some(key) => self.resolved.insert(hash, key),
            None => self.unknown.insert(hash, ()),
        }
    }

    /// A key was just created under `hash`: forget that it was unknown.
    pub fn created(&self, hash: &KeyHash) {
        self.unknown.invalidate(hash);
    }

    /// Something changed that may alter answers: retire every entry here,
    /// and have the other nodes do the same.
    pub fn retire_all(&self) {
        self.retire_local();
        self.announce.notify_one();
    }

    /// Another node announced a change: retire every entry here.
    pub fn retire_local(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Resolves when there is a change to announce.
    pub async fn next_announcement(&self) {
        self.announce.notified().await;
    }
}

/// What a key's scope holds right now, before the key's own narrowing.
#[derive(Debug, Clone)]
pub struct ScopeGrants {
    pub grants: GrantSet,
    pub owner: Option<PrincipalAccess>,
    pub owner_active: bool,
}

impl ScopeGrants {
    /// Owner-level grants of an organization or team key.
    pub fn fixed(record: &KeyRecord, catalog: &Catalog) -> Option<Self> {
        let grants = match record.scope {
            Scope::Organization => catalog.everything_on(&[Resource::Any]),
            Scope::Team => catalog.everything_on(&team_resources(record.owner_id)),
            Scope::User | Scope::ServiceAccount => return None,
        };
        Some(Self {
            grants,
            owner: None,
            owner_active: true,
        })
    }

    /// The live grants of a user or service account owner.
    pub fn of_principal(owner: Option<PrincipalAccess>, catalog: &Catalog) -> Self {
        Self {
            grants: owner
                .as_ref()
                .map(|a| a.grants(catalog))
                .unwrap_or_default(),
            owner_active: owner.is_some(),
            owner,
        }
    }
}

impl ResolvedKey {
    pub fn new(
        record: KeyRecord,
        org: Organization,
        catalog: Arc<Catalog>,
        scope: ScopeGrants,
        owner_name: String,
        generation: u64,
    ) -> Self {
        let grants = record.effective_grants(&scope.grants, &catalog);
        Self {
            record,
            org,
            catalog,
            grants,
            owner: scope.owner,
            owner_active: scope.owner_active,
            owner_name,
            uses: Arc::default(),
            generation,
        }
    }
}
