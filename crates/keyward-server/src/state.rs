//! The state every handler shares.

use crate::cache::{KeyCache, ResolvedKey, ScopeGrants};
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::passwords::Hashers;
use crate::throttle::Throttle;
use crate::usage::UsageRecorder;
use keyward_core::access::{PrincipalKind, PrincipalRef};
use keyward_core::model::{Catalog, KeyRecord, Organization};
use keyward_core::{Clock, KeyHash, KeyHasher, Scope};
use keyward_store::{Store, StoreError};
use std::ops::Deref;
use std::sync::Arc;

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
    pub settings: Settings,
    pub hashers: Hashers,
    pub throttle: Throttle,
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
            .store
            .principal_access(record.organization_id, principal)
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

    /// Loads a key from the store and caches the answer.
    pub async fn load_key(&self, hash: &KeyHash) -> Result<Option<Arc<ResolvedKey>>, StoreError> {
        let generation = self.cache.generation();
        let resolved = match self.store.key_by_hash(hash).await? {
            None => None,
            Some(record) => match self.store.org_by_id(record.organization_id).await? {
                None => None,
                Some(org) => {
                    let catalog = Arc::new(self.store.catalog(org.id).await?);
                    let scope = self.scope_grants(&record, &catalog).await?;
                    let owner_name = self.owner_name(&record, &org).await?;
                    Some(Arc::new(ResolvedKey::new(
                        record, org, catalog, scope, owner_name, generation,
                    )))
                }
            },
        };
        self.cache.insert(*hash, resolved.clone());
        Ok(resolved)
    }
}
