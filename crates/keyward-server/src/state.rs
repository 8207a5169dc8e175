//! The state every handler shares.

use crate::cache::{self, KeyCache, ResolvedKey};
use crate::config::Settings;
use crate::usage::UsageRecorder;
use keyward_core::{Clock, KeyHash, KeyHasher};
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
    pub settings: Settings,
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

    /// The key stored under `hash`, from the cache or, on a miss, the store.
    pub async fn resolve_key(
        &self,
        hash: &KeyHash,
    ) -> Result<Option<Arc<ResolvedKey>>, StoreError> {
        if let Some(hit) = self.cache.get(hash) {
            return Ok(hit);
        }
        let generation = self.cache.generation();
        let resolved = match self.store.key_by_hash(hash).await? {
            None => None,
            Some(record) => match self.store.org_by_id(record.organization_id).await? {
                None => None,
                Some(org) => {
                    let catalog = Arc::new(self.store.catalog(org.id).await?);
                    let scope = cache::scope_grants(&record, &catalog);
                    Some(Arc::new(ResolvedKey::new(
                        record, org, catalog, &scope, generation,
                    )))
                }
            },
        };
        self.cache.insert(*hash, resolved.clone());
        Ok(resolved)
    }
}
