//! Key usage: counts and `last_used_at`, written off the request path.

use crate::api::{key_path, keys_path, text};
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use chrono::{DateTime, Duration, Utc};
use keyward_core::Clock;
use serde_json::Value;

/// Creates a key in `acme` and uses it `times` times a minute after its
/// creation; returns its id and when it was used.
async fn use_a_key(app: &TestApp, times: usize) -> (String, DateTime<Utc>) {
    app.create_org("Acme").await;
    let created = app.org_key("acme", "busy").await;
    assert_eq!(created["usage_count"], 0);
    app.clock.advance(Duration::minutes(1));
    let client = app.client_with_key(text(&created, "key"));
    for _ in 0..times {
        assert_status(&client.get(&keys_path("acme")).await, 200);
    }
    (text(&created, "id").to_owned(), app.clock.now())
}

async fn read_key(app: &TestApp, id: &str) -> Value {
    let read = app.admin.get(&key_path("acme", id)).await;
    assert_status(&read, 200);
    read.body
}

fn assert_used(key: &Value, count: i64, at: DateTime<Utc>) {
    assert_eq!(key["usage_count"], count, "{key}");
    let last_used: DateTime<Utc> = text(key, "last_used_at").parse().unwrap();
    assert_eq!(last_used, at, "{key}");
}

pub async fn usage_survives_a_graceful_restart(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (id, used_at) = use_a_key(&app, 3).await;
    let app = app.restart().await;
    assert_used(&read_key(&app, &id).await, 3, used_at);
    // The admin key's calls are nobody's usage.
    let again = app.restart().await;
    assert_used(&read_key(&again, &id).await, 3, used_at);
}

pub async fn usage_is_flushed_while_running(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (id, used_at) = use_a_key(&app, 2).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let key = read_key(&app, &id).await;
        if key["usage_count"] == 2 {
            assert_used(&key, 2, used_at);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "usage not written within 5 s: {key}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
