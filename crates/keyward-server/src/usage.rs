//! Key usage (`last_used_at`, counts). The request path only bumps two
//! atomics on the cached key; the first use since the last flush also puts
//! the key on a list, which a background task writes to the store in one
//! batch per interval, and once more at shutdown.

use chrono::{DateTime, Utc};
use keyward_store::{KeyUsage, Store, StoreError};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use uuid::Uuid;

pub const FLUSH_INTERVAL: Duration = Duration::from_secs(2);

/// A key's use since the last flush.
#[derive(Debug, Default)]
pub struct Uses {
    count: AtomicI64,
    last_ms: AtomicI64,
}

#[derive(Default)]
pub struct UsageRecorder {
    dirty: Mutex<Vec<(Uuid, Arc<Uses>)>>,
}

impl UsageRecorder {
    pub fn record(&self, key_id: Uuid, uses: &Arc<Uses>, at: DateTime<Utc>) {
        uses.last_ms
            .fetch_max(at.timestamp_millis(), Ordering::Relaxed);
        if uses.count.fetch_add(1, Ordering::AcqRel) == 0 {
            self.dirty
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((key_id, uses.clone()));
        }
    }

    fn take(&self) -> Vec<KeyUsage> {
        let dirty = std::mem::take(&mut *self.dirty.lock().unwrap_or_else(PoisonError::into_inner));
        dirty
            .into_iter()
            .filter_map(|(key_id, uses)| {
                // A use after this swap finds 0 and lists the key again.
                let count = uses.count.swap(0, Ordering::AcqRel);
                let last_used_at =
                    DateTime::from_timestamp_millis(uses.last_ms.load(Ordering::Relaxed))?;
                (count > 0).then_some(KeyUsage {
                    key_id,
                    last_used_at,
                    count,
                })
            })
            .collect()
    }

    /// Writes what has gathered; on failure it is kept for the next try.
    pub async fn flush(&self, store: &Arc<dyn Store>) {
        let batch = self.take();
        if batch.is_empty() {
            return;
        }
        if let Err(error) = store.record_usage(&batch).await {
            // An unreachable store is logged once per outage, elsewhere.
            if !matches!(error, StoreError::Unavailable(_)) {
                tracing::warn!(%error, keys = batch.len(), "writing key usage failed; will retry");
            }
            for u in batch {
                let uses = Arc::new(Uses::default());
                uses.last_ms
                    .store(u.last_used_at.timestamp_millis(), Ordering::Relaxed);
                uses.count.store(u.count, Ordering::Relaxed);
                self.dirty
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((u.key_id, uses));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_are_counted_once_listed_and_relisted_after_a_take() {
        let recorder = UsageRecorder::default();
        let uses = Arc::new(Uses::default());
        let id = Uuid::now_v7();
        let t0 = Utc::now();
        recorder.record(id, &uses, t0);
        recorder.record(id, &uses, t0 - chrono::Duration::seconds(5));
        let batch = recorder.take();
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].count, 2);
        assert_eq!(
            batch[0].last_used_at.timestamp_millis(),
            t0.timestamp_millis()
        );
        assert!(recorder.take().is_empty());
        recorder.record(id, &uses, t0);
        assert_eq!(recorder.take()[0].count, 1);
    }
}
