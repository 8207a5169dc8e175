//! A key's life in the browser after its creation: edited permissions
//! seen by the next verification, a roll with a grace period and the new
//! secret shown once, and the organization's key policy shaping the form.

use super::browser::{Browser, run};
use super::keys::generate_personal;
use super::{MEMBER, ORG, OWNER, PASSWORD, org_path, portal_app};
use crate::helpers::TestApp;
use serde_json::{Value, json};

async fn verify(app: &TestApp, key: &str, permission: &str) -> Value {
    let body = json!({"key": key, "permission": permission, "resource": "*"});
    app.admin.post("/api/v1/keys/verify", body).await.body
}

async fn open_card_action(b: &Browser, label: &str, action: &str) {
    b.goto(&org_path("/account/keys")).await;
    b.click(&format!(
        ".card.key[data-key-name='{label}'] a[href$='/{action}']"
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_key_holds_the_new_permissions_at_its_next_use() {
    let app = portal_app().await;
    run(
        "an_edited_key_holds_the_new_permissions",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            let secret = generate_personal(b, "ci", &["keys:read"]).await;
            assert_eq!(verify(&app, &secret, "keys:read").await["valid"], true);
            assert_eq!(verify(&app, &secret, "keys:write").await["valid"], false);
            open_card_action(b, "ci", "edit").await;
            // The form shows what the key holds now.
            assert!(
                b.find("input[name=permission][value='keys:read']")
                    .await
                    .is_selected()
                    .await
                    .unwrap()
            );
            assert_eq!(b.value("select[name=expires_in]").await, "keep");
            b.click("input[name=permission][value='keys:read']").await;
            b.click("input[name=permission][value='keys:write']").await;
            b.fill("input[name=name]", "ci deploy").await;
            b.submit("#key-form button[type=submit]", ".notice").await;
            assert!(b.text(".notice").await.contains("saved"));
            assert!(b.text(".card.key h2").await.contains("ci deploy"));
            assert_eq!(verify(&app, &secret, "keys:write").await["valid"], true);
            assert_eq!(verify(&app, &secret, "keys:read").await["valid"], false);
            // A read-only key can't keep a permission that writes: the API
            // says why, next to the picker.
            open_card_action(b, "ci deploy", "edit").await;
            b.client
                .execute(
                    "document.querySelector('input[name=read_only]').checked = true;",
                    vec![],
                )
                .await
                .unwrap();
            b.submit("#key-form button[type=submit]", "#error-permissions")
                .await;
            assert!(
                b.text("#error-permissions").await.contains("read-only"),
                "{}",
                b.text("#error-permissions").await
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_key_shows_its_new_secret_once_and_the_old_one_works_on() {
    let app = portal_app().await;
    run(
        "a_rolled_key_shows_its_new_secret_once",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            let old = generate_personal(b, "laptop", &["keys:read"]).await;
            open_card_action(b, "laptop", "roll").await;
            let choices: Vec<String> = {
                let mut out = Vec::new();
                for radio in b
                    .client
                    .find_all(fantoccini::Locator::Css("input[name=grace_seconds]"))
                    .await
                    .unwrap()
                {
                    out.push(radio.attr("value").await.unwrap().unwrap());
                }
                out
            };
            assert_eq!(choices, ["0", "3600", "86400", "604800"]);
            b.click("input[name=grace_seconds][value='3600']").await;
            b.submit("#roll-form button[type=submit]", "#secret").await;
            let new = b.value("#secret").await;
            assert_ne!(new, old);
            assert_eq!(verify(&app, &new, "keys:read").await["valid"], true);
            assert_eq!(
                verify(&app, &old, "keys:read").await["valid"],
                true,
                "the old key works through its grace period"
            );
            app.clock.advance(chrono::Duration::minutes(61));
            assert_eq!(verify(&app, &old, "keys:read").await["code"], "EXPIRED");
            b.client.refresh().await.unwrap();
            b.find("#secret-gone").await;
            assert!(!b.source().await.contains(&new), "shown once");
            let keys = app
                .admin_for(ORG)
                .get(&format!("/api/v1/orgs/{ORG}/keys"))
                .await;
            let rolled: Vec<&Value> = keys.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|k| !k["rolled_from"].is_null())
                .collect();
            assert_eq!(rolled.len(), 1, "one roll, however often the page is shown");
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_set_the_key_policy_and_the_key_form_follows_it() {
    let app = portal_app().await;
    run("owners_set_the_key_policy", &app.address, async |b| {
        b.sign_in(MEMBER, PASSWORD).await;
        b.goto(&org_path("/settings")).await;
        assert!(!b.exists("#policy-form").await, "members only read it");
        assert!(b.text("main").await.contains("no limit"));
        b.sign_out().await;

        b.sign_in(OWNER, PASSWORD).await;
        b.goto(&org_path("/settings")).await;
        b.fill("input[name=max_lifetime_days]", "45").await;
        b.submit("#policy-form button[type=submit]", ".notice")
            .await;
        assert_eq!(b.value("input[name=max_lifetime_days]").await, "45");
        b.goto(&org_path("/account/keys/new")).await;
        let offered = b.text("select[name=expires_in]").await;
        assert!(offered.contains("in 45 days"), "{offered}");
        assert!(
            !offered.contains("never") && !offered.contains("in 60 days"),
            "{offered}"
        );
        // A date past the limit is refused with the limit named.
        b.fill("input[name=name]", "too long").await;
        b.click("input[name=rights][value=all]").await;
        b.client
            .execute(
                "document.querySelector('select[name=expires_in]').value = 'custom'; \
                 document.querySelector('input[name=expires]').value = '2099-01-01';",
                vec![],
            )
            .await
            .unwrap();
        b.submit("#key-form button[type=submit]", "#error-expires")
            .await;
        assert!(b.text("#error-expires").await.contains("45 days"));
    })
    .await;
    let org = app.admin_for(ORG).get(&format!("/api/v1/orgs/{ORG}")).await;
    assert_eq!(
        org.body["key_policy"]["max_lifetime_days"], 45,
        "{}",
        org.body
    );
}
