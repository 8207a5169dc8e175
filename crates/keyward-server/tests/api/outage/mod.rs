//! A PostgreSQL outage, for real: the test's own server is stopped under
//! three nodes and started again. Cached answers keep verifying (the
//! caller's own key included) within `stale_if_error`; everything that
//! needs the store answers 503 `STORE_UNAVAILABLE` with `Retry-After`;
//! readiness says why; once the server is back the nodes recover by
//! themselves, hear each other's changes again and write the usage they
//! counted meanwhile.

mod server;

use crate::api::{Api, key_path, keys_path, text};
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::{TestApp, key_body, spawn_app_with};
use keyward_client::{Method, RawResponse};
use keyward_core::Clock;
use keyward_core::forward_rules::DefaultPolicy;
use keyward_server::forward::{self, ForwardAuthConfig};
use serde_json::{Value, json};
use server::{PgServer, Stop};
use std::time::{Duration, Instant};

const SHARED_SECRET: &str = "nodes-share-this-secret-0123456789abcdef";
/// Long enough for a node to notice the store is gone or back.
const NOTICE: Duration = Duration::from_secs(20);

async fn node(url: &str, stale_if_error: u64) -> TestApp {
    spawn_app_with(&Backend::Sqlite, |config| {
        config.database_url = Some(url.parse().unwrap());
        config.secret = Some(SHARED_SECRET.parse().unwrap());
        config.stale_if_error = Some(stale_if_error);
        config.forward_auth = Some(ForwardAuthConfig {
            default: DefaultPolicy::AllowAuthenticated,
            ..ForwardAuthConfig::default()
        });
    })
    .await
}

/// A call that may answer 5xx, unlike [`Api::send`].
async fn call(api: &Api, method: Method, path: &str, body: Option<Value>) -> RawResponse {
    api.client().send(method, path, body).await.unwrap()
}

async fn verify(caller: &Api, key: &str) -> RawResponse {
    call(
        caller,
        Method::POST,
        "/api/v1/keys/verify",
        Some(json!({ "key": key })),
    )
    .await
}

/// Forward-auth, as nginx asks it.
async fn forward(app: &TestApp, key: &str) -> RawResponse {
    let proxy = app
        .anonymous()
        .with_header("authorization", &format!("Bearer {key}"))
        .with_header("x-original-method", "GET")
        .with_header("x-original-uri", "/reports/1");
    call(&proxy, Method::GET, forward::PATH, None).await
}

fn assert_valid(response: &RawResponse) {
    assert_status(response, 200);
    assert_eq!(response.body["code"], "VALID", "{}", response.body);
}

fn assert_store_unavailable(response: &RawResponse) {
    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(
        response.body["code"], "STORE_UNAVAILABLE",
        "{}",
        response.body
    );
    assert_eq!(response.body["statusCode"], 503);
    assert!(response.headers.contains_key("retry-after"));
}

/// Polls `path` on `app` until it answers `status`.
async fn until_status(app: &TestApp, path: &str, status: u16) -> RawResponse {
    let started = Instant::now();
    loop {
        let response = call(&app.anonymous(), Method::GET, path, None).await;
        if response.status == status {
            return response;
        }
        assert!(started.elapsed() < NOTICE, "{path} never answered {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let response = call(&app.anonymous(), Method::GET, "/metrics", None).await;
    let Value::String(text) = response.body else {
        panic!("metrics are text");
    };
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_is_served_from_memory_and_recovered_from() {
    let Some(pg) = PgServer::start() else {
        eprintln!("skipped: PostgreSQL's programs are not installed");
        return;
    };
    let url = pg.url();
    let a = node(&url, 300).await;
    let b = node(&url, 300).await;
    let brief = node(&url, 1).await;
    a.create_org("Acme").await;
    let org_key = json!({ "name": "k", "scope": "organization" });
    let caller = a.create_key("acme", org_key.clone()).await;
    let cached = a.create_key("acme", org_key.clone()).await;
    let uncached = a.create_key("acme", org_key.clone()).await;
    let in_an_hour = (a.clock.now() + chrono::Duration::hours(1)).to_rfc3339();
    let mut expiring = org_key;
    expiring["expires_at"] = json!(in_an_hour);
    let expiring = a.create_key("acme", expiring).await;
    let expiring_key = text(&expiring, "key");
    let (caller_key, cached_key) = (text(&caller, "key"), text(&cached, "key"));
    let on_b = b.client_with_key(caller_key);
    let on_brief = brief.client_with_key(caller_key);
    for _ in 0..2 {
        assert_valid(&verify(&on_b, cached_key).await);
        assert_valid(&verify(&on_brief, cached_key).await);
    }
    assert_status(&forward(&b, cached_key).await, 200);
    assert_valid(&verify(&on_b, expiring_key).await);

    pg.stop(Stop::Fast);
    let ready = until_status(&b, "/readyz", 503).await;
    assert_eq!(ready.body["code"], "UNAVAILABLE");
    assert!(
        ready.body["details"]["reason"].is_string(),
        "{}",
        ready.body
    );
    assert_status(
        &call(&b.anonymous(), Method::GET, "/healthz", None).await,
        200,
    );
    // Cached answers stand, the caller's own credential included.
    for _ in 0..3 {
        assert_valid(&verify(&on_b, cached_key).await);
    }
    assert_valid(&verify(&on_b, caller_key).await);
    assert_status(&forward(&b, cached_key).await, 200);
    assert_store_unavailable(&forward(&b, text(&uncached, "key")).await);
    // Expiry is still enforced, from the cached record.
    assert_valid(&verify(&on_b, expiring_key).await);
    b.clock.advance(chrono::Duration::hours(2));
    assert_eq!(verify(&on_b, expiring_key).await.body["code"], "EXPIRED");
    // What memory doesn't hold needs the store.
    assert_store_unavailable(&verify(&on_b, text(&uncached, "key")).await);
    let create = call(
        &a.admin,
        Method::POST,
        &keys_path("acme"),
        Some(key_body("new")),
    )
    .await;
    assert_store_unavailable(&create);
    assert_store_unavailable(&call(&on_b, Method::GET, &keys_path("acme"), None).await);
    assert!(metric(&b, "keyward_stale_answers_total").await >= 5.0);
    assert_eq!(metric(&b, "keyward_store_up").await, 0.0);
    assert!(metric(&b, "keyward_store_errors_total").await >= 1.0);
    assert!(metric(&b, "keyward_store_unavailable_answers_total").await >= 3.0);
    // Past `stale_if_error`, cached answers are no longer served.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(metric(&brief, "keyward_unheard_seconds").await >= 1.0);
    assert_store_unavailable(&verify(&on_brief, cached_key).await);

    pg.resume();
    for node in [&a, &b, &brief] {
        until_status(node, "/readyz", 200).await;
    }
    assert_valid(&verify(&on_brief, cached_key).await);
    // Uses counted during the outage reach the store.
    let cached_path = key_path("acme", text(&cached, "id"));
    let back_at = Instant::now();
    loop {
        let key = a.admin.get(&cached_path).await.body;
        if key["usage_count"].as_i64() >= Some(7) {
            break;
        }
        assert!(
            back_at.elapsed() < NOTICE,
            "usage counted during the outage was lost: {key}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A revocation on one node reaches the other again.
    assert_status(&a.admin.delete(&cached_path).await, 204);
    let revoked_at = Instant::now();
    while verify(&on_b, cached_key).await.body["code"] != "REVOKED" {
        assert!(
            revoked_at.elapsed() < NOTICE,
            "the revocation never reached b"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A crash: the server dies at once.
    let uncached_key = text(&uncached, "key");
    assert_valid(&verify(&on_b, uncached_key).await);
    pg.stop(Stop::Immediate);
    until_status(&b, "/readyz", 503).await;
    assert_valid(&verify(&on_b, uncached_key).await);
    pg.resume();
    until_status(&b, "/readyz", 200).await;
    assert_valid(&verify(&on_b, uncached_key).await);
}
