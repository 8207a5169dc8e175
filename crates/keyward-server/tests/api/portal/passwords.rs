//! Passwords in the browser: changing one's own from the account menu, and
//! a member's reset link, handed over by the owner, working once.

use super::browser::run;
use super::{MEMBER, OWNER, PASSWORD, org_path, portal_app};

const NEW_PASSWORD: &str = "a fresh and long passphrase";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_changes_their_password_from_the_account_menu() {
    let app = portal_app().await;
    run(
        "a_user_changes_their_password_from_the_account_menu",
        &app.address,
        async |b| {
            b.sign_in(MEMBER, PASSWORD).await;
            b.click("details.account summary").await;
            b.click("details.account a[href='/account/password']").await;
            b.find("#password-form").await;
            b.fill("input[name=current_password]", "not my password at all")
                .await;
            b.fill("input[name=new_password]", NEW_PASSWORD).await;
            b.fill("input[name=new_password_again]", NEW_PASSWORD).await;
            b.submit(
                "#password-form button[type=submit]",
                "#error-current_password",
            )
            .await;
            b.fill("input[name=current_password]", PASSWORD).await;
            b.fill("input[name=new_password]", NEW_PASSWORD).await;
            b.fill("input[name=new_password_again]", NEW_PASSWORD).await;
            b.submit("#password-form button[type=submit]", ".notice")
                .await;
            assert!(b.text(".notice").await.contains("password is changed"));
            // This session stays; the new password signs in.
            b.goto(&org_path("/account/keys")).await;
            assert_eq!(b.path().await, org_path("/account/keys"));
            b.sign_out().await;
            b.sign_in(MEMBER, NEW_PASSWORD).await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_from_the_members_page_sets_a_password_once() {
    let app = portal_app().await;
    let store = &app.state.store;
    let member = store.user_credentials(MEMBER).await.unwrap().unwrap().0;
    run(
        "a_reset_link_from_the_members_page_sets_a_password_once",
        &app.address,
        async |b| {
            b.sign_in(OWNER, PASSWORD).await;
            b.goto(&org_path("/admin/members")).await;
            b.click(&format!("a[data-dialog='reset-{}']", member.id))
                .await;
            b.submit(
                &format!("#reset-{} button[type=submit]", member.id),
                "#reset-link",
            )
            .await;
            let link = b.value("#reset-link").await;
            assert!(link.contains("/password-reset#kwr_"), "{link}");
            b.sign_out().await;

            b.client.goto(&link).await.unwrap();
            b.find("#reset-form").await;
            let token = b.value("#reset-form input[name=token]").await;
            assert!(token.starts_with("kwr_"), "moved into the form: {token:?}");
            let url = b.client.current_url().await.unwrap();
            assert!(!url.as_str().contains("kwr_"), "and out of the URL");
            b.fill("input[name=new_password]", NEW_PASSWORD).await;
            b.fill("input[name=new_password_again]", NEW_PASSWORD).await;
            b.submit("#reset-form button[type=submit]", ".notice").await;
            b.wait_for_path("/login").await;
            b.sign_in(MEMBER, NEW_PASSWORD).await;
            b.sign_out().await;

            // The link works once.
            b.client.goto(&link).await.unwrap();
            b.find("#reset-form").await;
            b.fill("input[name=new_password]", "yet another passphrase")
                .await;
            b.fill("input[name=new_password_again]", "yet another passphrase")
                .await;
            b.submit("#reset-form button[type=submit]", "#error-token")
                .await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_and_invitation_actions_fit_a_narrow_screen() {
    let app = portal_app().await;
    let invited = app
        .admin
        .post(
            &format!("/api/v1/orgs/{}/invitations", super::ORG),
            serde_json::json!({"email": "someone-with-a-long-address@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(invited.status, 201);
    run(
        "member_and_invitation_actions_fit_a_narrow_screen",
        &app.address,
        async |b| {
            b.client.set_window_size(390, 844).await.unwrap();
            b.sign_in(OWNER, PASSWORD).await;
            b.goto(&org_path("/admin/members")).await;
            b.find("table.stacked").await;
            let fits = b
                .client
                .execute(
                    "const width = document.documentElement.clientWidth;
                     const actions = [...document.querySelectorAll('td.actions button, td.actions a')];
                     return {
                       actions: actions.length,
                       outside: actions.filter(e => e.getBoundingClientRect().right > width).length,
                       scrolls: document.documentElement.scrollWidth > width,
                     };",
                    vec![],
                )
                .await
                .unwrap();
            assert!(fits["actions"].as_u64().unwrap_or(0) >= 5, "{fits}");
            assert_eq!(fits["outside"], 0, "{fits}");
            assert_eq!(fits["scrolls"], false, "{fits}");
        },
    )
    .await;
}
