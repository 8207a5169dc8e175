//! Webhook delivery end to end: a receiver on a loopback port gets each
//! event exactly as signed (checked with an independent implementation of
//! Standard Webhooks), in order, retried after failures; test messages,
//! retries on request, both signatures while a rolled secret overlaps,
//! `key.expiring` and `key.expired`; and, on PostgreSQL, two nodes
//! sending each event once.

use crate::api::{key_path, text};
use crate::assertions::assert_status;
use crate::backend::{self, Backend, Kind};
use crate::helpers::{TestApp, spawn_app_with};
use crate::webhooks::{create_webhook, spawn_hooked, webhook_path};
use crate::webhooks_receiver::{Received, Receiver};
use chrono::{DateTime, Duration as Days, Utc};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

async fn create_team(app: &TestApp, org: &str, name: &str) -> Value {
    let response = app
        .admin
        .post(
            &format!("/api/v1/orgs/{org}/teams"),
            json!({ "name": name }),
        )
        .await;
    assert_status(&response, 201);
    response.body
}

async fn deliveries(app: &TestApp, org: &str, webhook: &str) -> Vec<Value> {
    let response = app
        .admin
        .get(&format!("{}/deliveries", webhook_path(org, webhook)))
        .await;
    assert_status(&response, 200);
    response.body["items"].as_array().unwrap().clone()
}

fn assert_signed(received: &Received, secret: &str) {
    assert!(received.id.starts_with("msg_"), "{received:?}");
    let timestamp: i64 = received.timestamp.parse().expect("a Unix timestamp");
    assert!((Utc::now().timestamp() - timestamp).abs() < 60);
    assert!(received.signed_by(secret), "bad signature: {received:?}");
    let forged = format!("{}x", received.body);
    let forged_sig =
        crate::webhooks_receiver::sign(secret, &received.id, &received.timestamp, &forged);
    assert!(!received.signature.split(' ').any(|s| s == forged_sig));
}

pub async fn events_arrive_signed_and_in_order(backend: Backend) {
    let app = spawn_hooked(&backend).await;
    let receiver = Receiver::start(0).await;
    app.create_org("Acme").await;
    let webhook = create_webhook(&app, "acme", &receiver.url, &["key.*"]).await;
    let secret = text(&webhook, "secret").to_owned();
    let key = app.org_key("acme", "nightly").await;
    let secret_key = text(&key, "key").to_owned();
    create_team(&app, "acme", "Data").await; // not a key event
    let revoked = std::time::Instant::now();
    assert_status(
        &app.admin.delete(&key_path("acme", text(&key, "id"))).await,
        204,
    );
    let got = receiver.wait_delivered(2).await;
    eprintln!(
        "key.revoked received {:?} after the request",
        revoked.elapsed()
    );
    let kinds: Vec<String> = got.iter().map(Received::kind).collect();
    assert_eq!(kinds, ["key.created", "key.revoked"]);
    for received in &got {
        assert_signed(received, &secret);
        let body = received.json();
        assert!(body["timestamp"].is_string());
        assert_eq!(body["data"]["target"]["id"], text(&key, "id"));
        assert!(
            !received.body.contains(&secret_key),
            "a key's secret was sent"
        );
    }
    assert_ne!(got[0].id, got[1].id);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 2, "{:#?}", receiver.received());
    let log = deliveries(&app, "acme", text(&webhook, "id")).await;
    assert_eq!(log.len(), 2);
    for delivery in &log {
        assert_eq!(delivery["status"], "delivered");
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["response_status"], 204);
        assert!(delivery["latency_ms"].is_number());
    }
}

pub async fn failed_deliveries_are_retried_in_order(backend: Backend) {
    let app = spawn_hooked(&backend).await;
    let receiver = Receiver::start(2).await;
    app.create_org("Acme").await;
    let webhook = create_webhook(&app, "acme", &receiver.url, &["team.created"]).await;
    let secret = text(&webhook, "secret").to_owned();
    create_team(&app, "acme", "First").await;
    create_team(&app, "acme", "Second").await;
    let got = receiver.wait_delivered(2).await;
    let all = receiver.received();
    // Two failures then the first event; the second waited for it.
    assert_eq!(all.len(), 4, "{all:#?}");
    assert_eq!(all[0].answered, 500);
    assert_eq!(all[1].answered, 500);
    assert!(all[..3].iter().all(|r| r.id == all[0].id));
    let names: Vec<Value> = got
        .iter()
        .map(|r| r.json()["data"]["target"]["name"].clone())
        .collect();
    assert_eq!(names, [json!("First"), json!("Second")]);
    for received in &all {
        assert_signed(received, &secret);
    }
    let log = deliveries(&app, "acme", text(&webhook, "id")).await;
    let first = log
        .iter()
        .find(|d| d["message_id"] == all[0].id.as_str())
        .unwrap();
    assert_eq!(first["status"], "delivered");
    assert_eq!(first["attempts"], 3);
    assert_eq!(first["response_status"], 204);
}

pub async fn test_messages_and_manual_retries_are_sent(backend: Backend) {
    let app = spawn_hooked(&backend).await;
    let receiver = Receiver::start(0).await;
    app.create_org("Acme").await;
    let webhook = create_webhook(&app, "acme", &receiver.url, &["member.removed"]).await;
    let path = webhook_path("acme", text(&webhook, "id"));
    let tested = app.admin.post(&format!("{path}/test"), json!({})).await;
    assert_status(&tested, 202);
    let got = receiver.wait_delivered(1).await;
    assert_eq!(got[0].kind(), "webhook.test");
    assert_signed(&got[0], text(&webhook, "secret"));
    let delivery = tested.body["delivery_id"].to_string();
    let retried = app
        .admin
        .post(&format!("{path}/deliveries/{delivery}/retry"), json!({}))
        .await;
    assert_status(&retried, 202);
    let again = receiver.wait_delivered(2).await;
    assert_eq!(again[1].id, got[0].id, "a retry is the same message");
    let unknown = app
        .admin
        .post(&format!("{path}/deliveries/999999/retry"), json!({}))
        .await;
    crate::assertions::assert_error(&unknown, 404, "DELIVERY_NOT_FOUND");
}

pub async fn a_rolled_secret_signs_beside_the_new_one(backend: Backend) {
    let app = spawn_hooked(&backend).await;
    let receiver = Receiver::start(0).await;
    app.create_org("Acme").await;
    let webhook = create_webhook(&app, "acme", &receiver.url, &["team.*"]).await;
    let old = text(&webhook, "secret").to_owned();
    let rolled = app
        .admin
        .post(
            &format!("{}/roll-secret", webhook_path("acme", text(&webhook, "id"))),
            json!({}),
        )
        .await;
    assert_status(&rolled, 200);
    let new = text(&rolled.body, "secret").to_owned();
    create_team(&app, "acme", "Data").await;
    let got = receiver.wait_delivered(1).await;
    assert_eq!(got[0].signature.split(' ').count(), 2, "{:?}", got[0]);
    assert!(got[0].signed_by(&old) && got[0].signed_by(&new));
}

pub async fn expiring_and_expired_keys_are_announced_once(backend: Backend) {
    let app = spawn_hooked(&backend).await;
    let receiver = Receiver::start(0).await;
    app.create_org("Acme").await;
    create_webhook(
        &app,
        "acme",
        &receiver.url,
        &["key.expiring", "key.expired"],
    )
    .await;
    let now: DateTime<Utc> = keyward_core::Clock::now(app.clock.as_ref());
    let soon = app
        .create_key(
            "acme",
            json!({"name": "soon", "scope": "organization", "expires_at": now + Days::days(3)}),
        )
        .await;
    app.create_key(
        "acme",
        json!({"name": "later", "scope": "organization", "expires_at": now + Days::days(30)}),
    )
    .await;
    let run = || keyward_server::webhooks::expiry::run_once(&app.state);
    assert_eq!(run().await.unwrap(), 1);
    assert_eq!(run().await.unwrap(), 0, "announced once");
    app.clock.advance(Days::days(4));
    assert_eq!(run().await.unwrap(), 1);
    assert_eq!(run().await.unwrap(), 0);
    let got = receiver.wait_delivered(2).await;
    let kinds: Vec<String> = got.iter().map(Received::kind).collect();
    assert_eq!(kinds, ["key.expiring", "key.expired"]);
    for received in &got {
        assert_eq!(received.json()["data"]["target"]["id"], text(&soon, "id"));
    }
    // An organization may ask for more notice: 30 days brings "later" in.
    let settings = app
        .admin
        .send(
            keyward_client::Method::PUT,
            "/api/v1/orgs/acme/webhook-settings",
            Some(json!({"expiring_days": 30})),
        )
        .await;
    assert_status(&settings, 200);
    assert_eq!(run().await.unwrap(), 1);
    let bad = app
        .admin
        .send(
            keyward_client::Method::PUT,
            "/api/v1/orgs/acme/webhook-settings",
            Some(json!({"expiring_days": 0})),
        )
        .await;
    assert_status(&bad, 422);
}

const SHARED_SECRET: &str = "nodes-share-this-secret-0123456789abcdef";

async fn node(backend: &Backend, url: &str) -> TestApp {
    spawn_app_with(backend, |config| {
        config.database_url = Some(url.parse().unwrap());
        config.secret = Some(SHARED_SECRET.parse().unwrap());
        config.webhooks.allow_private_targets = true;
        config.webhooks.retry_base_ms = Some(100);
    })
    .await
}

async fn two_nodes_send_each_event_once(backend: Backend) {
    let url = backend
        .new_database_url()
        .await
        .expect("a PostgreSQL backend");
    let a = node(&backend, &url).await;
    let b = node(&backend, &url).await;
    let receiver = Receiver::start(3).await;
    a.create_org("Acme").await;
    let webhook = create_webhook(&a, "acme", &receiver.url, &["team.created"]).await;
    const EVENTS: usize = 30;
    for i in 0..EVENTS {
        let on = if i % 2 == 0 { &a } else { &b };
        create_team(on, "acme", &format!("team {i}")).await;
    }
    let got = receiver.wait_delivered(EVENTS).await;
    // Give a second sender time to show itself, if there were one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let delivered = receiver.delivered();
    let ids: HashSet<&str> = delivered.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(delivered.len(), EVENTS, "an event was delivered twice");
    assert_eq!(ids.len(), EVENTS);
    let names: Vec<String> = got
        .iter()
        .map(|r| {
            r.json()["data"]["target"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (0..EVENTS).map(|i| format!("team {i}")).collect();
    assert_eq!(names, expected, "in commit order");
    let log = deliveries(&b, "acme", text(&webhook, "id")).await;
    assert!(log.iter().all(|d| d["status"] == "delivered"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_nodes_deliver_each_event_once() {
    backend::run(Kind::Postgres, two_nodes_send_each_event_once).await;
}
