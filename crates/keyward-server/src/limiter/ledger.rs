//! Credit balances waiting to be written: the latest per key, written in
//! one batch with key usage (every 2 s, and at shutdown). A batch the store
//! refuses is kept and written with the next, unless a newer balance of
//! the key came meanwhile.

use chrono::{DateTime, Utc};
use keyward_store::{CreditUse, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use uuid::Uuid;

#[derive(Default)]
pub struct Ledger {
    pending: Mutex<HashMap<Uuid, CreditUse>>,
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, CreditUse>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn note(&self, key_id: Uuid, generation: i64, remaining: i64, refilled_at: DateTime<Utc>) {
        self.lock().insert(
            key_id,
            CreditUse {
                key_id,
                generation,
                remaining,
                refilled_at,
            },
        );
    }

    /// The balance waiting for `key_id` under `generation`.
    pub fn pending(&self, key_id: Uuid, generation: i64) -> Option<(i64, DateTime<Utc>)> {
        self.lock()
            .get(&key_id)
            .filter(|u| u.generation == generation)
            .map(|u| (u.remaining, u.refilled_at))
    }

    pub async fn flush(&self, store: &Arc<dyn Store>) {
        let batch: Vec<CreditUse> = std::mem::take(&mut *self.lock()).into_values().collect();
        if batch.is_empty() {
            return;
        }
        if let Err(error) = store.record_credits(&batch).await {
            if !matches!(error, StoreError::Unavailable(_)) {
                tracing::warn!(%error, keys = batch.len(), "writing credit balances failed; will retry");
            }
            let mut pending = self.lock();
            for balance in batch {
                pending.entry(balance.key_id).or_insert(balance);
            }
        }
    }
}
