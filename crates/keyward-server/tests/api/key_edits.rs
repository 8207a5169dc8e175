//! Editing what a key holds: `permissions` and `read_only` in a change,
//! under the rules of creation, seen by the very next verification, and
//! recorded with the old and new values.

use crate::access::{acme, grant, register_permission};
use crate::api::{key_path, keys_path, text};
use crate::assertions::{assert_error, assert_status, assert_validation};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use crate::roll::events;
use serde_json::{Value, json};

async fn verify(app: &TestApp, key: &str, permission: &str) -> Value {
    let body = json!({ "key": key, "permission": permission });
    let response = app.admin.post("/api/v1/keys/verify", body).await;
    assert_status(&response, 200);
    response.body["code"].clone()
}

fn names(key: &Value) -> Vec<String> {
    key["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| text(g, "name").to_owned())
        .collect()
}

pub async fn a_permission_edit_applies_on_the_next_verification(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    register_permission(&app, "acme", "reports:read", true).await;
    register_permission(&app, "acme", "sales:read", true).await;
    let created = app
        .create_key(
            "acme",
            json!({ "name": "k", "scope": "organization", "permissions": ["reports:read"] }),
        )
        .await;
    let key = text(&created, "key");
    for _ in 0..2 {
        assert_eq!(verify(&app, key, "reports:read").await, "VALID");
        assert_eq!(
            verify(&app, key, "sales:read").await,
            "INSUFFICIENT_PERMISSIONS"
        );
    }
    let path = key_path("acme", text(&created, "id"));
    let wanted = json!([grant("sales:read", "*")]);
    let edited = app
        .admin
        .patch(&path, json!({ "permissions": wanted }))
        .await;
    assert_status(&edited, 200);
    assert_eq!(names(&edited.body), ["sales:read"]);
    assert_eq!(
        verify(&app, key, "reports:read").await,
        "INSUFFICIENT_PERMISSIONS"
    );
    assert_eq!(verify(&app, key, "sales:read").await, "VALID");

    let updated = events(&app, "acme", "key.updated").await;
    assert_eq!(updated.len(), 1);
    let change = &updated[0].details["permissions"];
    assert_eq!(change["old"][0]["name"], "reports:read");
    assert_eq!(change["new"][0]["name"], "sales:read");

    // `null` gives the key all of its scope's rights again.
    let widened = app.admin.patch(&path, json!({ "permissions": null })).await;
    assert_status(&widened, 200);
    assert_eq!(widened.body["permissions"], json!([]));
    assert_eq!(verify(&app, key, "reports:read").await, "VALID");
    let read = app.admin.get(&path).await;
    assert_eq!(read.body["permissions"], json!([]));
}

pub async fn edits_follow_the_rules_of_creation(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let own = people.member.user_key("acme", "mine").await;
    let path = key_path("acme", text(&own, "id"));
    let api = &people.member.api;
    let refused = api
        .patch(&path, json!({ "permissions": ["keys:write"] }))
        .await;
    assert_error(&refused, 403, "PERMISSION_NOT_HELD");
    assert_eq!(refused.body["details"]["permission"], "keys:write");
    let empty = api.patch(&path, json!({ "permissions": [] })).await;
    assert_error(&empty, 422, "INVALID_PERMISSION");
    let unknown = api
        .patch(&path, json!({ "permissions": ["nope:read"] }))
        .await;
    assert_error(&unknown, 422, "INVALID_PERMISSION");
    let narrowed = api
        .patch(&path, json!({ "permissions": ["keys:read"] }))
        .await;
    assert_status(&narrowed, 200);
    assert_eq!(names(&narrowed.body), ["keys:read"]);
    // Nobody else's key: a member can't edit an organization key.
    let shared = app.org_key("acme", "shared").await;
    let foreign = api
        .patch(
            &key_path("acme", text(&shared, "id")),
            json!({ "permissions": ["keys:read"] }),
        )
        .await;
    assert_error(&foreign, 403, "FORBIDDEN");
    assert!(events(&app, "acme", "key.updated").await.len() == 1);
}

pub async fn read_only_keys_hold_only_read_only_permissions(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let refused = app
        .admin
        .post(
            &keys_path("acme"),
            json!({ "name": "ro", "scope": "organization", "read_only": true, "permissions": ["keys:read", "keys:write"] }),
        )
        .await;
    assert_validation(&refused, "read-only key can't hold keys:write");
    let writer = app
        .create_key(
            "acme",
            json!({ "name": "w", "scope": "organization", "permissions": ["keys:write"] }),
        )
        .await;
    let path = key_path("acme", text(&writer, "id"));
    let made_read_only = app.admin.patch(&path, json!({ "read_only": true })).await;
    assert_validation(&made_read_only, "keys:write");
    let both = json!({ "read_only": true, "permissions": ["keys:read"] });
    let edited = app.admin.patch(&path, both).await;
    assert_status(&edited, 200);
    assert_eq!(edited.body["read_only"], true);
    let widened = app
        .admin
        .patch(&path, json!({ "permissions": ["keys:write"] }))
        .await;
    assert_validation(&widened, "read-only");
    let key = text(&writer, "key");
    assert_eq!(verify(&app, key, "keys:read").await, "VALID");
    assert_eq!(
        verify(&app, key, "keys:write").await,
        "INSUFFICIENT_PERMISSIONS"
    );
    let writable = app.admin.patch(&path, json!({ "read_only": false })).await;
    assert_status(&writable, 200);
    let change = &events(&app, "acme", "key.updated").await[1].details;
    assert_eq!(change["read_only"], json!({ "old": true, "new": false }));
}
