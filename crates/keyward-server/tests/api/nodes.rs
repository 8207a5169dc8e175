//! Several nodes on one PostgreSQL database: a change on one node retires
//! the others' cached answers about what changed through `LISTEN/NOTIFY`,
//! and only those, permission edits included.

use crate::api::{key_path, text};
use crate::assertions::assert_status;
use crate::backend::{self, Backend, Kind};
use crate::eviction::answered_from_memory;
use crate::helpers::{TestApp, spawn_app_with};
use crate::metrics::{scrape, value};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SHARED_SECRET: &str = "nodes-share-this-secret-0123456789abcdef";

async fn node(backend: &Backend, url: &str) -> TestApp {
    spawn_app_with(backend, |config| {
        config.database_url = Some(url.parse().unwrap());
        config.secret = Some(SHARED_SECRET.parse().unwrap());
    })
    .await
}

async fn verify(app: &TestApp, key: &str) -> Value {
    let response = app
        .admin
        .post("/api/v1/keys/verify", json!({ "key": key }))
        .await;
    assert_status(&response, 200);
    response.body
}

async fn revocation_reaches_the_other_node(backend: Backend) {
    let url = backend
        .new_database_url()
        .await
        .expect("a PostgreSQL backend");
    let a = node(&backend, &url).await;
    let b = node(&backend, &url).await;
    a.create_org("Acme").await;
    let created = a
        .create_key("acme", json!({ "name": "shared", "scope": "organization" }))
        .await;
    let key = text(&created, "key");
    // b answers from its cache from now on.
    assert_eq!(verify(&b, key).await["code"], "VALID");
    assert_eq!(verify(&b, key).await["code"], "VALID");

    assert_status(
        &a.admin
            .delete(&key_path("acme", text(&created, "id")))
            .await,
        204,
    );
    let revoked_at = Instant::now();
    loop {
        let code = verify(&b, key).await["code"].clone();
        if code == "REVOKED" {
            eprintln!(
                "revocation seen by the second node after {:?}",
                revoked_at.elapsed()
            );
            break;
        }
        assert_eq!(code, "VALID");
        assert!(
            revoked_at.elapsed() < Duration::from_secs(5),
            "the second node never saw the revocation"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let heard = value(&scrape(&b).await, "keyward_notifications_received_total");
    assert!(heard >= 1, "the second node counts what it heard: {heard}");
}

/// Polls `app` until `key` answers `code` (a change made on another node
/// arrived), for at most five seconds.
async fn until_code(app: &TestApp, key: &str, code: &str) {
    let started = Instant::now();
    while verify(app, key).await["code"] != code {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the change never reached the node"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn other_orgs_stay_cached_on_the_other_node(backend: Backend) {
    let url = backend
        .new_database_url()
        .await
        .expect("a PostgreSQL backend");
    let a = node(&backend, &url).await;
    let b = node(&backend, &url).await;
    let mut keys = Vec::new();
    for name in ["Acme", "Beta"] {
        a.create_org(name).await;
        let slug = name.to_lowercase();
        let created = a
            .create_key(&slug, json!({ "name": "k", "scope": "organization" }))
            .await;
        let key = text(&created, "key").to_owned();
        assert!(!answered_from_memory(&b, &key, "VALID").await);
        assert!(answered_from_memory(&b, &key, "VALID").await);
        keys.push((slug, created, key));
    }
    let [(_, acme, acme_key), (_, _, beta_key)] = &keys[..] else {
        unreachable!()
    };
    // An organization-wide change and a key's own, both in Acme.
    let renamed = a
        .admin
        .patch("/api/v1/orgs/acme", json!({ "name": "Acme 2" }))
        .await;
    assert_status(&renamed, 200);
    let path = key_path("acme", text(acme, "id"));
    assert_status(
        &a.admin.patch(&path, json!({ "enabled": false })).await,
        200,
    );
    until_code(&b, acme_key, "DISABLED").await;
    assert!(answered_from_memory(&b, beta_key, "VALID").await);
}

async fn permission_edit_reaches_the_other_node(backend: Backend) {
    let url = backend
        .new_database_url()
        .await
        .expect("a PostgreSQL backend");
    let a = node(&backend, &url).await;
    let b = node(&backend, &url).await;
    a.create_org("Acme").await;
    let created = a
        .create_key(
            "acme",
            json!({ "name": "edited", "scope": "organization", "permissions": ["keys:read"] }),
        )
        .await;
    let key = text(&created, "key");
    let asks = |permission: &str| json!({ "key": key, "permission": permission });
    let code = |app: &TestApp, permission: &str| {
        let body = asks(permission);
        let api = app.admin.clone();
        async move {
            let response = api.post("/api/v1/keys/verify", body).await;
            assert_status(&response, 200);
            response.body["code"].clone()
        }
    };
    // b answers from its cache from now on.
    for _ in 0..2 {
        assert_eq!(code(&b, "keys:verify").await, "INSUFFICIENT_PERMISSIONS");
    }
    let edited = a
        .admin
        .patch(
            &key_path("acme", text(&created, "id")),
            json!({ "permissions": ["keys:verify"] }),
        )
        .await;
    assert_status(&edited, 200);
    let started = Instant::now();
    while code(&b, "keys:verify").await != "VALID" {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the second node never saw the edit"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(code(&b, "keys:read").await, "INSUFFICIENT_PERMISSIONS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_edits_reach_every_node() {
    backend::run(Kind::Postgres, permission_edit_reaches_the_other_node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_orgs_stay_cached_on_every_node() {
    backend::run(Kind::Postgres, other_orgs_stay_cached_on_the_other_node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_reaches_every_node() {
    backend::run(Kind::Postgres, revocation_reaches_the_other_node).await;
}
