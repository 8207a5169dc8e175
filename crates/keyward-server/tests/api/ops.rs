//! Operations: health, readiness, the OpenAPI document and docs, shutdown.

use crate::api::{ORGS, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use keyward_client::Method;
use serde_json::json;
use std::collections::BTreeMap;

/// Every API route the router serves, with its methods.
const API_ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/orgs", &["get", "post"]),
    ("/api/v1/orgs/{org}", &["delete", "get", "patch"]),
    ("/api/v1/orgs/{org}/permissions", &["get", "post"]),
    ("/api/v1/orgs/{org}/keys", &["get", "post"]),
    ("/api/v1/orgs/{org}/keys/{id}", &["delete", "get", "patch"]),
    ("/api-key", &["get", "post"]),
    ("/api-key/{id}", &["delete"]),
    ("/permissions", &["get"]),
];

pub async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(&backend).await;
    let health = app.anonymous().get("/healthz").await;
    assert_status(&health, 200);
    assert_eq!(health.body, json!({ "status": "ok" }));
    let ready = app.anonymous().get("/readyz").await;
    assert_status(&ready, 200);
    assert_eq!(ready.body, json!({ "status": "ready" }));
}

pub async fn openapi_lists_every_route(backend: Backend) {
    let app = spawn_app(&backend).await;
    let doc = app.anonymous().get("/api/openapi.json").await;
    assert_status(&doc, 200);
    assert!(
        text(&doc.body, "openapi").starts_with("3.1"),
        "{}",
        doc.body["openapi"]
    );
    let paths = doc.body["paths"].as_object().unwrap();
    let documented: BTreeMap<&str, Vec<&str>> = paths
        .iter()
        .filter(|(path, _)| {
            path.starts_with("/api/v1/") || path.starts_with("/api-key") || *path == "/permissions"
        })
        .map(|(path, item)| {
            let methods = item.as_object().unwrap().keys().map(String::as_str);
            let mut methods: Vec<&str> = methods
                .filter(|m| ["get", "post", "put", "patch", "delete"].contains(m))
                .collect();
            methods.sort_unstable();
            (path.as_str(), methods)
        })
        .collect();
    let served: BTreeMap<&str, Vec<&str>> = API_ROUTES
        .iter()
        .map(|(path, methods)| (*path, methods.to_vec()))
        .collect();
    assert_eq!(documented, served);
    assert!(paths.contains_key("/healthz") && paths.contains_key("/readyz"));
    // Each documented route is served: without credentials it asks for them.
    for (path, methods) in API_ROUTES {
        let concrete = path
            .replace("{org}", "acme")
            .replace("{id}", "0192e4c4-5b7a-7000-8000-000000000000");
        for method in *methods {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            let response = app.anonymous().send(method.clone(), &concrete, body).await;
            assert_error(&response, 401, "UNAUTHENTICATED");
        }
    }
}

pub async fn docs_are_html(backend: Backend) {
    let app = spawn_app(&backend).await;
    let docs = app.anonymous().get("/api/docs/").await;
    assert_status(&docs, 200);
    let content_type = docs.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = docs.body.as_str().unwrap_or_default();
    assert!(html.to_lowercase().contains("<html"), "not HTML");
}

pub async fn graceful_stop_closes_the_port(backend: Backend) {
    let mut app = spawn_app(&backend).await;
    assert_status(&app.admin.get(ORGS).await, 200);
    app.stop().await;
    let refused = app.admin.client().get(ORGS).await;
    assert!(refused.is_err(), "the server still answers after stop");
    let restarted = app.restart().await;
    assert_status(&restarted.admin.get(ORGS).await, 200);
}
