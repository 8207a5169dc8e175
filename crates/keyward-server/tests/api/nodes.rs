//! Several nodes on one PostgreSQL database: a change on one node retires
//! the others' cached answers through `LISTEN/NOTIFY`.

use crate::api::{key_path, text};
use crate::assertions::assert_status;
use crate::backend::{self, Backend, Kind};
use crate::helpers::{TestApp, spawn_app_with};
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_reaches_every_node() {
    backend::run(Kind::Postgres, revocation_reaches_the_other_node).await;
}
