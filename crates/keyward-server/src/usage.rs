//! Key usage (`last_used_at`, counts). The request path only bumps two
//! atomics on the cached key; the first use since the last flush also puts
//! the key on a list, which a background task writes to the store in one
//! batch per interval, and once more at shutdown. A batch the store
//! refuses is kept, one entry per key however long the store stays away,
//! and written with the next.

use chrono::{DateTime, Utc};
use keyward_store::{KeyUsage, Store, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use uuid::Uuid;

pub const FLUSH_INTERVAL: Duration = Duration::from_secs(2);

/// A key's use since the last flush.
#[derive(Debug, Default)]
pub struct Uses {
    count: AtomicI64,
    last_ms: AtomicI64,
}

pub struct UsageRecorder {
    dirty: Mutex<Vec<(Uuid, Arc<Uses>)>>,
    /// What the store refused, by key.
    unwritten: Mutex<HashMap<Uuid, KeyUsage>>,
    /// When the oldest use not yet written was listed, in milliseconds
    /// after `started` plus one; 0 while every use is written.
    pending_since: AtomicU64,
    started: Instant,
}

impl Default for UsageRecorder {
    fn default() -> Self {
        Self {
            dirty: Mutex::default(),
            unwritten: Mutex::default(),
            pending_since: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

impl UsageRecorder {
    pub fn record(&self, key_id: Uuid, uses: &Arc<Uses>, at: DateTime<Utc>) {
        uses.last_ms
            .fetch_max(at.timestamp_millis(), Ordering::Relaxed);
        if uses.count.fetch_add(1, Ordering::AcqRel) == 0 {
            let mut dirty = self.dirty.lock().unwrap_or_else(PoisonError::into_inner);
            dirty.push((key_id, uses.clone()));
            let now = self.now_mark();
            let _ =
                self.pending_since
                    .compare_exchange(0, now, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    /// The moment now, as `pending_since` holds it (never 0).
    fn now_mark(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    /// How long the oldest use not yet written to the store has waited:
    /// zero while everything is written.
    pub fn unwritten_for(&self) -> Duration {
        match self.pending_since.load(Ordering::Acquire) {
            0 => Duration::ZERO,
            since => Duration::from_millis(self.now_mark().saturating_sub(since)),
        }
    }

    fn take(&self) -> Vec<KeyUsage> {
        let dirty = std::mem::take(&mut *self.dirty.lock().unwrap_or_else(PoisonError::into_inner));
        let mut batch = std::mem::take(
            &mut *self
                .unwritten
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for (key_id, uses) in dirty {
            // A use after this swap finds 0 and lists the key again.
            let count = uses.count.swap(0, Ordering::AcqRel);
            let last = DateTime::from_timestamp_millis(uses.last_ms.load(Ordering::Relaxed));
            if let Some(last_used_at) = last.filter(|_| count > 0) {
                merge(
                    &mut batch,
                    KeyUsage {
                        key_id,
                        last_used_at,
                        count,
                    },
                );
            }
        }
        batch.into_values().collect()
    }

    /// Writes what has gathered; on failure it is kept for the next try.
    pub async fn flush(&self, store: &Arc<dyn Store>) {
        let taken_at = self.now_mark();
        let batch = self.take();
        if batch.is_empty() {
            self.written(taken_at);
            return;
        }
        if let Err(error) = store.record_usage(&batch).await {
            // An unreachable store is logged once per outage, elsewhere.
            if !matches!(error, StoreError::Unavailable(_)) {
                tracing::warn!(%error, keys = batch.len(), "writing key usage failed; will retry");
            }
            self.keep(batch);
            return;
        }
        self.written(taken_at);
    }

    /// What was taken at `taken_at` is written: uses listed since, if any,
    /// are the oldest waiting.
    fn written(&self, taken_at: u64) {
        let dirty = self.dirty.lock().unwrap_or_else(PoisonError::into_inner);
        let pending = if dirty.is_empty() { 0 } else { taken_at };
        self.pending_since.store(pending, Ordering::Release);
    }

    /// Keeps a batch the store refused for the next flush.
    fn keep(&self, batch: Vec<KeyUsage>) {
        let mut unwritten = self
            .unwritten
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for usage in batch {
            merge(&mut unwritten, usage);
        }
    }
}

/// Adds `usage` to what `batch` holds for its key.
fn merge(batch: &mut HashMap<Uuid, KeyUsage>, usage: KeyUsage) {
    batch
        .entry(usage.key_id)
        .and_modify(|held| {
            held.count += usage.count;
            held.last_used_at = held.last_used_at.max(usage.last_used_at);
        })
        .or_insert(usage);
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

    #[test]
    fn the_wait_of_unwritten_usage_starts_with_the_first_use() {
        let recorder = UsageRecorder::default();
        assert_eq!(recorder.unwritten_for(), Duration::ZERO);
        let (id, uses) = (Uuid::now_v7(), Arc::new(Uses::default()));
        recorder.record(id, &uses, Utc::now());
        std::thread::sleep(Duration::from_millis(20));
        let waited = recorder.unwritten_for();
        assert!(waited >= Duration::from_millis(20), "{waited:?}");
        let taken_at = recorder.now_mark();
        recorder.take();
        recorder.written(taken_at);
        assert_eq!(recorder.unwritten_for(), Duration::ZERO);
    }

    #[test]
    fn unwritten_usage_is_one_entry_per_key() {
        let recorder = UsageRecorder::default();
        let (id, uses) = (Uuid::now_v7(), Arc::new(Uses::default()));
        let t0 = Utc::now();
        for _ in 0..3 {
            recorder.record(id, &uses, t0);
            recorder.keep(recorder.take());
        }
        let batch = recorder.take();
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].count, 3);
    }
}
