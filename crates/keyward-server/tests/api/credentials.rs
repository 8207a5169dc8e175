//! Credentials: where a key may be sent, and every way one is refused.

use crate::api::{Api, ORGS, key_path, keys_path, org_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, key_body, spawn_app};
use chrono::Duration;
use keyward_core::{ApiKey, Clock, Prefix};
use serde_json::{Value, json};

/// An organization `acme` and an organization key in it.
async fn acme_key(app: &TestApp) -> Value {
    app.create_org("Acme").await;
    app.org_key("acme", "caller").await
}

async fn assert_accepted(client: &Api) {
    assert_status(&client.get(&keys_path("acme")).await, 200);
}

async fn assert_refused(client: &Api) {
    let response = client.get(&keys_path("acme")).await;
    assert_error(&response, 401, "UNAUTHENTICATED");
    assert_eq!(
        response.body["message"],
        "a valid API key or session token is required"
    );
}

/// A key its holder can no longer use is told why, on every route, with
/// an RFC 6750 challenge.
async fn assert_refused_as(client: &Api, code: &str) {
    for path in [keys_path("acme").as_str(), ORGS, "/api-key"] {
        let response = client.get(path).await;
        assert_error(&response, 401, code);
        let challenge = response.header("www-authenticate").unwrap();
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
    }
}

pub async fn key_works_in_every_header(backend: Backend) {
    let app = spawn_app(&backend).await;
    let key = text(&acme_key(&app).await, "key").to_owned();
    assert_accepted(&app.client_with_key(&key)).await;
    for scheme in ["Api-Key", "Bearer", "bearer"] {
        let client = app
            .anonymous()
            .with_header("Authorization", &format!("{scheme} {key}"));
        assert_accepted(&client).await;
    }
    // The Dadosfera contract's way: the key bare, with no scheme.
    let bare = app.anonymous().with_header("Authorization", &key);
    assert_accepted(&bare).await;
    assert_status(&bare.get("/api-key").await, 200);
}

pub async fn missing_and_malformed_credentials_are_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    let key = text(&acme_key(&app).await, "key").to_owned();
    assert_refused(&app.anonymous()).await;
    let (head, last) = key.split_at(key.len() - 1);
    // Still base62 and the right length, but the checksum no longer matches.
    let broken = format!("{head}{}", if last == "A" { 'B' } else { 'A' });
    for bad in ["garbage", "kw_", "", head, &broken] {
        assert_refused(&app.client_with_key(bad)).await;
    }
    // A bare value is taken only when it has a key's shape.
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        &format!("Token {key}"),
        "dXNlcjpwYXNz",
        &broken,
        head,
    ] {
        assert_refused(&app.anonymous().with_header("Authorization", header)).await;
    }
    assert_refused(
        &app.anonymous()
            .with_header("Authorization", &format!("Bearer {broken}")),
    )
    .await;
}

pub async fn unknown_key_is_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    acme_key(&app).await;
    let prefix = Prefix::parse("kw").unwrap();
    let stranger = ApiKey::mint(&prefix);
    assert_refused(&app.client_with_key(stranger.expose())).await;
    // Refusals are the same on every route.
    let orgs = app.client_with_key(stranger.expose()).get(ORGS).await;
    assert_error(&orgs, 401, "UNAUTHENTICATED");
}

pub async fn expired_key_is_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let expires_at = app.clock.now() + Duration::hours(1);
    let created = app
        .create_key(
            "acme",
            json!({ "name": "hour", "scope": "organization", "expires_at": expires_at }),
        )
        .await;
    let client = app.client_with_key(text(&created, "key"));
    assert_accepted(&client).await;
    app.clock.advance(Duration::minutes(59));
    assert_accepted(&client).await;
    app.clock.advance(Duration::minutes(1));
    assert_refused_as(&client, "KEY_EXPIRED").await;
    app.clock.advance(Duration::days(1));
    assert_refused_as(&client, "KEY_EXPIRED").await;
    // The admin still sees it, expired.
    let read = app.admin.get(&key_path("acme", text(&created, "id"))).await;
    assert_status(&read, 200);
}

pub async fn disabled_key_is_refused_until_enabled(backend: Backend) {
    let app = spawn_app(&backend).await;
    let created = acme_key(&app).await;
    let path = key_path("acme", text(&created, "id"));
    let client = app.client_with_key(text(&created, "key"));
    assert_accepted(&client).await;
    let disabled = app.admin.patch(&path, json!({ "enabled": false })).await;
    assert_status(&disabled, 200);
    assert_refused_as(&client, "KEY_DISABLED").await;
    // A disabled key can't enable itself.
    let itself = client.patch(&path, json!({ "enabled": true })).await;
    assert_error(&itself, 401, "KEY_DISABLED");
    let enabled = app.admin.patch(&path, json!({ "enabled": true })).await;
    assert_status(&enabled, 200);
    assert_accepted(&client).await;
}

pub async fn revoked_key_is_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    let created = acme_key(&app).await;
    let client = app.client_with_key(text(&created, "key"));
    assert_accepted(&client).await;
    let revoked = client.delete(&key_path("acme", text(&created, "id"))).await;
    assert_status(&revoked, 204);
    assert_refused_as(&client, "KEY_REVOKED").await;
}

pub async fn key_of_another_org_is_forbidden(backend: Backend) {
    let app = spawn_app(&backend).await;
    let created = acme_key(&app).await;
    let globex = app.create_org("Globex").await;
    let other = app.org_key("globex", "theirs").await;
    let client = app.client_with_key(text(&created, "key"));
    for org in ["globex", text(&globex, "id"), "does-not-exist"] {
        for path in [
            org_path(org),
            keys_path(org),
            key_path(org, text(&other, "id")),
        ] {
            assert_error(&client.get(&path).await, 403, "FORBIDDEN");
        }
        let create = client.post(&keys_path(org), key_body("x")).await;
        assert_error(&create, 403, "FORBIDDEN");
    }
    let named = client.clone().with_header("X-Keyward-Org", "globex");
    assert_error(&named.get("/api-key").await, 403, "FORBIDDEN");
    // Globex's key is untouched.
    let theirs = app.client_with_key(text(&other, "key"));
    assert_status(&theirs.get(&keys_path("globex")).await, 200);
}
