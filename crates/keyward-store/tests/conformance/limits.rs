//! The limit of live keys per organization, under concurrency too.

use crate::fixtures::{create_org, ids, new_key, now};
use chrono::Duration;
use futures::future::join_all;
use keyward_core::model::NewKey;
use keyward_store::{Store, StoreError};
use std::collections::HashSet;
use std::sync::Arc;

fn assert_limit_reached(result: keyward_store::Result<()>) {
    assert!(
        matches!(result, Err(StoreError::KeyLimitReached)),
        "expected KeyLimitReached, got {result:?}"
    );
}

pub async fn key_limit_counts_live_keys_only(store: Arc<dyn Store>) {
    const LIMIT: u32 = 3;
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let t0 = now();

    let plain = new_key(&acme);
    let mut expiring = new_key(&acme);
    expiring.record.expires_at = Some(t0 + Duration::hours(1));
    let mut disabled = new_key(&acme);
    disabled.record.enabled = false;
    for key in [&plain, &expiring, &disabled] {
        store.insert_key(key, LIMIT, t0).await.unwrap();
    }

    // Disabled keys can be enabled again, so they count.
    let fourth = new_key(&acme);
    assert_limit_reached(store.insert_key(&fourth, LIMIT, t0).await);
    assert_eq!(store.key_by_hash(&fourth.hash).await.unwrap(), None);
    assert_eq!(store.list_keys(acme.id, None, 10).await.unwrap().len(), 3);

    // The limit is per organization.
    for _ in 0..LIMIT {
        store.insert_key(&new_key(&other), LIMIT, t0).await.unwrap();
    }

    // Once `expiring` has expired (at its expiry instant), it no longer counts.
    let expiry = t0 + Duration::hours(1);
    assert_limit_reached(
        store
            .insert_key(&fourth, LIMIT, expiry - Duration::milliseconds(1))
            .await,
    );
    store.insert_key(&fourth, LIMIT, expiry).await.unwrap();
    assert_limit_reached(store.insert_key(&new_key(&acme), LIMIT, expiry).await);

    // A revoked key doesn't count.
    assert!(
        store
            .revoke_key(acme.id, plain.record.id, expiry)
            .await
            .unwrap()
    );
    let fifth = new_key(&acme);
    store.insert_key(&fifth, LIMIT, expiry).await.unwrap();
    assert_limit_reached(store.insert_key(&new_key(&acme), LIMIT, expiry).await);

    // A key already expired when it is created doesn't count either.
    let mut stale = new_key(&acme);
    stale.record.expires_at = Some(t0);
    assert_limit_reached(store.insert_key(&stale, LIMIT, expiry).await);

    // A higher limit lets more in.
    store
        .insert_key(&new_key(&acme), LIMIT + 1, expiry)
        .await
        .unwrap();

    let listed: HashSet<_> = ids(&store.list_keys(acme.id, None, 100).await.unwrap())
        .into_iter()
        .collect();
    assert_eq!(
        listed.len(),
        5,
        "expiring, disabled, fourth, fifth and one more"
    );
    assert!(listed.contains(&fourth.record.id) && listed.contains(&fifth.record.id));
    assert!(!listed.contains(&plain.record.id));
}

pub async fn concurrent_inserts_respect_the_limit(store: Arc<dyn Store>) {
    const LIMIT: u32 = 100;
    const ATTEMPTS: usize = 200;
    let acme = create_org(&*store, "acme").await;
    let at = now();
    let keys: Vec<NewKey> = (0..ATTEMPTS).map(|_| new_key(&acme)).collect();

    let tasks = keys.iter().cloned().map(|key| {
        let store = store.clone();
        tokio::spawn(async move { store.insert_key(&key, LIMIT, at).await })
    });
    let results: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.expect("the insert task finished"))
        .collect();

    let mut inserted = HashSet::new();
    let mut refused = 0;
    for (key, result) in keys.iter().zip(&results) {
        match result {
            Ok(()) => {
                inserted.insert(key.record.id);
            }
            Err(StoreError::KeyLimitReached) => refused += 1,
            Err(e) => panic!("an insert failed otherwise: {e:?}"),
        }
    }
    assert_eq!(inserted.len(), LIMIT as usize);
    assert_eq!(refused, ATTEMPTS - LIMIT as usize);

    let listed = store.list_keys(acme.id, None, 1000).await.unwrap();
    assert_eq!(listed.len(), LIMIT as usize);
    assert_eq!(ids(&listed).into_iter().collect::<HashSet<_>>(), inserted);
    for (key, result) in keys.iter().zip(&results) {
        let found = store.key_by_hash(&key.hash).await.unwrap();
        assert_eq!(found.is_some(), result.is_ok(), "key {}", key.record.id);
    }
    assert_limit_reached(store.insert_key(&new_key(&acme), LIMIT, at).await);
}
