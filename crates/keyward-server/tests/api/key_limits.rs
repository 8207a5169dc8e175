//! Keys' abuse controls through the API: rate limits and credits exact
//! under concurrency on one node, allow-lists on the verify endpoint and
//! on keyward's own API, their validation, and credits that survive a
//! restart and can be set again.

use crate::api::{key_path, keys_path, text};
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::{TestApp, key_body_with, spawn_app};
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashMap;

async fn key_with(app: &TestApp, limits: Value) -> Value {
    app.create_key("acme", key_body_with(limits)).await
}

async fn verify(app: &TestApp, body: Value) -> Value {
    let response = app.admin.post("/api/v1/keys/verify", body).await;
    assert_status(&response, 200);
    response.body
}

/// Sends `n` verifications of `key` at once; counts the answers by code.
pub async fn verify_at_once(apps: &[&TestApp], key: &str, n: usize) -> HashMap<String, usize> {
    let calls = (0..n).map(|i| {
        let api = apps[i % apps.len()].admin.clone();
        let key = key.to_owned();
        tokio::spawn(async move {
            let response = api.post("/api/v1/keys/verify", json!({ "key": key })).await;
            assert_status(&response, 200);
            text(&response.body, "code").to_owned()
        })
    });
    let mut codes = HashMap::new();
    for code in join_all(calls).await {
        *codes.entry(code.unwrap()).or_default() += 1;
    }
    codes
}

pub async fn a_rate_limit_passes_exactly_its_limit_at_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let limits = json!({ "ratelimits": [{ "name": "burst", "limit": 50, "duration_ms": 10_000 }] });
    let created = key_with(&app, limits).await;
    assert_eq!(created["ratelimits"][0]["limit"], 50);
    let key = text(&created, "key");

    let codes = verify_at_once(&[&app], key, 200).await;
    assert_eq!(codes.get("VALID"), Some(&50), "{codes:?}");
    assert_eq!(codes.get("RATE_LIMITED"), Some(&150), "{codes:?}");

    let refused = verify(&app, json!({ "key": key })).await;
    assert_eq!(refused["valid"], false);
    assert_eq!(refused["code"], "RATE_LIMITED");
    assert_eq!(refused["ratelimits"][0]["name"], "burst");
    assert_eq!(refused["ratelimits"][0]["remaining"], 0);

    // One more every 200 ms (10 s / 50), not 50 more at a boundary.
    app.clock.advance(chrono::Duration::milliseconds(200));
    let codes = verify_at_once(&[&app], key, 10).await;
    assert_eq!(codes.get("VALID"), Some(&1), "{codes:?}");
    app.clock.advance(chrono::Duration::seconds(10));
    let passed = verify(&app, json!({ "key": key })).await;
    assert_eq!(passed["code"], "VALID");
    assert_eq!(passed["ratelimits"][0]["remaining"], 49);
}

pub async fn credits_are_spent_exactly_at_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = key_with(&app, json!({ "credits": { "remaining": 100 } })).await;
    let key = text(&created, "key");

    let codes = verify_at_once(&[&app], key, 1_000).await;
    assert_eq!(codes.get("VALID"), Some(&100), "{codes:?}");
    assert_eq!(codes.get("USAGE_EXCEEDED"), Some(&900), "{codes:?}");

    let refused = verify(&app, json!({ "key": key })).await;
    assert_eq!(refused["code"], "USAGE_EXCEEDED");
    assert_eq!(refused["credits"]["remaining"], 0);
    assert_eq!(refused["credits"]["refill_at"], Value::Null);
    // Cost 0 checks without consuming; so a key at 0 still answers VALID.
    let checked = verify(&app, json!({ "key": key, "cost": 0 })).await;
    assert_eq!(checked["code"], "VALID");

    // PATCH sets the balance again.
    let id = text(&created, "id");
    let patched = app
        .admin
        .patch(
            &key_path("acme", id),
            json!({ "credits": { "remaining": 5 } }),
        )
        .await;
    assert_status(&patched, 200);
    assert_eq!(patched.body["credits"]["remaining"], 5);
    let costly = verify(&app, json!({ "key": key, "cost": 6 })).await;
    assert_eq!(costly["code"], "USAGE_EXCEEDED");
    assert_eq!(costly["credits"]["remaining"], 5);
    let spent = verify(&app, json!({ "key": key, "cost": 5 })).await;
    assert_eq!(spent["code"], "VALID");
    assert_eq!(spent["credits"]["remaining"], 0);

    let negative = app
        .admin
        .post("/api/v1/keys/verify", json!({ "key": key, "cost": -1 }))
        .await;
    assert_status(&negative, 422);
}

pub async fn credits_refill_and_survive_a_restart(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let refill = json!({ "interval": "daily", "amount": 20 });
    let created = key_with(
        &app,
        json!({ "credits": { "remaining": 10, "refill": refill } }),
    )
    .await;
    let key = text(&created, "key").to_owned();
    let id = text(&created, "id").to_owned();
    assert_eq!(created["credits"]["refill"]["amount"], 20);
    assert!(created["credits"]["refill_at"].is_string());

    for _ in 0..4 {
        assert_eq!(verify(&app, json!({ "key": key })).await["code"], "VALID");
    }
    // A graceful stop writes the balance; the next start counts from it.
    let app = app.restart().await;
    let read = app.admin.get(&key_path("acme", &id)).await;
    assert_eq!(read.body["credits"]["remaining"], 6);
    let answer = verify(&app, json!({ "key": key })).await;
    assert_eq!(answer["credits"]["remaining"], 5);

    // The next day's refill sets the balance to its amount.
    app.clock.advance(chrono::Duration::days(1));
    let answer = verify(&app, json!({ "key": key })).await;
    assert_eq!(answer["code"], "VALID");
    assert_eq!(answer["credits"]["remaining"], 19);
}

pub async fn an_allow_list_refuses_other_addresses(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = key_with(
        &app,
        json!({ "allowed_ips": ["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"] }),
    )
    .await;
    assert_eq!(
        created["allowed_ips"],
        json!(["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"])
    );
    let key = text(&created, "key");
    for (ip, code) in [
        (json!("203.0.113.7"), "VALID"),
        (json!("10.20.30.40"), "VALID"),
        (json!("2001:db8:5::1"), "VALID"),
        (json!("203.0.113.8"), "IP_NOT_ALLOWED"),
        (Value::Null, "IP_NOT_ALLOWED"),
    ] {
        let answer = verify(&app, json!({ "key": key, "ip": ip })).await;
        assert_eq!(answer["code"], code, "{ip}");
    }
    let malformed = app
        .admin
        .post(
            "/api/v1/keys/verify",
            json!({ "key": key, "ip": "10.0.0.x" }),
        )
        .await;
    assert_status(&malformed, 422);

    // Used on keyward's own API from 127.0.0.1, outside its list.
    let own = app.client_with_key(key).get(&keys_path("acme")).await;
    assert_status(&own, 403);
    assert_eq!(own.body["code"], "IP_NOT_ALLOWED");
    let loopback = key_with(&app, json!({ "allowed_ips": ["127.0.0.0/8", "::1"] })).await;
    let own = app
        .client_with_key(text(&loopback, "key"))
        .get(&keys_path("acme"))
        .await;
    assert_status(&own, 200);
}

pub async fn limits_are_validated(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let limit = |name: &str| json!({ "name": name, "limit": 1, "duration_ms": 1_000 });
    let six: Vec<Value> = (0..6).map(|i| limit(&format!("l{i}"))).collect();
    let many_ips: Vec<String> = (0..101).map(|i| format!("10.0.0.{i}")).collect();
    for refused in [
        json!({ "ratelimits": six }),
        json!({ "ratelimits": [{ "name": "a", "limit": 0, "duration_ms": 1_000 }] }),
        json!({ "ratelimits": [{ "name": "a", "limit": 1, "duration_ms": 999 }] }),
        json!({ "ratelimits": [{ "name": "a", "limit": 1, "duration_ms": 86_400_001 }] }),
        json!({ "ratelimits": [limit("a"), limit("a")] }),
        json!({ "credits": { "remaining": -1 } }),
        json!({ "credits": { "remaining": 1, "refill": { "interval": "weekly", "amount": 1 } } }),
        json!({ "credits": { "remaining": 1, "refill": { "interval": "monthly", "amount": 1, "refill_day": 32 } } }),
        json!({ "allowed_ips": ["10.0.0.1/8"] }),
        json!({ "allowed_ips": ["example.com"] }),
        json!({ "allowed_ips": many_ips }),
    ] {
        let mut body = json!({ "name": "bad", "scope": "organization" });
        body.as_object_mut()
            .unwrap()
            .extend(refused.as_object().unwrap().clone());
        let response = app.admin.post(&keys_path("acme"), body).await;
        assert_status(&response, 422);
        assert_eq!(
            response.body["code"], "VALIDATION_FAILED",
            "{refused}: {}",
            response.body
        );
    }
}

pub async fn limits_are_changed_and_rolled(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = key_with(
        &app,
        json!({
            "ratelimits": [{ "name": "burst", "limit": 1, "duration_ms": 60_000 }],
            "allowed_ips": ["127.0.0.1"],
        }),
    )
    .await;
    let (id, key) = (text(&created, "id"), text(&created, "key"));
    assert_eq!(
        verify(&app, json!({ "key": key, "ip": "127.0.0.1" })).await["code"],
        "VALID"
    );
    assert_eq!(
        verify(&app, json!({ "key": key, "ip": "127.0.0.1" })).await["code"],
        "RATE_LIMITED"
    );

    // Rolling copies the limits to the new key, which counts anew.
    let rolled = app
        .admin
        .post(&format!("{}/roll", key_path("acme", id)), json!({}))
        .await;
    assert_status(&rolled, 201);
    assert_eq!(rolled.body["ratelimits"], created["ratelimits"]);
    assert_eq!(rolled.body["allowed_ips"], json!(["127.0.0.1"]));
    let new_key = text(&rolled.body, "key");
    assert_eq!(
        verify(&app, json!({ "key": new_key, "ip": "127.0.0.1" })).await["code"],
        "VALID"
    );

    // Taking the limits away frees the old key at once.
    let patched = app
        .admin
        .patch(
            &key_path("acme", id),
            json!({ "ratelimits": [], "allowed_ips": [] }),
        )
        .await;
    assert_status(&patched, 200);
    assert_eq!(patched.body["ratelimits"], json!([]));
    let answer = verify(&app, json!({ "key": key })).await;
    assert_eq!(answer["code"], "VALID");
    assert!(answer.get("ratelimits").is_none());
}
