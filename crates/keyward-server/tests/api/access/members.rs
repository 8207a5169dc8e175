//! Memberships: owner, admin and member; who may change whom; the last
//! owner stays; a removed member's personal keys go with them.

use super::{
    ME, acme, create_team, member_path, members_path, set_team_member, teams_path, verify,
    verify_code,
};
use crate::api::{key_path, keys_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use serde_json::json;

pub async fn members_are_listed_read_and_changed(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let listed = people.member.api.get(&members_path("acme")).await;
    assert_status(&listed, 200);
    let roles: Vec<(String, String)> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                text(&m["user"], "email").to_owned(),
                text(m, "role").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("owner@acme.test".to_owned(), "owner".to_owned()),
            ("admin@acme.test".to_owned(), "admin".to_owned()),
            ("member@acme.test".to_owned(), "member".to_owned()),
        ]
    );
    let one = people
        .member
        .api
        .get(&member_path("acme", &people.admin.id))
        .await;
    assert_status(&one, 200);
    assert_fields(&one.body, &["user", "role", "joined_at"]);
    assert_fields(
        &one.body["user"],
        &["id", "email", "name", "enabled", "created_at"],
    );
    assert_eq!(one.body["user"]["id"], people.admin.id.as_str());
    assert_eq!(one.body["role"], "admin");

    let changed = people
        .owner
        .api
        .patch(
            &member_path("acme", &people.member.id),
            json!({ "role": "admin" }),
        )
        .await;
    assert_status(&changed, 200);
    assert_eq!(changed.body["role"], "admin");
    assert_eq!(changed.body["user"]["id"], people.member.id.as_str());
    let read = app.admin.get(&member_path("acme", &people.member.id)).await;
    assert_eq!(read.body["role"], "admin");

    let unknown = "0192e4c4-5b7a-7000-8000-000000000000";
    for path in [member_path("acme", unknown), member_path("acme", "nope")] {
        assert_error(&app.admin.get(&path).await, 404, "NOT_FOUND");
        assert_error(
            &app.admin.patch(&path, json!({ "role": "member" })).await,
            404,
            "NOT_FOUND",
        );
        assert_error(&app.admin.delete(&path).await, 404, "NOT_FOUND");
    }
    let bad = app
        .admin
        .patch(
            &member_path("acme", &people.member.id),
            json!({ "role": "boss" }),
        )
        .await;
    assert_error(&bad, 422, "VALIDATION_FAILED");
}

pub async fn only_higher_roles_hand_out_roles(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let (owner, admin, member) = (&people.owner, &people.admin, &people.member);
    // Members change nobody.
    for (who, role) in [
        (&admin.id, "member"),
        (&member.id, "admin"),
        (&owner.id, "member"),
    ] {
        let refused = member
            .api
            .patch(&member_path("acme", who), json!({ "role": role }))
            .await;
        assert_error(&refused, 403, "FORBIDDEN");
    }
    assert_error(
        &member.api.delete(&member_path("acme", &admin.id)).await,
        403,
        "FORBIDDEN",
    );
    // Admins don't make owners, nor touch them.
    for (who, role) in [
        (&member.id, "owner"),
        (&admin.id, "owner"),
        (&owner.id, "admin"),
    ] {
        let refused = admin
            .api
            .patch(&member_path("acme", who), json!({ "role": role }))
            .await;
        assert_error(&refused, 403, "FORBIDDEN");
    }
    assert_error(
        &admin.api.delete(&member_path("acme", &owner.id)).await,
        403,
        "FORBIDDEN",
    );
    // Admins promote members to admin, and back.
    let up = admin
        .api
        .patch(&member_path("acme", &member.id), json!({ "role": "admin" }))
        .await;
    assert_status(&up, 200);
    let down = admin
        .api
        .patch(
            &member_path("acme", &member.id),
            json!({ "role": "member" }),
        )
        .await;
    assert_status(&down, 200);
    // Owners make owners.
    let owner_made = owner
        .api
        .patch(&member_path("acme", &admin.id), json!({ "role": "owner" }))
        .await;
    assert_status(&owner_made, 200);
    assert_eq!(owner_made.body["role"], "owner");
    let me = admin.api.get(ME).await;
    assert_eq!(me.body["organizations"][0]["role"], "owner");
}

async fn assert_role(app: &crate::helpers::TestApp, user: &str, role: &str) {
    let read = app.admin.get(&member_path("acme", user)).await;
    assert_status(&read, 200);
    assert_eq!(read.body["role"], role, "{}", read.body);
}

pub async fn last_owner_cannot_be_demoted(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let (owner, admin) = (&people.owner, &people.admin);
    for role in ["admin", "member"] {
        for api in [&owner.api, &app.admin] {
            let refused = api
                .patch(&member_path("acme", &owner.id), json!({ "role": role }))
                .await;
            assert_error(&refused, 409, "CONFLICT");
        }
    }
    assert_role(&app, &owner.id, "owner").await;
    // Re-stating the role is not a demotion.
    let same = owner
        .api
        .patch(&member_path("acme", &owner.id), json!({ "role": "owner" }))
        .await;
    assert_status(&same, 200);
    // With a second owner, the first may step down; then the second is the last.
    let second = owner
        .api
        .patch(&member_path("acme", &admin.id), json!({ "role": "owner" }))
        .await;
    assert_status(&second, 200);
    let stepped_down = owner
        .api
        .patch(&member_path("acme", &owner.id), json!({ "role": "admin" }))
        .await;
    assert_status(&stepped_down, 200);
    let refused = admin
        .api
        .patch(&member_path("acme", &admin.id), json!({ "role": "member" }))
        .await;
    assert_error(&refused, 409, "CONFLICT");
    let refused = app
        .admin
        .patch(&member_path("acme", &admin.id), json!({ "role": "admin" }))
        .await;
    assert_error(&refused, 409, "CONFLICT");
    assert_role(&app, &admin.id, "owner").await;
}

pub async fn last_owner_cannot_be_removed(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let (owner, admin) = (&people.owner, &people.admin);
    for api in [&owner.api, &app.admin] {
        let refused = api.delete(&member_path("acme", &owner.id)).await;
        assert_error(&refused, 409, "CONFLICT");
    }
    assert_role(&app, &owner.id, "owner").await;
    assert_status(&owner.api.get(ME).await, 200);
    // With a second owner, the first may leave; the second then stays.
    let second = owner
        .api
        .patch(&member_path("acme", &admin.id), json!({ "role": "owner" }))
        .await;
    assert_status(&second, 200);
    assert_status(
        &admin.api.delete(&member_path("acme", &owner.id)).await,
        204,
    );
    assert_error(
        &app.admin.get(&member_path("acme", &owner.id)).await,
        404,
        "NOT_FOUND",
    );
    let refused = app.admin.delete(&member_path("acme", &admin.id)).await;
    assert_error(&refused, 409, "CONFLICT");
    assert_role(&app, &admin.id, "owner").await;
}

pub async fn removing_a_member_revokes_their_user_keys(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let member = &people.member;
    // The member owns a team, so they can make a team key, which is the team's.
    let team = create_team(&people.owner.api, "acme", "Data").await;
    set_team_member(&people.owner.api, "acme", &team, &member.id, "owner").await;
    let personal = member.user_key("acme", "personal").await;
    let narrowed = member
        .create_key(
            "acme",
            json!({ "name": "narrow", "scope": "user", "permissions": ["keys:read"] }),
        )
        .await;
    let team_key = member
        .create_key(
            "acme",
            json!({ "name": "team", "scope": "team", "team_id": team }),
        )
        .await;
    let org_key = people
        .owner
        .create_key("acme", json!({ "name": "org", "scope": "organization" }))
        .await;
    for key in [&personal, &narrowed, &team_key, &org_key] {
        assert_eq!(
            verify_code(&app, text(key, "key"), None, None).await,
            "VALID"
        );
    }
    let personal_client = app.client_with_key(text(&personal, "key"));
    assert_status(&personal_client.get(&keys_path("acme")).await, 200);

    assert_status(
        &people
            .owner
            .api
            .delete(&member_path("acme", &member.id))
            .await,
        204,
    );

    // Their personal keys are revoked, at once.
    for key in [&personal, &narrowed] {
        let verified = verify(&app, text(key, "key"), None, None).await;
        assert_eq!(verified["code"], "REVOKED", "{verified}");
        assert_eq!(verified["valid"], false);
        let refused = app
            .client_with_key(text(key, "key"))
            .get(&keys_path("acme"))
            .await;
        assert_error(&refused, 401, "KEY_REVOKED");
        assert_error(
            &app.admin.get(&key_path("acme", text(key, "id"))).await,
            404,
            "KEY_NOT_FOUND",
        );
    }
    // The team's key and the organization's survive the member.
    for key in [&team_key, &org_key] {
        assert_eq!(
            verify_code(&app, text(key, "key"), None, None).await,
            "VALID"
        );
    }
    // Their session no longer reaches the organization.
    assert_error(
        &member.api.get(&members_path("acme")).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &member
            .api
            .post(
                &keys_path("acme"),
                json!({ "name": "again", "scope": "user" }),
            )
            .await,
        403,
        "FORBIDDEN",
    );
    let me = member.api.get(ME).await;
    assert_status(&me, 200);
    assert_eq!(me.body["organizations"], json!([]));
    // Nor is the user left in the organization's teams.
    let team_members = app
        .admin
        .get(&format!("{}/{team}/members", teams_path("acme")))
        .await;
    assert_status(&team_members, 200);
    let ids: Vec<&str> = team_members
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| text(&m["user"], "id"))
        .collect();
    assert_eq!(ids, [people.owner.id.as_str()], "{}", team_members.body);
    // Removing twice finds nobody.
    assert_error(
        &people
            .owner
            .api
            .delete(&member_path("acme", &member.id))
            .await,
        404,
        "NOT_FOUND",
    );
}
