//! `/metrics`: Prometheus text with verification answers and keys created.

use crate::api::text;
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::{ADMIN_KEY, spawn_app, spawn_app_with};
use serde_json::json;

fn value(metrics: &str, series: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{metrics}"))
}

pub async fn metrics_count_verifications_and_creations(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let key = app
        .create_key("acme", json!({ "name": "k", "scope": "organization" }))
        .await;
    for candidate in [text(&key, "key"), "kw_nonsense"] {
        let verified = app
            .admin
            .post("/api/v1/keys/verify", json!({ "key": candidate }))
            .await;
        assert_status(&verified, 200);
    }
    let response = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = response.text().await.unwrap();
    assert_eq!(
        value(&body, "keyward_verifications_total{code=\"VALID\"}"),
        1
    );
    assert_eq!(
        value(&body, "keyward_verifications_total{code=\"NOT_FOUND\"}"),
        1
    );
    assert_eq!(value(&body, "keyward_keys_created_total"), 1);
    assert!(!body.contains(text(&key, "key")), "no secret in metrics");
}

api_tests! {
    metrics::metrics_count_verifications_and_creations,
}

const METRICS_TOKEN: &str = "metrics-token-0123456789abcdef";

async fn get_metrics(base: &str, token: Option<&str>) -> reqwest::Response {
    let request = reqwest::Client::new().get(format!("{base}/metrics"));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_token_is_required_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keyward.toml");
    std::fs::write(&file, format!("[metrics]\ntoken = \"{METRICS_TOKEN}\"\n")).unwrap();
    let app = spawn_app_with(&Backend::Sqlite, |c| c.config = Some(file)).await;
    let wrong = format!("{METRICS_TOKEN}x");
    for token in [None, Some(wrong.as_str()), Some(ADMIN_KEY), Some("")] {
        let response = get_metrics(&app.address, token).await;
        assert_eq!(response.status(), 401, "token {token:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "UNAUTHENTICATED", "{body}");
    }
    let response = get_metrics(&app.address, Some(METRICS_TOKEN)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("keyward_keys_created_total")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_moves_metrics_off_the_main_port() {
    let app = spawn_app_with(&Backend::Sqlite, |c| {
        c.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
        c.metrics.token = Some(METRICS_TOKEN.parse().unwrap());
    })
    .await;
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    let response = get_metrics(&metrics, Some(METRICS_TOKEN)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("keyward_verifications_total")
    );
    assert_eq!(get_metrics(&metrics, None).await.status(), 401);
    // The metrics port serves nothing else, the main port no metrics.
    let healthz = reqwest::get(format!("{metrics}/healthz")).await.unwrap();
    assert_eq!(healthz.status(), 404);
    let main = get_metrics(&app.address, Some(METRICS_TOKEN)).await;
    assert_eq!(main.status(), 404);
    let body: serde_json::Value = main.json().await.unwrap();
    assert_eq!(body["code"], "NOT_FOUND", "{body}");
    assert_eq!(app.anonymous().get("/healthz").await.status, 200);
}
