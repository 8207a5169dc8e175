//! Organizations: create, find, list, update, delete.

use crate::fixtures::{self, create_org, create_permission, grant, insert, now};
use keyward_core::Prefix;
use keyward_store::{OrgPatch, Store, StoreError};
use std::sync::Arc;
use uuid::Uuid;

pub async fn org_round_trip(store: Arc<dyn Store>) {
    assert_eq!(store.list_orgs().await.unwrap(), vec![]);
    let mut acme = fixtures::org("acme");
    acme.key_prefix = Prefix::parse("ddf").unwrap();
    acme.name = "Acme Data, Inc. ✓".to_owned();
    store.create_org(&acme).await.unwrap();
    let globex = create_org(&*store, "globex-2").await;

    assert_eq!(store.org_by_id(acme.id).await.unwrap(), Some(acme.clone()));
    assert_eq!(
        store.org_by_id(globex.id).await.unwrap(),
        Some(globex.clone())
    );
    assert_eq!(store.find_org("acme").await.unwrap(), Some(acme.clone()));
    assert_eq!(
        store.find_org("globex-2").await.unwrap(),
        Some(globex.clone())
    );
    assert_eq!(
        store.find_org(&acme.id.to_string()).await.unwrap(),
        Some(acme.clone())
    );
    assert_eq!(
        store
            .find_org(&globex.id.hyphenated().to_string())
            .await
            .unwrap(),
        Some(globex.clone())
    );
    assert_eq!(store.list_orgs().await.unwrap(), vec![acme, globex]);

    assert_eq!(store.org_by_id(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(
        store.find_org(&Uuid::now_v7().to_string()).await.unwrap(),
        None
    );
    assert_eq!(store.find_org("initech").await.unwrap(), None);
    assert_eq!(store.find_org("").await.unwrap(), None);
    store.ping().await.unwrap();
}

pub async fn org_update_changes_only_given_fields(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;

    let unchanged = store
        .update_org(acme.id, &OrgPatch::default())
        .await
        .unwrap();
    assert_eq!(unchanged, Some(acme.clone()));

    let renamed = store
        .update_org(
            acme.id,
            &OrgPatch {
                name: Some("Acme Renamed".to_owned()),
                key_prefix: None,
                key_policy: None,
                leak_policy: None,
            },
        )
        .await
        .unwrap()
        .expect("the organization exists");
    let mut expected = acme.clone();
    expected.name = "Acme Renamed".to_owned();
    assert_eq!(renamed, expected);

    let prefixed = store
        .update_org(
            acme.id,
            &OrgPatch {
                name: None,
                key_prefix: Some(Prefix::parse("acme2").unwrap()),
                key_policy: None,
                leak_policy: None,
            },
        )
        .await
        .unwrap()
        .expect("the organization exists");
    expected.key_prefix = Prefix::parse("acme2").unwrap();
    assert_eq!(prefixed, expected);
    assert_eq!(store.org_by_id(acme.id).await.unwrap(), Some(expected));
    assert_eq!(store.org_by_id(other.id).await.unwrap(), Some(other));

    let missing = OrgPatch {
        name: Some("Nobody".to_owned()),
        key_prefix: None,
        key_policy: None,
        leak_policy: None,
    };
    assert_eq!(
        store.update_org(Uuid::now_v7(), &missing).await.unwrap(),
        None
    );
}

pub async fn org_slug_conflict(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let twin = fixtures::org("acme");
    match store.create_org(&twin).await {
        Err(StoreError::Conflict(what)) => assert!(what.contains("slug"), "{what}"),
        other => panic!("a second `acme` gave {other:?}"),
    }
    let mut same_id = fixtures::org("acme-again");
    same_id.id = acme.id;
    assert!(
        matches!(
            store.create_org(&same_id).await,
            Err(StoreError::Conflict(_))
        ),
        "a second organization with the same id was accepted"
    );
    assert_eq!(store.list_orgs().await.unwrap(), vec![acme.clone()]);
    assert_eq!(store.find_org("acme").await.unwrap(), Some(acme));
}

pub async fn org_delete_removes_everything_in_it(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let datasets = create_permission(&*store, acme.id, "datasets:read").await;
    let with_grants = insert(&*store, &acme, |k| {
        k.permissions = vec![
            grant(datasets.id, "datasets:read", "datasets/42"),
            grant(1, "keys:read", "*"),
        ];
    })
    .await;
    let plain = insert(&*store, &acme, |_| {}).await;
    store
        .revoke_key(acme.id, plain.record.id, now())
        .await
        .unwrap();
    let kept = insert(&*store, &other, |_| {}).await;

    assert!(store.delete_org(acme.id).await.unwrap());

    assert_eq!(store.org_by_id(acme.id).await.unwrap(), None);
    assert_eq!(store.find_org("acme").await.unwrap(), None);
    for gone in [&with_grants, &plain] {
        assert_eq!(store.key_by_hash(&gone.hash).await.unwrap(), None);
        assert_eq!(store.key(acme.id, gone.record.id).await.unwrap(), None);
    }
    assert_eq!(store.list_keys(acme.id, None, 100).await.unwrap(), vec![]);
    assert_eq!(
        store.catalog(acme.id).await.unwrap().0.len(),
        keyward_core::BUILTIN_PERMISSIONS.len()
    );
    assert!(!store.delete_org(acme.id).await.unwrap());
    assert!(!store.delete_org(Uuid::now_v7()).await.unwrap());

    assert_eq!(store.list_orgs().await.unwrap(), vec![other.clone()]);
    assert_eq!(
        store.key_by_hash(&kept.hash).await.unwrap(),
        Some(kept.record)
    );
    // The slug is free again.
    create_org(&*store, "acme").await;
}
