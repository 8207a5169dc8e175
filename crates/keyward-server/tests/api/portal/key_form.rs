//! The key form in the browser: it shows what applies to the choices made
//! (the chosen scope's owner, a date only for a custom expiry, read-only
//! permissions only on a read-only key), starts with nothing ticked, and
//! key cards say when a key expires soon.

use super::browser::run;
use super::{ORG, OWNER, PASSWORD, org_path, portal_app};
use keyward_core::Clock;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_form_shows_only_what_applies_and_grants_nothing_by_default() {
    let app = portal_app().await;
    let admin = app.admin_for(ORG);
    let team = admin
        .post(
            &format!("/api/v1/orgs/{ORG}/teams"),
            json!({"name": "data"}),
        )
        .await;
    assert_eq!(team.status, 201, "{}", team.body);
    let account = admin
        .post(
            &format!("/api/v1/orgs/{ORG}/service-accounts"),
            json!({"name": "etl"}),
        )
        .await;
    assert_eq!(account.status, 201, "{}", account.body);
    run(
        "the_key_form_shows_only_what_applies",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            b.goto(&org_path("/settings/keys/new")).await;
            let shown = async |css: &str| b.find(css).await.is_displayed().await.unwrap();
            for (scope, team, account) in [
                ("team", true, false),
                ("service_account", false, true),
                ("organization", false, false),
            ] {
                b.click(&format!("input[name=scope][value={scope}]")).await;
                assert_eq!(shown("[data-scope-for=team]").await, team, "{scope}");
                assert_eq!(
                    shown("[data-scope-for=service_account]").await,
                    account,
                    "{scope}"
                );
            }
            // A date only for a custom expiry; 30 days unless chosen.
            assert_eq!(b.value("select[name=expires_in]").await, "30");
            assert!(!shown("[data-expiry-for=custom]").await);
            b.click("select[name=expires_in] option[value=custom]")
                .await;
            assert!(shown("[data-expiry-for=custom]").await);
            b.click("select[name=expires_in] option[value='30']").await;
            // A read-only key is offered read-only permissions only.
            assert!(shown(".picker-item[data-read-only=false]").await);
            b.click("input[name=read_only]").await;
            assert!(!shown(".picker-item[data-read-only=false]").await);
            assert!(shown(".picker-item[data-read-only=true]").await);
            b.click("input[name=read_only]").await;
            // Nothing is ticked, and nothing ticked grants nothing.
            assert!(b.exists("input[name=permission]").await);
            assert!(!b.exists("input[name=permission]:checked").await);
            b.fill("input[name=name]", "everything by accident").await;
            b.submit("#key-form button[type=submit]", "#error-permissions")
                .await;
            assert!(
                b.text("#error-permissions")
                    .await
                    .contains("Tick at least one permission")
            );
            // All of the scope's rights is a choice made on purpose.
            b.click("input[name=rights][value=all]").await;
            assert!(!shown("fieldset.picker").await);
            b.click("input[name=scope][value=organization]").await;
            b.submit("#key-form button[type=submit]", "#secret").await;
        },
    )
    .await;
    let keys = admin.get(&format!("/api/v1/orgs/{ORG}/keys")).await;
    let items = keys.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", keys.body);
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(items[0]["expires_at"].clone()).unwrap();
    let expected = app.clock.now() + chrono::Duration::days(30);
    assert!(
        (expires - expected).num_seconds().abs() < 60,
        "{expires} is 30 days on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_cards_say_when_a_key_expires_soon() {
    let app = portal_app().await;
    let now = app.clock.now();
    for (name, expires_at) in [
        (
            "soon",
            Some(now + chrono::Duration::days(3) + chrono::Duration::hours(2)),
        ),
        ("later", Some(now + chrono::Duration::days(20))),
        ("never", None),
    ] {
        app.create_key(
            ORG,
            json!({"name": name, "scope": "organization", "expires_at": expires_at}),
        )
        .await;
    }
    run(
        "key_cards_say_when_a_key_expires_soon",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            b.goto(&org_path("/settings/keys")).await;
            let card = |name: &'static str| async move {
                b.text(&format!(".card.key[data-key-name='{name}']")).await
            };
            assert!(card("soon").await.contains("expires in 3 days"));
            assert!(!card("later").await.contains("expires in"));
            assert!(!card("never").await.contains("expires in"));
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_set_shown_and_edited_in_the_key_form() {
    let app = portal_app().await;
    run("limits_in_the_key_form", &app.address, async |b| {
        b.sign_in(OWNER, PASSWORD).await;
        b.goto(&org_path("/account/keys/new")).await;
        b.fill("input[name=name]", "metered").await;
        b.click("input[name=rights][value=all]").await;
        // A line that isn't a rate limit is refused by the field, and
        // everything typed stays.
        b.fill("textarea[name=ratelimits]", "burst=50").await;
        b.fill("input[name=credits]", "100").await;
        b.fill("textarea[name=allowed_ips]", "127.0.0.1\n10.0.0.0/8")
            .await;
        b.submit("#key-form button[type=submit]", "#error-limits")
            .await;
        assert!(b.text("#error-limits").await.contains("burst=50"));
        assert_eq!(b.value("input[name=credits]").await, "100");
        b.client
            .execute(
                "document.querySelector('textarea[name=ratelimits]').value = 'burst=50/10s'; \
                 document.querySelector('select[name=refill]').value = 'daily';",
                vec![],
            )
            .await
            .unwrap();
        b.fill("input[name=refill_amount]", "100").await;
        b.submit("#key-form button[type=submit]", "#secret").await;
        let secret = b.value("#secret").await;

        let verified = app
            .admin
            .post(
                "/api/v1/keys/verify",
                json!({ "key": secret, "ip": "10.1.2.3" }),
            )
            .await;
        assert_eq!(verified.body["code"], "VALID", "{}", verified.body);
        assert_eq!(verified.body["credits"]["remaining"], 99);

        b.goto(&org_path("/account/keys")).await;
        let card = b.text(".card.key").await;
        assert!(card.contains("burst: 50 per 10s"), "{card}");
        assert!(card.contains("99 left"), "{card}");
        assert!(card.contains("back to 100 daily"), "{card}");
        assert!(card.contains("127.0.0.1, 10.0.0.0/8"), "{card}");

        // Editing the rate limits away leaves the balance as it is.
        b.click(".card.key a[href$='/edit']").await;
        assert_eq!(b.value("input[name=credits]").await, "99");
        assert_eq!(b.value("textarea[name=ratelimits]").await, "burst=50/10s");
        b.client
            .execute(
                "document.querySelector('textarea[name=ratelimits]').value = '';",
                vec![],
            )
            .await
            .unwrap();
        b.submit("#key-form button[type=submit]", ".notice").await;
        b.goto(&org_path("/account/keys")).await;
        let card = b.text(".card.key").await;
        assert!(!card.contains("Rate limits"), "{card}");
        assert!(card.contains("99 left"), "{card}");
    })
    .await;
}
