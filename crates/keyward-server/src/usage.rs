//! Key usage (`last_used_at`, counts), gathered in memory on the request
//! path and written to the store in batches by a background task, at most
//! once per key per flush interval, and once more at shutdown.

use chrono::{DateTime, Utc};
use keyward_store::{KeyUsage, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use uuid::Uuid;

pub const FLUSH_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct UsageRecorder {
    pending: Mutex<HashMap<Uuid, (DateTime<Utc>, i64)>>,
}

impl UsageRecorder {
    pub fn record(&self, key_id: Uuid, at: DateTime<Utc>) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = pending.entry(key_id).or_insert((at, 0));
        entry.0 = entry.0.max(at);
        entry.1 += 1;
    }

    fn take(&self) -> Vec<KeyUsage> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending
            .drain()
            .map(|(key_id, (last_used_at, count))| KeyUsage {
                key_id,
                last_used_at,
                count,
            })
            .collect()
    }

    /// Writes what has gathered; on failure it is put back for the next try.
    pub async fn flush(&self, store: &Arc<dyn Store>) {
        let batch = self.take();
        if batch.is_empty() {
            return;
        }
        if let Err(error) = store.record_usage(&batch).await {
            tracing::warn!(%error, keys = batch.len(), "writing key usage failed; will retry");
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            for u in batch {
                let entry = pending.entry(u.key_id).or_insert((u.last_used_at, 0));
                entry.0 = entry.0.max(u.last_used_at);
                entry.1 += u.count;
            }
        }
    }
}
