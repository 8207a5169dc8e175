//! Keys: insert, read back by id, hash and listing, update, revoke.

use crate::fixtures::{
    self, NO_LIMIT, create_org, create_permission, grant, ids, insert, new_key, now,
};
use chrono::Duration;
use keyward_core::model::KeyPatch;
use keyward_core::{ApiKey, KeyHash, Prefix, Scope};
use keyward_store::{Store, StoreError};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

fn metadata(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

pub async fn key_round_trip(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let edit = create_permission(&*store, acme.id, "datasets:edit").await;
    let team = Uuid::now_v7();

    // Every field away from its default, and grants out of id order.
    let (plaintext, full) = fixtures::minted(&acme);
    let mut full = full;
    let created = now() - Duration::days(3);
    full.record.name = "Ünïcode label: 'quotes' \"and\" ; DROP TABLE api_keys; --".to_owned();
    full.record.scope = Scope::Team;
    full.record.read_only = true;
    full.record.owner_id = team;
    full.record.permissions = vec![
        grant(7, "teams:write", &format!("teams/{team}/*")),
        grant(edit.id, "datasets:edit", "datasets/42"),
        grant(1, "keys:read", "*"),
        grant(edit.id, "datasets:edit", "datasets/7"),
    ];
    full.record.created_by = "service_account:0192f0c4".to_owned();
    full.record.created_at = created;
    full.record.expires_at = Some(created + Duration::days(90));
    full.record.enabled = false;
    full.record.metadata = metadata(json!({
        "env": "prod",
        "cost_center": 42,
        "ratio": 0.25,
        "tags": ["a", "b"],
        "nested": {"ok": true, "none": null},
    }));
    store.insert_key(&full, NO_LIMIT, now()).await.unwrap();

    let (_, bare) = fixtures::minted(&acme);
    store.insert_key(&bare, NO_LIMIT, now()).await.unwrap();

    for key in [&full, &bare] {
        let id = key.record.id;
        assert_eq!(
            store.key(acme.id, id).await.unwrap().as_ref(),
            Some(&key.record)
        );
        assert_eq!(
            store.key_by_hash(&key.hash).await.unwrap().as_ref(),
            Some(&key.record)
        );
    }
    assert_eq!(
        store.list_keys(acme.id, None, 10).await.unwrap(),
        vec![bare.record.clone(), full.record.clone()]
    );
    let stored = store.key(acme.id, full.record.id).await.unwrap().unwrap();
    assert_eq!(stored.key_mask, plaintext.mask());
    assert_eq!(
        stored
            .permissions
            .iter()
            .map(|g| (g.id, g.resource.to_string()))
            .collect::<Vec<_>>(),
        vec![
            (7, format!("teams/{team}/*")),
            (edit.id, "datasets/42".to_owned()),
            (1, "*".to_owned()),
            (edit.id, "datasets/7".to_owned()),
        ]
    );

    // Another organization, another id or another hash finds nothing.
    let other = create_org(&*store, "other").await;
    assert_eq!(store.key(other.id, full.record.id).await.unwrap(), None);
    assert_eq!(store.key(acme.id, Uuid::now_v7()).await.unwrap(), None);
    let stranger = ApiKey::mint(&Prefix::default());
    assert_eq!(
        store.key_by_hash(&fixtures::hash(&stranger)).await.unwrap(),
        None
    );
    assert_eq!(store.key_by_hash(&KeyHash([0; 32])).await.unwrap(), None);
}

pub async fn insert_key_rejects_bad_references(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;

    let ghost_org = fixtures::org("ghost");
    let orphan = new_key(&ghost_org);
    assert!(
        matches!(
            store.insert_key(&orphan, NO_LIMIT, now()).await,
            Err(StoreError::MissingReference)
        ),
        "a key of an unknown organization was accepted"
    );
    assert_eq!(store.key_by_hash(&orphan.hash).await.unwrap(), None);

    // A grant of an unknown permission fails the whole insert.
    let mut unknown = new_key(&acme);
    unknown.record.permissions = vec![grant(1, "keys:read", "*"), grant(999_999, "x:y", "*")];
    assert!(
        matches!(
            store.insert_key(&unknown, NO_LIMIT, now()).await,
            Err(StoreError::MissingReference)
        ),
        "a key granting an unknown permission was accepted"
    );
    assert_eq!(store.key_by_hash(&unknown.hash).await.unwrap(), None);
    assert_eq!(store.key(acme.id, unknown.record.id).await.unwrap(), None);
    assert_eq!(store.list_keys(acme.id, None, 10).await.unwrap(), vec![]);

    // Nothing half-written is left behind: the same id inserts cleanly.
    unknown.record.permissions = vec![grant(1, "keys:read", "*")];
    store.insert_key(&unknown, NO_LIMIT, now()).await.unwrap();
    assert_eq!(
        store.key(acme.id, unknown.record.id).await.unwrap(),
        Some(unknown.record)
    );
}

pub async fn duplicate_key_hash_conflicts(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let first = insert(&*store, &acme, |_| {}).await;
    let mut twin = new_key(&acme);
    twin.hash = first.hash;
    assert!(
        matches!(
            store.insert_key(&twin, NO_LIMIT, now()).await,
            Err(StoreError::Conflict(_))
        ),
        "two keys were stored under one hash"
    );
    let mut same_id = new_key(&acme);
    same_id.record.id = first.record.id;
    assert!(
        matches!(
            store.insert_key(&same_id, NO_LIMIT, now()).await,
            Err(StoreError::Conflict(_))
        ),
        "two keys were stored under one id"
    );
    assert_eq!(
        store.list_keys(acme.id, None, 10).await.unwrap(),
        vec![first.record.clone()]
    );
    assert_eq!(
        store.key_by_hash(&first.hash).await.unwrap(),
        Some(first.record)
    );
}

pub async fn list_keys_newest_first_with_paging(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(
            insert(&*store, &acme, |k| k.name = format!("key {n}"))
                .await
                .record,
        );
        insert(&*store, &other, |_| {}).await;
    }
    let newest_first: Vec<Uuid> = created.iter().rev().map(|k| k.id).collect();

    let all = store.list_keys(acme.id, None, 100).await.unwrap();
    assert_eq!(ids(&all), newest_first);
    assert_eq!(all, created.iter().rev().cloned().collect::<Vec<_>>());

    let mut paged = Vec::new();
    let mut before = None;
    let mut pages = 0;
    loop {
        let page = store.list_keys(acme.id, before, 3).await.unwrap();
        pages += 1;
        assert!(page.len() <= 3, "page of {}", page.len());
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        paged.extend(ids(&page));
    }
    assert_eq!(paged, newest_first);
    assert_eq!(pages, 4, "7 keys in pages of 3, then an empty page");

    assert_eq!(
        ids(&store
            .list_keys(acme.id, Some(created[3].id), 2)
            .await
            .unwrap()),
        vec![created[2].id, created[1].id]
    );
    assert_eq!(
        store
            .list_keys(acme.id, Some(created[0].id), 10)
            .await
            .unwrap(),
        vec![]
    );
    // A cursor from elsewhere still pages by id.
    assert_eq!(
        ids(&store
            .list_keys(acme.id, Some(Uuid::now_v7()), 2)
            .await
            .unwrap()),
        newest_first[..2].to_vec()
    );
    assert_eq!(store.list_keys(acme.id, None, 0).await.unwrap(), vec![]);
    assert_eq!(store.list_keys(other.id, None, 100).await.unwrap().len(), 7);
    assert_eq!(
        store.list_keys(Uuid::now_v7(), None, 100).await.unwrap(),
        vec![]
    );
}

pub async fn list_keys_excludes_revoked(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let mut keys = Vec::new();
    for _ in 0..5 {
        keys.push(insert(&*store, &acme, |_| {}).await.record);
    }
    let at = now();
    assert!(store.revoke_key(acme.id, keys[1].id, at).await.unwrap());
    assert!(store.revoke_key(acme.id, keys[4].id, at).await.unwrap());

    assert_eq!(
        ids(&store.list_keys(acme.id, None, 100).await.unwrap()),
        vec![keys[3].id, keys[2].id, keys[0].id]
    );
    // Paging past a revoked key, and from one.
    assert_eq!(
        ids(&store.list_keys(acme.id, Some(keys[2].id), 1).await.unwrap()),
        vec![keys[0].id]
    );
    assert_eq!(
        ids(&store.list_keys(acme.id, Some(keys[4].id), 2).await.unwrap()),
        vec![keys[3].id, keys[2].id]
    );
    // Revoked keys are still there to read, with their revocation.
    let revoked = store.key(acme.id, keys[1].id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at));
    // Expired and disabled keys are live, so they are listed.
    let expired = insert(&*store, &acme, |k| {
        k.expires_at = Some(now() - Duration::hours(1))
    })
    .await;
    let disabled = insert(&*store, &acme, |k| k.enabled = false).await;
    assert_eq!(
        ids(&store.list_keys(acme.id, None, 2).await.unwrap()),
        vec![disabled.record.id, expired.record.id]
    );
}

pub async fn update_key_patch_semantics(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let expires = now() + Duration::days(30);
    let key = insert(&*store, &acme, |k| {
        k.name = "before".to_owned();
        k.expires_at = Some(expires);
        k.metadata = metadata(json!({"team": "data"}));
        k.permissions = vec![grant(1, "keys:read", "*")];
    })
    .await;
    let id = key.record.id;
    let mut expected = key.record.clone();

    let update = |patch: KeyPatch| {
        let store = store.clone();
        async move {
            store
                .update_key(acme.id, id, &patch)
                .await
                .unwrap()
                .expect("the key is there to update")
        }
    };

    // An empty patch changes nothing.
    assert_eq!(update(KeyPatch::default()).await, expected);

    let renamed = update(KeyPatch {
        name: Some("after".to_owned()),
        ..KeyPatch::default()
    })
    .await;
    expected.name = "after".to_owned();
    assert_eq!(renamed, expected);

    let disabled = update(KeyPatch {
        enabled: Some(false),
        ..KeyPatch::default()
    })
    .await;
    expected.enabled = false;
    assert_eq!(disabled, expected);

    let later = expires + Duration::days(365);
    let extended = update(KeyPatch {
        expires_at: Some(Some(later)),
        ..KeyPatch::default()
    })
    .await;
    expected.expires_at = Some(later);
    assert_eq!(extended, expected);

    let cleared = update(KeyPatch {
        expires_at: Some(None),
        ..KeyPatch::default()
    })
    .await;
    expected.expires_at = None;
    assert_eq!(cleared, expected);

    let everything = update(KeyPatch {
        name: Some("final".to_owned()),
        enabled: Some(true),
        expires_at: Some(Some(expires)),
        metadata: Some(metadata(json!({"owner": "ops", "n": [1, 2, 3]}))),
        read_only: Some(false),
        permissions: None,
        ..KeyPatch::default()
    })
    .await;
    expected.name = "final".to_owned();
    expected.enabled = true;
    expected.expires_at = Some(expires);
    expected.metadata = metadata(json!({"owner": "ops", "n": [1, 2, 3]}));
    assert_eq!(everything, expected);

    let emptied = update(KeyPatch {
        metadata: Some(serde_json::Map::new()),
        ..KeyPatch::default()
    })
    .await;
    expected.metadata = serde_json::Map::new();
    assert_eq!(emptied, expected);

    assert_eq!(
        store.key(acme.id, id).await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(store.key_by_hash(&key.hash).await.unwrap(), Some(expected));
}

pub async fn update_key_ignores_revoked_unknown_and_foreign(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let live = insert(&*store, &acme, |_| {}).await.record;
    let revoked = insert(&*store, &acme, |_| {}).await.record;
    let at = now();
    assert!(store.revoke_key(acme.id, revoked.id, at).await.unwrap());
    let patch = KeyPatch {
        name: Some("hijacked".to_owned()),
        enabled: Some(false),
        expires_at: Some(None),
        metadata: Some(metadata(json!({"x": 1}))),
        read_only: Some(true),
        permissions: Some(Vec::new()),
        ..KeyPatch::default()
    };

    assert_eq!(
        store.update_key(acme.id, revoked.id, &patch).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .update_key(acme.id, Uuid::now_v7(), &patch)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.update_key(other.id, live.id, &patch).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .update_key(Uuid::now_v7(), live.id, &patch)
            .await
            .unwrap(),
        None
    );

    assert_eq!(store.key(acme.id, live.id).await.unwrap(), Some(live));
    let mut still_revoked = revoked;
    still_revoked.revoked_at = Some(at);
    assert_eq!(
        store.key(acme.id, still_revoked.id).await.unwrap(),
        Some(still_revoked)
    );
}

pub async fn revoke_key_once(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let key = insert(&*store, &acme, |_| {}).await;
    let id = key.record.id;

    // Not from another organization, nor an unknown key.
    assert!(!store.revoke_key(other.id, id, now()).await.unwrap());
    assert!(
        !store
            .revoke_key(acme.id, Uuid::now_v7(), now())
            .await
            .unwrap()
    );
    assert_eq!(
        store.key(acme.id, id).await.unwrap().unwrap().revoked_at,
        None
    );

    let at = now();
    assert!(store.revoke_key(acme.id, id, at).await.unwrap());
    let later = at + Duration::hours(1);
    assert!(!store.revoke_key(acme.id, id, later).await.unwrap());

    // The first revocation stands; lookups still find the key, revoked.
    let mut expected = key.record.clone();
    expected.revoked_at = Some(at);
    assert_eq!(
        store.key(acme.id, id).await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(store.key_by_hash(&key.hash).await.unwrap(), Some(expected));
    assert_eq!(store.list_keys(acme.id, None, 10).await.unwrap(), vec![]);
}
