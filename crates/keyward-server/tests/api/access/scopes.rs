//! Key scopes: `user` (its owner's live grants), `team` (owner-level on the
//! team), `organization` (owner-level on everything), each read-only or not,
//! and explicit permissions that narrow a key to what its scope holds.
//! Service-account keys are in `service_accounts.rs`.

use super::{
    BUILTINS, MEMBER_GRANTS, READ_ONLY_BUILTINS, acme, all_on, assert_code, create_team, grant,
    grant_set, join, me_grants, member_path, register_permission, set_team_member, verify,
};
use crate::api::{key_path, keys_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use serde_json::{Value, json};

const UNKNOWN: &str = "0192e4c4-5b7a-7000-8000-000000000000";

fn team_body(team: &str) -> Value {
    json!({ "name": "team", "scope": "team", "team_id": team })
}

pub async fn user_keys_act_with_their_owners_live_grants(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let created = people.member.user_key("acme", "mine").await;
    assert_eq!(created["scope"], "user");
    assert_eq!(
        created["owner"],
        json!({ "type": "user", "id": people.member.id })
    );
    assert_eq!(created["created_by"], people.member.id.as_str());
    let key = text(&created, "key");
    let verified = verify(&app, key, None, None).await;
    assert_eq!(verified["code"], "VALID");
    assert_eq!(verified["scope"], "user");
    assert_eq!(verified["owner"]["type"], "user");
    assert_eq!(verified["owner"]["id"], people.member.id.as_str());
    assert_eq!(verified["owner"]["name"], "member");
    assert_eq!(
        grant_set(&verified["grants"]),
        me_grants(&people.member.api, "acme").await
    );
    assert_eq!(
        grant_set(&verified["grants"]),
        all_on(MEMBER_GRANTS, &["*"])
    );
    let admin_key = people.admin.user_key("acme", "admin's").await;
    let verified = verify(&app, text(&admin_key, "key"), None, None).await;
    assert_eq!(grant_set(&verified["grants"]), all_on(BUILTINS, &["*"]));

    // The owner's grants, as they are now.
    let promoted = people
        .owner
        .api
        .patch(
            &member_path("acme", &people.member.id),
            json!({ "role": "admin" }),
        )
        .await;
    assert_status(&promoted, 200);
    let verified = verify(&app, key, None, None).await;
    assert_eq!(grant_set(&verified["grants"]), all_on(BUILTINS, &["*"]));
    // A platform permission registered later is held too.
    register_permission(&app, "acme", "datasets:edit", false).await;
    assert_code(&app, key, "datasets:edit", "datasets/1", "VALID").await;
}

pub async fn user_keys_belong_to_signed_in_users(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let user_body = json!({ "name": "personal", "scope": "user" });
    // Nobody to own it: the admin key and organization keys are no one's.
    let refused = app.admin.post(&keys_path("acme"), user_body.clone()).await;
    assert_error(&refused, 422, "VALIDATION_FAILED");
    let org_key = app.org_key("acme", "machine").await;
    let refused = app
        .client_with_key(text(&org_key, "key"))
        .post(&keys_path("acme"), user_body.clone())
        .await;
    assert_error(&refused, 422, "VALIDATION_FAILED");
    // A user key makes keys for its own user.
    let first = people.member.user_key("acme", "first").await;
    let second = app
        .client_with_key(text(&first, "key"))
        .post(&keys_path("acme"), user_body)
        .await;
    assert_status(&second, 201);
    assert_eq!(second.body["owner"]["id"], people.member.id.as_str());
    assert_eq!(second.body["created_by"], first["id"]);
    // Its owner manages it; other members don't; holders of keys:write do.
    let own = key_path("acme", text(&first, "id"));
    let renamed = people
        .member
        .api
        .patch(&own, json!({ "name": "renamed" }))
        .await;
    assert_status(&renamed, 200);
    let others = people.admin.user_key("acme", "admin's").await;
    let refused = people
        .member
        .api
        .patch(
            &key_path("acme", text(&others, "id")),
            json!({ "enabled": false }),
        )
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    assert_status(&people.admin.api.delete(&own).await, 204);
    assert_eq!(
        verify(&app, text(&first, "key"), None, None).await["code"],
        "REVOKED"
    );
}

pub async fn team_keys_need_a_team_and_its_owner(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let lead = join(&app, "acme", "lead@acme.test", "member").await;
    let team = create_team(&app.admin, "acme", "Data").await;
    set_team_member(&app.admin, "acme", &team, &lead.id, "owner").await;
    set_team_member(&app.admin, "acme", &team, &people.member.id, "member").await;
    app.create_org("Beta").await;
    let beta_team = create_team(&app.admin, "beta", "Theirs").await;
    let path = keys_path("acme");

    let missing = app
        .admin
        .post(&path, json!({ "name": "team", "scope": "team" }))
        .await;
    assert_error(&missing, 422, "VALIDATION_FAILED");
    assert!(text(&missing.body, "message").contains("team_id"));
    for wrong in [UNKNOWN, beta_team.as_str()] {
        let refused = people.owner.api.post(&path, team_body(wrong)).await;
        assert_error(&refused, 422, "VALIDATION_FAILED");
    }
    // A team member who isn't its owner may not.
    let refused = people.member.api.post(&path, team_body(&team)).await;
    assert_error(&refused, 403, "FORBIDDEN");
    // The team's owner, the organization's owners and admins, and the admin key may.
    for api in [&lead.api, &people.admin.api, &people.owner.api, &app.admin] {
        let created = api.post(&path, team_body(&team)).await;
        assert_status(&created, 201);
        assert_eq!(created.body["scope"], "team");
        assert_eq!(created.body["owner"], json!({ "type": "team", "id": team }));
    }
    let created = lead.create_key("acme", team_body(&team)).await;
    let verified = verify(&app, text(&created, "key"), None, None).await;
    assert_eq!(verified["code"], "VALID");
    assert_eq!(verified["owner"]["name"], "Data");
    let own = format!("teams/{team}");
    let below = format!("teams/{team}/*");
    assert_eq!(
        grant_set(&verified["grants"]),
        all_on(BUILTINS, &[&own, &below])
    );
    // Every catalog permission, the platform's included.
    register_permission(&app, "acme", "dataproducts:write", false).await;
    assert_code(
        &app,
        text(&created, "key"),
        "dataproducts:write",
        &format!("teams/{team}/dataproducts/42"),
        "VALID",
    )
    .await;
    assert_code(
        &app,
        text(&created, "key"),
        "dataproducts:write",
        "dataproducts/42",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
}

pub async fn organization_keys_are_for_owners_only(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let body = json!({ "name": "org", "scope": "organization" });
    for refused_by in [&people.admin.api, &people.member.api] {
        let refused = refused_by.post(&keys_path("acme"), body.clone()).await;
        assert_error(&refused, 403, "FORBIDDEN");
    }
    let created = people.owner.create_key("acme", body).await;
    let org = app.admin.get("/api/v1/orgs/acme").await;
    assert_eq!(
        created["owner"],
        json!({ "type": "organization", "id": org.body["id"] })
    );
    assert_eq!(created["created_by"], people.owner.id.as_str());
    let verified = verify(&app, text(&created, "key"), None, None).await;
    assert_eq!(verified["owner"]["name"], "Acme");
    assert_eq!(grant_set(&verified["grants"]), all_on(BUILTINS, &["*"]));
    register_permission(&app, "acme", "datasets:edit", false).await;
    assert_code(
        &app,
        text(&created, "key"),
        "datasets:edit",
        "datasets/9",
        "VALID",
    )
    .await;
    // The key belongs to the organization and survives its creator's demotion.
    let second_owner = people
        .owner
        .api
        .patch(
            &member_path("acme", &people.admin.id),
            json!({ "role": "owner" }),
        )
        .await;
    assert_status(&second_owner, 200);
    let demoted = people
        .admin
        .api
        .patch(
            &member_path("acme", &people.owner.id),
            json!({ "role": "member" }),
        )
        .await;
    assert_status(&demoted, 200);
    assert_code(&app, text(&created, "key"), "keys:write", "*", "VALID").await;
}

pub async fn read_only_keys_keep_read_only_grants(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    register_permission(&app, "acme", "datasets:read", true).await;
    register_permission(&app, "acme", "datasets:edit", false).await;
    let team = create_team(&app.admin, "acme", "Data").await;
    let own = format!("teams/{team}");
    let below = format!("teams/{team}/*");
    let mut read_only: Vec<&str> = READ_ONLY_BUILTINS.to_vec();
    read_only.push("datasets:read");
    let cases = [
        (
            json!({ "name": "ro", "scope": "user", "read_only": true }),
            all_on(&read_only, &["*"]),
        ),
        (
            json!({ "name": "ro", "scope": "team", "team_id": team, "read_only": true }),
            all_on(&read_only, &[&own, &below]),
        ),
        (
            json!({ "name": "ro", "scope": "organization", "read_only": true }),
            all_on(&read_only, &["*"]),
        ),
    ];
    for (body, expected) in cases {
        let created = people.owner.create_key("acme", body.clone()).await;
        assert_eq!(created["read_only"], true);
        let key = text(&created, "key");
        let verified = verify(&app, key, None, None).await;
        assert_eq!(verified["read_only"], true);
        assert_eq!(grant_set(&verified["grants"]), expected, "{body}");
        assert_code(&app, key, "datasets:edit", "*", "INSUFFICIENT_PERMISSIONS").await;
        let client = app.client_with_key(key);
        let refused = client
            .post(
                &keys_path("acme"),
                json!({ "name": "more", "scope": "user" }),
            )
            .await;
        assert_error(&refused, 403, "READ_ONLY_KEY");
        let read = client.get(&format!("/api/v1/orgs/acme/teams/{team}")).await;
        assert_status(&read, 200);
    }
}

pub async fn explicit_permissions_narrow_and_must_be_held(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let path = keys_path("acme");
    let with = |permissions: Value| json!({ "name": "narrow", "scope": "user", "permissions": permissions });
    // A member holds no write permission, so can't put one on a key.
    for (asked, named) in [
        (json!(["keys:write"]), "keys:write"),
        (json!([2]), "keys:write"),
        (json!(["keys:read", "members:write"]), "members:write"),
        (json!([grant("org:write", "org/1")]), "org:write"),
    ] {
        let refused = people.member.api.post(&path, with(asked.clone())).await;
        assert_error(&refused, 403, "PERMISSION_NOT_HELD");
        assert_eq!(
            refused.body["details"]["permission"], named,
            "{asked}: {}",
            refused.body
        );
        assert!(
            text(&refused.body, "message").contains(named),
            "{}",
            refused.body
        );
    }
    // What it holds narrows the key.
    let created = people
        .member
        .create_key("acme", with(json!(["keys:read"])))
        .await;
    assert_eq!(
        created["permissions"],
        json!([{ "id": 1, "name": "keys:read", "resource": "*" }])
    );
    let key = text(&created, "key");
    assert_eq!(
        grant_set(&verify(&app, key, None, None).await["grants"]),
        all_on(&["keys:read"], &["*"])
    );
    assert_code(&app, key, "members:read", "*", "INSUFFICIENT_PERMISSIONS").await;
    let client = app.client_with_key(key);
    assert_status(&client.get(&path).await, 200);
    assert_error(
        &client.get(&super::members_path("acme")).await,
        403,
        "FORBIDDEN",
    );
    // On a resource.
    let created = people
        .member
        .create_key("acme", with(json!([grant("keys:read", "keys/abc")])))
        .await;
    let key = text(&created, "key");
    assert_eq!(
        grant_set(&verify(&app, key, None, None).await["grants"]),
        all_on(&["keys:read"], &["keys/abc"])
    );
    assert_code(&app, key, "keys:read", "keys/abc", "VALID").await;
    assert_code(
        &app,
        key,
        "keys:read",
        "keys/def",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert_code(&app, key, "keys:read", "*", "INSUFFICIENT_PERMISSIONS").await;
    // Unknown and empty lists are the client's mistake.
    let unknown = people
        .member
        .api
        .post(&path, with(json!(["nope:nope"])))
        .await;
    assert_error(&unknown, 422, "INVALID_PERMISSION");
    assert_eq!(unknown.body["details"]["unknown"], json!(["nope:nope"]));
    let empty = people.member.api.post(&path, with(json!([]))).await;
    assert_error(&empty, 422, "INVALID_PERMISSION");
}

pub async fn asked_resources_narrow_to_the_scope(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let lead = &people.member;
    let team = create_team(&app.admin, "acme", "Data").await;
    set_team_member(&app.admin, "acme", &team, &lead.id, "owner").await;
    let own = format!("teams/{team}");
    let below = format!("teams/{team}/*");
    let inside = format!("teams/{team}/reports/1");
    // The lead holds keys:write only on the team: "keys:write on *" is
    // accepted, and means the team.
    let everywhere = json!([grant("keys:write", "*")]);
    for body in [
        json!({ "name": "u", "scope": "user", "permissions": everywhere }),
        json!({ "name": "t", "scope": "team", "team_id": team, "permissions": everywhere }),
    ] {
        let created = lead.create_key("acme", body.clone()).await;
        assert_eq!(created["permissions"][0]["resource"], "*", "{body}");
        let key = text(&created, "key");
        let verified = verify(&app, key, None, None).await;
        assert_eq!(
            grant_set(&verified["grants"]),
            all_on(&["keys:write"], &[&own, &below]),
            "{body}"
        );
        assert_code(&app, key, "keys:write", &inside, "VALID").await;
        assert_code(&app, key, "keys:write", "*", "INSUFFICIENT_PERMISSIONS").await;
        assert_code(
            &app,
            key,
            "keys:write",
            "reports/1",
            "INSUFFICIENT_PERMISSIONS",
        )
        .await;
        assert_code(&app, key, "keys:read", &inside, "INSUFFICIENT_PERMISSIONS").await;
    }
    // A narrower resource than the scope holds stays as asked.
    let narrow = json!([grant("keys:write", &inside)]);
    let created = lead
        .create_key(
            "acme",
            json!({ "name": "n", "scope": "team", "team_id": team, "permissions": narrow }),
        )
        .await;
    let key = text(&created, "key");
    assert_eq!(
        grant_set(&verify(&app, key, None, None).await["grants"]),
        all_on(&["keys:write"], &[&inside])
    );
    assert_code(
        &app,
        key,
        "keys:write",
        &format!("teams/{team}/reports/2"),
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    // An organization key asked for one dataset gets that one.
    register_permission(&app, "acme", "datasets:edit", false).await;
    let created = people
        .owner
        .create_key(
            "acme",
            json!({ "name": "o", "scope": "organization", "permissions": [grant("datasets:edit", "datasets/1")] }),
        )
        .await;
    let key = text(&created, "key");
    assert_code(&app, key, "datasets:edit", "datasets/1", "VALID").await;
    assert_code(
        &app,
        key,
        "datasets:edit",
        "datasets/2",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
}
