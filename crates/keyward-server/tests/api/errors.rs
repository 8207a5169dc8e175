//! Client mistakes: each is a 4xx in the common error body that says what
//! to fix.

use crate::api::{ORGS, keys_path};
use crate::assertions::{assert_error, assert_status, assert_validation};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use chrono::Duration;
use keyward_client::Method;
use keyward_core::Clock;
use serde_json::{Value, json};

const JSON: Option<&str> = Some("application/json");

/// An app with the organization `acme`.
async fn acme(backend: &Backend) -> TestApp {
    let app = spawn_app(backend).await;
    app.create_org("Acme").await;
    app
}

async fn create(app: &TestApp, body: Value) -> keyward_client::RawResponse {
    app.admin.post(&keys_path("acme"), body).await
}

pub async fn malformed_json_is_400(backend: Backend) {
    let app = acme(&backend).await;
    for bytes in [&b"{\"name\": "[..], b"not json", b"{\"name\": \"x\",}", b""] {
        let response = app
            .admin
            .send_bytes(Method::POST, &keys_path("acme"), JSON, bytes.to_vec())
            .await;
        assert_error(&response, 400, "MALFORMED_JSON");
    }
    let orgs = app
        .admin
        .send_bytes(Method::POST, ORGS, JSON, br#"{"name": "Acme""#.to_vec())
        .await;
    assert_error(&orgs, 400, "MALFORMED_JSON");
}

pub async fn wrong_types_are_422(backend: Backend) {
    let app = acme(&backend).await;
    for body in [
        json!({ "name": 5, "scope": "organization" }),
        json!({ "name": "x", "scope": "organization", "read_only": "yes" }),
        json!({ "name": "x", "scope": "organization", "permissions": "keys:read" }),
        json!({ "name": "x", "scope": "organization", "metadata": [1] }),
        json!({ "name": "x", "scope": "organization", "expires_at": "tomorrow" }),
        json!({ "name": "x", "scope": "organization", "permissions": [true] }),
        json!({ "name": "x", "scope": "organization", "permissions": [{ "permission": 1, "resource": 5 }] }),
        json!([]),
    ] {
        assert_error(&create(&app, body).await, 422, "VALIDATION_FAILED");
    }
    let org = app.admin.post(ORGS, json!({ "name": ["Acme"] })).await;
    assert_error(&org, 422, "VALIDATION_FAILED");
}

pub async fn missing_content_type_is_415(backend: Backend) {
    let app = acme(&backend).await;
    let body = br#"{"name": "x", "scope": "organization"}"#.to_vec();
    for content_type in [None, Some("text/plain")] {
        let response = app
            .admin
            .send_bytes(Method::POST, &keys_path("acme"), content_type, body.clone())
            .await;
        assert_error(&response, 415, "UNSUPPORTED_MEDIA_TYPE");
        let message = response.body["message"].as_str().unwrap_or_default();
        assert!(message.contains("application/json"), "{message}");
    }
}

pub async fn bad_names_are_422(backend: Backend) {
    let app = acme(&backend).await;
    let long = "n".repeat(201);
    for name in [long.as_str(), "", "   "] {
        let response = create(&app, json!({ "name": name, "scope": "organization" })).await;
        assert_validation(&response, "name");
        assert_validation(&app.admin.post(ORGS, json!({ "name": name })).await, "name");
    }
    let longest = create(
        &app,
        json!({ "name": "n".repeat(200), "scope": "organization" }),
    )
    .await;
    assert_status(&longest, 201);
    let id = longest.body["id"].as_str().unwrap();
    let rename = json!({ "name": long });
    let path = crate::api::key_path("acme", id);
    assert_validation(&app.admin.patch(&path, rename).await, "name");
}

pub async fn past_expiry_is_422(backend: Backend) {
    let app = acme(&backend).await;
    let now = app.clock.now();
    for at in [now - Duration::seconds(1), now] {
        let body = json!({ "name": "x", "scope": "organization", "expires_at": at });
        assert_validation(&create(&app, body).await, "expires_at");
    }
    let created = app.org_key("acme", "later").await;
    let path = crate::api::key_path("acme", created["id"].as_str().unwrap());
    let past = json!({ "expires_at": now - Duration::days(1) });
    assert_validation(&app.admin.patch(&path, past).await, "expires_at");
}

pub async fn unknown_and_empty_permissions_are_422(backend: Backend) {
    let app = acme(&backend).await;
    for (asked, unknown) in [
        (json!(["nope:nope"]), json!(["nope:nope"])),
        (json!([1, 4242]), json!([4242])),
        (
            json!([{ "permission": "datasets:read", "resource": "*" }]),
            json!(["datasets:read"]),
        ),
    ] {
        let body = json!({ "name": "x", "scope": "organization", "permissions": asked });
        let response = create(&app, body).await;
        assert_error(&response, 422, "INVALID_PERMISSION");
        assert_eq!(response.body["details"], json!({ "unknown": unknown }));
    }
    let empty = json!({ "name": "x", "scope": "organization", "permissions": [] });
    assert_error(&create(&app, empty).await, 422, "INVALID_PERMISSION");
    let bad_resource = json!({
        "name": "x", "scope": "organization",
        "permissions": [{ "permission": "keys:read", "resource": "" }],
    });
    assert_error(&create(&app, bad_resource).await, 422, "VALIDATION_FAILED");
}

pub async fn oversized_body_is_413(backend: Backend) {
    let app = acme(&backend).await;
    let padding = "x".repeat(64 * 1024);
    let body = json!({ "name": "x", "scope": "organization", "metadata": { "padding": padding } });
    let response = create(&app, body).await;
    assert_error(&response, 413, "PAYLOAD_TOO_LARGE");
    // Just under the body limit the body is read, and metadata's own bound answers.
    let just_under = json!({ "name": "x", "scope": "organization",
        "metadata": { "padding": "x".repeat(60 * 1024) } });
    assert_validation(&create(&app, just_under).await, "at most 4096");
}

pub async fn unknown_addresses_answer_json_in_the_api_and_a_page_in_the_portal(backend: Backend) {
    let app = acme(&backend).await;
    for path in [
        "/api/nowhere",
        "/api/v1/nothing",
        "/api/v1/orgs/acme/keys/1/extra",
        "/api-key/1/extra",
        "/healthz/extra",
    ] {
        assert_error(&app.admin.get(path).await, 404, "NOT_FOUND");
        assert_error(&app.anonymous().get(path).await, 404, "NOT_FOUND");
    }
    // Outside the API, an unknown address is the portal's: a page.
    for path in ["/nowhere", "/orgs/acme/nowhere", "/account/nothing"] {
        let page = reqwest::get(format!("{}{path}", app.address))
            .await
            .expect("the server answers");
        assert_eq!(page.status(), 404, "{path}");
        let html = page.headers()["content-type"].to_str().unwrap_or_default();
        assert!(html.starts_with("text/html"), "{path}: {html}");
        assert!(page.headers().contains_key("content-security-policy"));
        let body = page.text().await.expect("a body");
        assert!(body.contains("<h1>Not found</h1>"), "{path}: {body}");
    }
    for (method, path) in [
        (Method::PUT, ORGS.to_owned()),
        (Method::DELETE, ORGS.to_owned()),
        (Method::PUT, keys_path("acme")),
        (Method::PATCH, "/api-key".to_owned()),
        (Method::POST, "/healthz".to_owned()),
    ] {
        let response = app.admin.send(method, &path, Some(json!({}))).await;
        assert_error(&response, 405, "METHOD_NOT_ALLOWED");
    }
}

/// The message of a 422 for a body of the wrong shape, and its
/// `details.field`.
fn shape_error(response: &keyward_client::RawResponse) -> (String, String) {
    assert_error(response, 422, "VALIDATION_FAILED");
    let message = response.body["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains("deserialize") && !message.contains("line 1"),
        "serde's words leak: {message}"
    );
    let field = response.body["details"]["field"]
        .as_str()
        .unwrap_or_default();
    (message.to_owned(), field.to_owned())
}

pub async fn a_missing_field_is_named(backend: Backend) {
    let app = acme(&backend).await;
    let response = create(&app, json!({ "name": "x" })).await;
    assert_eq!(
        shape_error(&response),
        ("scope is required".into(), "scope".into())
    );
    let role = app
        .admin
        .post("/api/v1/orgs/acme/roles", json!({ "name": "auditors" }))
        .await;
    assert_eq!(
        shape_error(&role),
        ("grants is required".into(), "grants".into())
    );
}

pub async fn a_wrong_type_says_what_is_expected(backend: Backend) {
    let app = acme(&backend).await;
    let body = json!({ "name": "x", "scope": "organization", "read_only": "yes" });
    assert_eq!(
        shape_error(&create(&app, body).await),
        ("read_only must be a boolean".into(), "read_only".into())
    );
    let body = json!({ "name": "x", "scope": "organization", "expires_at": 5 });
    let (message, field) = shape_error(&create(&app, body).await);
    assert!(message.starts_with("expires_at must be "), "{message}");
    assert_eq!(field, "expires_at");
    let body = json!({ "name": "x", "scope": "organization", "allowed_ips": ["10.0.0.1", 7] });
    assert_eq!(
        shape_error(&create(&app, body).await),
        (
            "allowed_ips[1] must be a string".into(),
            "allowed_ips[1]".into()
        )
    );
}

pub async fn a_nested_field_is_named_by_its_path(backend: Backend) {
    let app = acme(&backend).await;
    let body = json!({
        "name": "x",
        "scope": "organization",
        "ratelimits": [{ "name": "burst", "limit": "ten", "duration_ms": 1000 }],
    });
    assert_eq!(
        shape_error(&create(&app, body).await).1,
        "ratelimits[0].limit"
    );
    let body = json!({ "name": "x", "scope": "organization", "credits": {} });
    let (message, field) = shape_error(&create(&app, body).await);
    assert!(
        message.starts_with("credits.") && message.ends_with(" is required"),
        "{message}"
    );
    assert!(field.starts_with("credits."), "{field}");
}

pub async fn an_unknown_field_is_named(backend: Backend) {
    let app = acme(&backend).await;
    let body = json!({ "name": "x", "scope": "organization", "expires": "2030-01-01T00:00:00Z" });
    let (message, field) = shape_error(&create(&app, body).await);
    assert!(
        message.starts_with("expires is not a field here; expected "),
        "{message}"
    );
    assert!(message.contains("expires_at"), "{message}");
    assert_eq!(field, "expires");
}
