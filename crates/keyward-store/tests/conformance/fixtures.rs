//! Records to store: organizations, permissions and keys with known
//! plaintexts, every timestamp in whole milliseconds (SQLite keeps no finer).

use chrono::{DateTime, SubsecRound, Utc};
use keyward_core::model::{KeyGrant, KeyRecord, NewKey, Organization, Permission, Slug};
use keyward_core::{
    ApiKey, KeyHash, KeyHasher, PermissionName, Prefix, Resource, Scope, ServerSecret,
};
use keyward_store::{NewPermission, Store};
use std::sync::LazyLock;
use uuid::Uuid;

/// Limit for tests that don't exercise it.
pub const NO_LIMIT: u32 = 1_000_000;

static HASHER: LazyLock<KeyHasher> =
    LazyLock::new(|| KeyHasher::new(&ServerSecret::generate()).expect("an HMAC key"));

pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

pub fn hash(key: &ApiKey) -> KeyHash {
    HASHER.hash(key.expose())
}

pub fn org(slug: &str) -> Organization {
    Organization {
        id: Uuid::now_v7(),
        name: format!("Org {slug}"),
        slug: Slug::parse(slug).expect("a valid slug"),
        key_prefix: Prefix::default(),
        created_at: now(),
        key_policy: Default::default(),
        leak_policy: Default::default(),
    }
}

/// Creates an organization with this slug.
pub async fn create_org(store: &dyn Store, slug: &str) -> Organization {
    let org = org(slug);
    store
        .create_org(&org)
        .await
        .expect("create the organization");
    org
}

/// Registers `name` in the organization's catalog.
pub async fn create_permission(store: &dyn Store, org: Uuid, name: &str) -> Permission {
    store
        .create_permission(org, &new_permission(name))
        .await
        .expect("register the permission")
}

pub fn new_permission(name: &str) -> NewPermission {
    NewPermission {
        name: PermissionName::parse(name).expect("a valid permission name"),
        description: format!("May {name}"),
        read_only: name.ends_with(":read"),
    }
}

pub fn grant(id: i64, name: &str, resource: &str) -> KeyGrant {
    KeyGrant {
        id,
        name: PermissionName::parse(name).expect("a valid permission name"),
        resource: Resource::parse(resource).expect("a valid resource"),
    }
}

/// A key as the server would build it: a fresh id, a minted secret, an
/// organization-scope key without explicit permissions, expiry or metadata.
/// Returns the plaintext too, which the store must never see.
pub fn minted(org: &Organization) -> (ApiKey, NewKey) {
    let key = ApiKey::mint(&org.key_prefix);
    let record = KeyRecord {
        id: Uuid::now_v7(),
        organization_id: org.id,
        name: "ci deploys".to_owned(),
        scope: Scope::Organization,
        read_only: false,
        owner_id: org.id,
        permissions: Vec::new(),
        created_by: format!("user:{}", Uuid::now_v7()),
        created_at: now(),
        expires_at: None,
        last_used_at: None,
        usage_count: 0,
        enabled: true,
        revoked_at: None,
        key_mask: key.mask(),
        metadata: serde_json::Map::new(),
        rolled_from: None,
        rolled_to: None,
        limits: Default::default(),
    };
    let hash = hash(&key);
    (key, NewKey { record, hash })
}

/// [`minted`], without the plaintext.
pub fn new_key(org: &Organization) -> NewKey {
    minted(org).1
}

/// Inserts a fresh key, with `change` applied first, and returns it.
pub async fn insert(
    store: &dyn Store,
    org: &Organization,
    change: impl FnOnce(&mut KeyRecord),
) -> NewKey {
    let mut key = new_key(org);
    change(&mut key.record);
    store
        .insert_key(&key, NO_LIMIT, now())
        .await
        .expect("insert the key");
    key
}

pub fn ids(keys: &[KeyRecord]) -> Vec<Uuid> {
    keys.iter().map(|k| k.id).collect()
}
