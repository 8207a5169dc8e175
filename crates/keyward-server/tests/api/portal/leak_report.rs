//! The public "Report a leaked key" page revokes a key for whoever holds
//! it, with the same answer for any token; the settings page sets the
//! leak policy, for owners only.

use super::http::Http;
use super::{MEMBER, ORG, OWNER, PASSWORD, org_path, portal_app};
use crate::assertions::assert_status;
use serde_json::json;

async fn code(app: &crate::helpers::TestApp, key: &str) -> String {
    let response = app
        .admin
        .post("/api/v1/keys/verify", json!({ "key": key }))
        .await;
    assert_status(&response, 200);
    response.body["code"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_holding_a_key_revokes_it_from_the_public_page() {
    let app = portal_app().await;
    let created = app.org_key(ORG, "pasted").await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(code(&app, &key).await, "VALID");

    let mut http = Http::new(&app.address);
    let page = http.get("/leaked-key").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Report a leaked key"), "{}", page.body);
    let csrf = page.csrf();
    let forged = http
        .post("/leaked-key", &[("csrf", "forged"), ("token", &key)])
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(code(&app, &key).await, "VALID");

    let reported = http
        .post("/leaked-key", &[("csrf", &csrf), ("token", &key)])
        .await;
    assert_eq!(reported.status, 303);
    let location = reported.header("location").to_owned();
    assert_eq!(location, "/leaked-key?notice=leak-reported");
    assert_eq!(code(&app, &key).await, "REVOKED");
    let thanked = http.get(&location).await;
    assert!(thanked.body.contains("Thank you"), "{}", thanked.body);

    // The same answer for a token that was never a key.
    let unknown = http
        .post(
            "/leaked-key",
            &[("csrf", &csrf), ("token", "kw_nothing-here")],
        )
        .await;
    assert_eq!(unknown.status, 303);
    assert_eq!(unknown.header("location"), location);
    let empty = http
        .post("/leaked-key", &[("csrf", &csrf), ("token", "  ")])
        .await;
    assert_eq!(empty.status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_set_the_leak_policy_on_the_settings_page() {
    let app = portal_app().await;
    let mut owner = Http::new(&app.address);
    owner.sign_in(OWNER, PASSWORD).await;
    let settings = owner.get(&org_path("/settings")).await;
    assert!(
        settings.body.contains("leak-policy-form"),
        "{}",
        settings.body
    );
    assert!(settings.body.contains("value=\"revoke\" checked"));
    let csrf = settings.csrf();
    let saved = owner
        .post(
            &org_path("/settings/leak-policy"),
            &[("csrf", &csrf), ("leak_policy", "notify")],
        )
        .await;
    assert_eq!(saved.status, 303);
    let org = app.admin.get(&format!("/api/v1/orgs/{ORG}")).await;
    assert_eq!(org.body["leak_policy"], "notify");
    let shown = owner.get(&org_path("/settings")).await;
    assert!(shown.body.contains("value=\"notify\" checked"));
    let bad = owner
        .post(
            &org_path("/settings/leak-policy"),
            &[("csrf", &csrf), ("leak_policy", "ignore")],
        )
        .await;
    assert_eq!(bad.status, 422);

    let mut member = Http::new(&app.address);
    member.sign_in(MEMBER, PASSWORD).await;
    let page = member.get(&org_path("/settings")).await;
    assert!(!page.body.contains("leak-policy-form"));
    assert!(page.body.contains("Only record the report"));
    let csrf = page.csrf();
    let refused = member
        .post(
            &org_path("/settings/leak-policy"),
            &[("csrf", &csrf), ("leak_policy", "revoke")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let org = app.admin.get(&format!("/api/v1/orgs/{ORG}")).await;
    assert_eq!(org.body["leak_policy"], "notify");
}
