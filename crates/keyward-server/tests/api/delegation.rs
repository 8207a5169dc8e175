//! What a key may do with the keys API: its permissions, its read-only
//! flag, and "a key never grants more than it holds".

use crate::api::{Api, key_path, keys_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, key_body, spawn_app};
use serde_json::{Value, json};

/// An organization `acme` and a client holding a new key created from `body`.
async fn acme_client(app: &TestApp, body: Value) -> (Api, Value) {
    app.create_org("Acme").await;
    let created = app.create_key("acme", body).await;
    (app.client_with_key(text(&created, "key")), created)
}

fn narrowed(permissions: Value) -> Value {
    json!({ "name": "narrow", "scope": "organization", "permissions": permissions })
}

pub async fn key_without_keys_write_can_only_read(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (client, created) = acme_client(&app, narrowed(json!(["keys:read"]))).await;
    let path = keys_path("acme");
    assert_status(&client.get(&path).await, 200);
    assert_status(&client.get("/api-key").await, 200);
    assert_status(&client.post(&path, key_body("more")).await, 403);
    // Not even a key with only what it holds itself: minting keys is keys:write.
    let subset = client.post(&path, narrowed(json!(["keys:read"]))).await;
    assert_error(&subset, 403, "FORBIDDEN");
    let dadosfera = client.post("/api-key", json!({ "permissions": [1] })).await;
    assert_error(&dadosfera, 403, "FORBIDDEN");
    assert_eq!(
        app.admin.get(&path).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let own = key_path("acme", text(&created, "id"));
    assert_status(&client.get(&own).await, 200);
    assert_error(&client.delete(&own).await, 403, "FORBIDDEN");
    // Without `org:read` the catalog is closed to it.
    assert_error(&client.get("/permissions").await, 403, "FORBIDDEN");
}

pub async fn read_only_key_changes_nothing(backend: Backend) {
    let body = json!({ "name": "viewer", "scope": "organization", "read_only": true });
    let app = spawn_app(&backend).await;
    let (client, created) = acme_client(&app, body).await;
    assert_eq!(created["read_only"], true);
    let own = key_path("acme", text(&created, "id"));
    assert_status(&client.get(&keys_path("acme")).await, 200);
    assert_status(&client.get(&own).await, 200);
    assert_status(&client.get("/permissions").await, 200);
    let refusals = [
        client.post(&keys_path("acme"), key_body("more")).await,
        client.patch(&own, json!({ "name": "renamed" })).await,
        client.delete(&own).await,
        client.post("/api-key", json!({ "permissions": [1] })).await,
    ];
    for refused in &refusals {
        assert_error(refused, 403, "READ_ONLY_KEY");
    }
    assert_eq!(app.admin.get(&own).await.body["name"], "viewer");
}

pub async fn org_key_creates_keys_in_its_own_org(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (client, creator) = acme_client(&app, key_body("owner")).await;
    let created = client.post(&keys_path("acme"), key_body("child")).await;
    assert_status(&created, 201);
    assert_eq!(created.body["created_by"], creator["id"]);
    let child = app.client_with_key(text(&created.body, "key"));
    assert_status(&child.get(&keys_path("acme")).await, 200);
    let own_org = client.post("/api-key", json!({ "permissions": [1] })).await;
    assert_status(&own_org, 201);
    assert_eq!(own_org.body["created_by"], creator["id"]);
}

pub async fn a_key_never_grants_more_than_it_holds(backend: Backend) {
    let app = spawn_app(&backend).await;
    let holds = narrowed(json!(["keys:write", "keys:read"]));
    let (client, _) = acme_client(&app, holds).await;
    let path = keys_path("acme");
    let everything = client.post(&path, key_body("everything")).await;
    assert_error(&everything, 403, "PERMISSION_NOT_HELD");
    assert!(everything.body["details"]["permission"].is_string());
    let subset = client.post(&path, narrowed(json!(["keys:read"]))).await;
    assert_status(&subset, 201);
    assert_eq!(
        subset.body["permissions"],
        json!([{ "id": 1, "name": "keys:read", "resource": "*" }])
    );
    let same = client.post(&path, narrowed(json!([2, 1]))).await;
    assert_status(&same, 201);
    for (asked, named) in [
        (json!(["org:write"]), "org:write"),
        (json!([1, 10]), "audit:read"),
        (
            json!([{ "permission": "keys:verify", "resource": "*" }]),
            "keys:verify",
        ),
    ] {
        let refused = client.post(&path, narrowed(asked)).await;
        assert_error(&refused, 403, "PERMISSION_NOT_HELD");
        assert_eq!(refused.body["details"], json!({ "permission": named }));
    }
    let dadosfera = client
        .post("/api-key", json!({ "permissions": [12] }))
        .await;
    assert_error(&dadosfera, 403, "PERMISSION_NOT_HELD");
    assert_eq!(dadosfera.body["details"]["permission"], "org:write");
}
