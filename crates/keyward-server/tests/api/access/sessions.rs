//! Users and sessions: login, logout, `/me`, password rules, and logins
//! that fail the same way whatever the reason.

use super::{
    ACCEPT, BUILTINS, LOGIN, LOGOUT, ME, MEMBER_GRANTS, PASSWORD, acme, all_on, bearer, grant_set,
    invite, join, login, me_grants, member_path, members_path, sign_in, user_path, verify,
};
use crate::api::{keys_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status, assert_validation};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use chrono::{DateTime, Duration, Utc};
use keyward_core::Clock;
use serde_json::json;

pub async fn login_opens_a_session_usable_as_bearer(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let response = login(&app, "member@acme.test", PASSWORD).await;
    assert_status(&response, 200);
    assert_fields(&response.body, &["token", "expires_at"]);
    let token = text(&response.body, "token");
    assert!(token.starts_with("kws_"), "{token}");
    let expires_at: DateTime<Utc> = text(&response.body, "expires_at").parse().unwrap();
    assert_eq!(expires_at, app.clock.now() + Duration::hours(12));

    let session = bearer(&app, token);
    let me = session.get(ME).await;
    assert_status(&me, 200);
    assert_fields(&me.body, &["user", "organizations"]);
    assert_fields(
        &me.body["user"],
        &["id", "email", "name", "enabled", "created_at"],
    );
    assert_eq!(me.body["user"]["id"], people.member.id.as_str());
    assert_eq!(me.body["user"]["email"], "member@acme.test");
    assert_eq!(me.body["user"]["enabled"], true);
    let orgs = me.body["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{}", me.body);
    assert_eq!(orgs[0]["slug"], "acme");
    assert_eq!(orgs[0]["role"], "member");
    // A member holds the read-only catalog entries.
    assert_eq!(grant_set(&orgs[0]["grants"]), all_on(MEMBER_GRANTS, &["*"]));
    // Usable on the API with what the member holds.
    assert_status(&session.get(&members_path("acme")).await, 200);
    assert_status(&session.get(&keys_path("acme")).await, 200);
    let write = session
        .patch(
            &member_path("acme", &people.admin.id),
            json!({ "role": "member" }),
        )
        .await;
    assert_error(&write, 403, "FORBIDDEN");
    // Emails are matched without regard to case.
    assert_status(&login(&app, "Member@ACME.test", PASSWORD).await, 200);
    // A session token is not an API key: verification doesn't know it.
    let verified = verify(&app, token, None, None).await;
    assert_eq!(verified["valid"], false);
    assert_eq!(verified["code"], "NOT_FOUND");
}

pub async fn logout_ends_the_session(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let other = sign_in(&app, "member@acme.test").await;
    let out = people.member.api.post(LOGOUT, json!({})).await;
    assert_status(&out, 204);
    assert_error(&people.member.api.get(ME).await, 401, "UNAUTHENTICATED");
    assert_error(
        &people.member.api.get(&members_path("acme")).await,
        401,
        "UNAUTHENTICATED",
    );
    assert_error(
        &people.member.api.post(LOGOUT, json!({})).await,
        401,
        "UNAUTHENTICATED",
    );
    assert_error(
        &bearer(&app, &people.member.token).get(ME).await,
        401,
        "UNAUTHENTICATED",
    );
    // Only that session ended.
    assert_status(&other.api.get(ME).await, 200);
    // Keys are revoked, not signed out.
    let key = app.org_key("acme", "machine").await;
    let by_key = app
        .client_with_key(text(&key, "key"))
        .post(LOGOUT, json!({}))
        .await;
    assert_error(&by_key, 403, "FORBIDDEN");
    assert_error(
        &app.anonymous().post(LOGOUT, json!({})).await,
        401,
        "UNAUTHENTICATED",
    );
}

pub async fn login_failures_look_the_same(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let wrong_password = login(&app, "member@acme.test", "not the right password").await;
    let unknown_email = login(&app, "nobody@acme.test", "not the right password").await;
    let short_password = login(&app, "member@acme.test", "short").await;
    let empty = login(&app, "", "").await;
    let disabled = app
        .admin
        .patch(&user_path(&people.admin.id), json!({ "enabled": false }))
        .await;
    assert_status(&disabled, 200);
    let disabled_user = login(&app, "admin@acme.test", PASSWORD).await;
    for refused in [&unknown_email, &short_password, &empty, &disabled_user] {
        assert_error(refused, 401, "UNAUTHENTICATED");
        assert_eq!(refused.body, wrong_password.body);
        assert_eq!(
            refused.header("www-authenticate"),
            wrong_password.header("www-authenticate")
        );
    }
    assert_error(&wrong_password, 401, "UNAUTHENTICATED");
    let message = text(&wrong_password.body, "message");
    assert!(!message.contains("member@acme.test"), "{message}");
    // A failed login leaves no session behind.
    assert_status(&login(&app, "member@acme.test", PASSWORD).await, 200);
    // Malformed requests are the client's mistake, not a login failure.
    let missing = app
        .anonymous()
        .post(LOGIN, json!({ "email": "member@acme.test" }))
        .await;
    assert_error(&missing, 422, "VALIDATION_FAILED");
}

pub async fn sessions_expire_after_twelve_hours(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    app.clock
        .advance(Duration::hours(12) - Duration::seconds(1));
    assert_status(&people.member.api.get(ME).await, 200);
    app.clock.advance(Duration::seconds(1));
    assert_error(&people.member.api.get(ME).await, 401, "UNAUTHENTICATED");
    assert_error(
        &people.member.api.get(&members_path("acme")).await,
        401,
        "UNAUTHENTICATED",
    );
    // Signing in again opens a new one.
    let again = sign_in(&app, "member@acme.test").await;
    assert_status(&again.api.get(ME).await, 200);
}

pub async fn me_lists_every_org_with_role_and_live_grants(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    app.create_org("Beta").await;
    let invited = invite(&app.admin, "beta", "member@acme.test", "admin").await;
    assert_status(&invited, 201);
    // An existing account accepts with its own session.
    let accepted = people
        .member
        .api
        .post(ACCEPT, json!({ "token": text(&invited.body, "token") }))
        .await;
    assert_status(&accepted, 201);

    let session = &people.member.api;
    let me = session.get(ME).await;
    assert_status(&me, 200);
    let roles: Vec<(String, String)> = me.body["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (text(m, "slug").to_owned(), text(m, "role").to_owned()))
        .collect();
    assert_eq!(
        roles,
        [
            ("acme".to_owned(), "member".to_owned()),
            ("beta".to_owned(), "admin".to_owned())
        ]
    );
    for membership in me.body["organizations"].as_array().unwrap() {
        assert!(membership["id"].is_string(), "{membership}");
        assert!(membership["name"].is_string(), "{membership}");
    }
    assert_eq!(
        me_grants(session, "acme").await,
        all_on(MEMBER_GRANTS, &["*"])
    );
    assert_eq!(me_grants(session, "beta").await, all_on(BUILTINS, &["*"]));

    // Live: a promotion shows on the very next request of the same session.
    let promoted = people
        .owner
        .api
        .patch(
            &member_path("acme", &people.member.id),
            json!({ "role": "admin" }),
        )
        .await;
    assert_status(&promoted, 200);
    assert_eq!(me_grants(session, "acme").await, all_on(BUILTINS, &["*"]));
    let role = session.get(ME).await.body["organizations"][0]["role"].clone();
    assert_eq!(role, "admin");
    // With two organizations, the Dadosfera routes need one named.
    assert_error(&session.get("/api-key").await, 400, "BAD_REQUEST");
    let named = session.clone().with_header("X-Keyward-Org", "beta");
    assert_status(&named.get("/api-key").await, 200);
}

pub async fn me_through_a_key_speaks_for_its_org_only(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    app.create_org("Beta").await;
    let invited = invite(&app.admin, "beta", "owner@acme.test", "member").await;
    // An existing account accepts with its own session.
    let accepted = people
        .owner
        .api
        .post(ACCEPT, json!({ "token": text(&invited.body, "token") }))
        .await;
    assert_status(&accepted, 201);
    let key = people
        .owner
        .create_key(
            "acme",
            json!({ "name": "mine", "scope": "user", "permissions": ["keys:read"] }),
        )
        .await;
    let through_key = app.client_with_key(text(&key, "key"));
    let me = through_key.get(ME).await;
    assert_status(&me, 200);
    assert_eq!(me.body["user"]["id"], people.owner.id.as_str());
    let orgs = me.body["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{}", me.body);
    assert_eq!(orgs[0]["slug"], "acme");
    // The key's grants, not the owner's.
    assert_eq!(
        grant_set(&orgs[0]["grants"]),
        all_on(&["keys:read"], &["*"])
    );
    // Organization keys are nobody's.
    let org_key = app.org_key("acme", "machine").await;
    let refused = app.client_with_key(text(&org_key, "key")).get(ME).await;
    assert_error(&refused, 403, "FORBIDDEN");
    assert_error(&app.anonymous().get(ME).await, 401, "UNAUTHENTICATED");
}

pub async fn passwords_need_twelve_characters(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let invited = invite(&app.admin, "acme", "short@acme.test", "member").await;
    assert_status(&invited, 201);
    let token = text(&invited.body, "token");
    for short in ["", "elevenchars", "1234567890a"] {
        let refused = app
            .anonymous()
            .post(
                ACCEPT,
                json!({ "token": token, "name": "Short", "password": short }),
            )
            .await;
        assert_validation(&refused, "12");
    }
    // The refusals didn't use the invitation up.
    let accepted = app
        .anonymous()
        .post(
            ACCEPT,
            json!({ "token": token, "name": "Short", "password": "twelve chars" }),
        )
        .await;
    assert_status(&accepted, 201);
    assert_status(&login(&app, "short@acme.test", "twelve chars").await, 200);
    assert_error(
        &login(&app, "short@acme.test", "twelve char").await,
        401,
        "UNAUTHENTICATED",
    );
    // And the one who joined through the usual path signs in too.
    let joined = join(&app, "acme", "long@acme.test", "member").await;
    assert_status(&joined.api.get(ME).await, 200);
}
