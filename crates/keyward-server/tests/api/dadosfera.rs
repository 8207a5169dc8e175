//! The Dadosfera contract: `GET/POST /api-key`, `DELETE /api-key/{id}`,
//! verbatim shapes, on the caller's organization.

use crate::api::{ORGS, keys_path, text};
use crate::assertions::{assert_error, assert_error_body, assert_fields, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use crate::keys::assert_key_format;
use serde_json::{Value, json};

const LIST_FIELDS: &[&str] = &["id", "permissions", "key_mask", "created_at"];
const CREATED_FIELDS: &[&str] = &[
    "id",
    "key",
    "key_mask",
    "permissions",
    "created_at",
    "created_by",
];

fn dadosfera_org() -> Value {
    json!({ "name": "Dadosfera", "slug": "dadosfera", "key_prefix": "ddf" })
}

pub async fn list_has_the_dadosfera_shape(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.admin.post(ORGS, dadosfera_org()).await.body;
    let first = app
        .create_key(
            "dadosfera",
            json!({ "name": "a", "scope": "organization", "permissions": [1, 2] }),
        )
        .await;
    let second = app.org_key("dadosfera", "b").await;
    for reference in ["dadosfera", text(&org, "id")] {
        let listed = app.admin_for(reference).get("/api-key").await;
        assert_status(&listed, 200);
        let items = listed.body.as_array().unwrap();
        assert_eq!(items.len(), 2);
        for item in items {
            assert_fields(item, LIST_FIELDS);
        }
        assert_eq!(
            items[0],
            json!({
                "id": second["id"], "permissions": [],
                "key_mask": second["key_mask"], "created_at": second["created_at"],
            })
        );
        assert_eq!(
            items[1],
            json!({
                "id": first["id"],
                "permissions": [{ "id": 1, "name": "keys:read" }, { "id": 2, "name": "keys:write" }],
                "key_mask": first["key_mask"], "created_at": first["created_at"],
            })
        );
    }
}

pub async fn create_has_the_dadosfera_shape(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.admin.post(ORGS, dadosfera_org()).await;
    let client = app.admin_for("dadosfera");
    let created = client
        .post("/api-key", json!({ "permissions": [1, 11] }))
        .await;
    assert_status(&created, 201);
    assert_fields(&created.body, CREATED_FIELDS);
    assert_key_format(&created.body, "ddf");
    assert_eq!(
        created.body["permissions"],
        json!([{ "id": 1, "name": "keys:read" }, { "id": 11, "name": "org:read" }])
    );
    assert_eq!(created.body["created_by"], "admin");
    let named = client
        .post(
            "/api-key",
            json!({ "permissions": [3], "name": "verifier" }),
        )
        .await;
    assert_status(&named, 201);
    // The management API sees both, with their names.
    let page = app.admin.get(&keys_path("dadosfera")).await.body;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| text(k, "name"))
        .collect();
    assert_eq!(names, ["verifier", "API key"]);
    let key = app.client_with_key(text(&created.body, "key"));
    assert_status(&key.get("/api-key").await, 200);
}

pub async fn a_key_uses_its_own_org(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.admin.post(ORGS, dadosfera_org()).await;
    app.create_org("Globex").await;
    app.org_key("globex", "elsewhere").await;
    let owner = app.org_key("dadosfera", "owner").await;
    let client = app.client_with_key(text(&owner, "key"));
    let created = client.post("/api-key", json!({ "permissions": [1] })).await;
    assert_status(&created, 201);
    assert_eq!(created.body["created_by"], owner["id"]);
    let listed = client.get("/api-key").await;
    let ids: Vec<&Value> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["id"])
        .collect();
    assert_eq!(ids, [&created.body["id"], &owner["id"]]);
    let named = client.clone().with_header("X-Keyward-Org", "dadosfera");
    assert_eq!(named.get("/api-key").await.body, listed.body);
}

pub async fn unknown_permission_ids_are_named(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let client = app.admin_for("acme");
    for (asked, unknown) in [
        (json!([0]), json!([0])),
        (json!([99999]), json!([99999])),
        (json!([1, 0, 99999]), json!([0, 99999])),
    ] {
        let response = client
            .post("/api-key", json!({ "permissions": asked }))
            .await;
        assert_error(&response, 422, "INVALID_PERMISSION");
        assert_eq!(response.body["details"], json!({ "unknown": unknown }));
        for id in unknown.as_array().unwrap() {
            let message = text(&response.body, "message");
            assert!(message.contains(&id.to_string()), "{message}");
        }
    }
    assert_eq!(client.get("/api-key").await.body, json!([]));
}

pub async fn empty_permission_list_is_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let client = app.admin_for("acme");
    let empty = client.post("/api-key", json!({ "permissions": [] })).await;
    assert_error(&empty, 422, "INVALID_PERMISSION");
    let missing = client.post("/api-key", json!({ "name": "x" })).await;
    assert_error(&missing, 422, "VALIDATION_FAILED");
    let names = client
        .post("/api-key", json!({ "permissions": ["keys:read"] }))
        .await;
    assert_error(&names, 422, "VALIDATION_FAILED");
}

pub async fn delete_revokes_at_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let client = app.admin_for("acme");
    let created = client
        .post("/api-key", json!({ "permissions": [1] }))
        .await
        .body;
    let key = app.client_with_key(text(&created, "key"));
    assert_status(&key.get("/api-key").await, 200);
    let deleted = client
        .delete(&format!("/api-key/{}", text(&created, "id")))
        .await;
    assert_status(&deleted, 204);
    assert_eq!(deleted.body, Value::Null);
    assert_error(&key.get("/api-key").await, 401, "KEY_REVOKED");
    assert_eq!(client.get("/api-key").await.body, json!([]));
}

pub async fn delete_of_unknown_id_is_the_dadosfera_404(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    app.create_org("Globex").await;
    let theirs = app.org_key("globex", "theirs").await;
    let client = app.admin_for("acme");
    let gone = client
        .post("/api-key", json!({ "permissions": [1] }))
        .await
        .body;
    let gone_id = text(&gone, "id");
    assert_status(&client.delete(&format!("/api-key/{gone_id}")).await, 204);
    let unknown = [
        "0192e4c4-5b7a-7000-8000-000000000000",
        "123",
        gone_id,
        text(&theirs, "id"),
    ];
    for id in unknown {
        let response = client.delete(&format!("/api-key/{id}")).await;
        assert_status(&response, 404);
        assert_error_body(&response.body, 404, "API Key not found", "KEY_NOT_FOUND");
        assert_eq!(
            response.body,
            json!({
                "statusCode": 404, "error": "API Key not found", "code": "KEY_NOT_FOUND",
                "message": format!("API Key with ID {id} was not found"),
            })
        );
    }
    let still = app.client_with_key(text(&theirs, "key"));
    assert_status(&still.get("/api-key").await, 200);
}

pub async fn admin_must_name_an_org(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    for response in [
        app.admin.get("/api-key").await,
        app.admin
            .post("/api-key", json!({ "permissions": [1] }))
            .await,
        app.admin.get("/permissions").await,
        app.admin.delete("/api-key/123").await,
    ] {
        assert_error(&response, 400, "BAD_REQUEST");
        let message = text(&response.body, "message");
        assert!(message.contains("X-Keyward-Org"), "{message}");
    }
    let unknown = app.admin_for("nowhere").get("/api-key").await;
    assert_error(&unknown, 404, "ORG_NOT_FOUND");
}
