//! Rolling a key: a new key like the old one, the old one working through
//! its grace period (counted with the app's clock) and `EXPIRED` after,
//! once only, with the right revoking needs, in one audited change.

use crate::access::{acme, grant, register_permission};
use crate::api::{key_path, keys_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status, assert_validation};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use crate::keys::KEY_FIELDS;
use chrono::{DateTime, Duration, Utc};
use futures::TryStreamExt;
use keyward_core::Clock;
use keyward_core::audit::AuditEvent;
use serde_json::{Value, json};
use uuid::Uuid;

pub fn roll_path(org: &str, id: &str) -> String {
    format!("{}/roll", key_path(org, id))
}

/// Rolls the key `id` of `org` with the admin key; returns the answer.
pub async fn roll(app: &TestApp, org: &str, id: &str, body: Value) -> keyward_client::RawResponse {
    app.admin.post(&roll_path(org, id), body).await
}

/// The verification code of `key`.
pub async fn verify(app: &TestApp, key: &str) -> Value {
    let response = app
        .admin
        .post("/api/v1/keys/verify", json!({ "key": key }))
        .await;
    assert_status(&response, 200);
    response.body["code"].clone()
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{value} is not a time"))
}

/// The events of `org`'s log with this action.
pub async fn events(app: &TestApp, org: &str, action: &str) -> Vec<AuditEvent> {
    let org = app.state.store.find_org(org).await.unwrap().unwrap();
    let all: Vec<AuditEvent> = app
        .state
        .store
        .audit_export(Some(org.id), None, None)
        .try_collect()
        .await
        .unwrap();
    all.into_iter()
        .filter(|e| e.action.as_str() == action)
        .collect()
}

pub async fn roll_answers_a_new_key_like_the_old(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    register_permission(&app, "acme", "reports:read", true).await;
    let old = app
        .create_key(
            "acme",
            json!({
                "name": "nightly", "scope": "organization", "read_only": true,
                "permissions": [grant("reports:read", "region/eu")],
                "metadata": { "team": "data" },
            }),
        )
        .await;
    let old_id = text(&old, "id");
    let rolled = roll(&app, "acme", old_id, json!({})).await;
    assert_status(&rolled, 201);
    let new = rolled.body;
    let mut fields = KEY_FIELDS.to_vec();
    fields.push("key");
    assert_fields(&new, &fields);
    assert_eq!(new["rolled_from"], old_id);
    assert_eq!(new["rolled_to"], Value::Null);
    assert_ne!(new["id"], old["id"]);
    assert_ne!(new["key"], old["key"]);
    for same in [
        "name",
        "scope",
        "read_only",
        "owner",
        "permissions",
        "metadata",
    ] {
        assert_eq!(new[same], old[same], "{same}");
    }
    assert_eq!(new["expires_at"], Value::Null);
    assert_eq!(new["usage_count"], 0);

    let read = app.admin.get(&key_path("acme", old_id)).await;
    assert_status(&read, 200);
    assert_eq!(read.body["rolled_to"], new["id"]);
    assert!(read.body.get("key").is_none());
    let listed = app.admin.get(&keys_path("acme")).await.body;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["rolled_from"], old_id);
    assert_eq!(items[1]["rolled_to"], new["id"]);
    assert!(!listed.to_string().contains(text(&new, "key")));

    let rolled_events = events(&app, "acme", "key.rolled").await;
    assert_eq!(rolled_events.len(), 1);
    let details = &rolled_events[0].details;
    assert_eq!(details["rolled_from"], old_id);
    assert_eq!(details["rolled_to"], new["id"]);
    assert_eq!(details["grace_seconds"], 86_400);
    let said = serde_json::to_string(details).unwrap();
    assert!(!said.contains(text(&new, "key")) && !said.contains(text(&old, "key")));
}

pub async fn the_old_key_works_through_its_grace_period(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let old = app.org_key("acme", "k").await;
    let rolled = roll(&app, "acme", text(&old, "id"), json!({})).await;
    assert_status(&rolled, 201);
    let (old_key, new_key) = (text(&old, "key"), text(&rolled.body, "key"));
    assert_eq!(verify(&app, old_key).await, "VALID");
    app.clock.advance(Duration::hours(23));
    assert_eq!(verify(&app, old_key).await, "VALID");
    app.clock.advance(Duration::hours(1));
    assert_eq!(verify(&app, old_key).await, "EXPIRED");
    assert_eq!(verify(&app, new_key).await, "VALID");

    // A grace period of 0 revokes the old key at once.
    let now_gone = app.org_key("acme", "now gone").await;
    assert_eq!(verify(&app, text(&now_gone, "key")).await, "VALID");
    let rolled = roll(
        &app,
        "acme",
        text(&now_gone, "id"),
        json!({ "grace_seconds": 0 }),
    )
    .await;
    assert_status(&rolled, 201);
    assert_eq!(verify(&app, text(&now_gone, "key")).await, "REVOKED");
    assert_eq!(verify(&app, text(&rolled.body, "key")).await, "VALID");
    let read = app
        .admin
        .get(&key_path("acme", text(&now_gone, "id")))
        .await;
    assert_error(&read, 404, "KEY_NOT_FOUND");
}

pub async fn grace_is_bounded_and_never_extends_a_key(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let soon = app.clock.now() + Duration::hours(1);
    let old = app
        .create_key(
            "acme",
            json!({ "name": "short", "scope": "organization", "expires_at": soon }),
        )
        .await;
    let id = text(&old, "id");
    for body in [
        json!({ "grace_seconds": 2_592_001 }),
        json!({ "expires_at": app.clock.now() - Duration::hours(1) }),
    ] {
        assert_error(
            &roll(&app, "acme", id, body).await,
            422,
            "VALIDATION_FAILED",
        );
    }
    assert_error(
        &roll(&app, "acme", id, json!({ "grace_seconds": -1 })).await,
        422,
        "VALIDATION_FAILED",
    );
    let later = app.clock.now() + Duration::days(60);
    let rolled = roll(
        &app,
        "acme",
        id,
        json!({ "grace_seconds": 2_592_000, "expires_at": later }),
    )
    .await;
    assert_status(&rolled, 201);
    assert_eq!(time(&rolled.body["expires_at"]), later);
    let read = app.admin.get(&key_path("acme", id)).await.body;
    assert_eq!(time(&read["expires_at"]), soon);
    let grace = events(&app, "acme", "key.rolled").await[0].details["grace_seconds"].clone();
    assert_eq!(grace, 2_592_000);
}

pub async fn a_key_rolls_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let old = app.org_key("acme", "k").await;
    let id = text(&old, "id");
    let first = roll(&app, "acme", id, json!({ "grace_seconds": 60 })).await;
    assert_status(&first, 201);
    let again = roll(&app, "acme", id, json!({})).await;
    assert_error(&again, 409, "KEY_ALREADY_ROLLED");
    assert_eq!(again.body["details"]["rolled_to"], first.body["id"]);
    // Its successor rolls in turn.
    let next = roll(&app, "acme", text(&first.body, "id"), json!({})).await;
    assert_status(&next, 201);

    let revoked = app.org_key("acme", "revoked").await;
    assert_status(
        &app.admin
            .delete(&key_path("acme", text(&revoked, "id")))
            .await,
        204,
    );
    let refused = roll(&app, "acme", text(&revoked, "id"), json!({})).await;
    assert_error(&refused, 404, "KEY_NOT_FOUND");
    for unknown in [Uuid::now_v7().to_string(), "42".to_owned()] {
        assert_error(
            &roll(&app, "acme", &unknown, json!({})).await,
            404,
            "KEY_NOT_FOUND",
        );
    }
    assert_validation(
        &roll(&app, "acme", id, json!({ "name": "x" })).await,
        "name",
    );
    assert_eq!(events(&app, "acme", "key.rolled").await.len(), 2);
}

pub async fn rolling_needs_the_right_to_revoke(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let org_key = app.org_key("acme", "shared").await;
    let refused = people
        .member
        .api
        .post(&roll_path("acme", text(&org_key, "id")), json!({}))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    let own = people.member.user_key("acme", "mine").await;
    let rolled = people
        .member
        .api
        .post(
            &roll_path("acme", text(&own, "id")),
            json!({ "grace_seconds": 0 }),
        )
        .await;
    assert_status(&rolled, 201);
    assert_eq!(rolled.body["owner"], own["owner"]);
    assert_eq!(rolled.body["scope"], "user");
    assert_eq!(verify(&app, text(&rolled.body, "key")).await, "VALID");
    let by_owner = people
        .owner
        .api
        .post(&roll_path("acme", text(&org_key, "id")), json!({}))
        .await;
    assert_status(&by_owner, 201);
}
