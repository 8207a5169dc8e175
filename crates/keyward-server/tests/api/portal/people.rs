//! People in the browser: invitations accepted through their link, the
//! organization switcher, and a read-only team key refused on a write.

use super::browser::run;
use super::keys::generate_personal_in;
use super::{ORG, OWNER, PASSWORD, org_path, portal_app};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_user_accepts_through_the_link_and_signs_in() {
    let app = portal_app().await;
    run(
        "an_invited_user_accepts_through_the_link",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            b.goto(&org_path("/admin/members")).await;
            b.fill("#invite-form input[name=email]", "newcomer@acme.test")
                .await;
            b.submit("#invite-form button[type=submit]", "#invitation-link")
                .await;
            let link = b.value("#invitation-link").await;
            assert!(link.contains("/invitations/accept#kwi_"), "{link}");
            assert!(
                b.text("main").await.contains("newcomer@acme.test"),
                "listed as pending"
            );
            b.sign_out().await;
            b.client.goto(&link).await.unwrap();
            b.find("#invitation-token").await;
            let token = b.value("#invitation-token").await;
            assert!(
                token.starts_with("kwi_"),
                "the script moved the token into the form: {token:?}"
            );
            assert!(
                !b.client
                    .current_url()
                    .await
                    .unwrap()
                    .as_str()
                    .contains("kwi_"),
                "and out of the URL"
            );
            b.fill("input[name=name]", "Nora Newcomer").await;
            b.fill("input[name=password]", "a long enough password")
                .await;
            b.fill("input[name=password_again]", "a long enough password")
                .await;
            b.submit(
                "form[action='/invitations/accept'] button[type=submit]",
                ".notice",
            )
            .await;
            assert_eq!(b.path().await, "/login");
            b.sign_in("newcomer@acme.test", "a long enough password")
                .await;
            assert_eq!(b.path().await, org_path("/account/keys"));
            assert!(
                b.text("details.account summary")
                    .await
                    .contains("Nora Newcomer")
            );
            // The link works once.
            b.sign_out().await;
            b.client.goto(&link).await.unwrap();
            b.fill("input[name=name]", "Again").await;
            b.fill("input[name=password]", "a long enough password")
                .await;
            b.fill("input[name=password_again]", "a long enough password")
                .await;
            b.submit(
                "form[action='/invitations/accept'] button[type=submit]",
                "#error-token",
            )
            .await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switcher_moves_between_organizations() {
    let app = portal_app().await;
    let other = app.create_org("Beta Labs").await;
    let store = &app.state.store;
    let owner = store.user_credentials(OWNER).await.unwrap().unwrap().0;
    let beta = uuid::Uuid::parse_str(other["id"].as_str().unwrap()).unwrap();
    store
        .add_member(
            beta,
            owner.id,
            keyward_core::access::OrgRole::Member,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    run(
        "the_switcher_moves_between_organizations",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            b.click("details.switcher summary").await;
            b.click("details.switcher a[href='/orgs/beta-labs/account/keys']")
                .await;
            b.find("main h1").await;
            assert_eq!(b.path().await, "/orgs/beta-labs/account/keys");
            assert!(
                b.text("details.switcher summary")
                    .await
                    .contains("Beta Labs")
            );
            assert!(
                !b.exists("nav.tabs a[href$='/admin/members']").await,
                "a member of Beta has no administration"
            );
            let secret = generate_personal_in(b, "beta-labs", "beta key", &[]).await;
            let in_beta = app
                .client_with_key(&secret)
                .get("/api/v1/orgs/beta-labs/keys")
                .await;
            assert_eq!(in_beta.status, 200);
            let in_acme = app
                .client_with_key(&secret)
                .get(&format!("/api/v1/orgs/{ORG}/keys"))
                .await;
            assert_eq!(in_acme.status, 403, "a key works only in its organization");
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_team_key_is_refused_on_a_write() {
    let app = portal_app().await;
    run(
        "a_read_only_team_key_is_refused_on_a_write",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            b.goto(&org_path("/admin/teams")).await;
            assert!(b.text("main").await.contains("No teams yet"));
            b.fill("#team-form input[name=name]", "Data engineering")
                .await;
            b.submit("#team-form button[type=submit]", ".notice").await;
            let team_path = b.path().await;
            let team_id = team_path.rsplit('/').next().unwrap().to_owned();
            b.goto(&org_path(&format!(
                "/settings/keys/new?scope=team&team_id={team_id}"
            )))
            .await;
            b.fill("input[name=name]", "dashboards").await;
            b.click("input[name=scope][value=team]").await;
            b.click("input[name=read_only]").await;
            b.click("input[name=rights][value=all]").await;
            b.submit("#key-form button[type=submit]", "#secret").await;
            let secret = b.value("#secret").await;
            b.goto(&org_path("/settings/keys")).await;
            let card = b.text(".card.key").await;
            assert!(
                card.contains("read-only") && card.contains("Data engineering"),
                "{card}"
            );
            let key = app.client_with_key(&secret);
            let team = format!("/api/v1/orgs/{ORG}/teams/{team_id}");
            assert_eq!(key.get(&team).await.status, 200, "reads work");
            let write = key
                .post(
                    &format!("/api/v1/orgs/{ORG}/keys"),
                    json!({"name": "x", "scope": "team", "team_id": team_id}),
                )
                .await;
            assert_eq!(write.status, 403, "{}", write.body);
            assert_eq!(write.body["code"], "READ_ONLY_KEY");
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_owner_signs_in_to_default() {
    let data = tempfile::tempdir().unwrap();
    let config = keyward_server::Config {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(data.path().to_owned()),
        ..Default::default()
    };
    let mut app = keyward_server::Application::build(config.resolve().unwrap())
        .await
        .unwrap();
    let owner = app
        .new_owner
        .take()
        .expect("a first start creates the owner");
    let address = format!("http://{}", app.local_addr().unwrap());
    let server = tokio::spawn(app.run_until_stopped(std::future::pending()));
    run(
        "the_bootstrap_owner_signs_in_to_default",
        &address,
        async |b| {
            b.sign_in(&owner.email, &owner.password).await;
            assert_eq!(owner.email, "owner@keyward.local");
            assert_eq!(b.path().await, "/orgs/default/account/keys");
            assert!(
                b.exists("nav.tabs a[href='/orgs/default/admin/members']")
                    .await,
                "the owner administers"
            );
            generate_personal_in(b, "default", "first key", &[]).await;
        },
    )
    .await;
    server.abort();
}
