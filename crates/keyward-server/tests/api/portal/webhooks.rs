//! The Webhooks page: a new endpoint's secret is in the answer that
//! creates it and nowhere after; members can't open it; an endpoint
//! failing for 5 days is disabled by keyward and its owners see that.

use super::http::Http;
use super::{MEMBER, ORG, OWNER, PASSWORD, add_user, org_path, portal_app};
use crate::backend::Backend;
use crate::helpers::spawn_app_with;
use crate::webhooks_receiver::Receiver;
use keyward_core::access::OrgRole;
use serde_json::json;
use sqlx::Connection;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhooks_page_shows_a_new_secret_once() {
    let app = portal_app().await;
    let mut http = Http::new(&app.address);
    assert_eq!(http.sign_in(OWNER, PASSWORD).await.status, 303);
    let page = http.get(&org_path("/webhooks")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("No webhooks yet"));
    let csrf = page.csrf();
    let refused = http
        .post(
            &org_path("/webhooks"),
            &[
                ("csrf", &csrf),
                ("url", "https://169.254.169.254/latest"),
                ("events", "key.*"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("reserved address"),
        "{}",
        refused.body
    );
    let created = http
        .post(
            &org_path("/webhooks"),
            &[
                ("csrf", &csrf),
                ("url", "https://93.184.216.34/hook"),
                ("description", "billing"),
                ("events", "key.*"),
                ("events", "member.removed"),
                ("other_events", "team.created, role.*"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.header("cache-control"), "no-store");
    let start = created.body.find("whsec_").expect("the secret is shown");
    let secret: String = created.body[start..]
        .chars()
        .take_while(|c| !matches!(c, '"' | '<' | ' '))
        .collect();
    let listed = app.admin.get(&format!("/api/v1/orgs/{ORG}/webhooks")).await;
    assert_eq!(
        listed.body[0]["events"],
        json!(["key.*", "member.removed", "team.created", "role.*"])
    );
    let again = http.get(&org_path("/webhooks")).await;
    assert!(again.body.contains("https://93.184.216.34/hook"));
    assert!(!again.body.contains(&secret) && !again.body.contains("whsec_"));
    let id = listed.body[0]["id"].as_str().unwrap();
    let log = http.get(&org_path(&format!("/webhooks/{id}"))).await;
    assert_eq!(log.status, 200, "{}", log.body);

    let mut member = Http::new(&app.address);
    member.sign_in(MEMBER, PASSWORD).await;
    assert_eq!(member.get(&org_path("/webhooks")).await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_for_five_days_is_disabled_and_owners_see_it() {
    let app = spawn_app_with(&Backend::Sqlite, |config| {
        config.webhooks.allow_private_targets = true;
        config.webhooks.retry_base_ms = Some(100);
    })
    .await;
    app.create_org("Acme").await;
    add_user(&app, OWNER, "Olivia Owner", OrgRole::Owner).await;
    let receiver = Receiver::start(usize::MAX).await;
    let created = app
        .admin
        .post(
            &format!("/api/v1/orgs/{ORG}/webhooks"),
            json!({"url": receiver.url, "events": ["team.*"]}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    // It has failed since six days ago.
    let path = app.tempdir.path().join("keyward.db");
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let six_days_ago = chrono::Utc::now() - chrono::Duration::days(6);
    sqlx::query("UPDATE webhooks SET failing_since = ? WHERE id = ?")
        .bind(six_days_ago.timestamp_millis())
        .bind(uuid::Uuid::parse_str(&id).unwrap())
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let team = app
        .admin
        .post(
            &format!("/api/v1/orgs/{ORG}/teams"),
            json!({"name": "Data"}),
        )
        .await;
    assert_eq!(team.status, 201);
    let webhook_path = format!("/api/v1/orgs/{ORG}/webhooks/{id}");
    let started = Instant::now();
    let disabled = loop {
        let got = app.admin.get(&webhook_path).await;
        if got.body["enabled"] == false {
            break got.body;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{}", got.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(disabled["disabled_at"].is_string());
    assert!(!receiver.received().is_empty());
    let audit = app
        .admin
        .get(&format!("/api/v1/orgs/{ORG}/audit?action=webhook.disabled"))
        .await;
    assert_eq!(
        audit.body["items"][0]["actor"]["type"], "system",
        "{}",
        audit.body
    );
    let mut http = Http::new(&app.address);
    http.sign_in(OWNER, PASSWORD).await;
    let page = http.get(&org_path("/webhooks")).await;
    assert!(
        page.body.contains("id=\"disabled-notice\""),
        "{}",
        page.body
    );
    // Enabled again, it is no longer failing.
    let enabled = app
        .admin
        .patch(&webhook_path, json!({"enabled": true}))
        .await;
    assert_eq!(enabled.body["enabled"], true);
    assert!(enabled.body["disabled_at"].is_null() && enabled.body["failing_since"].is_null());
}
