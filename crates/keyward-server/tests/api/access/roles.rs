//! Custom roles and groups: named sets of grants, held directly or through
//! groups, evaluated live; wider resources cover narrower ones; nobody
//! hands out a role carrying more than they hold. And the Opendatasoft
//! example, verbatim.

use super::{
    acme, all_on, assert_code, create_role, grant, grant_set, group_path, groups_path, join,
    me_grants, member_role_path, put, register_permission, role_path, roles_path, teams_path,
    verify,
};
use crate::api::{keys_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use serde_json::{Value, json};

const UNKNOWN: &str = "0192e4c4-5b7a-7000-8000-000000000000";

fn pair(permission: &str, resource: &str) -> (String, String) {
    (permission.to_owned(), resource.to_owned())
}

async fn assign(api: &crate::api::Api, user: &str, role: &str) {
    let response = put(api, &member_role_path("acme", user, role), None).await;
    assert_status(&response, 204);
}

async fn create_group(api: &crate::api::Api, name: &str, roles: Value, members: Value) -> Value {
    let response = api
        .post(
            &groups_path("acme"),
            json!({ "name": name, "roles": roles, "members": members }),
        )
        .await;
    assert_status(&response, 201);
    response.body
}

fn user(id: &str) -> Value {
    json!({ "type": "user", "id": id })
}

pub async fn custom_roles_are_managed(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let edit = register_permission(&app, "acme", "datasets:edit", false).await;
    let created = people
        .owner
        .api
        .post(
            &roles_path("acme"),
            json!({
                "name": "Dataset editors",
                "description": "Edit two datasets",
                "grants": [grant("datasets:edit", "datasets/1"), grant("datasets:edit", "datasets/2")],
            }),
        )
        .await;
    assert_status(&created, 201);
    assert_fields(
        &created.body,
        &[
            "id",
            "organization_id",
            "name",
            "description",
            "grants",
            "created_at",
        ],
    );
    assert_eq!(created.body["name"], "Dataset editors");
    assert_eq!(created.body["description"], "Edit two datasets");
    assert_eq!(
        created.body["grants"],
        json!([
            { "id": edit["id"], "name": "datasets:edit", "resource": "datasets/1" },
            { "id": edit["id"], "name": "datasets:edit", "resource": "datasets/2" },
        ])
    );
    let role = text(&created.body, "id").to_owned();
    // Members read roles; they don't write them.
    let listed = people.member.api.get(&roles_path("acme")).await;
    assert_status(&listed, 200);
    assert_eq!(listed.body, json!([created.body]));
    let read = people.member.api.get(&role_path("acme", &role)).await;
    assert_eq!(read.body, created.body);
    let refused = people
        .member
        .api
        .post(
            &roles_path("acme"),
            json!({ "name": "mine", "grants": ["keys:read"] }),
        )
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    // Names are unique; grants are known permissions on valid resources.
    let duplicate = people
        .admin
        .api
        .post(
            &roles_path("acme"),
            json!({ "name": "Dataset editors", "grants": ["keys:read"] }),
        )
        .await;
    assert_error(&duplicate, 409, "CONFLICT");
    for (grants, code) in [
        (json!(["nope:nope"]), "INVALID_PERMISSION"),
        (json!([]), "INVALID_PERMISSION"),
        (
            json!([grant("keys:read", "bad resource")]),
            "VALIDATION_FAILED",
        ),
    ] {
        let refused = people
            .admin
            .api
            .post(
                &roles_path("acme"),
                json!({ "name": "bad", "grants": grants }),
            )
            .await;
        assert_error(&refused, 422, code);
    }
    // Changed in place.
    let patched = people
        .admin
        .api
        .patch(
            &role_path("acme", &role),
            json!({ "name": "Editors", "grants": [grant("datasets:edit", "datasets/*")] }),
        )
        .await;
    assert_status(&patched, 200);
    assert_eq!(patched.body["name"], "Editors");
    assert_eq!(patched.body["description"], "Edit two datasets");
    assert_eq!(patched.body["grants"][0]["resource"], "datasets/*");
    // Held by a member, shown in /me, taken back.
    assign(&people.owner.api, &people.member.id, &role).await;
    assert!(
        me_grants(&people.member.api, "acme")
            .await
            .contains(&pair("datasets:edit", "datasets/*"))
    );
    let path = member_role_path("acme", &people.member.id, &role);
    assert_status(&people.owner.api.delete(&path).await, 204);
    assert_error(&people.owner.api.delete(&path).await, 404, "NOT_FOUND");
    assert!(
        !me_grants(&people.member.api, "acme")
            .await
            .contains(&pair("datasets:edit", "datasets/*"))
    );
    for missing in [UNKNOWN, "nope"] {
        assert_error(
            &app.admin.get(&role_path("acme", missing)).await,
            404,
            "NOT_FOUND",
        );
        assert_error(
            &put(
                &app.admin,
                &member_role_path("acme", &people.member.id, missing),
                None,
            )
            .await,
            404,
            "NOT_FOUND",
        );
    }
    assert_status(
        &people.admin.api.delete(&role_path("acme", &role)).await,
        204,
    );
    assert_error(
        &app.admin.get(&role_path("acme", &role)).await,
        404,
        "NOT_FOUND",
    );
}

/// The example, step by step.
pub async fn opendatasoft_example(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    // The platform registers its permission.
    register_permission(&app, "acme", "datasets:edit", false).await;
    // A custom role grants it on datasets 1 and 2.
    let role = create_role(
        &people.owner.api,
        "acme",
        "Editors of 1 and 2",
        json!([
            { "permission": "datasets:edit", "resource": "datasets/1" },
            { "permission": "datasets:edit", "resource": "datasets/2" },
        ]),
    )
    .await;
    // A member holds it.
    assign(&people.owner.api, &people.member.id, &role).await;
    // And creates a personal key to "edit all datasets".
    let created = people
        .member
        .create_key(
            "acme",
            json!({
                "name": "edit all datasets",
                "scope": "user",
                "permissions": [{ "permission": "datasets:edit", "resource": "*" }],
            }),
        )
        .await;
    assert_eq!(created["permissions"][0]["resource"], "*");
    let key = text(&created, "key");
    for (resource, code) in [
        ("datasets/1", "VALID"),
        ("datasets/2", "VALID"),
        ("datasets/3", "INSUFFICIENT_PERMISSIONS"),
    ] {
        let verified = verify(&app, key, Some("datasets:edit"), Some(resource)).await;
        assert_eq!(verified["code"], code, "{resource}: {verified}");
        assert_eq!(verified["valid"], code == "VALID");
    }
    // "All datasets" means the two the member may edit.
    assert_eq!(
        grant_set(&verify(&app, key, None, None).await["grants"]),
        all_on(&["datasets:edit"], &["datasets/1", "datasets/2"])
    );
    // Live: the role grows, so does the key, on the next request.
    let grown = people
        .owner
        .api
        .patch(
            &role_path("acme", &role),
            json!({ "grants": [grant("datasets:edit", "datasets/1"), grant("datasets:edit", "datasets/2"), grant("datasets:edit", "datasets/3")] }),
        )
        .await;
    assert_status(&grown, 200);
    assert_code(&app, key, "datasets:edit", "datasets/3", "VALID").await;
    // A member without the role can't ask for the permission at all.
    let other = join(&app, "acme", "other@acme.test", "member").await;
    let refused = other
        .api
        .post(
            &keys_path("acme"),
            json!({
                "name": "edit all datasets",
                "scope": "user",
                "permissions": [{ "permission": "datasets:edit", "resource": "*" }],
            }),
        )
        .await;
    assert_error(&refused, 403, "PERMISSION_NOT_HELD");
    assert_eq!(refused.body["details"]["permission"], "datasets:edit");
}

pub async fn wider_resources_cover_narrower(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    register_permission(&app, "acme", "datasets:edit", false).await;
    let role = create_role(
        &people.owner.api,
        "acme",
        "all datasets",
        json!([
            grant("datasets:edit", "datasets/*"),
            grant("datasets:edit", "datasets/1")
        ]),
    )
    .await;
    assign(&people.owner.api, &people.member.id, &role).await;
    // The wider grant covers the narrower one.
    let grants = me_grants(&people.member.api, "acme").await;
    assert!(
        grants.contains(&pair("datasets:edit", "datasets/*")),
        "{grants:?}"
    );
    assert!(
        !grants.contains(&pair("datasets:edit", "datasets/1")),
        "{grants:?}"
    );
    let key = people.member.user_key("acme", "all").await;
    let key = text(&key, "key");
    for resource in [
        "datasets/1",
        "datasets/1/tables/2",
        "datasets/*",
        "datasets/9/*",
    ] {
        assert_code(&app, key, "datasets:edit", resource, "VALID").await;
    }
    for resource in ["datasets", "*", "other/1", "datasetsx/1"] {
        assert_code(
            &app,
            key,
            "datasets:edit",
            resource,
            "INSUFFICIENT_PERMISSIONS",
        )
        .await;
    }
    // A key may ask for less than the member holds; not for more.
    let narrow = people
        .member
        .create_key(
            "acme",
            json!({ "name": "seven", "scope": "user", "permissions": [grant("datasets:edit", "datasets/7")] }),
        )
        .await;
    let narrow = text(&narrow, "key");
    assert_code(&app, narrow, "datasets:edit", "datasets/7", "VALID").await;
    assert_code(
        &app,
        narrow,
        "datasets:edit",
        "datasets/8",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    // `*` covers everything.
    let everywhere = create_role(
        &people.owner.api,
        "acme",
        "everywhere",
        json!([grant("datasets:edit", "*")]),
    )
    .await;
    assign(&people.owner.api, &people.member.id, &everywhere).await;
    for resource in ["datasets", "*", "other/1"] {
        assert_code(&app, key, "datasets:edit", resource, "VALID").await;
    }
}

pub async fn groups_carry_roles_to_their_members(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let other = join(&app, "acme", "other@acme.test", "member").await;
    register_permission(&app, "acme", "datasets:edit", false).await;
    let one = create_role(
        &people.owner.api,
        "acme",
        "one",
        json!([grant("datasets:edit", "datasets/1")]),
    )
    .await;
    let two = create_role(
        &people.owner.api,
        "acme",
        "two",
        json!([grant("datasets:edit", "datasets/2")]),
    )
    .await;
    let group = create_group(
        &people.admin.api,
        "Editors",
        json!([one]),
        json!([user(&people.member.id)]),
    )
    .await;
    assert_fields(
        &group,
        &[
            "id",
            "organization_id",
            "name",
            "role_ids",
            "members",
            "created_at",
        ],
    );
    assert_eq!(group["role_ids"], json!([one]));
    assert_eq!(group["members"], json!([user(&people.member.id)]));
    let id = text(&group, "id").to_owned();
    let listed = people.member.api.get(&groups_path("acme")).await;
    assert_eq!(listed.body, json!([group]));
    assert_eq!(
        people.member.api.get(&group_path("acme", &id)).await.body,
        group
    );

    let member_key = people.member.user_key("acme", "m").await;
    let member_key = text(&member_key, "key");
    let other_key = other.user_key("acme", "o").await;
    let other_key = text(&other_key, "key");
    assert_code(&app, member_key, "datasets:edit", "datasets/1", "VALID").await;
    assert_code(
        &app,
        other_key,
        "datasets:edit",
        "datasets/1",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    // New members and new roles reach everyone in the group at once.
    let member_path = format!("{}/members/user/{}", group_path("acme", &id), other.id);
    assert_status(&put(&people.admin.api, &member_path, None).await, 204);
    assert_code(&app, other_key, "datasets:edit", "datasets/1", "VALID").await;
    let role_path = format!("{}/roles/{two}", group_path("acme", &id));
    assert_status(&put(&people.admin.api, &role_path, None).await, 204);
    for key in [member_key, other_key] {
        assert_code(&app, key, "datasets:edit", "datasets/2", "VALID").await;
    }
    let read = app.admin.get(&group_path("acme", &id)).await;
    assert_eq!(read.body["role_ids"], json!([one, two]));
    assert_eq!(
        read.body["members"],
        json!([user(&people.member.id), user(&other.id)])
    );
    // Members don't manage groups.
    let refused = people
        .member
        .api
        .post(&groups_path("acme"), json!({ "name": "mine" }))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    assert_error(
        &put(&people.member.api, &member_path, None).await,
        403,
        "FORBIDDEN",
    );
    // Only the organization's principals and roles.
    let stranger = people
        .admin
        .api
        .post(
            &groups_path("acme"),
            json!({ "name": "strangers", "members": [user(UNKNOWN)] }),
        )
        .await;
    assert_error(&stranger, 422, "VALIDATION_FAILED");
    let unknown_role = people
        .admin
        .api
        .post(
            &groups_path("acme"),
            json!({ "name": "unknown", "roles": [UNKNOWN] }),
        )
        .await;
    assert_error(&unknown_role, 422, "VALIDATION_FAILED");
    assert_eq!(
        unknown_role.body["details"]["unknown_roles"],
        json!([UNKNOWN])
    );
    let stranger = put(
        &people.admin.api,
        &format!("{}/members/user/{UNKNOWN}", group_path("acme", &id)),
        None,
    )
    .await;
    assert_error(&stranger, 422, "VALIDATION_FAILED");
    let bad_type = put(
        &people.admin.api,
        &format!("{}/members/robot/{}", group_path("acme", &id), other.id),
        None,
    )
    .await;
    assert_error(&bad_type, 404, "NOT_FOUND");
}

pub async fn removing_a_role_applies_at_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    register_permission(&app, "acme", "datasets:edit", false).await;
    let role = create_role(
        &people.owner.api,
        "acme",
        "editor",
        json!([
            grant("datasets:edit", "datasets/1"),
            grant("teams:write", "*")
        ]),
    )
    .await;
    let key = people.member.user_key("acme", "m").await;
    let key = text(&key, "key");
    let client = app.client_with_key(key);
    let team = |name: &str| json!({ "name": name });

    assign(&people.owner.api, &people.member.id, &role).await;
    assert_code(&app, key, "datasets:edit", "datasets/1", "VALID").await;
    assert_status(&client.post(&teams_path("acme"), team("one")).await, 201);

    // Unassigned: gone on the very next request.
    let path = member_role_path("acme", &people.member.id, &role);
    assert_status(&people.owner.api.delete(&path).await, 204);
    assert_code(
        &app,
        key,
        "datasets:edit",
        "datasets/1",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert_error(
        &client.post(&teams_path("acme"), team("two")).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &people
            .member
            .api
            .post(&teams_path("acme"), team("two"))
            .await,
        403,
        "FORBIDDEN",
    );

    // Its grants narrowed: gone too.
    assign(&people.owner.api, &people.member.id, &role).await;
    assert_status(&client.post(&teams_path("acme"), team("three")).await, 201);
    let narrowed = people
        .owner
        .api
        .patch(
            &role_path("acme", &role),
            json!({ "grants": [grant("datasets:edit", "datasets/1")] }),
        )
        .await;
    assert_status(&narrowed, 200);
    assert_error(
        &client.post(&teams_path("acme"), team("four")).await,
        403,
        "FORBIDDEN",
    );
    assert_code(&app, key, "datasets:edit", "datasets/1", "VALID").await;

    // Deleted: gone from everyone who held it.
    assert_status(
        &people.owner.api.delete(&role_path("acme", &role)).await,
        204,
    );
    assert_code(
        &app,
        key,
        "datasets:edit",
        "datasets/1",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert!(
        !me_grants(&people.member.api, "acme")
            .await
            .contains(&pair("datasets:edit", "datasets/1"))
    );
}

pub async fn removing_a_group_role_or_member_applies_at_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    register_permission(&app, "acme", "datasets:edit", false).await;
    let role = create_role(
        &people.owner.api,
        "acme",
        "editor",
        json!([
            grant("datasets:edit", "datasets/1"),
            grant("teams:write", "*")
        ]),
    )
    .await;
    let group = create_group(
        &people.owner.api,
        "Editors",
        json!([role]),
        json!([user(&people.member.id)]),
    )
    .await;
    let group = text(&group, "id").to_owned();
    let key = people.member.user_key("acme", "m").await;
    let key = text(&key, "key");
    let client = app.client_with_key(key);
    let team = |name: &str| json!({ "name": name });
    let role_in_group = format!("{}/roles/{role}", group_path("acme", &group));
    let member_in_group = format!(
        "{}/members/user/{}",
        group_path("acme", &group),
        people.member.id
    );

    assert_code(&app, key, "datasets:edit", "datasets/1", "VALID").await;
    assert_status(&client.post(&teams_path("acme"), team("one")).await, 201);

    // The group loses the role.
    assert_status(&people.owner.api.delete(&role_in_group).await, 204);
    assert_code(
        &app,
        key,
        "datasets:edit",
        "datasets/1",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert_error(
        &client.post(&teams_path("acme"), team("two")).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &people.owner.api.delete(&role_in_group).await,
        404,
        "NOT_FOUND",
    );
    assert_status(&put(&people.owner.api, &role_in_group, None).await, 204);
    assert_code(&app, key, "datasets:edit", "datasets/1", "VALID").await;

    // The member leaves the group.
    assert_status(&people.owner.api.delete(&member_in_group).await, 204);
    assert_code(
        &app,
        key,
        "datasets:edit",
        "datasets/1",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert_error(
        &client.post(&teams_path("acme"), team("three")).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &people.owner.api.delete(&member_in_group).await,
        404,
        "NOT_FOUND",
    );
    assert_status(&put(&people.owner.api, &member_in_group, None).await, 204);
    assert_code(&app, key, "datasets:edit", "datasets/1", "VALID").await;

    // The group goes.
    assert_status(
        &people.owner.api.delete(&group_path("acme", &group)).await,
        204,
    );
    assert_code(
        &app,
        key,
        "datasets:edit",
        "datasets/1",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert_error(
        &client.post(&teams_path("acme"), team("four")).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &app.admin.get(&group_path("acme", &group)).await,
        404,
        "NOT_FOUND",
    );
}

pub async fn roles_cannot_hand_out_more_than_held(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    register_permission(&app, "acme", "datasets:edit", false).await;
    // A member who may manage roles, and edit dataset 1.
    let delegate_role = create_role(
        &people.owner.api,
        "acme",
        "delegate",
        json!([
            grant("roles:write", "*"),
            grant("roles:read", "*"),
            grant("datasets:edit", "datasets/1"),
        ]),
    )
    .await;
    assign(&people.owner.api, &people.member.id, &delegate_role).await;
    let big = create_role(
        &people.owner.api,
        "acme",
        "big",
        json!([grant("keys:write", "*")]),
    )
    .await;
    let delegate = &people.member.api;

    let held = delegate
        .post(
            &roles_path("acme"),
            json!({ "name": "one", "grants": [grant("datasets:edit", "datasets/1")] }),
        )
        .await;
    assert_status(&held, 201);
    for (grants, named) in [
        (
            json!([grant("datasets:edit", "datasets/2")]),
            "datasets:edit",
        ),
        (json!([grant("datasets:edit", "*")]), "datasets:edit"),
        (json!(["keys:write"]), "keys:write"),
        (
            json!([grant("roles:read", "*"), grant("members:write", "*")]),
            "members:write",
        ),
    ] {
        let refused = delegate
            .post(
                &roles_path("acme"),
                json!({ "name": "more", "grants": grants }),
            )
            .await;
        assert_error(&refused, 403, "PERMISSION_NOT_HELD");
        assert_eq!(
            refused.body["details"]["permission"], named,
            "{}",
            refused.body
        );
    }
    // Nor widen a role, nor take one that carries more, nor pass it on.
    let widened = delegate
        .patch(
            &role_path("acme", text(&held.body, "id")),
            json!({ "grants": [grant("datasets:edit", "*")] }),
        )
        .await;
    assert_error(&widened, 403, "PERMISSION_NOT_HELD");
    for target in [&people.member.id, &people.admin.id] {
        let refused = put(delegate, &member_role_path("acme", target, &big), None).await;
        assert_error(&refused, 403, "PERMISSION_NOT_HELD");
    }
    let refused = delegate
        .post(
            &groups_path("acme"),
            json!({ "name": "sneaky", "roles": [big], "members": [user(&people.member.id)] }),
        )
        .await;
    assert_error(&refused, 403, "PERMISSION_NOT_HELD");
    let group = create_group(&people.owner.api, "Big", json!([big]), json!([])).await;
    let group = text(&group, "id").to_owned();
    let join_group = format!(
        "{}/members/user/{}",
        group_path("acme", &group),
        people.member.id
    );
    assert_error(
        &put(delegate, &join_group, None).await,
        403,
        "PERMISSION_NOT_HELD",
    );
    let own_group = create_group(
        delegate,
        "Mine",
        json!([]),
        json!([user(&people.member.id)]),
    )
    .await;
    let add_big = format!("{}/roles/{big}", group_path("acme", text(&own_group, "id")));
    assert_error(
        &put(delegate, &add_big, None).await,
        403,
        "PERMISSION_NOT_HELD",
    );
    // None of that gave the delegate keys:write.
    let key = people.member.user_key("acme", "d").await;
    assert_code(
        &app,
        text(&key, "key"),
        "keys:write",
        "*",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    // What the delegate holds, it may pass on.
    let one = text(&held.body, "id");
    assert_status(
        &put(
            delegate,
            &member_role_path("acme", &people.admin.id, one),
            None,
        )
        .await,
        204,
    );
}
