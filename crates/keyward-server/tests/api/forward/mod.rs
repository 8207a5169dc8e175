//! Forward-auth: the rules of `examples/nginx/keyward.toml`, asked directly
//! in each proxy's dialect, and end to end behind a real nginx.

mod abuse;
mod direct;
mod nginx;
mod refusals;
mod trust;

use crate::api::{keys_path, permissions_path, text};
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app_with};
use serde_json::{Value, json};
use std::path::PathBuf;
use tempfile::TempDir;

/// The example files, from the repository root.
pub fn example(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(path)
}

/// An app with the nginx example's rules, an organization with the
/// platform's permissions, and keys: full, read-only, without
/// `dataproducts:read`, and with only `dataproducts:read` on
/// `dataproducts/1`.
pub struct Fixture {
    pub app: TestApp,
    pub full: Value,
    pub read_only: Value,
    pub keys_only: Value,
    pub product_one: Value,
    /// Holds the configuration file the app read.
    _config: TempDir,
}

impl Fixture {
    /// The nginx example as shipped.
    pub async fn new() -> Self {
        Self::with_config(|toml| toml).await
    }

    /// The nginx example's rules, asked in another proxy's dialect.
    pub async fn for_proxy(proxy: &str) -> Self {
        let proxy = format!("proxy = {proxy:?}");
        Self::with_config(|toml| toml.replace(r#"proxy = "nginx""#, &proxy)).await
    }

    /// The nginx example's `keyward.toml`, changed by `edit`.
    pub async fn with_config(edit: impl FnOnce(String) -> String) -> Self {
        let shipped = std::fs::read_to_string(example("nginx/keyward.toml")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keyward.toml");
        std::fs::write(&file, edit(shipped)).unwrap();
        let app = spawn_app_with(&Backend::Sqlite, |config| {
            config.config = Some(file);
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
        let one = json!({ "permissions": [
            { "permission": "dataproducts:read", "resource": "dataproducts/1" }
        ] });
        let product_one = app.create_key("acme", key("one", one)).await;
        Self {
            app,
            full,
            read_only,
            keys_only,
            product_one,
            _config: dir,
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
