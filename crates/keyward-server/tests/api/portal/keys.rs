//! Keys in the browser: generate and read once, use, revoke through the
//! dialog; the picker and the scopes offer only what the user holds.

use super::browser::{Browser, run};
use super::{MEMBER, ORG, OWNER, PASSWORD, org_path, portal_app};
use crate::helpers::TestApp;

/// Generates a personal key in `acme` through the form; returns its secret.
pub async fn generate_personal(b: &Browser, label: &str, ticked: &[&str]) -> String {
    generate_personal_in(b, ORG, label, ticked).await
}

/// Generates a personal key in `org` through the form, with the ticked
/// permissions or, if none, all of the scope's rights; returns its secret.
pub async fn generate_personal_in(b: &Browser, org: &str, label: &str, ticked: &[&str]) -> String {
    b.goto(&format!("/orgs/{org}/account/keys")).await;
    b.click("#generate-key").await;
    b.fill("input[name=name]", label).await;
    if ticked.is_empty() {
        b.click("input[name=rights][value=all]").await;
    }
    for permission in ticked {
        b.click(&format!("input[name=permission][value='{permission}']"))
            .await;
    }
    b.submit("#key-form button[type=submit]", "#secret").await;
    b.value("#secret").await
}

async fn status_with_key(app: &TestApp, key: &str, path: &str) -> u16 {
    app.client_with_key(key).get(path).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_key_is_shown_once_and_works() {
    let app = portal_app().await;
    run(
        "a_personal_key_is_shown_once_and_works",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            assert_eq!(b.path().await, org_path("/account/keys"));
            assert!(
                b.text("main").await.contains("No keys yet"),
                "an empty state"
            );
            let secret = generate_personal(b, "laptop", &[]).await;
            assert!(secret.starts_with("kw_"), "{secret}");
            let warning = b.text(".warning").await;
            assert!(warning.contains("won't be shown again"), "{warning}");
            assert!(b.exists("#copy-secret").await, "a copy button");
            assert_eq!(
                status_with_key(&app, &secret, &format!("/api/v1/orgs/{ORG}/keys")).await,
                200,
                "the key works with x-api-key"
            );
            // Reloading the page shows the key without its secret and
            // creates no second key.
            b.client.refresh().await.unwrap();
            b.find("#secret-gone").await;
            assert!(
                !b.source().await.contains(&secret),
                "the secret is shown once"
            );
            b.goto(&org_path("/account/keys")).await;
            let source = b.source().await;
            assert!(!source.contains(&secret), "nor in the list");
            assert!(
                source.contains(&secret[..8]),
                "the mask starts like the key"
            );
            assert_eq!(
                b.client
                    .find_all(fantoccini::Locator::Css(".card.key"))
                    .await
                    .unwrap()
                    .len(),
                1,
                "one key, however often the page is shown"
            );
            assert!(b.text(".card.key h2").await.contains("laptop"));
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_offers_only_held_permissions() {
    let app = portal_app().await;
    run("the_picker_offers_only_held_permissions", &app.address, async |b| {
        b.sign_in(MEMBER, PASSWORD).await;
        b.goto(&org_path("/account/keys/new")).await;
        assert!(b.exists("input[name=permission][value='keys:read']").await);
        assert!(
            !b.exists("input[name=permission][value='keys:write']").await,
            "a member doesn't hold keys:write, so it isn't offered"
        );
        // A permission the member doesn't hold, smuggled in, is refused
        // next to the picker, and the form keeps what was typed.
        b.fill("input[name=name]", "smuggler").await;
        b.client
            .execute(
                "const box = document.querySelector(\"input[value='keys:read']\"); box.value = 'keys:write'; box.checked = true;",
                vec![],
            )
            .await
            .unwrap();
        b.submit("#key-form button[type=submit]", "#error-permissions").await;
        assert!(b.text("#error-permissions").await.contains("keys:write"));
        assert_eq!(b.value("input[name=name]").await, "smuggler");
    })
    .await;
    let held = app
        .admin_for(ORG)
        .get(&format!("/api/v1/orgs/{ORG}/keys"))
        .await;
    assert_eq!(
        held.body["items"].as_array().unwrap().len(),
        0,
        "no key was made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_not_offered_the_organization_scope() {
    let app = portal_app().await;
    run(
        "a_member_is_not_offered_the_organization_scope",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            b.goto(&org_path("/settings/keys/new")).await;
            assert!(
                b.exists("input[name=scope][value=organization]").await,
                "owners get it"
            );
            b.sign_out().await;
            b.sign_in(MEMBER, PASSWORD).await;
            b.goto(&org_path("/settings/keys/new")).await;
            b.find("main h1").await;
            assert!(!b.exists("input[name=scope][value=organization]").await);
            assert!(
                b.text("main").await.contains("personal key"),
                "says what to do instead"
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_through_the_dialog_stops_the_key() {
    let app = portal_app().await;
    run(
        "revoking_through_the_dialog_stops_the_key",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            let secret = generate_personal(b, "to be revoked", &["keys:read"]).await;
            let path = format!("/api/v1/orgs/{ORG}/keys");
            assert_eq!(status_with_key(&app, &secret, &path).await, 200);
            b.goto(&org_path("/account/keys")).await;
            assert!(b.text(".card.key").await.contains("keys:read on *"));
            b.click(".card.key a[data-dialog]").await;
            let dialog = b.find("dialog[open]").await;
            assert!(
                dialog.is_displayed().await.unwrap(),
                "the confirmation opens"
            );
            let question = b.text("dialog[open] h2").await;
            assert!(
                question.contains("to be revoked"),
                "it names the key: {question}"
            );
            b.submit("dialog[open] button[type=submit]", ".notice")
                .await;
            assert!(b.text(".notice").await.contains("revoked"));
            assert!(!b.exists(".card.key").await, "the list no longer shows it");
            assert_eq!(status_with_key(&app, &secret, &path).await, 401);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_form_keeps_its_values_and_says_why_by_the_field() {
    let app = portal_app().await;
    run("a_refused_form_keeps_its_values", &app.address, async |b| {
        b.sign_in(OWNER, PASSWORD).await;
        b.goto(&org_path("/account/keys/new")).await;
        b.fill("input[name=name]", "nightly export").await;
        b.click("input[name=read_only]").await;
        b.click("input[name=permission][value='keys:read']").await;
        b.fill("input[name='resource.keys:read']", "datasets/1")
            .await;
        b.client
            .execute(
                "document.querySelector('select[name=expires_in]').value = 'custom'; \
                 document.querySelector('input[name=expires]').value = '2001-01-01';",
                vec![],
            )
            .await
            .unwrap();
        b.submit("#key-form button[type=submit]", "#error-expires")
            .await;
        assert!(b.text("#error-expires").await.contains("not in the future"));
        assert_eq!(b.value("input[name=name]").await, "nightly export");
        assert_eq!(
            b.value("input[name='resource.keys:read']").await,
            "datasets/1"
        );
        assert!(
            b.find("input[name=read_only]")
                .await
                .is_selected()
                .await
                .unwrap()
        );
        assert!(
            b.find("input[name=permission][value='keys:read']")
                .await
                .is_selected()
                .await
                .unwrap()
        );
    })
    .await;
}
