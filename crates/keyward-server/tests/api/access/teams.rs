//! Teams: owners and members; team owners hold every catalog permission on
//! `teams/{id}` and `teams/{id}/*`, team members the read-only ones; a
//! deleted team takes its keys with it.

use super::{
    BUILTINS, MEMBER_GRANTS, acme, all_on, assert_code, create_team, join, me_grants, put,
    register_permission, set_team_member, team_member_path, team_path, teams_path, verify,
};
use crate::api::{keys_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use serde_json::json;
use std::collections::BTreeSet;

const UNKNOWN: &str = "0192e4c4-5b7a-7000-8000-000000000000";

/// `(user id, team role)` of a team's members.
async fn roster(api: &crate::api::Api, team: &str) -> BTreeSet<(String, String)> {
    let response = api
        .get(&format!("{}/members", team_path("acme", team)))
        .await;
    assert_status(&response, 200);
    response
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_fields(m, &["user", "role"]);
            (
                text(&m["user"], "id").to_owned(),
                text(m, "role").to_owned(),
            )
        })
        .collect()
}

fn pair(user: &str, role: &str) -> (String, String) {
    (user.to_owned(), role.to_owned())
}

pub async fn teams_are_created_listed_and_read(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let created = people
        .owner
        .api
        .post(&teams_path("acme"), json!({ "name": "Data" }))
        .await;
    assert_status(&created, 201);
    assert_fields(
        &created.body,
        &["id", "organization_id", "name", "created_at"],
    );
    assert_eq!(created.body["name"], "Data");
    let data = text(&created.body, "id").to_owned();
    // A signed-in creator owns the team; the admin key's team has nobody.
    assert_eq!(
        roster(&app.admin, &data).await,
        BTreeSet::from([pair(&people.owner.id, "owner")])
    );
    let ops = create_team(&app.admin, "acme", "Ops").await;
    assert!(roster(&app.admin, &ops).await.is_empty());
    // Admins create teams too; members don't.
    create_team(&people.admin.api, "acme", "Admins").await;
    let refused = people
        .member
        .api
        .post(&teams_path("acme"), json!({ "name": "Mine" }))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    // Everyone in the organization reads them.
    let listed = people.member.api.get(&teams_path("acme")).await;
    assert_status(&listed, 200);
    let names: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| text(t, "name"))
        .collect();
    assert_eq!(names, ["Data", "Ops", "Admins"]);
    let read = people.member.api.get(&team_path("acme", &data)).await;
    assert_status(&read, 200);
    assert_eq!(read.body, created.body);
    for missing in [UNKNOWN, "not-a-uuid"] {
        assert_error(
            &app.admin.get(&team_path("acme", missing)).await,
            404,
            "NOT_FOUND",
        );
        assert_error(
            &app.admin.delete(&team_path("acme", missing)).await,
            404,
            "NOT_FOUND",
        );
    }
    // Members can't delete teams; admins can.
    assert_error(
        &people.member.api.delete(&team_path("acme", &ops)).await,
        403,
        "FORBIDDEN",
    );
    assert_status(
        &people.admin.api.delete(&team_path("acme", &ops)).await,
        204,
    );
    assert_error(
        &app.admin.get(&team_path("acme", &ops)).await,
        404,
        "NOT_FOUND",
    );
}

pub async fn team_members_are_managed_by_team_owners(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let (lead, other) = (
        &people.member,
        join(&app, "acme", "other@acme.test", "member").await,
    );
    let team = create_team(&people.owner.api, "acme", "Data").await;
    let elsewhere = create_team(&people.owner.api, "acme", "Elsewhere").await;
    set_team_member(&people.owner.api, "acme", &team, &lead.id, "owner").await;
    // A team owner who is a plain org member manages their team.
    set_team_member(&lead.api, "acme", &team, &other.id, "member").await;
    assert_eq!(
        roster(&other.api, &team).await,
        BTreeSet::from([
            pair(&people.owner.id, "owner"),
            pair(&lead.id, "owner"),
            pair(&other.id, "member"),
        ])
    );
    // A team member doesn't.
    let refused = put(
        &other.api,
        &team_member_path("acme", &team, &other.id),
        Some(json!({ "role": "owner" })),
    )
    .await;
    assert_error(&refused, 403, "FORBIDDEN");
    let refused = other
        .api
        .delete(&team_member_path("acme", &team, &lead.id))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    // Nor does a team owner anywhere else.
    let refused = put(
        &lead.api,
        &team_member_path("acme", &elsewhere, &lead.id),
        Some(json!({ "role": "owner" })),
    )
    .await;
    assert_error(&refused, 403, "FORBIDDEN");
    assert_error(
        &lead.api.delete(&team_path("acme", &elsewhere)).await,
        403,
        "FORBIDDEN",
    );
    // Owning a team is not holding teams:write on the organization.
    let refused = lead
        .api
        .post(&teams_path("acme"), json!({ "name": "Mine" }))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    // Roles change with PUT; DELETE removes.
    set_team_member(&lead.api, "acme", &team, &other.id, "owner").await;
    assert!(
        roster(&app.admin, &team)
            .await
            .contains(&pair(&other.id, "owner"))
    );
    assert_status(
        &lead
            .api
            .delete(&team_member_path("acme", &team, &other.id))
            .await,
        204,
    );
    assert_error(
        &lead
            .api
            .delete(&team_member_path("acme", &team, &other.id))
            .await,
        404,
        "NOT_FOUND",
    );
    // Only organization members join; roles are owner or member.
    let stranger = put(
        &lead.api,
        &team_member_path("acme", &team, UNKNOWN),
        Some(json!({ "role": "member" })),
    )
    .await;
    assert_error(&stranger, 404, "NOT_FOUND");
    let bad_role = put(
        &lead.api,
        &team_member_path("acme", &team, &other.id),
        Some(json!({ "role": "admin" })),
    )
    .await;
    assert_error(&bad_role, 422, "VALIDATION_FAILED");
    // A team owner may delete their team.
    assert_status(&lead.api.delete(&team_path("acme", &team)).await, 204);
}

pub async fn team_roles_grant_on_the_team_resources(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let (lead, other) = (
        &people.member,
        join(&app, "acme", "other@acme.test", "member").await,
    );
    register_permission(&app, "acme", "dataproducts:read", true).await;
    register_permission(&app, "acme", "dataproducts:write", false).await;
    let team = create_team(&app.admin, "acme", "Data").await;
    set_team_member(&app.admin, "acme", &team, &lead.id, "owner").await;
    set_team_member(&app.admin, "acme", &team, &other.id, "member").await;
    let own = format!("teams/{team}");
    let below = format!("teams/{team}/*");

    let mut read_only: Vec<&str> = MEMBER_GRANTS.to_vec();
    read_only.push("dataproducts:read");
    let writes: Vec<&str> = BUILTINS
        .iter()
        .copied()
        .chain(["dataproducts:write"])
        .filter(|p| !read_only.contains(p))
        .collect();
    // The org role's read-only grants on `*` cover the team's read-only ones.
    let mut expected = all_on(&read_only, &["*"]);
    expected.extend(all_on(&writes, &[&own, &below]));
    assert_eq!(me_grants(&lead.api, "acme").await, expected);
    assert_eq!(
        me_grants(&other.api, "acme").await,
        all_on(&read_only, &["*"])
    );
    // A permission registered later reaches team owners at once.
    register_permission(&app, "acme", "dataproducts:delete", false).await;
    let grants = me_grants(&lead.api, "acme").await;
    assert!(grants.contains(&("dataproducts:delete".to_owned(), own.clone())));
    assert!(grants.contains(&("dataproducts:delete".to_owned(), below.clone())));

    let lead_key = lead.user_key("acme", "lead").await;
    let lead_key = text(&lead_key, "key");
    let inside = format!("teams/{team}/dataproducts/42");
    for resource in [own.as_str(), inside.as_str(), below.as_str()] {
        assert_code(&app, lead_key, "dataproducts:write", resource, "VALID").await;
    }
    let outside = format!("teams/{UNKNOWN}/dataproducts/42");
    for resource in ["*", "dataproducts/42", outside.as_str(), "teams/*"] {
        assert_code(
            &app,
            lead_key,
            "dataproducts:write",
            resource,
            "INSUFFICIENT_PERMISSIONS",
        )
        .await;
    }
    let other_key = other.user_key("acme", "other").await;
    let other_key = text(&other_key, "key");
    assert_code(&app, other_key, "dataproducts:read", &inside, "VALID").await;
    assert_code(
        &app,
        other_key,
        "dataproducts:write",
        &inside,
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
}

pub async fn deleting_a_team_revokes_its_keys(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let lead = &people.member;
    let team = create_team(&app.admin, "acme", "Data").await;
    let kept = create_team(&app.admin, "acme", "Kept").await;
    set_team_member(&app.admin, "acme", &team, &lead.id, "owner").await;
    let team_key = lead
        .create_key(
            "acme",
            json!({ "name": "team", "scope": "team", "team_id": team }),
        )
        .await;
    let kept_key = app
        .create_key(
            "acme",
            json!({ "name": "kept", "scope": "team", "team_id": kept }),
        )
        .await;
    let lead_key = lead.user_key("acme", "lead").await;
    let team_client = app.client_with_key(text(&team_key, "key"));
    let inside = format!("teams/{team}/x");
    assert_status(&team_client.get(&team_path("acme", &team)).await, 200);
    assert_code(&app, text(&team_key, "key"), "keys:write", &inside, "VALID").await;
    assert_code(&app, text(&lead_key, "key"), "keys:write", &inside, "VALID").await;

    assert_error(
        &people
            .admin
            .api
            .delete(&team_member_path("acme", &team, UNKNOWN))
            .await,
        404,
        "NOT_FOUND",
    );
    assert_status(&lead.api.delete(&team_path("acme", &team)).await, 204);

    let verified = verify(&app, text(&team_key, "key"), None, None).await;
    assert_eq!(verified["code"], "REVOKED", "{verified}");
    assert_error(
        &team_client.get(&team_path("acme", &kept)).await,
        401,
        "KEY_REVOKED",
    );
    assert_error(
        &team_client.get(&keys_path("acme")).await,
        401,
        "KEY_REVOKED",
    );
    // The lead's own key lost the team's grants on the very next request.
    assert_code(
        &app,
        text(&lead_key, "key"),
        "keys:write",
        &inside,
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert_code(&app, text(&lead_key, "key"), "keys:read", "*", "VALID").await;
    // Other teams' keys are untouched.
    assert_code(
        &app,
        text(&kept_key, "key"),
        "keys:write",
        &format!("teams/{kept}/x"),
        "VALID",
    )
    .await;
    let listed = app.admin.get(&keys_path("acme")).await;
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| text(k, "id"))
        .collect();
    assert!(!ids.contains(&text(&team_key, "id")), "{ids:?}");
    assert!(ids.contains(&text(&kept_key, "id")), "{ids:?}");
}

pub async fn leaving_a_team_applies_at_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let lead = &people.member;
    register_permission(&app, "acme", "dataproducts:read", true).await;
    register_permission(&app, "acme", "dataproducts:write", false).await;
    let team = create_team(&app.admin, "acme", "Data").await;
    set_team_member(&app.admin, "acme", &team, &lead.id, "owner").await;
    let team_key = lead
        .create_key(
            "acme",
            json!({ "name": "team", "scope": "team", "team_id": team }),
        )
        .await;
    let lead_key = lead.user_key("acme", "lead").await;
    let lead_key = text(&lead_key, "key");
    let lead_client = app.client_with_key(lead_key);
    let inside = format!("teams/{team}/dataproducts/1");
    assert_code(&app, lead_key, "dataproducts:write", &inside, "VALID").await;
    let roster_path = team_member_path("acme", &team, &people.admin.id);
    assert_status(
        &put(
            &lead_client,
            &roster_path,
            Some(json!({ "role": "member" })),
        )
        .await,
        204,
    );

    // Demoted to team member: reads stay, writes go, on the next request.
    set_team_member(&app.admin, "acme", &team, &lead.id, "member").await;
    assert_code(
        &app,
        lead_key,
        "dataproducts:write",
        &inside,
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert_code(&app, lead_key, "dataproducts:read", &inside, "VALID").await;
    assert_error(
        &put(&lead_client, &roster_path, Some(json!({ "role": "owner" }))).await,
        403,
        "FORBIDDEN",
    );
    // Out of the team: nothing of it is left.
    assert_status(
        &app.admin
            .delete(&team_member_path("acme", &team, &lead.id))
            .await,
        204,
    );
    assert!(
        !me_grants(&lead.api, "acme")
            .await
            .iter()
            .any(|(_, resource)| resource.contains(&team)),
    );
    // The team's key belongs to the team, not to the lead who made it.
    assert_code(
        &app,
        text(&team_key, "key"),
        "dataproducts:write",
        &inside,
        "VALID",
    )
    .await;
}
