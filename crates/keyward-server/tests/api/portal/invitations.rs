//! Accepting an invitation in the portal, over plain HTTP: a new email
//! chooses a name and a password; an email that has an account joins only
//! once its user is signed in, and the page never says whose account it is.

use super::http::Http;
use super::{MEMBER, PASSWORD, portal_app};
use crate::api::text;
use crate::assertions::assert_status;
use serde_json::json;

const ACCEPT: &str = "/invitations/accept";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_account_signs_in_then_accepts() {
    let app = portal_app().await;
    app.create_org("Beta").await;
    let invited = app
        .admin
        .post(
            "/api/v1/orgs/beta/invitations",
            json!({ "email": MEMBER, "role": "member" }),
        )
        .await;
    assert_status(&invited, 201);
    let token = text(&invited.body, "token");

    // With the token alone (what the inviter holds): refused, nobody named.
    let mut stranger = Http::new(&app.address);
    let csrf = stranger.get(ACCEPT).await.csrf();
    let refused = stranger
        .post(
            ACCEPT,
            &[
                ("csrf", &csrf),
                ("token", token),
                ("name", "Mallory"),
                ("password", "a long enough password"),
                ("password_again", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("sign in, then open your invitation link again")
    );
    assert!(!refused.body.contains("Max Member"), "{}", refused.body);
    let members = app.admin.get("/api/v1/orgs/beta/members").await;
    assert_eq!(members.body, json!([]));

    // Signed in, the page offers to join as that account.
    let mut member = Http::new(&app.address);
    assert_eq!(member.sign_in(MEMBER, PASSWORD).await.status, 303);
    let page = member.get(ACCEPT).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Max Member"), "{}", page.body);
    assert!(!page.body.contains("name=\"password\""), "{}", page.body);
    let joined = member
        .post(ACCEPT, &[("csrf", &page.csrf()), ("token", token)])
        .await;
    assert_eq!(joined.status, 303, "{}", joined.body);
    assert_eq!(
        joined.header("location"),
        "/orgs/beta/account/keys?notice=invitation-joined"
    );
    let members = app.admin.get("/api/v1/orgs/beta/members").await;
    assert_eq!(members.body[0]["user"]["email"], MEMBER, "{}", members.body);
}
