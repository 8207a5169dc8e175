//! The permission catalog: the built-ins and the platform's own.

use crate::api::{keys_path, permissions_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status, assert_validation};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use keyward_core::BUILTIN_PERMISSIONS;
use serde_json::{Value, json};

const PERMISSION_FIELDS: &[&str] = &["id", "name", "description", "read_only"];

fn assert_builtins(catalog: &Value) {
    let entries = catalog.as_array().unwrap();
    assert_eq!(entries.len(), BUILTIN_PERMISSIONS.len(), "{catalog}");
    for (entry, builtin) in entries.iter().zip(BUILTIN_PERMISSIONS) {
        assert_fields(entry, PERMISSION_FIELDS);
        assert_eq!(
            entry,
            &json!({
                "id": builtin.id, "name": builtin.name,
                "description": builtin.description, "read_only": builtin.read_only,
            })
        );
    }
    let ids: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(
        ids,
        (1..=BUILTIN_PERMISSIONS.len() as i64).collect::<Vec<_>>()
    );
    assert_eq!(entries[0]["name"], "keys:read");
    assert_eq!(entries[11]["name"], "org:write");
}

pub async fn builtin_catalog_on_both_routes(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Acme").await;
    let by_slug = app.admin.get(&permissions_path("acme")).await;
    assert_status(&by_slug, 200);
    assert_builtins(&by_slug.body);
    let by_id = app.admin.get(&permissions_path(text(&org, "id"))).await;
    assert_eq!(by_id.body, by_slug.body);
    let dadosfera = app.admin_for("acme").get("/permissions").await;
    assert_status(&dadosfera, 200);
    assert_builtins(&dadosfera.body);
    let key = app.org_key("acme", "reader").await;
    let own = app
        .client_with_key(text(&key, "key"))
        .get("/permissions")
        .await;
    assert_eq!(own.body, by_slug.body);
    let typed = app.typed_admin().list_permissions("acme").await.unwrap();
    assert_eq!(typed.len(), BUILTIN_PERMISSIONS.len());
}

pub async fn platform_permissions_are_registered_and_usable(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = app
        .admin
        .post(
            &permissions_path("acme"),
            json!({ "name": "dataproducts:read", "description": "Read data products", "read_only": true }),
        )
        .await;
    assert_status(&created, 201);
    assert_fields(&created.body, PERMISSION_FIELDS);
    let id = created.body["id"].as_i64().unwrap();
    assert!(
        id > BUILTIN_PERMISSIONS.len() as i64,
        "platform ids follow the built-ins: {id}"
    );
    assert_eq!(created.body["name"], "dataproducts:read");
    assert_eq!(created.body["read_only"], true);
    let bare = app
        .admin
        .post(
            &permissions_path("acme"),
            json!({ "name": "dataproducts:edit" }),
        )
        .await;
    assert_status(&bare, 201);
    assert_eq!(bare.body["description"], "");
    assert_eq!(bare.body["read_only"], false);
    let catalog = app.admin.get(&permissions_path("acme")).await.body;
    assert_eq!(
        catalog.as_array().unwrap().len(),
        BUILTIN_PERMISSIONS.len() + 2
    );
    assert!(catalog.as_array().unwrap().contains(&created.body));
    // Another organization's catalog doesn't see it.
    app.create_org("Globex").await;
    let other = app.admin.get(&permissions_path("globex")).await.body;
    assert_eq!(other.as_array().unwrap().len(), BUILTIN_PERMISSIONS.len());
    let key = app
        .admin
        .post(
            &keys_path("acme"),
            json!({ "name": "dp", "scope": "organization", "permissions": [id, "dataproducts:edit"] }),
        )
        .await;
    assert_status(&key, 201);
    assert_eq!(
        key.body["permissions"],
        json!([
            { "id": id, "name": "dataproducts:read", "resource": "*" },
            { "id": bare.body["id"], "name": "dataproducts:edit", "resource": "*" },
        ])
    );
}

pub async fn bad_permission_names_are_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    for name in [
        "datasets",
        "Datasets:Read",
        "a:b:c",
        ":read",
        "datasets:",
        "da ta:read",
    ] {
        let response = app
            .admin
            .post(&permissions_path("acme"), json!({ "name": name }))
            .await;
        assert_validation(&response, "resource:action");
    }
}

pub async fn builtin_and_duplicate_names_conflict(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let builtin = app
        .admin
        .post(&permissions_path("acme"), json!({ "name": "keys:read" }))
        .await;
    assert_error(&builtin, 409, "CONFLICT");
    let body = json!({ "name": "datasets:read" });
    assert_status(
        &app.admin
            .post(&permissions_path("acme"), body.clone())
            .await,
        201,
    );
    let duplicate = app.admin.post(&permissions_path("acme"), body).await;
    assert_error(&duplicate, 409, "CONFLICT");
}
