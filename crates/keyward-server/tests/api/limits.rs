//! The per-organization limit of live keys, under concurrent creation.

use crate::api::{key_path, keys_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, key_body, spawn_app, spawn_app_with};
use futures::future::join_all;
use keyward_client::RawResponse;

async fn create_concurrently(app: &TestApp, count: usize) -> Vec<RawResponse> {
    let path = keys_path("acme");
    join_all((0..count).map(|n| app.admin.post(&path, key_body(&format!("key {n}"))))).await
}

/// Splits responses into created bodies and 409 `KEY_LIMIT_REACHED`s.
fn created(responses: &[RawResponse]) -> Vec<&RawResponse> {
    let (created, refused): (Vec<_>, Vec<_>) = responses.iter().partition(|r| r.status == 201);
    for response in refused {
        assert_error(response, 409, "KEY_LIMIT_REACHED");
    }
    created
}

async fn live_keys(app: &TestApp) -> usize {
    let page = app
        .typed_admin()
        .list_keys("acme", Some(100), None)
        .await
        .unwrap();
    let mut count = page.items.len();
    if let Some(cursor) = page.next_cursor {
        let rest = app
            .typed_admin()
            .list_keys("acme", Some(100), Some(&cursor))
            .await
            .unwrap();
        count += rest.items.len();
    }
    count
}

pub async fn concurrent_creations_stop_at_the_default_limit(backend: Backend) {
    let app = spawn_app(&backend).await;
    assert_eq!(app.state.settings.max_keys_per_org, 100);
    app.create_org("Acme").await;
    let responses = create_concurrently(&app, 200).await;
    let accepted = created(&responses);
    assert_eq!(accepted.len(), 100);
    assert_eq!(live_keys(&app).await, 100);
    let one = text(&accepted[0].body, "id");
    assert_status(&app.admin.delete(&key_path("acme", one)).await, 204);
    let freed = app.admin.post(&keys_path("acme"), key_body("freed")).await;
    assert_status(&freed, 201);
    let full = app.admin.post(&keys_path("acme"), key_body("full")).await;
    assert_error(&full, 409, "KEY_LIMIT_REACHED");
    // The limit is per organization.
    app.create_org("Globex").await;
    app.org_key("globex", "elsewhere").await;
}

pub async fn configured_limit_is_honoured(backend: Backend) {
    let app = spawn_app_with(&backend, |config| config.max_keys_per_org = Some(3)).await;
    app.create_org("Acme").await;
    let responses = create_concurrently(&app, 10).await;
    assert_eq!(created(&responses).len(), 3);
    assert_eq!(live_keys(&app).await, 3);
    let dadosfera = app
        .admin_for("acme")
        .post("/api-key", serde_json::json!({ "permissions": [1] }))
        .await;
    assert_error(&dadosfera, 409, "KEY_LIMIT_REACHED");
}
