//! keyward's storage: one [`Store`] trait, two implementations behind it
//! (SQLite, the embedded default, and PostgreSQL for several nodes), and
//! one behaviour, kept equal by the conformance suite in `tests/`.

mod access;
mod audit;
mod error;
mod passwords;
mod postgres;
mod rows;
mod sqlite;
mod webhooks;
mod write;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::KeyHash;
use keyward_core::key_policy::KeyPolicy;
use keyward_core::model::{
    Catalog, KeyPatch, KeyRecord, NewKey, Organization, Permission, RollEnd,
};
use std::sync::Arc;
use uuid::Uuid;

pub use access::{Acceptance, Accepted, Acceptor, AccessStore, RolePatch, ServiceAccountPatch};
pub use audit::{AuditQuery, AuditStore, ChainCheck};
pub use error::StoreError;
pub use passwords::PasswordStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use webhooks::{
    Attempt, AttemptOutcome, Due, ExpiryNotice, NewMessage, WebhookPatch, WebhookStore,
};

/// The longest a call waits for a database connection; past it the store
/// counts as unreachable ([`StoreError::Unavailable`]).
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A change to an organization: only the fields that are `Some` change.
#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub key_prefix: Option<keyward_core::Prefix>,
    pub key_policy: Option<KeyPolicy>,
    pub leak_policy: Option<keyward_core::leak_policy::LeakPolicy>,
}

/// Which live keys a listing shows; the default, all of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyFilter {
    /// Only keys expiring after the first time and by the second.
    pub expiring: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Only keys without an expiry or, with `Some(t)`, expiring after `t`.
    pub unbounded_after: Option<Option<DateTime<Utc>>>,
}

/// A platform permission to register in an organization's catalog.
#[derive(Debug, Clone)]
pub struct NewPermission {
    pub name: keyward_core::PermissionName,
    pub description: String,
    pub read_only: bool,
}

/// What [`Store::watch_changes`] hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard<'a> {
    /// Every change announced from now on will be heard; those announced
    /// before may have been missed.
    Listening,
    /// Another node's announcement.
    Change(&'a str),
}

/// One key's use since the last flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage {
    pub key_id: Uuid,
    pub last_used_at: DateTime<Utc>,
    pub count: i64,
}

/// A key's credits as a node last decided them: `remaining` as of the
/// refill at `refilled_at`, under the balance set at `generation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditUse {
    pub key_id: Uuid,
    pub generation: i64,
    pub remaining: i64,
    pub refilled_at: DateTime<Utc>,
}

#[async_trait]
pub trait Store:
    AccessStore + AuditStore + PasswordStore + WebhookStore + Send + Sync + 'static
{
    /// Whether the store answers; for readiness.
    async fn ping(&self) -> Result<()>;

    /// This store, recording `events` in the audit log with the next write
    /// made through the returned handle, inside that write's own transaction:
    /// the write and its events commit together or not at all. A write that
    /// fails, is refused, or changes nothing (returns `None`, `false`, or an
    /// `Acceptance` other than `Accepted`) records none. Reads are unchanged.
    ///
    /// Events go to their own chains (one write may record events of several
    /// organizations), in the order given within each chain. A handle is
    /// meant for one write: a second write through it that changes something
    /// would record the same events again, which their ids forbid, so it
    /// fails with `Conflict` and writes nothing.
    fn audited(&self, events: Vec<keyward_core::audit::AuditEvent>) -> Box<dyn Store>;

    /// A server setting (the admin key's hash), if set.
    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>>;
    /// Sets a setting unless it is set already; says whether it did.
    async fn set_setting_once(&self, name: &str, value: &[u8]) -> Result<bool>;

    async fn create_org(&self, org: &Organization) -> Result<()>;
    async fn list_orgs(&self) -> Result<Vec<Organization>>;
    /// Finds an organization by its id or its slug.
    async fn find_org(&self, id_or_slug: &str) -> Result<Option<Organization>>;
    async fn org_by_id(&self, id: Uuid) -> Result<Option<Organization>>;
    async fn update_org(&self, id: Uuid, patch: &OrgPatch) -> Result<Option<Organization>>;
    /// Deletes an organization and everything in it.
    async fn delete_org(&self, id: Uuid) -> Result<bool>;

    /// keyward's built-ins and the organization's own permissions, by id.
    async fn catalog(&self, org: Uuid) -> Result<Catalog>;
    async fn create_permission(&self, org: Uuid, new: &NewPermission) -> Result<Permission>;

    /// Inserts a key unless the organization already has `limit` live keys,
    /// in one transaction, so concurrent creations can't pass the limit.
    async fn insert_key(&self, key: &NewKey, limit: u32, now: DateTime<Utc>) -> Result<()>;
    /// Live (unrevoked) keys, newest first, older than `before` if given.
    async fn list_keys(
        &self,
        org: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<KeyRecord>> {
        self.list_keys_where(org, before, limit, &KeyFilter::default())
            .await
    }
    /// [`Store::list_keys`], only the keys `filter` lets through.
    async fn list_keys_where(
        &self,
        org: Uuid,
        before: Option<Uuid>,
        limit: u32,
        filter: &KeyFilter,
    ) -> Result<Vec<KeyRecord>>;
    /// A key of the organization, revoked or not.
    async fn key(&self, org: Uuid, id: Uuid) -> Result<Option<KeyRecord>>;
    /// The key stored under `hash`, revoked or not: the verification lookup.
    async fn key_by_hash(&self, hash: &KeyHash) -> Result<Option<KeyRecord>>;
    /// Changes an unrevoked key; `None` if there is none.
    async fn update_key(&self, org: Uuid, id: Uuid, patch: &KeyPatch) -> Result<Option<KeyRecord>>;
    /// Rolls a key over to `new`, whose `rolled_from` names it, in one
    /// transaction: marks the old key (live and not rolled yet) rolled to
    /// `new` and ends it as `end` says, then inserts `new` under the same
    /// limit as [`Store::insert_key`]. Says whether the old key could be
    /// rolled; when it couldn't, nothing is written.
    async fn roll_key(
        &self,
        new: &NewKey,
        end: RollEnd,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Revokes an unrevoked key for good; says whether there was one.
    async fn revoke_key(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool>;
    /// Adds usage counts and moves `last_used_at` forward.
    async fn record_usage(&self, usage: &[KeyUsage]) -> Result<()>;
    /// Writes keys' credit balances; one whose balance was set again since
    /// (another generation) is left alone.
    async fn record_credits(&self, balances: &[CreditUse]) -> Result<()>;

    /// Tells the other nodes sharing this store that their cached answers
    /// may be stale; `payload` says which (at most 7,000 bytes). A store no
    /// other node shares has nothing to do.
    async fn announce_change(&self, payload: &str) -> Result<()> {
        let _ = payload;
        Ok(())
    }

    /// Listens for the changes other nodes announce: calls `on_heard` with
    /// [`Heard::Listening`] once listening, then with each announcement, and
    /// returns why when the connection is lost (the caller listens again).
    /// A store no other node shares never returns nor calls `on_heard`.
    async fn watch_changes(
        &self,
        on_heard: Box<dyn for<'a> Fn(Heard<'a>) + Send + Sync>,
    ) -> StoreError {
        let _ = on_heard;
        std::future::pending().await
    }
}

/// Opens the store a URL names: `sqlite://path` or `postgres://…`, and
/// applies its migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Ok(Arc::new(SqliteStore::open_url(url).await?))
    }
}
