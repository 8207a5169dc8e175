//! Server settings, set once (the admin key's hash).

use futures::future::join_all;
use keyward_store::Store;
use std::sync::Arc;

pub async fn settings_are_set_once(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert_eq!(store.setting("admin_key_hash").await.unwrap(), None);

    let first: Vec<u8> = (0..=255).collect();
    assert!(
        store
            .set_setting_once("admin_key_hash", &first)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_setting_once("admin_key_hash", b"second")
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_setting_once("admin_key_hash", &first)
            .await
            .unwrap()
    );
    assert_eq!(store.setting("admin_key_hash").await.unwrap(), Some(first));

    assert_eq!(store.setting("other").await.unwrap(), None);
    assert!(store.set_setting_once("other", b"").await.unwrap());
    assert_eq!(store.setting("other").await.unwrap(), Some(Vec::new()));
}

pub async fn concurrent_set_setting_once_has_one_winner(store: Arc<dyn Store>) {
    let tasks = (0..20u8).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            let won = store.set_setting_once("secret", &[n; 32]).await.unwrap();
            (n, won)
        })
    });
    let winners: Vec<u8> = join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .filter_map(|(n, won)| won.then_some(n))
        .collect();
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(
        store.setting("secret").await.unwrap(),
        Some(vec![winners[0]; 32])
    );
}
