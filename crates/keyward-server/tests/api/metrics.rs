//! `/metrics`: Prometheus text with verification answers and keys created.

use crate::api::text;
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::spawn_app;
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
