//! Every action that hands out grants needs all of them: an org role by
//! invitation or change (a member's role is every read-only permission),
//! a team role (an owner's is everything on the team), custom roles given
//! to service accounts directly or through groups. (Keys: `escalation.rs`;
//! roles and groups given to users: `roles.rs`.)

use super::{
    READ_ONLY_BUILTINS, acme, create_role, create_service_account, create_team, grant, group_path,
    groups_path, invitations_path, invite, member_path, member_role_path, put,
    service_account_path, team_member_path, teams_path,
};
use crate::api::{Api, keys_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use keyward_client::RawResponse;
use serde_json::{Value, json};

/// Refused with 403 `PERMISSION_NOT_HELD` naming `permission`.
fn assert_not_held(response: &RawResponse, permission: &str) {
    assert_error(response, 403, "PERMISSION_NOT_HELD");
    assert_eq!(
        response.body["details"]["permission"], permission,
        "{}",
        response.body
    );
}

/// The ids of the users in `team`.
async fn roster(api: &Api, team: &str) -> Vec<String> {
    let listed = api
        .get(&format!("{}/{team}/members", teams_path("acme")))
        .await;
    assert_status(&listed, 200);
    listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| text(&m["user"], "id").to_owned())
        .collect()
}

/// An organization key holding only `members:write` would make members
/// who read every key of the organization: it makes none.
pub async fn members_write_alone_makes_no_member(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let narrow = app
        .create_key(
            "acme",
            json!({ "name": "hr", "scope": "organization", "permissions": ["members:write"] }),
        )
        .await;
    let narrow = app.client_with_key(text(&narrow, "key"));
    let refused = invite(&narrow, "acme", "spy@acme.test", "member").await;
    assert_not_held(&refused, "keys:read");
    let pending = app.admin.get(&invitations_path("acme")).await;
    assert_eq!(pending.body, json!([]), "no invitation was made");
    // Nor by demoting an admin to member.
    let demoted = narrow
        .patch(
            &member_path("acme", &people.admin.id),
            json!({ "role": "member" }),
        )
        .await;
    assert_eq!(demoted.status, 403, "{}", demoted.body);
    let admin = app.admin.get(&member_path("acme", &people.admin.id)).await;
    assert_eq!(admin.body["role"], "admin");

    // A key that holds what a member holds may make members.
    let mut held: Vec<&str> = READ_ONLY_BUILTINS.to_vec();
    held.push("members:write");
    let enough = app
        .create_key(
            "acme",
            json!({ "name": "hr2", "scope": "organization", "permissions": held }),
        )
        .await;
    let enough = app.client_with_key(text(&enough, "key"));
    assert_status(
        &invite(&enough, "acme", "new@acme.test", "member").await,
        201,
    );
}

/// A member whose only extra grant is `teams:write` can't make herself
/// the owner of a team (nor of one she creates), so she gets no team keys.
pub async fn team_writers_cannot_make_themselves_team_owners(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let role = create_role(
        &people.owner.api,
        "acme",
        "team editor",
        json!([grant("teams:write", "*")]),
    )
    .await;
    let assigned = put(
        &people.owner.api,
        &member_role_path("acme", &people.member.id, &role),
        None,
    )
    .await;
    assert_status(&assigned, 204);
    let team = create_team(&people.admin.api, "acme", "Data").await;
    let writer = &people.member;

    let to_owner = put(
        &writer.api,
        &team_member_path("acme", &team, &writer.id),
        Some(json!({ "role": "owner" })),
    )
    .await;
    assert_not_held(&to_owner, "keys:write");
    assert!(!roster(&app.admin, &team).await.contains(&writer.id));
    let team_key = json!({ "name": "mine", "scope": "team", "team_id": team });
    let refused = writer.api.post(&keys_path("acme"), team_key.clone()).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    // She creates teams, but doesn't own what she creates.
    let created = writer
        .api
        .post(&teams_path("acme"), json!({ "name": "Mine" }))
        .await;
    assert_status(&created, 201);
    let mine = text(&created.body, "id");
    assert!(roster(&app.admin, mine).await.is_empty());
    let mine_key = json!({ "name": "mine", "scope": "team", "team_id": mine });
    let refused = writer.api.post(&keys_path("acme"), mine_key).await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    // A team member holds only read-only grants, which she has: allowed,
    // and still no team key.
    let to_member = put(
        &writer.api,
        &team_member_path("acme", &team, &writer.id),
        Some(json!({ "role": "member" })),
    )
    .await;
    assert_status(&to_member, 204);
    let refused = writer.api.post(&keys_path("acme"), team_key).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}

/// A team key narrowed to `teams:write` manages the roster but can't make
/// anyone the team's owner: ownership is every permission on the team.
pub async fn narrowed_team_keys_hand_out_no_more_than_they_hold(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let team = create_team(&app.admin, "acme", "Data").await;
    let narrowed = app
        .create_key(
            "acme",
            json!({ "name": "roster", "scope": "team", "team_id": team,
                    "permissions": ["teams:write", "teams:read"] }),
        )
        .await;
    let narrowed = app.client_with_key(text(&narrowed, "key"));
    let path = team_member_path("acme", &team, &people.member.id);
    for role in ["owner", "member"] {
        let refused = put(&narrowed, &path, Some(json!({ "role": role }))).await;
        assert_eq!(refused.status, 403, "{role}: {}", refused.body);
        assert_eq!(refused.body["code"], "PERMISSION_NOT_HELD");
    }
    assert!(roster(&app.admin, &team).await.is_empty());
    // The full team key holds everything on its team and may.
    let full = app
        .create_key(
            "acme",
            json!({ "name": "full", "scope": "team", "team_id": team }),
        )
        .await;
    let full = app.client_with_key(text(&full, "key"));
    assert_status(
        &put(&full, &path, Some(json!({ "role": "owner" }))).await,
        204,
    );
}

/// Custom roles reach service accounts directly or through groups; either
/// way the one who hands them out holds them.
pub async fn service_accounts_get_no_more_than_held(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let delegate = create_role(
        &people.owner.api,
        "acme",
        "delegate",
        json!([grant("roles:write", "*"), grant("roles:read", "*")]),
    )
    .await;
    let assigned = put(
        &people.owner.api,
        &member_role_path("acme", &people.member.id, &delegate),
        None,
    )
    .await;
    assert_status(&assigned, 204);
    let big = create_role(
        &people.owner.api,
        "acme",
        "big",
        json!([grant("keys:write", "*")]),
    )
    .await;
    let robot = create_service_account(&people.owner.api, "acme", "robot").await;
    let api = &people.member.api;

    let direct = format!("{}/roles/{big}", service_account_path("acme", &robot));
    assert_not_held(&put(api, &direct, None).await, "keys:write");
    let robot_ref: Value = json!({ "type": "service_account", "id": robot });
    let sneaky = api
        .post(
            &groups_path("acme"),
            json!({ "name": "sneaky", "roles": [big], "members": [robot_ref] }),
        )
        .await;
    assert_not_held(&sneaky, "keys:write");
    let group = people
        .owner
        .api
        .post(
            &groups_path("acme"),
            json!({ "name": "Big", "roles": [big] }),
        )
        .await;
    assert_status(&group, 201);
    let join = format!(
        "{}/members/service_account/{robot}",
        group_path("acme", text(&group.body, "id"))
    );
    assert_not_held(&put(api, &join, None).await, "keys:write");
    let roles = app
        .admin
        .get(&format!("{}/roles", service_account_path("acme", &robot)))
        .await;
    assert_eq!(roles.body, json!([]));
    // The owner holds it all and may.
    assert_status(&put(&people.owner.api, &direct, None).await, 204);
    assert_status(&put(&people.owner.api, &join, None).await, 204);
}
