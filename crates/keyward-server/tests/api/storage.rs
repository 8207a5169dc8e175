//! What reaches the disk: hashes, never plaintext keys; private files; the
//! admin key generated once.

use crate::api::{ORGS, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{ADMIN_KEY, TestApp, spawn_app, spawn_app_with};
use serde_json::json;

/// Fails if the store holds any of `secrets`, or the part of one after its prefix.
async fn assert_not_stored(app: &TestApp, secrets: &[String]) {
    let bytes = app.store_bytes().await;
    assert!(!bytes.is_empty());
    for secret in secrets {
        let body = secret.split_once('_').map(|(_, body)| body);
        for needle in std::iter::once(secret.as_str()).chain(body) {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "a plaintext key is in the store"
            );
        }
    }
}

pub async fn no_plaintext_key_at_rest(backend: Backend) {
    let mut app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let mut secrets = Vec::new();
    for n in 0..5 {
        let created = app.org_key("acme", &format!("key {n}")).await;
        secrets.push(text(&created, "key").to_owned());
    }
    let dadosfera = app
        .admin_for("acme")
        .post("/api-key", json!({ "permissions": [1, 2] }))
        .await;
    assert_status(&dadosfera, 201);
    secrets.push(text(&dadosfera.body, "key").to_owned());
    for secret in &secrets {
        assert_status(&app.client_with_key(secret).get("/api-key").await, 200);
    }
    // Nor is the configured admin key, ever.
    secrets.push(ADMIN_KEY.to_owned());
    assert_not_stored(&app, &secrets).await;
    // Usage and every pending write are in after a graceful stop.
    app.stop().await;
    assert_not_stored(&app, &secrets).await;
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

pub async fn data_files_are_private(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let dir = app.tempdir.path();
    assert!(dir.join("secret").is_file());
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir.join("secret")), 0o600);
        assert_eq!(mode(dir), 0o700);
        if matches!(backend, Backend::Sqlite) {
            assert_eq!(mode(&dir.join("keyward.db")), 0o600);
        }
    }
    if matches!(backend, Backend::Postgres(_)) {
        assert!(!dir.join("keyward.db").exists());
    }
}

pub async fn admin_key_is_generated_once(backend: Backend) {
    let first = spawn_app_with(&backend, |config| config.admin_key = None).await;
    let generated = first
        .new_admin_key
        .clone()
        .expect("a store without an admin key gets one");
    assert!(generated.starts_with("kwadmin_"), "prefix of the admin key");
    assert_status(
        &first.admin.post(ORGS, json!({ "name": "Acme" })).await,
        201,
    );
    assert_status(&first.admin.get(ORGS).await, 200);
    let wrong = first
        .client_with_key(&format!("{generated}x"))
        .get(ORGS)
        .await;
    assert_error(&wrong, 401, "UNAUTHENTICATED");
    assert_not_stored(&first, std::slice::from_ref(&generated)).await;
    let second = first.restart().await;
    assert_eq!(second.new_admin_key, None, "generated a second admin key");
    let orgs = second.admin.get(ORGS).await;
    assert_status(&orgs, 200);
    assert_eq!(orgs.body.as_array().unwrap().len(), 1);
    assert_status(
        &second.admin.post(ORGS, json!({ "name": "Globex" })).await,
        201,
    );
    let stored = second
        .state
        .store
        .setting("admin_key_hash")
        .await
        .unwrap()
        .expect("the admin key's hash is stored");
    assert_eq!(stored.len(), 32);
    assert_not_stored(&second, &[generated]).await;
}
