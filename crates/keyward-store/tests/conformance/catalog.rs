//! The permission catalog: keyward's built-ins and each organization's own.

use crate::fixtures::{create_org, create_permission, new_permission};
use keyward_core::BUILTIN_PERMISSIONS;
use keyward_core::model::Permission;
use keyward_core::permission::FIRST_PLATFORM_PERMISSION_ID;
use keyward_store::{Store, StoreError};
use std::sync::Arc;
use uuid::Uuid;

fn builtins() -> Vec<Permission> {
    BUILTIN_PERMISSIONS
        .iter()
        .map(|b| Permission {
            id: b.id,
            name: keyward_core::PermissionName::parse(b.name).unwrap(),
            description: b.description.to_owned(),
            read_only: b.read_only,
        })
        .collect()
}

pub async fn catalog_starts_with_the_builtins(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let catalog = store.catalog(acme.id).await.unwrap();
    assert_eq!(catalog.0, builtins());
    assert_eq!(
        catalog.0.iter().map(|p| p.id).collect::<Vec<_>>(),
        (1..=BUILTIN_PERMISSIONS.len() as i64).collect::<Vec<i64>>()
    );
    assert_eq!(catalog.by_name("keys:verify").map(|p| p.id), Some(3));
    assert!(catalog.by_name("keys:verify").unwrap().read_only);
    assert!(!catalog.by_name("org:write").unwrap().read_only);
    // An organization that doesn't exist sees only the built-ins.
    assert_eq!(store.catalog(Uuid::now_v7()).await.unwrap().0, builtins());
}

pub async fn org_permissions_stay_in_their_org(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let globex = create_org(&*store, "globex").await;

    let read = create_permission(&*store, acme.id, "dataproducts:read").await;
    let edit = create_permission(&*store, acme.id, "dataproducts:edit").await;
    assert!(read.id >= FIRST_PLATFORM_PERMISSION_ID, "id {}", read.id);
    assert!(edit.id > read.id, "ids {} then {}", read.id, edit.id);
    assert_eq!(read.name.as_str(), "dataproducts:read");
    assert_eq!(read.description, "May dataproducts:read");
    assert!(read.read_only);
    assert!(!edit.read_only);

    // The same name in another organization is another permission.
    let theirs = create_permission(&*store, globex.id, "dataproducts:read").await;
    assert!(theirs.id >= FIRST_PLATFORM_PERMISSION_ID);
    assert_ne!(theirs.id, read.id);

    let mut expected = builtins();
    expected.extend([read.clone(), edit.clone()]);
    assert_eq!(store.catalog(acme.id).await.unwrap().0, expected);

    let mut expected = builtins();
    expected.push(theirs);
    assert_eq!(store.catalog(globex.id).await.unwrap().0, expected);

    let third = create_org(&*store, "initech").await;
    assert_eq!(store.catalog(third.id).await.unwrap().0, builtins());

    assert!(matches!(
        store
            .create_permission(Uuid::now_v7(), &new_permission("ghosts:read"))
            .await,
        Err(StoreError::MissingReference)
    ));
}

pub async fn duplicate_permission_name_conflicts(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let first = create_permission(&*store, acme.id, "datasets:read").await;
    let mut again = new_permission("datasets:read");
    again.description = "Something else".to_owned();
    again.read_only = false;
    match store.create_permission(acme.id, &again).await {
        Err(StoreError::Conflict(what)) => assert!(what.contains("permission"), "{what}"),
        other => panic!("a second `datasets:read` gave {other:?}"),
    }
    let mut expected = builtins();
    expected.push(first);
    assert_eq!(store.catalog(acme.id).await.unwrap().0, expected);
}
