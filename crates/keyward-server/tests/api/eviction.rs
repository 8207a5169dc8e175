//! Every change that can alter a verification answer is seen by the very
//! next verification on the node: each test first makes the node cache the
//! key (two verifications), then changes something, then verifies again.
//! A change retires only what it can alter: other organizations' and other
//! principals' keys stay cached, as `/metrics`' cache counters show.

use crate::access::{create_service_account, service_account_path, service_accounts_path};
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

/// The cache's counters on `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheCounts {
    pub hits: u64,
    pub misses: u64,
    pub loads: u64,
}

pub async fn cache_counts(app: &TestApp) -> CacheCounts {
    let body = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |series: &str| -> u64 {
        body.lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{body}"))
    };
    CacheCounts {
        hits: value("keyward_cache_hits_total"),
        misses: value("keyward_cache_misses_total"),
        loads: value("keyward_cache_loads_total"),
    }
}

/// Verifies `key` (expecting `code`) and says whether memory answered.
pub async fn answered_from_memory(app: &TestApp, key: &str, code: &str) -> bool {
    let before = cache_counts(app).await;
    assert_eq!(verify(app, key, None).await["code"], code);
    let after = cache_counts(app).await;
    assert_eq!(after.hits + after.misses, before.hits + before.misses + 1);
    after.hits == before.hits + 1
}

/// Every change of one organization, the organization's own included.
async fn change_everything_of(app: &TestApp, org: &str, key_id: &str) {
    let changes = [
        app.admin
            .patch(&key_path(org, key_id), json!({ "metadata": { "v": 3 } }))
            .await,
        app.admin
            .post(
                &permissions_path(org),
                json!({ "name": "reports:read", "read_only": true }),
            )
            .await,
        app.admin
            .patch(&org_path(org), json!({ "name": "Renamed" }))
            .await,
        app.admin
            .post(
                &service_accounts_path(org),
                json!({ "name": "robot", "description": "" }),
            )
            .await,
    ];
    for change in &changes {
        assert!(change.status < 300, "{change:?}");
    }
}

pub async fn a_change_in_one_org_leaves_other_orgs_cached(backend: Backend) {
    let (app, acme_key) = cached_key(&backend).await;
    app.create_org("Beta").await;
    let beta_key = app
        .create_key("beta", json!({ "name": "b", "scope": "organization" }))
        .await;
    let beta = text(&beta_key, "key");
    assert!(!answered_from_memory(&app, beta, "VALID").await);
    assert!(answered_from_memory(&app, beta, "VALID").await);

    change_everything_of(&app, "acme", text(&acme_key, "id")).await;
    assert!(answered_from_memory(&app, beta, "VALID").await);
    assert!(!answered_from_memory(&app, text(&acme_key, "key"), "VALID").await);
    assert_eq!(
        verify(&app, text(&acme_key, "key"), None).await["metadata"],
        json!({ "v": 3 })
    );
}

pub async fn a_principal_change_retires_only_its_keys(backend: Backend) {
    let (app, org_key) = cached_key(&backend).await;
    let mut keys = Vec::new();
    for name in ["one", "two"] {
        let account = create_service_account(&app.admin, "acme", name).await;
        let key = app
            .create_key(
                "acme",
                json!({ "name": name, "scope": "service_account", "service_account_id": account }),
            )
            .await;
        let key = text(&key, "key").to_owned();
        assert!(!answered_from_memory(&app, &key, "VALID").await);
        keys.push((account, key));
    }
    let [(one, one_key), (_, two_key)] = &keys[..] else {
        unreachable!()
    };
    assert_status(
        &app.admin
            .patch(
                &service_account_path("acme", one),
                json!({ "enabled": false }),
            )
            .await,
        200,
    );
    assert!(!answered_from_memory(&app, one_key, "DISABLED").await);
    assert!(answered_from_memory(&app, two_key, "VALID").await);
    assert!(answered_from_memory(&app, text(&org_key, "key"), "VALID").await);
}

pub async fn concurrent_misses_share_one_load(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let key = app
        .create_key("acme", json!({ "name": "k", "scope": "organization" }))
        .await;
    let before = cache_counts(&app).await;
    let verifications = (0..32).map(|_| verify(&app, text(&key, "key"), None));
    for answer in futures::future::join_all(verifications).await {
        assert_eq!(answer["code"], "VALID");
    }
    let after = cache_counts(&app).await;
    eprintln!(
        "{} misses, {} loads",
        after.misses - before.misses,
        after.loads - before.loads
    );
    assert_eq!(after.loads - before.loads, 1);
    assert_eq!(after.hits + after.misses - before.hits - before.misses, 32);
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
    eviction::a_change_in_one_org_leaves_other_orgs_cached,
    eviction::a_principal_change_retires_only_its_keys,
    eviction::concurrent_misses_share_one_load,
}
