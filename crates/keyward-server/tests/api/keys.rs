//! `/api/v1/orgs/{org}/keys`: create, read, update, revoke.

use crate::api::{ORGS, key_path, keys_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status, assert_validation};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use chrono::{DateTime, Duration, Utc};
use keyward_core::Clock;
use serde_json::{Value, json};

/// The fields of a key as the API shows it; creation adds `key`.
pub const KEY_FIELDS: &[&str] = &[
    "id",
    "key_mask",
    "name",
    "scope",
    "read_only",
    "owner",
    "permissions",
    "organization_id",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
    "usage_count",
    "enabled",
    "metadata",
    "rolled_from",
    "rolled_to",
    "ratelimits",
    "credits",
    "allowed_ips",
];

/// Checks `<prefix>_<49 base62>` and its mask.
pub fn assert_key_format(created: &Value, prefix: &str) {
    let key = text(created, "key");
    let body = key
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or_else(|| panic!("{key:?} does not start with {prefix}_"));
    assert_eq!(body.len(), 49, "{key:?}");
    assert!(body.bytes().all(|b| b.is_ascii_alphanumeric()), "{key:?}");
    let mask = format!("{prefix}_{}{}", &body[..5], "*".repeat(44));
    assert_eq!(created["key_mask"], mask);
}

fn parse_time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a timestamp: {value}"))
        .parse()
        .unwrap()
}

pub async fn created_key_has_the_full_shape(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Acme").await;
    let expires_at = app.clock.now() + Duration::days(30);
    let created = app
        .create_key(
            "acme",
            json!({
                "name": "  ci deploy  ", "scope": "organization", "read_only": false,
                "expires_at": expires_at, "metadata": { "team": "data", "n": 1 },
            }),
        )
        .await;
    let mut fields = KEY_FIELDS.to_vec();
    fields.push("key");
    assert_fields(&created, &fields);
    assert_key_format(&created, "kw");
    let org_id = text(&org, "id");
    assert_eq!(created["name"], "ci deploy");
    assert_eq!(created["scope"], "organization");
    assert_eq!(created["read_only"], false);
    assert_eq!(
        created["owner"],
        json!({ "type": "organization", "id": org_id })
    );
    assert_eq!(created["permissions"], json!([]));
    assert_eq!(created["organization_id"], org_id);
    assert_eq!(parse_time(&created["created_at"]), app.clock.now());
    assert_eq!(created["created_by"], "admin");
    assert_eq!(parse_time(&created["expires_at"]), expires_at);
    assert_eq!(created["last_used_at"], Value::Null);
    assert_eq!(created["usage_count"], 0);
    assert_eq!(created["enabled"], true);
    assert_eq!(created["metadata"], json!({ "team": "data", "n": 1 }));
    assert_eq!(created["ratelimits"], json!([]));
    assert_eq!(created["credits"], Value::Null);
    assert_eq!(created["allowed_ips"], json!([]));
    assert!(uuid::Uuid::parse_str(text(&created, "id")).is_ok());
    let defaults = app.org_key("acme", "bare").await;
    assert_eq!(defaults["expires_at"], Value::Null);
    assert_eq!(defaults["metadata"], json!({}));
    assert_ne!(defaults["key"], created["key"]);
}

pub async fn org_prefix_is_used(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app
        .admin
        .post(
            ORGS,
            json!({ "name": "Dadosfera", "slug": "dadosfera", "key_prefix": "ddf" }),
        )
        .await;
    assert_status(&org, 201);
    let created = app.org_key("dadosfera", "prod").await;
    assert_key_format(&created, "ddf");
    let works = app
        .client_with_key(text(&created, "key"))
        .get(&keys_path("dadosfera"))
        .await;
    assert_status(&works, 200);
}

pub async fn permissions_by_id_name_and_grant(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = app
        .create_key(
            "acme",
            json!({
                "name": "narrow", "scope": "organization",
                "permissions": [
                    1, "keys:write",
                    { "permission": "org:read", "resource": "datasets/42" },
                    { "permission": 3 },
                ],
            }),
        )
        .await;
    assert_eq!(
        created["permissions"],
        json!([
            { "id": 1, "name": "keys:read", "resource": "*" },
            { "id": 2, "name": "keys:write", "resource": "*" },
            { "id": 11, "name": "org:read", "resource": "datasets/42" },
            { "id": 3, "name": "keys:verify", "resource": "*" },
        ])
    );
    let read = app.admin.get(&key_path("acme", text(&created, "id"))).await;
    assert_eq!(read.body["permissions"], created["permissions"]);
}

pub async fn other_scopes_need_their_owner(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    // The admin key is no user, and names no team or service account here.
    for scope in ["user", "team", "service_account"] {
        let response = app
            .admin
            .post(&keys_path("acme"), json!({ "name": "x", "scope": scope }))
            .await;
        assert_validation(&response, &format!("`{scope}`"));
    }
    let nowhere = "0192e4c4-5b7a-7000-8000-000000000000";
    for (scope, field) in [
        ("team", "team_id"),
        ("service_account", "service_account_id"),
    ] {
        let body = json!({ "name": "x", "scope": scope, field: nowhere });
        let response = app.admin.post(&keys_path("acme"), body).await;
        assert_validation(&response, "not in this organization");
    }
    let page = app.admin.get(&keys_path("acme")).await;
    assert_eq!(page.body["items"], json!([]));
}

pub async fn unknown_scope_is_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let response = app
        .admin
        .post(
            &keys_path("acme"),
            json!({ "name": "x", "scope": "galaxy" }),
        )
        .await;
    assert_validation(&response, "galaxy");
    let missing = app
        .admin
        .post(&keys_path("acme"), json!({ "name": "x" }))
        .await;
    assert_validation(&missing, "scope");
}

/// The key as `GET` shows it: the creation body without `key`.
fn without_secret(created: &Value) -> Value {
    let mut shown = created.clone();
    shown.as_object_mut().unwrap().remove("key");
    shown
}

pub async fn get_shows_the_key_without_its_secret(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = app.org_key("acme", "read me").await;
    let id = text(&created, "id");
    let read = app.admin.get(&key_path("acme", id)).await;
    assert_status(&read, 200);
    assert_fields(&read.body, KEY_FIELDS);
    assert_eq!(read.body, without_secret(&created));
    let typed = app.typed_admin().get_key("acme", id).await.unwrap();
    assert_eq!(typed.key_mask, text(&created, "key_mask"));
    for unknown in ["0192e4c4-5b7a-7000-8000-000000000000", "not-a-uuid"] {
        let missing = app.admin.get(&key_path("acme", unknown)).await;
        assert_error(&missing, 404, "KEY_NOT_FOUND");
    }
    // A key is found only through its own organization.
    app.create_org("Globex").await;
    let elsewhere = app.admin.get(&key_path("globex", id)).await;
    assert_error(&elsewhere, 404, "KEY_NOT_FOUND");
}

async fn patch_key(app: &TestApp, id: &str, body: Value) -> Value {
    let response = app.admin.patch(&key_path("acme", id), body).await;
    assert_status(&response, 200);
    assert_fields(&response.body, KEY_FIELDS);
    response.body
}

pub async fn patch_changes_name_enabled_expiry_and_metadata(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = app.org_key("acme", "before").await;
    let id = text(&created, "id");
    let expires_at = app.clock.now() + Duration::hours(6);
    let changed = patch_key(
        &app,
        id,
        json!({
            "name": "after", "enabled": false, "expires_at": expires_at,
            "metadata": { "owner": "ops" },
        }),
    )
    .await;
    assert_eq!(changed["name"], "after");
    assert_eq!(changed["enabled"], false);
    assert_eq!(parse_time(&changed["expires_at"]), expires_at);
    assert_eq!(changed["metadata"], json!({ "owner": "ops" }));
    assert_eq!(changed["key_mask"], created["key_mask"]);
    // Absent fields stay; `null` clears the expiry.
    let cleared = patch_key(&app, id, json!({ "expires_at": null })).await;
    assert_eq!(cleared["expires_at"], Value::Null);
    assert_eq!(cleared["name"], "after");
    assert_eq!(cleared["enabled"], false);
    assert_eq!(cleared["metadata"], json!({ "owner": "ops" }));
    let unchanged = patch_key(&app, id, json!({})).await;
    assert_eq!(unchanged, cleared);
    let read = app.admin.get(&key_path("acme", id)).await;
    assert_eq!(read.body, cleared);
}

pub async fn patch_refuses_other_fields_and_unknown_keys(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = app.org_key("acme", "fixed").await;
    let id = text(&created, "id");
    for body in [
        json!({ "scope": "user" }),
        json!({ "key_mask": "kw_x" }),
        json!({ "rolled_to": null }),
    ] {
        let field = body.as_object().unwrap().keys().next().unwrap().clone();
        let response = app.admin.patch(&key_path("acme", id), body).await;
        assert_validation(&response, &field);
    }
    let read = app.admin.get(&key_path("acme", id)).await;
    assert_eq!(read.body, without_secret(&created));
    let body = json!({ "name": "x" });
    for unknown in ["0192e4c4-5b7a-7000-8000-000000000000", "42"] {
        let missing = app
            .admin
            .patch(&key_path("acme", unknown), body.clone())
            .await;
        assert_error(&missing, 404, "KEY_NOT_FOUND");
    }
}

pub async fn revoke_is_final(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = app.org_key("acme", "short-lived").await;
    let kept = app.org_key("acme", "kept").await;
    let id = text(&created, "id");
    let client = app.client_with_key(text(&created, "key"));
    assert_status(&client.get(&keys_path("acme")).await, 200);
    let revoked = app.admin.delete(&key_path("acme", id)).await;
    assert_status(&revoked, 204);
    assert_eq!(revoked.body, Value::Null);
    let again = app.admin.delete(&key_path("acme", id)).await;
    assert_error(&again, 404, "KEY_NOT_FOUND");
    assert_error(
        &app.admin.get(&key_path("acme", id)).await,
        404,
        "KEY_NOT_FOUND",
    );
    let patch = json!({ "enabled": true });
    let revived = app.admin.patch(&key_path("acme", id), patch).await;
    assert_error(&revived, 404, "KEY_NOT_FOUND");
    assert_error(&client.get(&keys_path("acme")).await, 401, "KEY_REVOKED");
    let page = app
        .typed_admin()
        .list_keys("acme", None, None)
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, [text(&kept, "id")]);
    let typed = app.typed_admin().revoke_key("acme", id).await.unwrap_err();
    assert_eq!(
        (typed.status(), typed.code()),
        (Some(404), Some("KEY_NOT_FOUND"))
    );
}
