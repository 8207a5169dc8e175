//! `/api/v1/orgs`: organizations, by id and by slug.

use crate::api::{ORGS, org_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status, assert_validation};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use keyward_client::NewOrg;
use serde_json::json;

const ORG_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "key_prefix",
    "created_at",
    "key_policy",
    "leak_policy",
];

pub async fn create_org_derives_slug_and_default_prefix(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Acme Data, Inc.").await;
    assert_fields(&org, ORG_FIELDS);
    assert_eq!(org["name"], "Acme Data, Inc.");
    assert_eq!(org["slug"], "acme-data-inc");
    assert_eq!(org["key_prefix"], "kw");
    assert!(uuid::Uuid::parse_str(text(&org, "id")).is_ok(), "{org}");
    let created_at: chrono::DateTime<chrono::Utc> = text(&org, "created_at").parse().unwrap();
    assert_eq!(created_at, keyward_core::Clock::now(app.clock.as_ref()));
}

pub async fn create_org_takes_slug_and_prefix(backend: Backend) {
    let app = spawn_app(&backend).await;
    let new = NewOrg {
        name: "Dadosfera".into(),
        slug: Some("ddf-prod".into()),
        key_prefix: Some("ddf".into()),
    };
    let org = app.typed_admin().create_org(&new).await.unwrap();
    assert_eq!(
        (
            org.name.as_str(),
            org.slug.as_str(),
            org.key_prefix.as_str()
        ),
        ("Dadosfera", "ddf-prod", "ddf")
    );
}

pub async fn orgs_are_read_by_id_and_by_slug(backend: Backend) {
    let app = spawn_app(&backend).await;
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    for reference in [text(&acme, "id"), "acme"] {
        let response = app.admin.get(&org_path(reference)).await;
        assert_status(&response, 200);
        assert_eq!(response.body, acme);
    }
    let listed = app.admin.get(ORGS).await;
    assert_status(&listed, 200);
    let listed = listed.body.as_array().unwrap().clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.contains(&acme) && listed.contains(&globex));
    let missing = app.admin.get(&org_path("nowhere")).await;
    assert_error(&missing, 404, "ORG_NOT_FOUND");
}

pub async fn orgs_are_updated_by_id_and_by_slug(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Acme").await;
    let id = text(&org, "id");
    let renamed = app
        .admin
        .patch(&org_path(id), json!({ "name": "Acme Corp" }))
        .await;
    assert_status(&renamed, 200);
    assert_eq!(renamed.body["name"], "Acme Corp");
    assert_eq!(renamed.body["key_prefix"], "kw");
    let reprefixed = app
        .admin
        .patch(&org_path("acme"), json!({ "key_prefix": "acme1" }))
        .await;
    assert_status(&reprefixed, 200);
    assert_eq!(
        reprefixed.body,
        json!({
            "id": id, "name": "Acme Corp", "slug": "acme",
            "key_prefix": "acme1", "created_at": org["created_at"],
            "key_policy": { "max_lifetime_days": null, "require_expiry": false },
            "leak_policy": "revoke",
        })
    );
    let key = app.org_key("acme", "after the change").await;
    assert!(text(&key, "key").starts_with("acme1_"), "{key}");
}

pub async fn orgs_are_deleted_by_id_and_by_slug(backend: Backend) {
    let app = spawn_app(&backend).await;
    let acme = app.create_org("Acme").await;
    app.create_org("Globex").await;
    let key = app.org_key("acme", "doomed").await;
    for reference in [text(&acme, "id"), "globex"] {
        let deleted = app.admin.delete(&org_path(reference)).await;
        assert_status(&deleted, 204);
        assert_error(
            &app.admin.get(&org_path(reference)).await,
            404,
            "ORG_NOT_FOUND",
        );
    }
    let again = app.admin.delete(&org_path("globex")).await;
    assert_error(&again, 404, "ORG_NOT_FOUND");
    assert_eq!(app.admin.get(ORGS).await.body, json!([]));
    // The organization's keys went with it.
    let orphan = app.client_with_key(text(&key, "key")).get(ORGS).await;
    assert_error(&orphan, 401, "UNAUTHENTICATED");
}

pub async fn duplicate_slug_conflicts(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let derived = app.admin.post(ORGS, json!({ "name": "ACME" })).await;
    assert_error(&derived, 409, "CONFLICT");
    let explicit = app
        .admin
        .post(ORGS, json!({ "name": "Other", "slug": "acme" }))
        .await;
    assert_error(&explicit, 409, "CONFLICT");
}

pub async fn bad_slug_and_prefix_are_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    for body in [
        json!({ "name": "Acme", "slug": "Not A Slug" }),
        json!({ "name": "Acme", "slug": "0192e4c4-5b7a-7000-8000-000000000000" }),
        json!({ "name": "!!!" }),
    ] {
        assert_validation(&app.admin.post(ORGS, body).await, "slug");
    }
    for prefix in ["k", "KW", "kw_", "thirteenchars"] {
        let body = json!({ "name": "Acme", "key_prefix": prefix });
        assert_validation(&app.admin.post(ORGS, body).await, "key_prefix");
    }
    let org = app.create_org("Acme").await;
    let patch = json!({ "key_prefix": "no way" });
    assert_validation(
        &app.admin.patch(&org_path(text(&org, "slug")), patch).await,
        "key_prefix",
    );
}

pub async fn keys_cannot_create_or_delete_orgs(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let key = app.org_key("acme", "owner-level").await;
    let client = app.client_with_key(text(&key, "key"));
    assert_error(
        &client.post(ORGS, json!({ "name": "Mine" })).await,
        403,
        "FORBIDDEN",
    );
    assert_error(&client.delete(&org_path("acme")).await, 403, "FORBIDDEN");
    // Reading and changing its own organization is an owner's right.
    assert_status(&client.get(&org_path("acme")).await, 200);
    let renamed = client
        .patch(&org_path("acme"), json!({ "name": "Acme 2" }))
        .await;
    assert_status(&renamed, 200);
}

pub async fn a_key_lists_only_its_own_org(backend: Backend) {
    let app = spawn_app(&backend).await;
    let acme = app.create_org("Acme").await;
    app.create_org("Globex").await;
    let key = app.org_key("acme", "lister").await;
    let listed = app.client_with_key(text(&key, "key")).get(ORGS).await;
    assert_status(&listed, 200);
    assert_eq!(listed.body, json!([acme]));
    assert_eq!(app.admin.get(ORGS).await.body.as_array().unwrap().len(), 2);
}
