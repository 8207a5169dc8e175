//! Webhook endpoints through the API: the secret shown once, listing,
//! changes, deletion, who may manage them, and the URLs refused at
//! creation (SSRF).

use crate::api::text;
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use futures::TryStreamExt;
use serde_json::{Value, json};

pub fn webhooks_path(org: &str) -> String {
    format!("/api/v1/orgs/{org}/webhooks")
}

pub fn webhook_path(org: &str, id: &str) -> String {
    format!("/api/v1/orgs/{org}/webhooks/{id}")
}

/// An app whose webhooks may reach the test's loopback receiver, retrying
/// after 100 ms instead of 5 s.
pub async fn spawn_hooked(backend: &Backend) -> TestApp {
    spawn_app_with(backend, |config| {
        config.webhooks.allow_private_targets = true;
        config.webhooks.retry_base_ms = Some(100);
    })
    .await
}

/// Creates a webhook in `org`; its 201 body.
pub async fn create_webhook(app: &TestApp, org: &str, url: &str, events: &[&str]) -> Value {
    let response = app
        .admin
        .post(&webhooks_path(org), json!({ "url": url, "events": events }))
        .await;
    assert_status(&response, 201);
    response.body
}

pub async fn secret_is_shown_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let body = json!({
        "url": "https://93.184.216.34/hooks/keyward?token=abc",
        "events": ["key.*", "member.removed"],
        "description": "billing sync",
    });
    let created = app.admin.post(&webhooks_path("acme"), body).await;
    assert_status(&created, 201);
    let secret = text(&created.body, "secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(created.body["events"], json!(["key.*", "member.removed"]));
    assert_eq!(created.body["enabled"], true);
    let id = text(&created.body, "id").to_owned();

    let listed = app.admin.get(&webhooks_path("acme")).await;
    assert_status(&listed, 200);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let got = app.admin.get(&webhook_path("acme", &id)).await;
    assert_status(&got, 200);
    assert_eq!(got.body["description"], "billing sync");
    for shown in [&listed.body, &got.body] {
        let shown = shown.to_string();
        assert!(
            !shown.contains(&secret) && !shown.contains("\"secret\""),
            "{shown}"
        );
    }
    let org_id = app.state.store.find_org("acme").await.unwrap().unwrap().id;
    let log: Vec<_> = app
        .state
        .store
        .audit_export(Some(org_id), None, None)
        .try_collect()
        .await
        .unwrap();
    let log = serde_json::to_string(&log).unwrap();
    assert!(log.contains("webhook.created"));
    assert!(
        !log.contains(&secret) && !log.contains("token=abc"),
        "{log}"
    );

    // Rolling shows the new secret once more; the old one still signs.
    let rolled = app
        .admin
        .post(
            &format!("{}/roll-secret", webhook_path("acme", &id)),
            json!({}),
        )
        .await;
    assert_status(&rolled, 200);
    let new_secret = text(&rolled.body, "secret");
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    assert!(rolled.body["previous_secret_until"].is_string());
    let got = app.admin.get(&webhook_path("acme", &id)).await;
    assert!(!got.body.to_string().contains(new_secret));
}

pub async fn webhooks_are_changed_and_deleted(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let created = create_webhook(&app, "acme", "https://93.184.216.34/a", &["*"]).await;
    let path = webhook_path("acme", text(&created, "id"));
    let changed = app
        .admin
        .patch(
            &path,
            json!({"events": ["team.created", "key.revoked"], "enabled": false}),
        )
        .await;
    assert_status(&changed, 200);
    assert_eq!(
        changed.body["events"],
        json!(["team.created", "key.revoked"])
    );
    assert_eq!(changed.body["enabled"], false);
    assert_eq!(changed.body["url"], "https://93.184.216.34/a");
    assert_status(&app.admin.delete(&path).await, 204);
    assert_error(&app.admin.get(&path).await, 404, "WEBHOOK_NOT_FOUND");
    assert_error(&app.admin.delete(&path).await, 404, "WEBHOOK_NOT_FOUND");
    let unknown = webhook_path("acme", "not-an-id");
    assert_error(&app.admin.get(&unknown).await, 404, "WEBHOOK_NOT_FOUND");
    // Another organization's webhook is not found from this one.
    app.create_org("Other").await;
    let theirs = create_webhook(&app, "other", "https://93.184.216.34/b", &["*"]).await;
    let cross = webhook_path("acme", text(&theirs, "id"));
    assert_error(&app.admin.get(&cross).await, 404, "WEBHOOK_NOT_FOUND");
}

pub async fn bad_events_are_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    for events in [json!([]), json!(["Key.*"]), json!(["key"]), json!(["*.*"])] {
        let body = json!({"url": "https://93.184.216.34/a", "events": events});
        let response = app.admin.post(&webhooks_path("acme"), body).await;
        assert_error(&response, 422, "VALIDATION_FAILED");
    }
    let many = vec!["key.revoked"; 65];
    let body = json!({"url": "https://93.184.216.34/a", "events": many});
    let response = app.admin.post(&webhooks_path("acme"), body).await;
    assert_status(&response, 422);
}

/// Loopback, private, link-local and metadata addresses, and plain
/// `http`, are refused when a webhook is created or changed.
pub async fn private_targets_are_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    for url in [
        "http://93.184.216.34/hook",
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://10.0.0.7/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://0.0.0.0/hook",
        "https://[::ffff:127.0.0.1]/hook",
    ] {
        let body = json!({"url": url, "events": ["*"]});
        let response = app.admin.post(&webhooks_path("acme"), body).await;
        assert_error(&response, 422, "WEBHOOK_URL_NOT_ALLOWED");
    }
    for url in ["not a url", "ftp://93.184.216.34/x", "https://"] {
        let body = json!({"url": url, "events": ["*"]});
        let response = app.admin.post(&webhooks_path("acme"), body).await;
        assert_error(&response, 422, "WEBHOOK_URL_NOT_ALLOWED");
    }
    let long = format!("https://93.184.216.34/{}", "a".repeat(2100));
    let response = app
        .admin
        .post(
            &webhooks_path("acme"),
            json!({"url": long, "events": ["*"]}),
        )
        .await;
    assert_status(&response, 422);
    let created = create_webhook(&app, "acme", "https://93.184.216.34/hook", &["*"]).await;
    let path = webhook_path("acme", text(&created, "id"));
    let moved = app
        .admin
        .patch(&path, json!({"url": "https://127.0.0.1/hook"}))
        .await;
    assert_error(&moved, 422, "WEBHOOK_URL_NOT_ALLOWED");
    let listed = app.admin.get(&webhooks_path("acme")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}

/// With `webhooks.allow_private_targets`, loopback `http` URLs are taken.
pub async fn private_targets_can_be_allowed(backend: Backend) {
    let app = spawn_hooked(&backend).await;
    app.create_org("Acme").await;
    create_webhook(&app, "acme", "http://127.0.0.1:9/hook", &["*"]).await;
}

/// Members don't hold `webhooks:write`; an organization key without it
/// is refused too.
pub async fn webhooks_need_webhooks_write(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let limited = app
        .create_key(
            "acme",
            json!({"name": "reader", "scope": "organization", "permissions": ["keys:read"]}),
        )
        .await;
    let reader = app.client_with_key(text(&limited, "key"));
    assert_error(&reader.get(&webhooks_path("acme")).await, 403, "FORBIDDEN");
    let body = json!({"url": "https://93.184.216.34/a", "events": ["*"]});
    let refused = reader.post(&webhooks_path("acme"), body.clone()).await;
    assert_status(&refused, 403);
    let full = app.org_key("acme", "automation").await;
    let automation = app.client_with_key(text(&full, "key"));
    assert_status(&automation.post(&webhooks_path("acme"), body).await, 201);
}
