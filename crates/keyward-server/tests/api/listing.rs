//! `GET /api/v1/orgs/{org}/keys`: newest first, masked, paged by cursor.

use crate::api::{keys_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use crate::keys::KEY_FIELDS;
use serde_json::Value;

/// Creates `count` keys in `acme`; returns their ids, oldest first.
async fn create_keys(app: &TestApp, count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let created = app.org_key("acme", &format!("key {n}")).await;
        ids.push(text(&created, "id").to_owned());
    }
    ids
}

fn ids_of(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| text(item, "id").to_owned())
        .collect()
}

pub async fn list_is_newest_first_without_secrets(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let mut ids = create_keys(&app, 5).await;
    let page = app.admin.get(&keys_path("acme")).await;
    assert_status(&page, 200);
    assert_fields(&page.body, &["items", "next_cursor"]);
    assert_eq!(page.body["next_cursor"], Value::Null);
    for item in page.body["items"].as_array().unwrap() {
        assert_fields(item, KEY_FIELDS);
    }
    ids.reverse();
    assert_eq!(ids_of(&page.body["items"]), ids);
    let bare = app
        .admin
        .get(&format!("{}?cursor=", keys_path("acme")))
        .await;
    assert_eq!(bare.body, page.body);
}

pub async fn cursor_paging_walks_every_key_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let mut created = create_keys(&app, 7).await;
    created.reverse();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = app
            .typed_admin()
            .list_keys("acme", Some(3), cursor.as_deref())
            .await
            .unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.into_iter().map(|k| k.id));
        pages += 1;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(seen, created);
    assert_eq!(pages, 3);
    // A page that ends exactly on the last key points at an empty page.
    let first = app
        .admin
        .get(&format!("{}?limit=7", keys_path("acme")))
        .await;
    assert_eq!(ids_of(&first.body["items"]), created);
    let next = text(&first.body, "next_cursor");
    let rest = app
        .admin
        .get(&format!("{}?limit=7&cursor={next}", keys_path("acme")))
        .await;
    assert_status(&rest, 200);
    assert_eq!(rest.body["items"], serde_json::json!([]));
    assert_eq!(rest.body["next_cursor"], Value::Null);
}

pub async fn bad_limit_and_cursor_are_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let path = keys_path("acme");
    for query in ["limit=0", "limit=101", "cursor=not-a-cursor"] {
        let response = app.admin.get(&format!("{path}?{query}")).await;
        assert_error(&response, 422, "VALIDATION_FAILED");
    }
    for query in ["limit=abc", "limit=-1"] {
        let response = app.admin.get(&format!("{path}?{query}")).await;
        assert_error(&response, 400, "BAD_REQUEST");
    }
    let largest = app.admin.get(&format!("{path}?limit=100")).await;
    assert_status(&largest, 200);
}
