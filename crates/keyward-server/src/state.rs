//! The state every handler shares.

use crate::cache::{KeyCache, OrgPart, OwnerPart, ResolvedKey, ScopeGrants};
use crate::config::Settings;
use crate::leaks::LeakIntake;
use crate::limiter::Limiter;
use crate::metrics::{Metrics, StoreOp};
use crate::passwords::Hashers;
use crate::redis_link::RedisLink;
use crate::store_health::StoreHealth;
use crate::throttle::{Denials, Throttle};
use crate::usage::UsageRecorder;
use keyward_core::access::{PrincipalKind, PrincipalRef};
use keyward_core::model::{Catalog, KeyRecord, Organization};
use keyward_core::{Clock, KeyHash, KeyHasher, Scope};
use keyward_store::{Store, StoreError};
use std::ops::Deref;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub hasher: KeyHasher,
    pub clock: Arc<dyn Clock>,
    /// The admin key's hash; compared in constant time, never stored when
    /// it comes from the environment.
    pub admin: KeyHash,
    pub cache: KeyCache,
    pub usage: UsageRecorder,
    pub metrics: Metrics,
    pub health: StoreHealth,
    pub settings: Settings,
    pub hashers: Hashers,
    pub throttle: Throttle,
    pub denials: Denials,
    /// Rate limits and credits: in memory, or in Redis.
    pub limiter: Limiter,
    /// Redis, when configured: shared counters for several nodes.
    pub redis: Option<Arc<RedisLink>>,
    /// Wakes the webhook sender after a commit.
    pub outbox: crate::webhooks::Outbox,
    /// Secret-scanning intake: GitHub's keys, the shared HMAC secret.
    pub leaks: LeakIntake,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// What a key's scope holds right now.
    pub async fn scope_grants(
        &self,
        record: &KeyRecord,
        catalog: &Catalog,
    ) -> Result<ScopeGrants, StoreError> {
        if let Some(fixed) = ScopeGrants::fixed(record, catalog) {
            return Ok(fixed);
        }
        let kind = match record.scope {
            Scope::ServiceAccount => PrincipalKind::ServiceAccount,
            _ => PrincipalKind::User,
        };
        let principal = PrincipalRef {
            kind,
            id: record.owner_id,
        };
        let owner = self
            .metrics
            .timed(
                StoreOp::PrincipalAccess,
                self.store
                    .principal_access(record.organization_id, principal),
            )
            .await?;
        Ok(ScopeGrants::of_principal(owner, catalog))
    }

    /// The display name of a key's owner; empty if the owner is gone.
    async fn owner_name(
        &self,
        record: &KeyRecord,
        org: &Organization,
    ) -> Result<String, StoreError> {
        let (org_id, owner) = (record.organization_id, record.owner_id);
        Ok(match record.scope {
            Scope::Organization => Some(org.name.clone()),
            Scope::Team => self.store.team(org_id, owner).await?.map(|t| t.name),
            Scope::User => self.store.user_by_id(owner).await?.map(|u| u.name),
            Scope::ServiceAccount => self
                .store
                .service_account(org_id, owner)
                .await?
                .map(|a| a.name),
        }
        .unwrap_or_default())
    }

    /// Loads a key from the store and caches the answer; concurrent calls
    /// for one key share one load.
    pub async fn load_key(&self, hash: &KeyHash) -> Result<Option<Arc<ResolvedKey>>, StoreError> {
        self.cache.load(*hash, || self.resolve_key(hash)).await
    }

    /// Reads a key from the store, with its organization's and owner's
    /// parts from memory when they are current.
    async fn resolve_key(&self, hash: &KeyHash) -> Result<Option<Arc<ResolvedKey>>, StoreError> {
        let stamp = self.cache.now();
        let found = self
            .metrics
            .timed(StoreOp::KeyByHash, self.store.key_by_hash(hash));
        let Some(record) = found.await? else {
            return Ok(None);
        };
        let Some(org) = self.org_part(record.organization_id).await? else {
            return Ok(None);
        };
        let owner = self.owner_part(&record, &org).await?;
        Ok(Some(Arc::new(ResolvedKey::new(
            record, &org, &owner, stamp,
        ))))
    }

    async fn org_part(&self, id: Uuid) -> Result<Option<Arc<OrgPart>>, StoreError> {
        if let Some(part) = self.cache.org(id) {
            return Ok(Some(part));
        }
        let stamp = self.cache.now();
        let found = self
            .metrics
            .timed(StoreOp::OrgById, self.store.org_by_id(id));
        let Some(org) = found.await? else {
            return Ok(None);
        };
        let catalog = self
            .metrics
            .timed(StoreOp::Catalog, self.store.catalog(id))
            .await?;
        let slot = self.metrics.verifications.slot_of(id);
        let part = OrgPart::new(org, catalog, stamp).counted_in(slot);
        Ok(Some(self.cache.put_org(part)))
    }

    async fn owner_part(
        &self,
        record: &KeyRecord,
        org: &OrgPart,
    ) -> Result<Arc<OwnerPart>, StoreError> {
        let (org_id, owner) = (record.organization_id, record.owner_id);
        if let Some(part) = self.cache.owner(org, owner) {
            return Ok(part);
        }
        let stamp = self.cache.now();
        let scope = self.scope_grants(record, &org.catalog).await?;
        let name = self
            .metrics
            .timed(StoreOp::OwnerName, self.owner_name(record, &org.org))
            .await?;
        Ok(self
            .cache
            .put_owner(org_id, owner, OwnerPart::new(scope, name, org, stamp)))
    }
}
