//! Usage counts and `last_used_at`, written in batches off the request path.

use crate::fixtures::{create_org, insert, now};
use chrono::Duration;
use keyward_store::{KeyUsage, Store};
use std::sync::Arc;
use uuid::Uuid;

pub async fn record_usage_adds_and_moves_forward(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let a = insert(&*store, &acme, |_| {}).await.record;
    let b = insert(&*store, &acme, |_| {}).await.record;
    let untouched = insert(&*store, &acme, |_| {}).await.record;
    let t1 = now();
    let earlier = t1 - Duration::minutes(5);
    let later = t1 + Duration::minutes(5);

    store.record_usage(&[]).await.unwrap();
    store
        .record_usage(&[
            KeyUsage {
                key_id: a.id,
                last_used_at: t1,
                count: 3,
            },
            KeyUsage {
                key_id: b.id,
                last_used_at: earlier,
                count: 1,
            },
            // An unknown key (deleted since it was used) is no error.
            KeyUsage {
                key_id: Uuid::now_v7(),
                last_used_at: t1,
                count: 9,
            },
        ])
        .await
        .unwrap();
    let read = |id: Uuid| {
        let store = store.clone();
        async move {
            let key = store.key(acme.id, id).await.unwrap().unwrap();
            (key.usage_count, key.last_used_at)
        }
    };
    assert_eq!(read(a.id).await, (3, Some(t1)));
    assert_eq!(read(b.id).await, (1, Some(earlier)));
    assert_eq!(read(untouched.id).await, (0, None));

    // An older use adds to the count but doesn't move the time back.
    store
        .record_usage(&[KeyUsage {
            key_id: a.id,
            last_used_at: earlier,
            count: 2,
        }])
        .await
        .unwrap();
    assert_eq!(read(a.id).await, (5, Some(t1)));

    store
        .record_usage(&[
            KeyUsage {
                key_id: a.id,
                last_used_at: later,
                count: 1,
            },
            KeyUsage {
                key_id: b.id,
                last_used_at: later,
                count: 1_000_000,
            },
        ])
        .await
        .unwrap();
    assert_eq!(read(a.id).await, (6, Some(later)));
    assert_eq!(read(b.id).await, (1_000_001, Some(later)));

    // Listings see the same figures, and nothing else changed.
    let listed = store.list_keys(acme.id, None, 10).await.unwrap();
    let listed_a = listed.iter().find(|k| k.id == a.id).unwrap();
    assert_eq!(
        (listed_a.usage_count, listed_a.last_used_at),
        (6, Some(later))
    );
    let mut expected = a.clone();
    expected.usage_count = 6;
    expected.last_used_at = Some(later);
    assert_eq!(store.key(acme.id, a.id).await.unwrap(), Some(expected));
}

pub async fn record_usage_sums_repeated_keys_in_a_batch(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let key = insert(&*store, &acme, |_| {}).await.record;
    let t1 = now();
    let t2 = t1 + Duration::seconds(1);
    store
        .record_usage(&[
            KeyUsage {
                key_id: key.id,
                last_used_at: t2,
                count: 2,
            },
            KeyUsage {
                key_id: key.id,
                last_used_at: t1,
                count: 3,
            },
            KeyUsage {
                key_id: key.id,
                last_used_at: t1,
                count: 4,
            },
        ])
        .await
        .unwrap();
    let stored = store.key(acme.id, key.id).await.unwrap().unwrap();
    assert_eq!((stored.usage_count, stored.last_used_at), (9, Some(t2)));
}
