//! Passwords: a signed-in user changes theirs (the other sessions end); an
//! owner or admin issues a single-use reset link that expires in an hour
//! and ends every session of the user when used.

use super::audit_trail::events_of;
use super::{Acme, ME, PASSWORD, Person, acme, join, login, member_path};
use crate::api::{Api, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use keyward_client::RawResponse;
use keyward_core::Clock;
use serde_json::json;

pub const CHANGE: &str = "/api/v1/me/password";
pub const RESET: &str = "/api/v1/auth/password-reset";
const NEW_PASSWORD: &str = "a brand new passphrase";

fn reset_path(org: &str, user: &str) -> String {
    format!("{}/password-reset", member_path(org, user))
}

/// Issues a reset link for `user` in `org` as `api`.
pub async fn issue(api: &Api, org: &str, user: &str) -> RawResponse {
    api.post(&reset_path(org, user), json!({})).await
}

pub async fn use_reset(app: &TestApp, token: &str, password: &str) -> RawResponse {
    app.anonymous()
        .post(RESET, json!({ "token": token, "new_password": password }))
        .await
}

async fn session_works(person: &Person) -> bool {
    person.api.get(ME).await.status == 200
}

async fn another_session(app: &TestApp, email: &str, password: &str) -> Person {
    let response = login(app, email, password).await;
    assert_status(&response, 200);
    let token = text(&response.body, "token").to_owned();
    Person {
        id: String::new(),
        api: super::bearer(app, &token),
        token,
    }
}

pub async fn changing_a_password_keeps_only_this_session(backend: Backend) {
    let app = spawn_app(&backend).await;
    let Acme { member, admin, .. } = acme(&app).await;
    let email = "member@acme.test";
    let other = another_session(&app, email, PASSWORD).await;

    let wrong =
        json!({ "current_password": "not the password at all", "new_password": NEW_PASSWORD });
    assert_error(&member.api.post(CHANGE, wrong).await, 403, "FORBIDDEN");
    let short = json!({ "current_password": PASSWORD, "new_password": "short" });
    assert_error(
        &member.api.post(CHANGE, short).await,
        422,
        "VALIDATION_FAILED",
    );
    let unknown_field = json!({ "current_password": PASSWORD, "password": NEW_PASSWORD });
    assert_eq!(member.api.post(CHANGE, unknown_field).await.status / 100, 4);
    let anonymous = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
    assert_eq!(
        app.anonymous().post(CHANGE, anonymous.clone()).await.status,
        401
    );
    // A key is not a session.
    let key = member.user_key("acme", "mine").await;
    let with_key = app.client_with_key(text(&key, "key"));
    assert_error(
        &with_key.post(CHANGE, anonymous.clone()).await,
        403,
        "FORBIDDEN",
    );
    assert!(session_works(&other).await, "refusals end nothing");

    assert_status(&member.api.post(CHANGE, anonymous).await, 204);
    assert!(session_works(&member).await, "the current session stays");
    assert!(!session_works(&other).await, "other sessions end");
    assert!(session_works(&admin).await, "other users' sessions stay");
    assert_status(&login(&app, email, PASSWORD).await, 401);
    assert_status(&login(&app, email, NEW_PASSWORD).await, 200);
    let events = events_of(&app, app_org(&app).await, "user.password_changed").await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let details = serde_json::to_string(&events[0]).expect("an event serializes");
    assert!(!details.contains(NEW_PASSWORD) && !details.contains(PASSWORD));
}

pub async fn wrong_current_passwords_are_throttled_like_sign_ins(backend: Backend) {
    let app = spawn_app(&backend).await;
    let Acme { member, .. } = acme(&app).await;
    let wrong =
        json!({ "current_password": "not the password at all", "new_password": NEW_PASSWORD });
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(member.api.post(CHANGE, wrong.clone()).await.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let right = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
    assert_status(&member.api.post(CHANGE, right).await, 429);
}

async fn app_org(app: &TestApp) -> uuid::Uuid {
    let org = app.admin.get("/api/v1/orgs/acme").await;
    text(&org.body, "id").parse().expect("an org id")
}

pub async fn reset_links_work_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    let Acme { owner, member, .. } = acme(&app).await;
    let email = "member@acme.test";
    let other = another_session(&app, email, PASSWORD).await;
    let issued = issue(&owner.api, "acme", &member.id).await;
    assert_status(&issued, 201);
    let token = text(&issued.body, "token").to_owned();
    assert!(token.starts_with("kwr_"), "{token}");
    assert_eq!(
        text(&issued.body, "url"),
        format!("/password-reset#{token}"),
        "the token rides in the fragment"
    );
    let expires_at: chrono::DateTime<chrono::Utc> =
        text(&issued.body, "expires_at").parse().expect("a time");
    let hour = expires_at - app.clock.now();
    assert!(hour <= chrono::Duration::hours(1) && hour > chrono::Duration::minutes(59));
    // Issuing ends nothing yet.
    assert!(session_works(&member).await);

    assert_error(
        &use_reset(&app, &token, "short").await,
        422,
        "VALIDATION_FAILED",
    );
    assert_status(&use_reset(&app, &token, NEW_PASSWORD).await, 204);
    assert!(!session_works(&member).await, "every session ends");
    assert!(!session_works(&other).await, "every session ends");
    assert!(session_works(&owner).await);
    assert_status(&login(&app, email, PASSWORD).await, 401);
    assert_status(&login(&app, email, NEW_PASSWORD).await, 200);

    let again = use_reset(&app, &token, "yet another passphrase").await;
    assert_error(&again, 404, "NOT_FOUND");
    let unknown = use_reset(&app, "kwr_nothing", NEW_PASSWORD).await;
    assert_eq!(
        unknown.body, again.body,
        "one answer for used and unknown links"
    );
    let invitation_like = use_reset(&app, "kwi_nothing", NEW_PASSWORD).await;
    assert_eq!(invitation_like.body, again.body);
    assert_status(&login(&app, email, NEW_PASSWORD).await, 200);

    let org = app_org(&app).await;
    let issued = events_of(&app, org, "user.password_reset_issued").await;
    let used = events_of(&app, org, "user.password_reset").await;
    assert_eq!((issued.len(), used.len()), (1, 1));
    for event in issued.iter().chain(&used) {
        let text = serde_json::to_string(event).expect("an event serializes");
        assert!(
            !text.contains(&token) && !text.contains(NEW_PASSWORD),
            "{text}"
        );
    }
}

pub async fn expired_reset_links_are_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    let Acme { owner, member, .. } = acme(&app).await;
    let issued = issue(&owner.api, "acme", &member.id).await;
    assert_status(&issued, 201);
    app.clock.advance(chrono::Duration::minutes(61));
    let late = use_reset(&app, text(&issued.body, "token"), NEW_PASSWORD).await;
    assert_error(&late, 404, "NOT_FOUND");
    assert_status(&login(&app, "member@acme.test", PASSWORD).await, 200);
}

pub async fn who_may_reset_passwords(backend: Backend) {
    let app = spawn_app(&backend).await;
    let Acme {
        owner,
        admin,
        member,
    } = acme(&app).await;
    let second_owner = join(&app, "acme", "second@acme.test", "owner").await;
    // Members may not; admins not for owners; owners for everyone.
    assert_error(
        &issue(&member.api, "acme", &admin.id).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &issue(&member.api, "acme", &member.id).await,
        403,
        "FORBIDDEN",
    );
    assert_eq!(issue(&admin.api, "acme", &owner.id).await.status, 403);
    assert_status(&issue(&admin.api, "acme", &member.id).await, 201);
    assert_status(&issue(&owner.api, "acme", &second_owner.id).await, 201);
    assert_status(&issue(&owner.api, "acme", &admin.id).await, 201);
    assert_status(&issue(&app.admin, "acme", &owner.id).await, 201);

    // Only members of the organization, and no one outside it.
    app.create_org("Other").await;
    let outsider = join(&app, "other", "outsider@other.test", "member").await;
    assert_error(
        &issue(&owner.api, "acme", &outsider.id).await,
        404,
        "NOT_FOUND",
    );
    assert_eq!(issue(&owner.api, "other", &outsider.id).await.status, 403);
    assert_eq!(issue(&owner.api, "acme", "not-a-uuid").await.status, 404);

    // An account in two organizations is the admin key's to reset.
    let shared = join(&app, "other", "member@acme.test", "member").await;
    assert_eq!(shared.id, member.id);
    let refused = issue(&owner.api, "acme", &member.id).await;
    assert_error(&refused, 403, "FORBIDDEN");
    assert_status(&issue(&app.admin, "acme", &member.id).await, 201);
}
