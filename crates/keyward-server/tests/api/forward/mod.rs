//! Forward-auth: the rules of `examples/nginx/keyward.toml`, asked directly
//! in each proxy's dialect, and end to end behind a real nginx.

mod direct;
mod nginx;

use crate::api::{keys_path, permissions_path, text};
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app_with};
use serde_json::{Value, json};
use std::path::PathBuf;

/// The example files, from the repository root.
pub fn example(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(path)
}

/// An app with the nginx example's rules, an organization with the
/// platform's permissions, and keys: full, read-only, and without
/// `dataproducts:read`.
pub struct Fixture {
    pub app: TestApp,
    pub full: Value,
    pub read_only: Value,
    pub keys_only: Value,
}

impl Fixture {
    pub async fn new() -> Self {
        let app = spawn_app_with(&Backend::Sqlite, |config| {
            config.config = Some(example("nginx/keyward.toml"));
        })
        .await;
        app.create_org("Acme").await;
        for (name, read_only) in [("dataproducts:read", true), ("dataproducts:write", false)] {
            let created = app
                .admin
                .post(
                    &permissions_path("acme"),
                    json!({ "name": name, "read_only": read_only }),
                )
                .await;
            assert_status(&created, 201);
        }
        let key = |name: &str, extra: Value| {
            let mut body = json!({ "name": name, "scope": "organization" });
            if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
                body.extend(extra.clone());
            }
            body
        };
        let full = app.create_key("acme", key("full", json!({}))).await;
        let read_only = app
            .create_key("acme", key("ro", json!({ "read_only": true })))
            .await;
        let keys_only = app
            .create_key("acme", key("keys", json!({ "permissions": ["keys:read"] })))
            .await;
        Self {
            app,
            full,
            read_only,
            keys_only,
        }
    }

    pub fn secret(key: &Value) -> &str {
        text(key, "key")
    }

    pub async fn revoke(&self, key: &Value) {
        let path = format!("{}/{}", keys_path("acme"), text(key, "id"));
        assert_status(&self.app.admin.delete(&path).await, 204);
    }
}
