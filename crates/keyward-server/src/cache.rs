//! The verification cache: resolved keys by hash, in memory, so a cached key
//! is answered without the store. A change retires the answers it can alter
//! (see [`crate::eviction`]) in the request that makes it, so the next lookup
//! reloads them; other organizations' answers stay. Concurrent misses on one
//! key share a single load. Keys of one organization share its record and
//! catalog, and keys of one owner share the owner's grants, so an entry is
//! little more than its key record.

use crate::eviction::{Changes, Evict};
use crate::usage::Uses;
use keyward_core::access::{PrincipalAccess, team_resources};
use keyward_core::model::{Catalog, KeyRecord, KeyState, Organization};
use keyward_core::{GrantSet, KeyHash, Resource, Scope};
use moka::sync::Cache;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, OnceCell};
use uuid::Uuid;

/// A key as verification needs it: its record, its organization and the
/// grants it holds right now.
#[derive(Debug)]
pub struct ResolvedKey {
    pub record: KeyRecord,
    pub org: Arc<Organization>,
    pub catalog: Arc<Catalog>,
    pub grants: Arc<GrantSet>,
    /// For user and service-account keys: what the owner holds now.
    pub owner: Option<Arc<PrincipalAccess>>,
    /// False when the owner left, was disabled or deleted.
    pub owner_active: bool,
    /// The owner's display name.
    pub owner_name: Arc<str>,
    /// Uses since the last flush of usage.
    pub uses: Arc<Uses>,
    /// When the record, the organization's part and the owner's part were
    /// loaded: each is current while what it holds is unchanged since.
    stamps: [u64; 3],
}

impl ResolvedKey {
    pub fn new(record: KeyRecord, org: &OrgPart, owner: &OwnerPart, stamp: u64) -> Self {
        // Most keys hold exactly what their owner holds: share it.
        let grants = if record.permissions.is_empty() && !record.read_only {
            owner.grants.clone()
        } else {
            Arc::new(record.effective_grants(&owner.grants, &org.catalog))
        };
        Self {
            record,
            org: org.org.clone(),
            catalog: org.catalog.clone(),
            grants,
            owner: owner.owner.clone(),
            owner_active: owner.owner_active,
            owner_name: owner.name.clone(),
            uses: Arc::default(),
            stamps: [stamp, org.stamp, owner.stamp],
        }
    }

    pub fn state(&self, now: chrono::DateTime<chrono::Utc>) -> KeyState {
        match self.record.state(now) {
            KeyState::Valid if !self.owner_active => KeyState::Disabled,
            state => state,
        }
    }

    /// What the answer depends on, each with the stamp of its loading:
    /// the key, its organization, its owner.
    fn depends_on(&self) -> [(u64, Uuid); 3] {
        let [key, org, owner] = self.stamps;
        [
            (key, self.record.id),
            (org, self.org.id),
            (owner, self.record.owner_id),
        ]
    }

    /// Bytes held by this entry alone, roughly: what it shares with other
    /// keys isn't counted; moka's bookkeeping for an entry is.
    fn weight(&self) -> usize {
        const ENTRY_OVERHEAD: usize = 160;
        const GRANT: usize = 96;
        let record = &self.record;
        let metadata = serde_json::to_string(&record.metadata).map_or(0, |m| 2 * m.len());
        let own_grants = if record.permissions.is_empty() && !record.read_only {
            0
        } else {
            self.grants.grants().len() * GRANT
        };
        ENTRY_OVERHEAD
            + std::mem::size_of::<Self>()
            + std::mem::size_of::<Uses>()
            + record.name.len()
            + record.created_by.len()
            + record.key_mask.len()
            + metadata
            + record.permissions.len() * GRANT
            + own_grants
    }
}

/// What every key of an organization shares.
#[derive(Debug)]
pub struct OrgPart {
    pub org: Arc<Organization>,
    pub catalog: Arc<Catalog>,
    stamp: u64,
}

impl OrgPart {
    /// `stamp`: [`KeyCache::now`] read before `org` and `catalog` were.
    pub fn new(org: Organization, catalog: Catalog, stamp: u64) -> Self {
        Self {
            org: Arc::new(org),
            catalog: Arc::new(catalog),
            stamp,
        }
    }
}

/// What every key of one owner shares.
#[derive(Debug)]
pub struct OwnerPart {
    /// The catalog `grants` were computed with.
    catalog: Arc<Catalog>,
    grants: Arc<GrantSet>,
    owner: Option<Arc<PrincipalAccess>>,
    owner_active: bool,
    name: Arc<str>,
    stamp: u64,
}

impl OwnerPart {
    /// `stamp`: [`KeyCache::now`] read before `scope` and `name` were;
    /// `org` is the part `scope` was computed with.
    pub fn new(scope: ScopeGrants, name: String, org: &OrgPart, stamp: u64) -> Self {
        Self {
            catalog: org.catalog.clone(),
            grants: Arc::new(scope.grants),
            owner: scope.owner.map(Arc::new),
            owner_active: scope.owner_active,
            name: name.into(),
            stamp,
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

/// Verification counters for `/metrics`.
#[derive(Default)]
pub struct CacheStats {
    /// Lookups answered from memory.
    pub hits: AtomicU64,
    /// Lookups that had to go to the store.
    pub misses: AtomicU64,
    /// Store rounds loading a key; concurrent misses on one key share one.
    pub loads: AtomicU64,
}

type Loaded = Option<Arc<ResolvedKey>>;

pub struct KeyCache {
    resolved: Cache<KeyHash, Arc<ResolvedKey>, KeyHashBuilder>,
    unknown: Cache<KeyHash, ()>,
    orgs: Cache<Uuid, Arc<OrgPart>>,
    owners: Cache<(Uuid, Uuid), Arc<OwnerPart>>,
    changes: Changes,
    /// Loads under way, by hash: later misses wait for the first one.
    loading: Mutex<HashMap<KeyHash, Arc<OnceCell<Loaded>>>>,
    /// Changes made here that other nodes haven't been told about.
    unannounced: Mutex<Vec<Evict>>,
    /// Wakes the task that tells other nodes (PostgreSQL `NOTIFY`); several
    /// changes before it runs make one announcement.
    announce: Notify,
    pub stats: CacheStats,
}

impl KeyCache {
    /// At most `max_entries` keys and about `max_bytes` of them: each entry
    /// weighs its size, and at least `max_bytes / max_entries`.
    pub fn new(max_entries: u64, max_bytes: u64) -> Self {
        let floor = (max_bytes / max_entries.max(1)).max(1);
        Self {
            resolved: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(move |_, key: &Arc<ResolvedKey>| {
                    u32::try_from((key.weight() as u64).max(floor)).unwrap_or(u32::MAX)
                })
                .build_with_hasher(KeyHashBuilder),
            unknown: Cache::builder()
                .max_capacity(max_entries.min(100_000))
                .time_to_live(Duration::from_secs(60))
                .build(),
            orgs: Cache::new(max_entries.min(10_000)),
            owners: Cache::new(max_entries.min(100_000)),
            changes: Changes::default(),
            loading: Mutex::default(),
            unannounced: Mutex::default(),
            announce: Notify::new(),
            stats: CacheStats::default(),
        }
    }

    /// Resolved keys held, approximately.
    pub fn entries(&self) -> u64 {
        self.resolved.entry_count()
    }

    /// The stamp for something whose loading starts now.
    pub fn now(&self) -> u64 {
        self.changes.now()
    }

    /// A current entry, if any: `Some(None)` for a key known not to exist.
    pub fn get(&self, hash: &KeyHash) -> Option<Option<Arc<ResolvedKey>>> {
        let found = match self.resolved.get(hash) {
            Some(key) if self.is_current(&key) => Some(Some(key)),
            _ => self.unknown.contains_key(hash).then_some(None),
        };
        let counter = match found {
            Some(_) => &self.stats.hits,
            None => &self.stats.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn is_current(&self, key: &ResolvedKey) -> bool {
        self.changes.unchanged(&key.depends_on())
    }

    /// `load`s the key under `hash` and caches the answer. While one load
    /// runs, other callers for the same hash wait for its answer instead of
    /// asking the store again.
    pub async fn load<E, F, Fut>(&self, hash: KeyHash, load: F) -> Result<Loaded, E>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Loaded, E>>,
    {
        let cell = self.lock_loading().entry(hash).or_default().clone();
        let loaded = cell
            .get_or_try_init(|| self.load_once(hash, &load))
            .await
            .cloned();
        {
            let mut loading = self.lock_loading();
            if loading.get(&hash).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                loading.remove(&hash);
            }
        }
        match loaded? {
            // The load joined began before a change this caller must see.
            Some(key) if !self.is_current(&key) => self.load_once(hash, &load).await,
            found => Ok(found),
        }
    }

    async fn load_once<E, F, Fut>(&self, hash: KeyHash, load: &F) -> Result<Loaded, E>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Loaded, E>>,
    {
        self.stats.loads.fetch_add(1, Ordering::Relaxed);
        let found = load().await?;
        match &found {
            Some(key) => self.resolved.insert(hash, key.clone()),
            None => self.unknown.insert(hash, ()),
        }
        Ok(found)
    }

    fn lock_loading(&self) -> std::sync::MutexGuard<'_, HashMap<KeyHash, Arc<OnceCell<Loaded>>>> {
        self.loading.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The organization's shared part, if cached and current.
    pub fn org(&self, id: Uuid) -> Option<Arc<OrgPart>> {
        self.orgs
            .get(&id)
            .filter(|part| self.changes.unchanged(&[(part.stamp, id)]))
    }

    pub fn put_org(&self, part: OrgPart) -> Arc<OrgPart> {
        let part = Arc::new(part);
        self.orgs.insert(part.org.id, part.clone());
        part
    }

    /// The shared part of an owner's keys in `org`, if cached, current and
    /// computed with `org`'s current catalog.
    pub fn owner(&self, org: &OrgPart, owner: Uuid) -> Option<Arc<OwnerPart>> {
        self.owners.get(&(org.org.id, owner)).filter(|part| {
            Arc::ptr_eq(&part.catalog, &org.catalog)
                && self.changes.unchanged(&[(part.stamp, owner)])
        })
    }

    pub fn put_owner(&self, org: Uuid, owner: Uuid, part: OwnerPart) -> Arc<OwnerPart> {
        let part = Arc::new(part);
        self.owners.insert((org, owner), part.clone());
        part
    }

    /// A key was just created under `hash`: forget that it was unknown.
    pub fn created(&self, hash: &KeyHash) {
        self.unknown.invalidate(hash);
    }

    /// Something changed: retire the answers it can alter here, and have the
    /// other nodes do the same.
    pub fn retire(&self, change: Evict) {
        self.retire_local(change);
        self.unannounced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(change);
        self.announce.notify_one();
    }

    /// Another node announced a change, or announcements were missed.
    pub fn retire_local(&self, change: Evict) {
        self.changes.record(change);
    }

    /// Resolves when there are changes to announce, with their payloads.
    pub async fn next_announcements(&self) -> Vec<String> {
        self.announce.notified().await;
        let mut changes = std::mem::take(
            &mut *self
                .unannounced
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        changes.sort_unstable();
        changes.dedup();
        Evict::payloads(&changes)
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
