//! The verification cache: resolved keys by hash, in memory, so a cached key
//! is answered without the store. A change retires the answers it can alter
//! (see [`crate::eviction`]) in the request that makes it, so the next lookup
//! reloads them; other organizations' answers stay. Concurrent misses on one
//! key share a single load. Keys of one organization share its record and
//! catalog, and keys of one owner share the owner's grants, so an entry is
//! little more than its key record.

use crate::eviction::{Changes, Evict};
use crate::metrics::OrgSlot;
use crate::usage::Uses;
use chrono::{DateTime, Utc};
use keyward_core::access::{PrincipalAccess, team_resources};
use keyward_core::key_limits::KeyLimits;
use keyward_core::model::{Catalog, KeyRecord, KeyState, Organization};
use keyward_core::{GrantSet, KeyHash, Resource, Scope};
use moka::notification::RemovalCause;
use moka::sync::Cache;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, OnceCell};
use uuid::Uuid;

/// The part of a key's record that verification answers with. The name,
/// mask and creator stay in the store, and the explicit permissions are
/// folded into the key's grants when it is loaded.
#[derive(Debug)]
pub struct CachedRecord {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub owner_id: Uuid,
    pub scope: Scope,
    pub read_only: bool,
    /// How the audit log names a key acting on keyward's API.
    pub name: Box<str>,
    enabled: bool,
    revoked: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// Parsed: the verify endpoint answers with it on every call.
    pub metadata: Map<String, Value>,
    /// Rate limits, credits and allowed addresses; `None` for the many
    /// keys without any, which verification then skips at no cost.
    pub limits: Option<Box<KeyLimits>>,
}

impl CachedRecord {
    fn new(record: KeyRecord) -> Self {
        Self {
            id: record.id,
            organization_id: record.organization_id,
            owner_id: record.owner_id,
            scope: record.scope,
            read_only: record.read_only,
            name: record.name.into_boxed_str(),
            enabled: record.enabled,
            revoked: record.revoked_at.is_some(),
            expires_at: record.expires_at,
            metadata: record.metadata,
            limits: (!record.limits.is_empty()).then(|| Box::new(record.limits)),
        }
    }

    pub fn state(&self, now: DateTime<Utc>) -> KeyState {
        KeyState::of(self.revoked, self.enabled, self.expires_at, now)
    }
}

/// A key as verification needs it: its record, its organization and the
/// grants it holds right now.
#[derive(Debug)]
pub struct ResolvedKey {
    pub record: CachedRecord,
    pub org: Arc<Organization>,
    pub grants: Arc<GrantSet>,
    /// For user and service-account keys: what the owner holds now.
    pub owner: Option<Arc<PrincipalAccess>>,
    /// False when the owner left, was disabled or deleted.
    pub owner_active: bool,
    /// True when `grants` are the key's own, narrower than its owner's.
    own_grants: bool,
    /// The owner's display name.
    pub owner_name: Arc<str>,
    /// Uses since the last flush of usage.
    pub uses: Arc<Uses>,
    /// When the record, the organization's part and the owner's part were
    /// loaded: each is current while what it holds is unchanged since.
    stamps: [u64; 3],
    /// Where its verifications are counted: its organization's slot.
    pub metrics_slot: OrgSlot,
}

impl ResolvedKey {
    pub fn new(record: KeyRecord, org: &OrgPart, owner: &OwnerPart, stamp: u64) -> Self {
        // Most keys hold exactly what their owner holds: share it.
        let own_grants = !record.permissions.is_empty() || record.read_only;
        let grants = if own_grants {
            Arc::new(record.effective_grants(&owner.grants, &org.catalog))
        } else {
            owner.grants.clone()
        };
        Self {
            record: CachedRecord::new(record),
            org: org.org.clone(),
            grants,
            owner: owner.owner.clone(),
            owner_active: owner.owner_active,
            own_grants,
            owner_name: owner.name.clone(),
            uses: Arc::default(),
            stamps: [stamp, org.stamp, owner.stamp],
            metrics_slot: org.metrics_slot,
        }
    }

    /// Whether the key may be used only from some addresses.
    pub fn has_allow_list(&self) -> bool {
        self.record
            .limits
            .as_ref()
            .is_some_and(|limits| !limits.allowed_ips.is_empty())
    }

    pub fn state(&self, now: DateTime<Utc>) -> KeyState {
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

    /// Heap bytes this entry holds alone, moka's bookkeeping for it
    /// included; what it shares with other keys of its organization or
    /// owner isn't counted. `examples/cache_memory.rs` sets it against the
    /// memory entries really take.
    fn weight(&self) -> usize {
        /// moka's blocks for one entry: the hash table's bucket, the entry
        /// and its information, the access-order node, the key's `Arc`.
        const MOKA_ENTRY: usize = 320;
        let grants = if self.own_grants {
            block(std::mem::size_of::<GrantSet>() + ARC_HEADER) + grant_set_bytes(&self.grants)
        } else {
            0
        };
        MOKA_ENTRY
            + block(std::mem::size_of::<Self>() + ARC_HEADER)
            + block(std::mem::size_of::<Uses>() + ARC_HEADER)
            + json_object_bytes(&self.record.metadata)
            + block(self.record.name.len())
            + grants
            + self.record.limits.as_deref().map_or(0, limits_bytes)
    }
}

/// The counts an `Arc` keeps in front of its value.
const ARC_HEADER: usize = 2 * std::mem::size_of::<usize>();

/// The bytes the allocator takes for a block of `len` bytes: 8 of header,
/// in steps of 16, at least 32 (glibc's malloc on 64-bit targets).
fn block(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 8).next_multiple_of(16).max(32)
    }
}

/// Heap bytes of a key's limits: the box, the lists, the names.
fn limits_bytes(limits: &KeyLimits) -> usize {
    block(std::mem::size_of::<KeyLimits>())
        + block(std::mem::size_of_val(limits.ratelimits.as_slice()))
        + limits
            .ratelimits
            .iter()
            .map(|limit| block(limit.name.len()))
            .sum::<usize>()
        + block(std::mem::size_of::<ipnet::IpNet>() * limits.allowed_ips.len())
}

fn grant_set_bytes(grants: &GrantSet) -> usize {
    let list = grants.grants();
    // Built by pushing: the list's capacity doubles from 4.
    let capacity = list.len().max(4).next_power_of_two();
    block(capacity * std::mem::size_of::<keyward_core::Grant>())
        + list
            .iter()
            .map(|grant| {
                let resource = match &grant.resource {
                    Resource::Any => 0,
                    Resource::Exact(path) | Resource::Below(path) => block(path.len()),
                };
                block(grant.permission.as_str().len()) + resource
            })
            .sum::<usize>()
}

/// Heap bytes of a parsed JSON object, from serde_json's layout: B-tree
/// nodes of up to 11 entries (about half full once split), one block per
/// string and per array. Walks without recursion.
fn json_object_bytes(object: &Map<String, Value>) -> usize {
    /// A B-tree leaf: 11 `String` keys, 11 `Value`s, a parent link, counts.
    const NODE: usize = 11 * (24 + 32) + 16;
    let map_bytes = |map: &Map<String, Value>| match map.len() {
        0 => 0,
        len => block(NODE) * len.div_ceil(6) + map.keys().map(|k| block(k.len())).sum::<usize>(),
    };
    let mut bytes = map_bytes(object);
    let mut pending: Vec<&Value> = object.values().collect();
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) => bytes += block(text.len()),
            Value::Array(items) => {
                bytes += block(std::mem::size_of_val(items.as_slice()));
                pending.extend(items);
            }
            Value::Object(map) => {
                bytes += map_bytes(map);
                pending.extend(map.values());
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    bytes
}

/// What every key of an organization shares.
#[derive(Debug)]
pub struct OrgPart {
    pub org: Arc<Organization>,
    pub catalog: Arc<Catalog>,
    stamp: u64,
    /// Where its keys' verifications are counted.
    metrics_slot: OrgSlot,
}

impl OrgPart {
    /// `stamp`: [`KeyCache::now`] read before `org` and `catalog` were.
    pub fn new(org: Organization, catalog: Catalog, stamp: u64) -> Self {
        Self {
            org: Arc::new(org),
            catalog: Arc::new(catalog),
            stamp,
            metrics_slot: OrgSlot::default(),
        }
    }

    /// The part, its keys' verifications counted in `slot`.
    pub fn counted_in(self, slot: OrgSlot) -> Self {
        Self {
            metrics_slot: slot,
            ..self
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
    /// Resolved keys dropped from memory, by cause, in the order of
    /// [`EVICTION_CAUSES`].
    pub evictions: [AtomicU64; 4],
}

/// Why the cache dropped a resolved key: its bound was reached, it was
/// reloaded over (after a change retired it), removed, or expired.
pub const EVICTION_CAUSES: [&str; 4] = ["size", "replaced", "explicit", "expired"];

impl CacheStats {
    fn evicted(&self, cause: RemovalCause) {
        let index = match cause {
            RemovalCause::Size => 0,
            RemovalCause::Replaced => 1,
            RemovalCause::Explicit => 2,
            RemovalCause::Expired => 3,
        };
        self.evictions[index].fetch_add(1, Ordering::Relaxed);
    }
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
    pub stats: Arc<CacheStats>,
}

impl KeyCache {
    /// At most `max_entries` keys and about `max_bytes` of them: each entry
    /// weighs its size, and at least `max_bytes / max_entries`.
    pub fn new(max_entries: u64, max_bytes: u64) -> Self {
        let floor = (max_bytes / max_entries.max(1)).max(1);
        let stats = Arc::new(CacheStats::default());
        let evictions = stats.clone();
        Self {
            resolved: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(move |_, key: &Arc<ResolvedKey>| {
                    u32::try_from((key.weight() as u64).max(floor)).unwrap_or(u32::MAX)
                })
                .eviction_listener(move |_, _, cause| evictions.evicted(cause))
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
            stats,
        }
    }

    /// Resolved keys held, once the cache's pending bookkeeping is done.
    pub fn entries(&self) -> u64 {
        self.resolved.run_pending_tasks();
        self.resolved.entry_count()
    }

    /// The bytes the byte bound charges for the resolved keys held.
    pub fn weighed_bytes(&self) -> u64 {
        self.resolved.run_pending_tasks();
        self.resolved.weighted_size()
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

    /// The entry under `hash` even if not current, unless a change this
    /// node heard retired it: the answer while the store can't be reached.
    pub fn stale(&self, hash: &KeyHash) -> Option<Arc<ResolvedKey>> {
        self.resolved
            .get(hash)
            .filter(|key| self.changes.unchanged_as_heard(&key.depends_on()))
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

    /// Changes may go unheard until [`Evict::All`] is retired: no answer
    /// is current meanwhile, though each stays usable as [`Self::stale`].
    pub fn doubt(&self) {
        self.changes.doubt();
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
