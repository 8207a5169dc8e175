//! keyward-client's tower layer in front of an axum service, verifying keys
//! with the real server.

use crate::api::{key_path, keys_path, permissions_path};
use crate::assertions::{assert_error_body, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use axum::routing::get;
use axum::{Extension, Json, Router};
use keyward_client::{Client, KeywardLayer, Verification};
use serde_json::{Value, json};
use std::time::Duration;

/// Serves `router` on a random loopback port; its `http://…` address.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

async fn dataset(Extension(key): Extension<Verification>) -> Json<Value> {
    Json(json!({ "code": key.code, "key_id": key.details["key_id"] }))
}

/// `datasets/<id>` from `/datasets/<id>`.
fn dataset_resource(path: &str) -> Option<String> {
    path.strip_prefix("/datasets/")
        .map(|id| format!("datasets/{id}"))
}

/// A protected service whose `/datasets/{id}` needs `datasets:read` on the dataset.
fn service(verifier: Client, cache: Duration) -> Router {
    Router::new()
        .route("/datasets/{id}", get(dataset))
        .route_layer(
            KeywardLayer::new(verifier)
                .permission("datasets:read")
                .resource_from(|parts| dataset_resource(parts.uri.path()))
                .cache_ttl(cache),
        )
}

async fn call(
    service: &str,
    path: &str,
    key: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new().get(format!("{service}{path}"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.json().await.unwrap(), headers)
}

/// An organization key in `org` with `permissions`: (id, secret).
async fn key(backend_admin: &crate::api::Api, org: &str, permissions: Value) -> (String, String) {
    let response = backend_admin
        .post(
            &keys_path(org),
            json!({ "name": "reader", "scope": "organization", "permissions": permissions }),
        )
        .await;
    assert_status(&response, 201);
    (
        response.body["id"].as_str().unwrap().to_owned(),
        response.body["key"].as_str().unwrap().to_owned(),
    )
}

pub async fn the_layer_admits_valid_keys_and_answers_refusals_in_the_error_body(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Layered").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = app
        .admin
        .post(
            &permissions_path(&org),
            json!({ "name": "datasets:read", "read_only": true }),
        )
        .await;
    assert_status(&created, 201);
    let (reader_id, reader) = key(
        &app.admin,
        &org,
        json!([{ "permission": "datasets:read", "resource": "datasets/42" }]),
    )
    .await;
    let (_, other) = key(&app.admin, &org, json!(["keys:read"])).await;
    let svc = serve(service(app.typed_admin().clone(), Duration::ZERO)).await;

    let (status, body, _) = call(&svc, "/datasets/42", Some(&reader)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], "VALID");
    assert_eq!(body["key_id"], reader_id.as_str());

    let (status, body, headers) = call(&svc, "/datasets/42", None).await;
    assert_eq!(status, 401);
    assert_error_body(&body, 401, "Unauthorized", "UNAUTHENTICATED");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );

    let (status, body, _) = call(&svc, "/datasets/42", Some("kw_notakey")).await;
    assert_eq!(status, 401);
    assert_error_body(&body, 401, "Unauthorized", "UNAUTHENTICATED");

    for (path, key) in [("/datasets/43", &reader), ("/datasets/42", &other)] {
        let (status, body, _) = call(&svc, path, Some(key)).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_error_body(&body, 403, "Forbidden", "INSUFFICIENT_PERMISSIONS");
    }

    assert_status(&app.admin.delete(&key_path(&org, &reader_id)).await, 204);
    let (status, body, _) = call(&svc, "/datasets/42", Some(&reader)).await;
    assert_eq!(status, 401);
    assert_error_body(&body, 401, "Unauthorized", "KEY_REVOKED");
}

pub async fn a_cached_valid_answer_outlives_revocation_for_its_ttl_only(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Cached").await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = app
        .admin
        .post(
            &permissions_path(&org),
            json!({ "name": "datasets:read", "read_only": true }),
        )
        .await;
    assert_status(&created, 201);
    let (id, secret) = key(&app.admin, &org, json!(["datasets:read"])).await;
    let ttl = Duration::from_secs(2);
    let cached = serve(service(app.typed_admin().clone(), ttl)).await;
    let uncached = serve(service(app.typed_admin().clone(), Duration::ZERO)).await;

    assert_eq!(call(&cached, "/datasets/1", Some(&secret)).await.0, 200);
    assert_status(&app.admin.delete(&key_path(&org, &id)).await, 204);
    // The revocation delay the cache costs: the cached answer still admits
    // the key, a layer without a cache refuses it at once.
    assert_eq!(call(&cached, "/datasets/1", Some(&secret)).await.0, 200);
    assert_eq!(call(&uncached, "/datasets/1", Some(&secret)).await.0, 401);
    // Another resource was never cached.
    assert_eq!(call(&cached, "/datasets/2", Some(&secret)).await.0, 401);
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(call(&cached, "/datasets/1", Some(&secret)).await.0, 401);
}

pub async fn the_layer_answers_503_when_keyward_cannot_be_reached(backend: Backend) {
    let app = spawn_app(&backend).await;
    // A port that was free a moment ago: nothing answers there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let svc = serve(service(Client::new(gone), Duration::ZERO)).await;
    let (status, body, headers) = call(&svc, "/datasets/1", Some("kw_whatever")).await;
    assert_eq!(status, 503);
    assert_error_body(&body, 503, "Service Unavailable", "UNAVAILABLE");
    assert_eq!(headers["retry-after"], "5");
    drop(app);
}
