//! Operations: health, readiness, the OpenAPI document and docs, shutdown.

use crate::api::{ORGS, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use keyward_client::Method;
use serde_json::json;
use std::collections::BTreeMap;

/// The routes of the keys API and the Dadosfera contract, with their methods.
const KEY_ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/orgs", &["get", "post"]),
    ("/api/v1/orgs/{org}", &["delete", "get", "patch"]),
    ("/api/v1/orgs/{org}/permissions", &["get", "post"]),
    ("/api/v1/orgs/{org}/keys", &["get", "post"]),
    ("/api/v1/orgs/{org}/keys/{id}", &["delete", "get", "patch"]),
    ("/api/v1/orgs/{org}/keys/{id}/roll", &["post"]),
    ("/api-key", &["get", "post"]),
    ("/api-key/{id}", &["delete"]),
    ("/permissions", &["get"]),
];

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

pub async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(&backend).await;
    let health = app.anonymous().get("/healthz").await;
    assert_status(&health, 200);
    assert_eq!(health.body, json!({ "status": "ok" }));
    let ready = app.anonymous().get("/readyz").await;
    assert_status(&ready, 200);
    assert_eq!(ready.body, json!({ "status": "ready" }));
}

fn http_method(name: &str) -> Method {
    Method::from_bytes(name.to_uppercase().as_bytes()).unwrap()
}

/// A documented path with every `{parameter}` filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{org}" => "acme",
            s if s.starts_with('{') => "0192e4c4-5b7a-7000-8000-000000000000",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
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
    let documented: BTreeMap<&str, Vec<&str>> = doc.body["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = item.as_object().unwrap().keys().map(String::as_str);
            let mut methods: Vec<&str> = methods.filter(|m| METHODS.contains(m)).collect();
            methods.sort_unstable();
            (path.as_str(), methods)
        })
        .collect();
    for (path, methods) in KEY_ROUTES {
        assert_eq!(documented.get(path), Some(&methods.to_vec()), "{path}");
    }
    for path in ["/healthz", "/readyz"] {
        assert!(documented.contains_key(path), "{path} is not documented");
    }
    // Each documented route is served: the router answers it, not the
    // fallbacks for unknown routes and methods.
    for (path, methods) in documented {
        for method in methods {
            let method = http_method(method);
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            let response = app
                .anonymous()
                .send(method.clone(), &concrete(path), body)
                .await;
            let code = response.body["code"].as_str().unwrap_or_default();
            assert!(
                code != "NOT_FOUND" && code != "METHOD_NOT_ALLOWED",
                "{method} {path} is documented but not served: {}",
                response.body
            );
        }
    }
    // The keys API asks for credentials on every route.
    for (path, methods) in KEY_ROUTES {
        for method in *methods {
            let method = http_method(method);
            let response = app.anonymous().send(method, &concrete(path), None).await;
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

/// Past `max_connections`, a new connection is closed at once instead of
/// waiting; once one of the open ones ends, the server answers again.
pub async fn connections_over_the_cap_are_closed(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    let app = crate::helpers::spawn_app_with(&backend, |config| {
        config.max_connections = Some(2);
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let held = [
        TcpStream::connect(&address).await.unwrap(),
        TcpStream::connect(&address).await.unwrap(),
    ];
    // Both slots are taken once the server has accepted them.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(&address).await.unwrap();
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), extra.read(&mut buffer))
        .await
        .expect("the connection over the cap is closed, not kept waiting");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    drop(held);
    let mut answered = false;
    for _ in 0..50 {
        let mut fresh = TcpStream::connect(&address).await.unwrap();
        fresh
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = Vec::new();
        let _ = fresh.read_to_end(&mut response).await;
        if response.starts_with(b"HTTP/1.1 200") {
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(answered, "the server answers again when a slot is free");
}
