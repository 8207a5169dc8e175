//! Organizations' key policies: a maximum lifetime that defaults and
//! bounds expiries on creation, rolling and change, a required expiry,
//! owners alone setting them, and the keys made before a policy listed;
//! and keys listed by how soon they expire.

use crate::access::acme;
use crate::api::{key_path, keys_path, org_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, key_body, spawn_app};
use crate::roll::{events, roll, verify};
use chrono::{DateTime, Duration, Utc};
use keyward_client::RawResponse;
use keyward_core::Clock;
use serde_json::{Value, json};

async fn set_policy(app: &TestApp, policy: Value) {
    let response = app
        .admin
        .patch(&org_path("acme"), json!({ "key_policy": policy }))
        .await;
    assert_status(&response, 200);
    assert_eq!(response.body["key_policy"], policy);
}

fn assert_violation(response: &RawResponse, needle: &str) {
    assert_error(response, 422, "KEY_POLICY_VIOLATION");
    let message = text(&response.body, "message");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{value} is not a time"))
}

fn expiring(name: &str, at: DateTime<Utc>) -> Value {
    json!({ "name": name, "scope": "organization", "expires_at": at })
}

/// The names of the keys a listing query answers, newest first.
async fn listed(app: &TestApp, query: &str) -> Vec<String> {
    let response = app
        .admin
        .get(&format!("{}?{query}", keys_path("acme")))
        .await;
    assert_status(&response, 200);
    response.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| text(k, "name").to_owned())
        .collect()
}

pub async fn only_owners_set_the_key_policy(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let org = app.admin.get(&org_path("acme")).await;
    assert_eq!(
        org.body["key_policy"],
        json!({ "max_lifetime_days": null, "require_expiry": false })
    );
    let policy = json!({ "key_policy": { "max_lifetime_days": 90 } });
    let by_admin = people
        .admin
        .api
        .patch(&org_path("acme"), policy.clone())
        .await;
    assert_error(&by_admin, 403, "FORBIDDEN");
    // An admin still renames the organization.
    let renamed = people
        .admin
        .api
        .patch(&org_path("acme"), json!({ "name": "Acme 2" }))
        .await;
    assert_status(&renamed, 200);
    let by_owner = people.owner.api.patch(&org_path("acme"), policy).await;
    assert_status(&by_owner, 200);
    assert_eq!(
        by_owner.body["key_policy"],
        json!({ "max_lifetime_days": 90, "require_expiry": false })
    );
    let read = people.member.api.get(&org_path("acme")).await;
    assert_eq!(read.body["key_policy"], by_owner.body["key_policy"]);
    for days in [json!(0), json!(3651)] {
        let bad = json!({ "key_policy": { "max_lifetime_days": days } });
        let refused = app.admin.patch(&org_path("acme"), bad).await;
        assert_error(&refused, 422, "VALIDATION_FAILED");
    }
    let updated = events(&app, "acme", "org.updated").await;
    let last = &updated.last().unwrap().details["key_policy"];
    assert_eq!(
        last["old"],
        json!({ "max_lifetime_days": null, "require_expiry": false })
    );
    assert_eq!(
        last["new"],
        json!({ "max_lifetime_days": 90, "require_expiry": false })
    );
}

pub async fn a_maximum_lifetime_defaults_and_refuses_expiries(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    set_policy(
        &app,
        json!({ "max_lifetime_days": 90, "require_expiry": false }),
    )
    .await;
    let now = app.clock.now();
    let limit = now + Duration::days(90);

    let defaulted = app.create_key("acme", key_body("default")).await;
    assert_eq!(time(&defaulted["expires_at"]), limit);
    let asked = now + Duration::days(30);
    let short = app.create_key("acme", expiring("short", asked)).await;
    assert_eq!(time(&short["expires_at"]), asked);
    let too_late = app
        .admin
        .post(
            &keys_path("acme"),
            expiring("late", limit + Duration::days(1)),
        )
        .await;
    assert_violation(&too_late, "this organization's keys expire within 90 days");

    let path = key_path("acme", text(&short, "id"));
    let cleared = app.admin.patch(&path, json!({ "expires_at": null })).await;
    assert_violation(&cleared, "90 days");
    let later = json!({ "expires_at": limit + Duration::hours(1) });
    assert_violation(&app.admin.patch(&path, later).await, "90 days");
    let within = json!({ "expires_at": limit });
    assert_status(&app.admin.patch(&path, within).await, 200);

    let rolled = roll(&app, "acme", text(&short, "id"), json!({})).await;
    assert_status(&rolled, 201);
    assert_eq!(time(&rolled.body["expires_at"]), limit);
    let late_roll = json!({ "expires_at": limit + Duration::days(1) });
    let refused = roll(&app, "acme", text(&defaulted, "id"), late_roll).await;
    assert_violation(&refused, "90 days");

    // The Dadosfera contract creates keys through the same rules.
    let dadosfera = app
        .admin_for("acme")
        .post("/api-key", json!({ "permissions": [1] }))
        .await;
    assert_status(&dadosfera, 201);
    let made = app
        .admin
        .get(&key_path("acme", text(&dadosfera.body, "id")))
        .await;
    assert_eq!(time(&made.body["expires_at"]), limit);
}

pub async fn a_required_expiry_refuses_keys_without_one(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    set_policy(
        &app,
        json!({ "max_lifetime_days": null, "require_expiry": true }),
    )
    .await;
    let refused = app
        .admin
        .post(&keys_path("acme"), key_body("forever"))
        .await;
    assert_violation(&refused, "must have an expiry");
    let far = app.clock.now() + Duration::days(5000);
    let key = app.create_key("acme", expiring("far", far)).await;
    let path = key_path("acme", text(&key, "id"));
    let cleared = app.admin.patch(&path, json!({ "expires_at": null })).await;
    assert_violation(&cleared, "must have an expiry");
    let unbounded = roll(&app, "acme", text(&key, "id"), json!({})).await;
    assert_violation(&unbounded, "must have an expiry");
    let bounded = roll(&app, "acme", text(&key, "id"), json!({ "expires_at": far })).await;
    assert_status(&bounded, 201);
}

pub async fn keys_made_before_a_policy_are_listed(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let now = app.clock.now();
    let forever = app.create_key("acme", key_body("forever")).await;
    app.create_key("acme", expiring("soon", now + Duration::days(10)))
        .await;
    app.create_key("acme", expiring("far", now + Duration::days(200)))
        .await;
    assert!(listed(&app, "violates_policy=true").await.is_empty());

    set_policy(
        &app,
        json!({ "max_lifetime_days": 90, "require_expiry": false }),
    )
    .await;
    assert_eq!(
        listed(&app, "violates_policy=true").await,
        ["far", "forever"]
    );
    assert_eq!(listed(&app, "violates_policy=false").await.len(), 3);
    assert_eq!(listed(&app, "violates_policy=true&limit=1").await, ["far"]);
    // They keep working.
    assert_eq!(verify(&app, text(&forever, "key")).await, "VALID");

    set_policy(
        &app,
        json!({ "max_lifetime_days": null, "require_expiry": true }),
    )
    .await;
    assert_eq!(listed(&app, "violates_policy=true").await, ["forever"]);
    let bad = app
        .admin
        .get(&format!("{}?violates_policy=maybe", keys_path("acme")))
        .await;
    assert_error(&bad, 400, "BAD_REQUEST");
}

pub async fn keys_are_listed_by_how_soon_they_expire(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let now = app.clock.now();
    for (name, days) in [("two", 2), ("ten", 10), ("forty", 40)] {
        app.create_key("acme", expiring(name, now + Duration::days(days)))
            .await;
    }
    app.create_key("acme", key_body("forever")).await;
    assert_eq!(listed(&app, "expiring_within_days=3").await, ["two"]);
    assert_eq!(
        listed(&app, "expiring_within_days=30").await,
        ["ten", "two"]
    );
    // Filters combine with paging.
    let first = app
        .admin
        .get(&format!(
            "{}?expiring_within_days=30&limit=1",
            keys_path("acme")
        ))
        .await
        .body;
    assert_eq!(first["items"][0]["name"], "ten");
    let cursor = text(&first, "next_cursor");
    let second = listed(
        &app,
        &format!("expiring_within_days=30&limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(second, ["two"]);

    // Expired keys are no longer expiring.
    app.clock.advance(Duration::days(3));
    assert!(listed(&app, "expiring_within_days=3").await.is_empty());
    assert_eq!(
        listed(&app, "expiring_within_days=40").await,
        ["forty", "ten"]
    );
    for query in ["expiring_within_days=0", "expiring_within_days=3651"] {
        let response = app
            .admin
            .get(&format!("{}?{query}", keys_path("acme")))
            .await;
        assert_error(&response, 422, "VALIDATION_FAILED");
    }
    let bad = app
        .admin
        .get(&format!("{}?expiring_within_days=soon", keys_path("acme")))
        .await;
    assert_error(&bad, 400, "BAD_REQUEST");
}
