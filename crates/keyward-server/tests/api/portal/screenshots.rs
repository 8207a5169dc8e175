//! The README's screenshots of the portal, taken by the browser suite so
//! they stay current: `KEYWARD_SCREENSHOTS=docs/screenshots cargo test -p
//! keyward-server --test api portal::screenshots`. Without the variable
//! this test does nothing.

use super::browser::{run, workspace};
use super::keys::generate_personal;
use super::{OWNER, PASSWORD, org_path, portal_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_screenshots() {
    let Some(folder) = std::env::var_os("KEYWARD_SCREENSHOTS") else {
        return;
    };
    let folder = workspace().join(folder);
    let app = portal_app().await;
    run("readme_screenshots", &app.address, async |b| {
        b.client.set_window_size(1100, 860).await.unwrap();
        b.sign_in(OWNER, PASSWORD).await;
        generate_personal(b, "CI pipeline", &["keys:read", "keys:verify"]).await;
        generate_personal(b, "Local development", &[]).await;
        b.goto(&org_path("/account/keys/new")).await;
        b.fill("input[name=name]", "Nightly export").await;
        b.click("input[name=read_only]").await;
        b.click("input[name=permission][value='keys:read']").await;
        b.screenshot(&folder.join("generate.png")).await;
        b.submit("#key-form button[type=submit]", "#secret").await;
        b.screenshot(&folder.join("secret.png")).await;
        b.goto(&org_path("/account/keys")).await;
        b.find(".card.key").await;
        b.screenshot(&folder.join("keys.png")).await;
        b.client.set_window_size(420, 860).await.unwrap();
        b.goto(&org_path("/account/keys")).await;
        b.find(".card.key").await;
        b.screenshot(&folder.join("keys-phone.png")).await;
    })
    .await;
}
