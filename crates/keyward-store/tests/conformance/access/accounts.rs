//! Service accounts, and their keys when they go.

use super::records::{
    NO_IDS, access_of, account, as_account, assert_conflict, assert_missing, assigned,
    create_account, create_group, create_role, owned_key, reread,
};
use crate::fixtures::{create_org, grant, now};
use keyward_core::Scope;
use keyward_store::{ServiceAccountPatch, Store};
use std::sync::Arc;
use uuid::Uuid;

pub async fn service_accounts_round_trip(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let ci = create_account(&*store, &acme, "ci").await;
    let mut etl = account(&acme, "etl");
    etl.enabled = false;
    store.create_service_account(&etl).await.unwrap();
    let twin = create_account(&*store, &other, "ci").await;
    assert_conflict(
        store.create_service_account(&account(&acme, "ci")).await,
        "service account",
    );
    assert_missing(
        store
            .create_service_account(&account(&crate::fixtures::org("ghost"), "x"))
            .await,
    );

    assert_eq!(
        store.service_accounts(acme.id).await.unwrap(),
        vec![ci.clone(), etl.clone()]
    );
    assert_eq!(
        store.service_accounts(other.id).await.unwrap(),
        vec![twin.clone()]
    );
    assert_eq!(
        store.service_account(acme.id, ci.id).await.unwrap(),
        Some(ci.clone())
    );
    assert_eq!(store.service_account(other.id, ci.id).await.unwrap(), None);

    let unchanged = store
        .update_service_account(acme.id, ci.id, &ServiceAccountPatch::default())
        .await
        .unwrap();
    assert_eq!(unchanged, Some(ci.clone()));
    let renamed = store
        .update_service_account(
            acme.id,
            ci.id,
            &ServiceAccountPatch {
                name: Some("ci-2".to_owned()),
                ..ServiceAccountPatch::default()
            },
        )
        .await
        .unwrap();
    let mut expected = ci.clone();
    expected.name = "ci-2".to_owned();
    assert_eq!(renamed, Some(expected.clone()));
    let everything = store
        .update_service_account(
            acme.id,
            ci.id,
            &ServiceAccountPatch {
                name: Some("ci-3".to_owned()),
                description: Some(String::new()),
                enabled: Some(false),
            },
        )
        .await
        .unwrap();
    expected.name = "ci-3".to_owned();
    expected.description = String::new();
    expected.enabled = false;
    assert_eq!(everything, Some(expected.clone()));
    assert_eq!(
        store.service_account(acme.id, ci.id).await.unwrap(),
        Some(expected)
    );
    assert_conflict(
        store
            .update_service_account(
                acme.id,
                ci.id,
                &ServiceAccountPatch {
                    name: Some("etl".to_owned()),
                    ..ServiceAccountPatch::default()
                },
            )
            .await,
        "service account",
    );
    assert_eq!(
        store
            .update_service_account(other.id, ci.id, &ServiceAccountPatch::default())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.service_account(other.id, twin.id).await.unwrap(),
        Some(twin)
    );
}

pub async fn delete_service_account_cleans_up_and_revokes_its_keys(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let ci = create_account(&*store, &acme, "ci").await;
    let etl = create_account(&*store, &acme, "etl").await;
    let reader = create_role(&*store, &acme, "reader", vec![grant(1, "keys:read", "*")]).await;
    store
        .assign_role(acme.id, as_account(&ci), reader.id)
        .await
        .unwrap();
    store
        .assign_role(acme.id, as_account(&etl), reader.id)
        .await
        .unwrap();
    let bots = create_group(
        &*store,
        &acme,
        "bots",
        vec![reader.id],
        vec![as_account(&ci), as_account(&etl)],
    )
    .await;
    let ci_keys = [
        owned_key(&*store, &acme, Scope::ServiceAccount, ci.id).await,
        owned_key(&*store, &acme, Scope::ServiceAccount, ci.id).await,
    ];
    let etl_key = owned_key(&*store, &acme, Scope::ServiceAccount, etl.id).await;

    let at = now();
    assert!(
        !store
            .delete_service_account(other.id, ci.id, at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_service_account(acme.id, Uuid::now_v7(), at)
            .await
            .unwrap()
    );
    assert_eq!(reread(&*store, &ci_keys[0]).await.revoked_at, None);

    assert!(
        store
            .delete_service_account(acme.id, ci.id, at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_service_account(acme.id, ci.id, now())
            .await
            .unwrap()
    );
    assert_eq!(store.service_account(acme.id, ci.id).await.unwrap(), None);
    for key in &ci_keys {
        assert_eq!(reread(&*store, key).await.revoked_at, Some(at));
    }
    assert_eq!(&reread(&*store, &etl_key).await, &etl_key);
    assert_eq!(assigned(&*store, acme.id, as_account(&ci)).await, NO_IDS);
    assert_eq!(
        assigned(&*store, acme.id, as_account(&etl)).await,
        vec![reader.id]
    );
    assert_eq!(
        store
            .group(acme.id, bots.id)
            .await
            .unwrap()
            .unwrap()
            .members,
        vec![as_account(&etl)]
    );
    assert_eq!(access_of(&*store, acme.id, as_account(&ci)).await, None);
}
