//! Hostile input: deep queries, NUL and other control characters, oversized
//! lists, undecodable paths. Each is a 4xx in the common error body on both
//! stores, and the server keeps answering.

use crate::api::{ORGS, keys_path, text};
use crate::assertions::{assert_error, assert_status, assert_validation};
use crate::backend::Backend;
use crate::helpers::{TestApp, key_body, spawn_app};
use serde_json::{Value, json};

const VERIFY: &str = "/api/v1/keys/verify";
const CONTROL: &str = "control character";

/// An app with the organization `acme` and a key that holds `keys:verify`.
async fn acme(backend: &Backend) -> (TestApp, String) {
    let app = spawn_app(backend).await;
    app.create_org("Acme").await;
    let created = app
        .create_key(
            "acme",
            json!({ "name": "verifier", "scope": "organization", "permissions": ["keys:verify"] }),
        )
        .await;
    let key = text(&created, "key").to_owned();
    (app, key)
}

fn permissions(count: usize) -> Value {
    Value::Array(vec![json!(1); count])
}

pub async fn deep_query_is_400_and_the_server_lives_on(backend: Backend) {
    let (app, key) = acme(&backend).await;
    let verifier = app.client_with_key(&key);
    for query in ["(".repeat(4000), "(".repeat(1000)] {
        let response = verifier
            .post(VERIFY, json!({ "key": key, "permission": query }))
            .await;
        assert_error(&response, 400, "INVALID_QUERY");
    }
    let deepest = format!("{}keys:verify{}", "(".repeat(32), ")".repeat(32));
    let response = verifier
        .post(VERIFY, json!({ "key": key, "permission": deepest }))
        .await;
    assert_status(&response, 200);
    assert_eq!(response.body["code"], "VALID", "{}", response.body);
}

pub async fn nul_in_login_is_422(backend: Backend) {
    let app = spawn_app(&backend).await;
    for body in [
        json!({ "email": "a\u{0}@example.com", "password": "correct horse battery" }),
        json!({ "email": "a@example.com", "password": "correct\u{0}horse battery" }),
    ] {
        let response = app.anonymous().post("/api/v1/auth/login", body).await;
        assert_validation(&response, CONTROL);
    }
}

pub async fn nul_in_names_and_metadata_is_422(backend: Backend) {
    let (app, _) = acme(&backend).await;
    let org = app.admin.post(ORGS, json!({ "name": "Ac\u{0}me" })).await;
    assert_validation(&org, CONTROL);
    let name = app
        .admin
        .post(&keys_path("acme"), key_body("k\u{0}ey"))
        .await;
    assert_validation(&name, CONTROL);
    let mut body = key_body("with metadata");
    body["metadata"] = json!({ "note": "a\u{0}b" });
    let metadata = app.admin.post(&keys_path("acme"), body).await;
    assert_validation(&metadata, CONTROL);
    // Free text keeps tab and newline; names are one line.
    let mut body = key_body("with metadata");
    body["metadata"] = json!({ "note": "line one\n\tline two" });
    assert_status(&app.admin.post(&keys_path("acme"), body).await, 201);
    let name = app
        .admin
        .post(&keys_path("acme"), key_body("two\nlines"))
        .await;
    assert_validation(&name, "one line");
}

pub async fn controls_in_query_and_header_are_422(backend: Backend) {
    let (app, _) = acme(&backend).await;
    let query = app
        .admin
        .get(&format!("{}?cursor=a%00b", keys_path("acme")))
        .await;
    assert_validation(&query, CONTROL);
    let header = app.admin_for("ac\tme").get("/api-key").await;
    assert_validation(&header, CONTROL);
}

pub async fn too_many_key_permissions_is_422(backend: Backend) {
    let (app, _) = acme(&backend).await;
    let mut body = key_body("wide");
    body["permissions"] = permissions(8192);
    let response = app.admin.post(&keys_path("acme"), body).await;
    assert_validation(&response, "permissions: at most 256 entries");
    let dadosfera = app
        .admin_for("acme")
        .post("/api-key", json!({ "permissions": vec![1; 257] }))
        .await;
    assert_validation(&dadosfera, "permissions: at most 256 entries");
    let mut body = key_body("just enough");
    body["permissions"] = permissions(256);
    assert_status(&app.admin.post(&keys_path("acme"), body).await, 201);
}

pub async fn oversized_metadata_is_422(backend: Backend) {
    let (app, _) = acme(&backend).await;
    let mut body = key_body("big");
    body["metadata"] = json!({ "note": "x".repeat(5000) });
    let big = app.admin.post(&keys_path("acme"), body).await;
    assert_validation(&big, "metadata");
    let mut deep = json!(1);
    for _ in 0..9 {
        deep = json!([deep]);
    }
    let mut body = key_body("deep");
    body["metadata"] = json!({ "deep": deep });
    let deep = app.admin.post(&keys_path("acme"), body).await;
    assert_validation(&deep, "deeper than 8");
}

pub async fn role_with_too_many_grants_is_422(backend: Backend) {
    let (app, _) = acme(&backend).await;
    let roles = format!("{ORGS}/acme/roles");
    let response = app
        .admin
        .post(
            &roles,
            json!({ "name": "wide", "grants": permissions(257) }),
        )
        .await;
    assert_validation(&response, "grants: at most 256 entries");
    let response = app
        .admin
        .post(&roles, json!({ "name": "narrow", "grants": ["keys:read"] }))
        .await;
    assert_status(&response, 201);
    let role = format!("{roles}/{}", text(&response.body, "id"));
    let response = app
        .admin
        .patch(&role, json!({ "grants": permissions(8192) }))
        .await;
    assert_validation(&response, "grants: at most 256 entries");
}

pub async fn undecodable_paths_are_400(backend: Backend) {
    let (app, _) = acme(&backend).await;
    for path in [
        format!("{ORGS}/%ff%fe/keys"),
        format!("{ORGS}/%00/keys"),
        format!("{ORGS}/acme/keys/%ff"),
        format!("{ORGS}/acme/roles/%00"),
        "/orgs/%ff%fe/keys".to_owned(),
        "/no/such/%ff".to_owned(),
    ] {
        assert_error(&app.admin.get(&path).await, 400, "BAD_REQUEST");
    }
}
