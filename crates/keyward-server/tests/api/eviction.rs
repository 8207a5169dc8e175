//! Every change that can alter a verification answer is seen by the very
//! next verification on the node: each test first makes the node cache the
//! key (two verifications), then changes something, then verifies again.

use crate::api::{ORGS, key_path, org_path, permissions_path, text};
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

async fn verify(app: &TestApp, key: &str, permission: Option<&str>) -> Value {
    let mut body = json!({ "key": key });
    if let Some(permission) = permission {
        body["permission"] = json!(permission);
    }
    let response = app.admin.post("/api/v1/keys/verify", body).await;
    assert_status(&response, 200);
    response.body
}

/// An app, an organization and a cached organization key.
async fn cached_key(backend: &Backend) -> (TestApp, Value) {
    let app = spawn_app(backend).await;
    app.create_org("Acme").await;
    let key = app
        .create_key(
            "acme",
            json!({ "name": "k", "scope": "organization", "metadata": { "v": 1 } }),
        )
        .await;
    for _ in 0..2 {
        assert_eq!(verify(&app, text(&key, "key"), None).await["code"], "VALID");
    }
    (app, key)
}

pub async fn revoking_is_seen_at_once(backend: Backend) {
    let (app, key) = cached_key(&backend).await;
    assert_status(
        &app.admin.delete(&key_path("acme", text(&key, "id"))).await,
        204,
    );
    assert_eq!(
        verify(&app, text(&key, "key"), None).await["code"],
        "REVOKED"
    );
}

pub async fn disabling_and_enabling_are_seen_at_once(backend: Backend) {
    let (app, key) = cached_key(&backend).await;
    let path = key_path("acme", text(&key, "id"));
    assert_status(
        &app.admin.patch(&path, json!({ "enabled": false })).await,
        200,
    );
    assert_eq!(
        verify(&app, text(&key, "key"), None).await["code"],
        "DISABLED"
    );
    assert_status(
        &app.admin.patch(&path, json!({ "enabled": true })).await,
        200,
    );
    assert_eq!(verify(&app, text(&key, "key"), None).await["code"], "VALID");
}

pub async fn a_new_expiry_is_seen_at_once(backend: Backend) {
    let (app, key) = cached_key(&backend).await;
    let soon = (app_now(&app) + Duration::minutes(1)).to_rfc3339();
    let path = key_path("acme", text(&key, "id"));
    assert_status(
        &app.admin.patch(&path, json!({ "expires_at": soon })).await,
        200,
    );
    assert_eq!(verify(&app, text(&key, "key"), None).await["code"], "VALID");
    app.clock.advance(Duration::minutes(2));
    assert_eq!(
        verify(&app, text(&key, "key"), None).await["code"],
        "EXPIRED"
    );
    assert_status(
        &app.admin.patch(&path, json!({ "expires_at": null })).await,
        200,
    );
    assert_eq!(verify(&app, text(&key, "key"), None).await["code"], "VALID");
}

pub async fn new_metadata_is_seen_at_once(backend: Backend) {
    let (app, key) = cached_key(&backend).await;
    let path = key_path("acme", text(&key, "id"));
    assert_status(
        &app.admin
            .patch(&path, json!({ "metadata": { "v": 2 } }))
            .await,
        200,
    );
    assert_eq!(
        verify(&app, text(&key, "key"), None).await["metadata"],
        json!({ "v": 2 })
    );
}

pub async fn a_new_catalog_permission_is_seen_at_once(backend: Backend) {
    let (app, key) = cached_key(&backend).await;
    let asked = Some("dataproducts:read");
    assert_eq!(
        verify(&app, text(&key, "key"), asked).await["code"],
        "INSUFFICIENT_PERMISSIONS"
    );
    let registered = app
        .admin
        .post(
            &permissions_path("acme"),
            json!({ "name": "dataproducts:read", "read_only": true }),
        )
        .await;
    assert_status(&registered, 201);
    assert_eq!(
        verify(&app, text(&key, "key"), asked).await["code"],
        "VALID"
    );
}

pub async fn deleting_the_organization_is_seen_at_once(backend: Backend) {
    let (app, key) = cached_key(&backend).await;
    assert_status(&app.admin.delete(&org_path("acme")).await, 204);
    assert_eq!(
        verify(&app, text(&key, "key"), None).await["code"],
        "NOT_FOUND"
    );
    assert_status(&app.admin.get(ORGS).await, 200);
}

fn app_now(app: &TestApp) -> chrono::DateTime<Utc> {
    use keyward_core::Clock;
    app.clock.now()
}

api_tests! {
    eviction::revoking_is_seen_at_once,
    eviction::disabling_and_enabling_are_seen_at_once,
    eviction::a_new_expiry_is_seen_at_once,
    eviction::new_metadata_is_seen_at_once,
    eviction::a_new_catalog_permission_is_seen_at_once,
    eviction::deleting_the_organization_is_seen_at_once,
}
