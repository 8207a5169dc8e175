//! Evaluation is live: disabling a user, changing an org role or removing a
//! member takes effect on the very next request of every key involved, seen
//! both by verification (admin) and by the key on the API. (Roles, groups,
//! teams and service accounts have their own files.)

use super::{
    ME, PASSWORD, acme, assert_code, grant_set, invite, login, member_path, members_path,
    teams_path, user_path, verify,
};
use crate::api::{keys_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use serde_json::json;

const UNKNOWN: &str = "0192e4c4-5b7a-7000-8000-000000000000";

pub async fn disabling_a_user_stops_them_at_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let member = &people.member;
    let key = member.user_key("acme", "mine").await;
    let key = text(&key, "key");
    let client = app.client_with_key(key);
    // Warm every cache first.
    for _ in 0..2 {
        assert_eq!(verify(&app, key, None, None).await["code"], "VALID");
        assert_status(&client.get(&keys_path("acme")).await, 200);
        assert_status(&member.api.get(ME).await, 200);
    }
    // Only the admin key enables and disables users.
    let org_key = app.org_key("acme", "machine").await;
    for api in [
        &people.owner.api,
        &people.admin.api,
        &app.client_with_key(text(&org_key, "key")),
    ] {
        let refused = api
            .patch(&user_path(&member.id), json!({ "enabled": false }))
            .await;
        assert_error(&refused, 403, "FORBIDDEN");
    }
    assert_eq!(verify(&app, key, None, None).await["code"], "VALID");

    let disabled = app
        .admin
        .patch(&user_path(&member.id), json!({ "enabled": false }))
        .await;
    assert_status(&disabled, 200);
    assert_eq!(disabled.body["id"], member.id.as_str());
    assert_eq!(disabled.body["enabled"], false);

    let verified = verify(&app, key, None, None).await;
    assert_eq!(verified["code"], "DISABLED", "{verified}");
    assert_eq!(verified["valid"], false);
    assert_eq!(verified["grants"], json!([]));
    assert_error(&client.get(&keys_path("acme")).await, 401, "KEY_DISABLED");
    assert_error(&member.api.get(ME).await, 401, "UNAUTHENTICATED");
    let refused = login(&app, "member@acme.test", PASSWORD).await;
    let unknown = login(&app, "nobody@acme.test", PASSWORD).await;
    assert_error(&refused, 401, "UNAUTHENTICATED");
    assert_eq!(refused.body, unknown.body);
    // Still a member, shown disabled.
    let listed = app.admin.get(&member_path("acme", &member.id)).await;
    assert_status(&listed, 200);
    assert_eq!(listed.body["user"]["enabled"], false);
    // Others are untouched.
    assert_status(&people.admin.api.get(ME).await, 200);

    for (path, body, status) in [
        (user_path(UNKNOWN), json!({ "enabled": false }), 404),
        (user_path("nobody"), json!({ "enabled": false }), 404),
        (user_path(&member.id), json!({ "enabled": "no" }), 422),
        (user_path(&member.id), json!({ "name": "x" }), 422),
    ] {
        assert_eq!(app.admin.patch(&path, body).await.status, status, "{path}");
    }
}

pub async fn enabling_a_user_restores_their_keys(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let member = &people.member;
    let key = member.user_key("acme", "mine").await;
    let key = text(&key, "key");
    let before = verify(&app, key, None, None).await;
    let path = user_path(&member.id);
    assert_status(
        &app.admin.patch(&path, json!({ "enabled": false })).await,
        200,
    );
    assert_eq!(verify(&app, key, None, None).await["code"], "DISABLED");
    let enabled = app.admin.patch(&path, json!({ "enabled": true })).await;
    assert_status(&enabled, 200);
    assert_eq!(enabled.body["enabled"], true);
    let after = verify(&app, key, None, None).await;
    assert_eq!(after["code"], "VALID");
    assert_eq!(grant_set(&after["grants"]), grant_set(&before["grants"]));
    assert_status(&app.client_with_key(key).get(&keys_path("acme")).await, 200);
    assert_status(&login(&app, "member@acme.test", PASSWORD).await, 200);
}

/// Disabling ends a user's sessions for good: enabling them again brings
/// back their keys, not the sessions they had; they sign in anew.
pub async fn reenabling_a_user_revives_no_session(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let member = &people.member;
    assert_status(&member.api.get(ME).await, 200);
    let path = user_path(&member.id);
    for enabled in [false, true] {
        let changed = app.admin.patch(&path, json!({ "enabled": enabled })).await;
        assert_status(&changed, 200);
    }
    assert_error(&member.api.get(ME).await, 401, "UNAUTHENTICATED");
    assert_error(
        &member.api.get(&members_path("acme")).await,
        401,
        "UNAUTHENTICATED",
    );
    // Others' sessions are untouched; the user signs in anew.
    assert_status(&people.admin.api.get(ME).await, 200);
    let again = super::sign_in(&app, "member@acme.test").await;
    assert_status(&again.api.get(ME).await, 200);
}

pub async fn org_role_changes_apply_on_the_next_request(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let member = &people.member;
    let key = member.user_key("acme", "mine").await;
    let key = text(&key, "key");
    let client = app.client_with_key(key);
    let path = member_path("acme", &member.id);
    let new_team = |name: &str| json!({ "name": name });

    assert_code(&app, key, "teams:write", "*", "INSUFFICIENT_PERMISSIONS").await;
    let refused = client.post(&teams_path("acme"), new_team("one")).await;
    assert_error(&refused, 403, "FORBIDDEN");

    let promoted = people
        .owner
        .api
        .patch(&path, json!({ "role": "admin" }))
        .await;
    assert_status(&promoted, 200);
    assert_code(&app, key, "teams:write", "*", "VALID").await;
    assert_status(
        &client.post(&teams_path("acme"), new_team("two")).await,
        201,
    );
    assert_status(
        &member
            .api
            .post(&teams_path("acme"), new_team("three"))
            .await,
        201,
    );

    let demoted = people
        .owner
        .api
        .patch(&path, json!({ "role": "member" }))
        .await;
    assert_status(&demoted, 200);
    assert_code(&app, key, "teams:write", "*", "INSUFFICIENT_PERMISSIONS").await;
    let refused = client.post(&teams_path("acme"), new_team("four")).await;
    assert_error(&refused, 403, "FORBIDDEN");
    let refused = member.api.post(&teams_path("acme"), new_team("five")).await;
    assert_error(&refused, 403, "FORBIDDEN");
}

pub async fn removal_applies_on_the_next_request(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let member = &people.member;
    let key = member.user_key("acme", "mine").await;
    let key = text(&key, "key").to_owned();
    let client = app.client_with_key(&key);
    for _ in 0..3 {
        assert_code(&app, &key, "keys:read", "*", "VALID").await;
        assert_status(&client.get(&members_path("acme")).await, 200);
    }
    assert_status(
        &people
            .admin
            .api
            .delete(&member_path("acme", &member.id))
            .await,
        204,
    );
    assert_eq!(verify(&app, &key, None, None).await["code"], "REVOKED");
    assert_error(&client.get(&members_path("acme")).await, 401, "KEY_REVOKED");
    assert_error(
        &member.api.get(&members_path("acme")).await,
        403,
        "FORBIDDEN",
    );
    // Coming back doesn't bring the old key back: revocation is final.
    let invited = invite(&app.admin, "acme", "member@acme.test", "member").await;
    let accepted = super::accept_signed_in(member, text(&invited.body, "token")).await;
    assert_status(&accepted, 201);
    assert_status(&member.api.get(&members_path("acme")).await, 200);
    assert_eq!(verify(&app, &key, None, None).await["code"], "REVOKED");
    let fresh = member.user_key("acme", "fresh").await;
    assert_code(&app, text(&fresh, "key"), "keys:read", "*", "VALID").await;
}
