//! Nobody escalates: for each scope, a key or a session creates only keys
//! whose effective grants are a subset of its own, names only permissions
//! it holds, and hands out no role that carries more than it holds.
//! (Service-account keys: `service_accounts.rs`; roles and groups: `roles.rs`.)

use super::{
    acme, assert_code, create_team, grant, grant_set, invite, join, member_path, put,
    set_team_member, team_member_path, verify,
};
use crate::api::{Api, keys_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use serde_json::{Value, json};

fn user_body(permissions: Option<Value>) -> Value {
    let mut body = json!({ "name": "child", "scope": "user" });
    if let Some(permissions) = permissions {
        body["permissions"] = permissions;
    }
    body
}

fn org_body(permissions: Option<Value>) -> Value {
    let mut body = json!({ "name": "child", "scope": "organization" });
    if let Some(permissions) = permissions {
        body["permissions"] = permissions;
    }
    body
}

fn team_body(team: &str, permissions: Option<Value>) -> Value {
    let mut body = json!({ "name": "child", "scope": "team", "team_id": team });
    if let Some(permissions) = permissions {
        body["permissions"] = permissions;
    }
    body
}

/// Refused with 403 `PERMISSION_NOT_HELD` naming `permission`.
async fn assert_not_held(api: &Api, body: Value, permission: &str) {
    let refused = api.post(&keys_path("acme"), body.clone()).await;
    assert_error(&refused, 403, "PERMISSION_NOT_HELD");
    assert_eq!(
        refused.body["details"]["permission"], permission,
        "{body}: {}",
        refused.body
    );
}

/// Refused with 403, whatever the code.
async fn assert_refused(api: &Api, body: Value) {
    let refused = api.post(&keys_path("acme"), body.clone()).await;
    assert_eq!(refused.status, 403, "{body}: {}", refused.body);
}

async fn assert_created(api: &Api, body: Value) -> Value {
    let created = api.post(&keys_path("acme"), body.clone()).await;
    assert_eq!(created.status, 201, "{body}: {}", created.body);
    created.body
}

pub async fn user_keys_create_only_subsets(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let team = create_team(&app.admin, "acme", "Data").await;
    // An owner's key narrowed to keys:write.
    let narrowed = people
        .owner
        .create_key("acme", user_body(Some(json!(["keys:write"]))))
        .await;
    let narrowed = app.client_with_key(text(&narrowed, "key"));
    // No explicit permissions means all of the owner's: more than it holds.
    assert_refused(&narrowed, user_body(None)).await;
    assert_not_held(
        &narrowed,
        user_body(Some(json!(["keys:read"]))),
        "keys:read",
    )
    .await;
    assert_not_held(
        &narrowed,
        user_body(Some(json!(["keys:write", "org:write"]))),
        "org:write",
    )
    .await;
    assert_refused(&narrowed, org_body(None)).await;
    assert_refused(&narrowed, team_body(&team, None)).await;
    // The same or less is fine.
    let same = assert_created(&narrowed, user_body(Some(json!(["keys:write"])))).await;
    let same = verify(&app, text(&same, "key"), None, None).await;
    assert_eq!(
        grant_set(&same["grants"]),
        super::all_on(&["keys:write"], &["*"])
    );
    assert_created(
        &narrowed,
        user_body(Some(json!([grant("keys:write", "keys/1")]))),
    )
    .await;

    // A member's unnarrowed key: the member's read-only grants.
    let member_key = people.member.user_key("acme", "member").await;
    let member_key = app.client_with_key(text(&member_key, "key"));
    assert_refused(&member_key, org_body(None)).await;
    assert_refused(&member_key, team_body(&team, None)).await;
    assert_not_held(
        &member_key,
        user_body(Some(json!(["teams:write"]))),
        "teams:write",
    )
    .await;
    assert_created(&member_key, user_body(Some(json!(["keys:read"])))).await;
    assert_created(&member_key, user_body(None)).await;

    // A read-only key creates nothing at all.
    let read_only = people
        .owner
        .create_key(
            "acme",
            json!({ "name": "ro", "scope": "user", "read_only": true }),
        )
        .await;
    let read_only = app.client_with_key(text(&read_only, "key"));
    for body in [
        user_body(None),
        user_body(Some(json!(["keys:read"]))),
        org_body(None),
    ] {
        let refused = read_only.post(&keys_path("acme"), body).await;
        assert_error(&refused, 403, "READ_ONLY_KEY");
    }
}

pub async fn sessions_create_only_what_their_user_may(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let lead = join(&app, "acme", "lead@acme.test", "member").await;
    let team = create_team(&app.admin, "acme", "Data").await;
    let other_team = create_team(&app.admin, "acme", "Other").await;
    set_team_member(&app.admin, "acme", &team, &lead.id, "owner").await;
    set_team_member(&app.admin, "acme", &team, &people.member.id, "member").await;

    // A member: no organization key, no team key (member of the team or not).
    let member = &people.member.api;
    let refused = member.post(&keys_path("acme"), org_body(None)).await;
    assert_error(&refused, 403, "FORBIDDEN");
    for t in [&team, &other_team] {
        let refused = member.post(&keys_path("acme"), team_body(t, None)).await;
        assert_error(&refused, 403, "FORBIDDEN");
    }
    assert_not_held(
        member,
        user_body(Some(json!(["members:write"]))),
        "members:write",
    )
    .await;
    assert_not_held(
        member,
        user_body(Some(json!([grant("keys:write", &format!("teams/{team}"))]))),
        "keys:write",
    )
    .await;
    // An admin: no organization key.
    let refused = people
        .admin
        .api
        .post(&keys_path("acme"), org_body(Some(json!(["keys:read"]))))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    // A team owner: their team's keys, nothing wider.
    assert_created(&lead.api, team_body(&team, None)).await;
    let refused = lead
        .api
        .post(&keys_path("acme"), team_body(&other_team, None))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    let refused = lead.api.post(&keys_path("acme"), org_body(None)).await;
    assert_error(&refused, 403, "FORBIDDEN");
}

pub async fn team_keys_stay_in_their_team(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let team = create_team(&app.admin, "acme", "Data").await;
    let other_team = create_team(&app.admin, "acme", "Other").await;
    let team_key = app.create_key("acme", team_body(&team, None)).await;
    let team_key = app.client_with_key(text(&team_key, "key"));

    let refused = team_key.post(&keys_path("acme"), org_body(None)).await;
    assert_error(&refused, 403, "FORBIDDEN");
    let refused = team_key
        .post(&keys_path("acme"), org_body(Some(json!(["keys:read"]))))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    let refused = team_key
        .post(&keys_path("acme"), team_body(&other_team, None))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    let refused = team_key.post(&keys_path("acme"), user_body(None)).await;
    assert_error(&refused, 422, "VALIDATION_FAILED");
    // Its own team: the same grants, or fewer; "on *" means the team.
    assert_created(&team_key, team_body(&team, None)).await;
    let everywhere = assert_created(
        &team_key,
        team_body(&team, Some(json!([grant("keys:write", "*")]))),
    )
    .await;
    let everywhere = text(&everywhere, "key");
    assert_code(
        &app,
        everywhere,
        "keys:write",
        "*",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert_code(
        &app,
        everywhere,
        "keys:write",
        &format!("teams/{team}/x"),
        "VALID",
    )
    .await;

    // A team key narrowed to one permission creates no fuller team key.
    let narrowed = app
        .create_key(
            "acme",
            team_body(&team, Some(json!(["keys:write", "keys:read"]))),
        )
        .await;
    let narrowed = app.client_with_key(text(&narrowed, "key"));
    assert_refused(&narrowed, team_body(&team, None)).await;
    assert_not_held(
        &narrowed,
        team_body(&team, Some(json!(["teams:write"]))),
        "teams:write",
    )
    .await;
    assert_created(&narrowed, team_body(&team, Some(json!(["keys:read"])))).await;
    // Nor does it manage the team's roster: that takes teams:write.
    let refused = put(
        &narrowed,
        &team_member_path("acme", &team, &people.member.id),
        Some(json!({ "role": "owner" })),
    )
    .await;
    assert_error(&refused, 403, "FORBIDDEN");
    // A full team key does, inside its team only.
    assert_status(
        &put(
            &team_key,
            &team_member_path("acme", &team, &people.member.id),
            Some(json!({ "role": "member" })),
        )
        .await,
        204,
    );
    let refused = put(
        &team_key,
        &team_member_path("acme", &other_team, &people.member.id),
        Some(json!({ "role": "owner" })),
    )
    .await;
    assert_error(&refused, 403, "FORBIDDEN");
}

pub async fn org_keys_create_only_subsets(backend: Backend) {
    let app = spawn_app(&backend).await;
    acme(&app).await;
    let team = create_team(&app.admin, "acme", "Data").await;
    let narrowed = app
        .create_key(
            "acme",
            org_body(Some(json!(["keys:write", "keys:read", "teams:read"]))),
        )
        .await;
    let narrowed = app.client_with_key(text(&narrowed, "key"));
    assert_refused(&narrowed, org_body(None)).await;
    assert_not_held(
        &narrowed,
        org_body(Some(json!(["members:write"]))),
        "members:write",
    )
    .await;
    assert_not_held(
        &narrowed,
        org_body(Some(json!(["keys:read", "org:write"]))),
        "org:write",
    )
    .await;
    assert_refused(&narrowed, team_body(&team, None)).await;
    assert_created(&narrowed, org_body(Some(json!(["keys:read"])))).await;
    assert_created(&narrowed, team_body(&team, Some(json!(["keys:read"])))).await;
    // A full organization key holds everything, so it creates anything.
    let full = app.org_key("acme", "full").await;
    let full = app.client_with_key(text(&full, "key"));
    assert_created(&full, org_body(None)).await;
    assert_created(&full, team_body(&team, None)).await;
}

/// An org role carries grants too: a key narrowed to `members:write` and
/// the read-only permissions holds what a member holds, but neither an
/// owner's nor an admin's grants, so it can't hand those roles out (by
/// invitation or by promotion). (With `members:write` alone it makes no
/// member either: `handouts.rs`.)
pub async fn narrowed_keys_cannot_hand_out_org_roles(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let mut narrow = super::READ_ONLY_BUILTINS.to_vec();
    narrow.push("members:write");
    let narrow = json!(narrow);
    let org_key = app.create_key("acme", org_body(Some(narrow.clone()))).await;
    let user_key = people
        .owner
        .create_key("acme", user_body(Some(narrow)))
        .await;
    let mut escalations = Vec::new();
    for (name, key, email) in [
        ("an organization key", &org_key, "one@acme.test"),
        ("an owner's user key", &user_key, "two@acme.test"),
    ] {
        let client = app.client_with_key(text(key, "key"));
        let member = invite(&client, "acme", email, "member").await;
        assert_status(&member, 201);
        for role in ["owner", "admin"] {
            let invited = invite(&client, "acme", &format!("{role}-{email}"), role).await;
            if invited.status != 403 {
                escalations.push(format!(
                    "{name} narrowed to members:write invited an {role}: {}",
                    invited.status
                ));
            }
            let promoted = client
                .patch(
                    &member_path("acme", &people.member.id),
                    json!({ "role": role }),
                )
                .await;
            if promoted.status != 403 {
                escalations.push(format!(
                    "{name} narrowed to members:write made a member {role}: {}",
                    promoted.status
                ));
            }
            // Put things back for the next attempt (the admin key may).
            let reset = app
                .admin
                .patch(
                    &member_path("acme", &people.member.id),
                    json!({ "role": "member" }),
                )
                .await;
            assert_status(&reset, 200);
        }
    }
    assert!(escalations.is_empty(), "{}", escalations.join("\n"));
    let still = app.admin.get(&member_path("acme", &people.member.id)).await;
    assert_eq!(still.body["role"], "member");
}
