//! Service accounts: non-human principals with a name, description, roles
//! and groups; their keys act with the account's live grants, are created
//! by holders of `members:write`, and survive their creator.

use super::{
    acme, all_on, assert_code, create_role, create_service_account, create_team, grant, grant_set,
    group_path, groups_path, member_path, put, register_permission, service_account_path,
    service_accounts_path, verify,
};
use crate::api::{Api, keys_path, text};
use crate::assertions::{assert_error, assert_fields, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use serde_json::{Value, json};

const UNKNOWN: &str = "0192e4c4-5b7a-7000-8000-000000000000";

fn sa_body(account: &str, permissions: Option<Value>) -> Value {
    let mut body =
        json!({ "name": "robot key", "scope": "service_account", "service_account_id": account });
    if let Some(permissions) = permissions {
        body["permissions"] = permissions;
    }
    body
}

fn roles_of(account: &str) -> String {
    format!("{}/roles", service_account_path("acme", account))
}

fn role_of(account: &str, role: &str) -> String {
    format!("{}/roles/{role}", service_account_path("acme", account))
}

async fn sa_key(app: &TestApp, api: &Api, account: &str) -> String {
    let created = api.post(&keys_path("acme"), sa_body(account, None)).await;
    assert_status(&created, 201);
    assert_eq!(created.body["scope"], "service_account");
    assert_eq!(
        created.body["owner"],
        json!({ "type": "service_account", "id": account })
    );
    let key = text(&created.body, "key").to_owned();
    assert_eq!(verify(app, &key, None, None).await["code"], "VALID");
    key
}

pub async fn service_accounts_are_managed(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let created = people
        .admin
        .api
        .post(
            &service_accounts_path("acme"),
            json!({ "name": "Ingest robot", "description": "Loads the nightly files" }),
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
            "enabled",
            "created_at",
            "role_ids",
            "group_ids",
        ],
    );
    assert_eq!(created.body["name"], "Ingest robot");
    assert_eq!(created.body["description"], "Loads the nightly files");
    assert_eq!(created.body["enabled"], true);
    assert_eq!(created.body["role_ids"], json!([]));
    assert_eq!(created.body["group_ids"], json!([]));
    let account = text(&created.body, "id").to_owned();
    // Members see them (members:read) but don't make them (members:write).
    let listed = people.member.api.get(&service_accounts_path("acme")).await;
    assert_status(&listed, 200);
    let names: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| text(a, "name"))
        .collect();
    assert_eq!(names, ["Ingest robot"]);
    let read = people
        .member
        .api
        .get(&service_account_path("acme", &account))
        .await;
    assert_eq!(read.body, created.body);
    let refused = people
        .member
        .api
        .post(&service_accounts_path("acme"), json!({ "name": "mine" }))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    // Roles and groups show on the account.
    let role = create_role(&people.owner.api, "acme", "reader", json!(["keys:read"])).await;
    assert_status(
        &put(&people.admin.api, &role_of(&account, &role), None).await,
        204,
    );
    let group = people
        .admin
        .api
        .post(
            &groups_path("acme"),
            json!({ "name": "robots", "members": [{ "type": "service_account", "id": account }] }),
        )
        .await;
    assert_status(&group, 201);
    let read = app.admin.get(&service_account_path("acme", &account)).await;
    assert_eq!(read.body["role_ids"], json!([role]));
    assert_eq!(read.body["group_ids"], json!([group.body["id"]]));
    assert_eq!(
        people.member.api.get(&roles_of(&account)).await.body,
        json!([role])
    );
    // Changed in place.
    let patched = people
        .admin
        .api
        .patch(
            &service_account_path("acme", &account),
            json!({ "name": "Loader", "description": "" }),
        )
        .await;
    assert_status(&patched, 200);
    assert_eq!(patched.body["name"], "Loader");
    assert_eq!(patched.body["description"], "");
    assert_eq!(patched.body["role_ids"], json!([role]));
    // Gone.
    for missing in [UNKNOWN, "nope"] {
        assert_error(
            &app.admin.get(&service_account_path("acme", missing)).await,
            404,
            "NOT_FOUND",
        );
    }
    assert_error(
        &people
            .member
            .api
            .delete(&service_account_path("acme", &account))
            .await,
        403,
        "FORBIDDEN",
    );
    assert_status(
        &people
            .admin
            .api
            .delete(&service_account_path("acme", &account))
            .await,
        204,
    );
    assert_error(
        &app.admin.get(&service_account_path("acme", &account)).await,
        404,
        "NOT_FOUND",
    );
}

pub async fn service_account_keys_act_with_the_accounts_roles(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    register_permission(&app, "acme", "datasets:edit", false).await;
    let account = create_service_account(&people.admin.api, "acme", "robot").await;
    let key = sa_key(&app, &people.admin.api, &account).await;
    let client = app.client_with_key(&key);
    // No roles, no grants.
    let verified = verify(&app, &key, None, None).await;
    assert_eq!(verified["owner"]["type"], "service_account");
    assert_eq!(verified["owner"]["name"], "robot");
    assert_eq!(verified["grants"], json!([]));
    assert_error(&client.get(&keys_path("acme")).await, 403, "FORBIDDEN");

    let role = create_role(
        &people.owner.api,
        "acme",
        "robot role",
        json!([
            grant("keys:read", "*"),
            grant("datasets:edit", "datasets/1")
        ]),
    )
    .await;
    assert_status(
        &put(&people.admin.api, &role_of(&account, &role), None).await,
        204,
    );
    let verified = verify(&app, &key, None, None).await;
    assert_eq!(verified["code"], "VALID");
    assert_eq!(
        grant_set(&verified["grants"]),
        [("keys:read", "*"), ("datasets:edit", "datasets/1")]
            .into_iter()
            .map(|(p, r)| (p.to_owned(), r.to_owned()))
            .collect()
    );
    assert_code(&app, &key, "datasets:edit", "datasets/1", "VALID").await;
    assert_status(&client.get(&keys_path("acme")).await, 200);

    // Unassigned: gone on the very next request.
    let path = role_of(&account, &role);
    assert_status(&people.admin.api.delete(&path).await, 204);
    let verified = verify(&app, &key, None, None).await;
    assert_eq!(verified["code"], "VALID");
    assert_eq!(verified["grants"], json!([]));
    assert_code(
        &app,
        &key,
        "datasets:edit",
        "datasets/1",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert_error(&client.get(&keys_path("acme")).await, 403, "FORBIDDEN");
    assert_error(&people.admin.api.delete(&path).await, 404, "NOT_FOUND");
    // Assigning takes roles:write, and holding what the role grants.
    assert_error(
        &put(&people.member.api, &path, None).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &put(&people.admin.api, &role_of(&account, UNKNOWN), None).await,
        404,
        "NOT_FOUND",
    );
}

pub async fn service_account_keys_need_members_write(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let account = create_service_account(&app.admin, "acme", "robot").await;
    app.create_org("Beta").await;
    let theirs = create_service_account(&app.admin, "beta", "their robot").await;
    let path = keys_path("acme");
    let refused = people.member.api.post(&path, sa_body(&account, None)).await;
    assert_error(&refused, 403, "FORBIDDEN");
    let missing = people
        .admin
        .api
        .post(&path, json!({ "name": "k", "scope": "service_account" }))
        .await;
    assert_error(&missing, 422, "VALIDATION_FAILED");
    assert!(text(&missing.body, "message").contains("service_account_id"));
    for wrong in [UNKNOWN, theirs.as_str()] {
        let refused = people.admin.api.post(&path, sa_body(wrong, None)).await;
        assert_error(&refused, 422, "VALIDATION_FAILED");
    }
    // Team keys hold members:write only on their team.
    let team = create_team(&app.admin, "acme", "Data").await;
    let team_key = app
        .create_key(
            "acme",
            json!({ "name": "t", "scope": "team", "team_id": team }),
        )
        .await;
    let refused = app
        .client_with_key(text(&team_key, "key"))
        .post(&path, sa_body(&account, None))
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    // Owners, admins, the admin key and organization keys may.
    let org_key = app.org_key("acme", "org").await;
    for api in [
        &people.owner.api,
        &app.admin,
        &app.client_with_key(text(&org_key, "key")),
    ] {
        sa_key(&app, api, &account).await;
    }
    let by_admin = sa_key(&app, &people.admin.api, &account).await;
    // The key is the account's: it survives its creator.
    assert_status(
        &people
            .owner
            .api
            .delete(&member_path("acme", &people.admin.id))
            .await,
        204,
    );
    assert_eq!(verify(&app, &by_admin, None, None).await["code"], "VALID");
}

pub async fn service_account_groups_grant_live(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let account = create_service_account(&people.admin.api, "acme", "robot").await;
    let key = sa_key(&app, &people.admin.api, &account).await;
    let role = create_role(&people.owner.api, "acme", "reader", json!(["keys:read"])).await;
    let robot = json!({ "type": "service_account", "id": account });
    let group = people
        .admin
        .api
        .post(
            &groups_path("acme"),
            json!({ "name": "robots", "roles": [role], "members": [robot] }),
        )
        .await;
    assert_status(&group, 201);
    let group = text(&group.body, "id").to_owned();
    assert_eq!(
        grant_set(&verify(&app, &key, None, None).await["grants"]),
        all_on(&["keys:read"], &["*"])
    );
    assert_status(
        &app.client_with_key(&key).get(&keys_path("acme")).await,
        200,
    );
    let membership = format!(
        "{}/members/service_account/{account}",
        group_path("acme", &group)
    );
    assert_status(&people.admin.api.delete(&membership).await, 204);
    assert_eq!(verify(&app, &key, None, None).await["grants"], json!([]));
    assert_error(
        &app.client_with_key(&key).get(&keys_path("acme")).await,
        403,
        "FORBIDDEN",
    );
    assert_status(&put(&people.admin.api, &membership, None).await, 204);
    assert_code(&app, &key, "keys:read", "*", "VALID").await;
    let unknown = format!(
        "{}/members/service_account/{UNKNOWN}",
        group_path("acme", &group)
    );
    assert_error(
        &put(&people.admin.api, &unknown, None).await,
        422,
        "VALIDATION_FAILED",
    );
}

pub async fn disabled_or_deleted_accounts_stop_their_keys(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let account = create_service_account(&people.admin.api, "acme", "robot").await;
    let role = create_role(&people.owner.api, "acme", "reader", json!(["keys:read"])).await;
    assert_status(
        &put(&people.admin.api, &role_of(&account, &role), None).await,
        204,
    );
    let key = sa_key(&app, &people.admin.api, &account).await;
    let client = app.client_with_key(&key);
    assert_status(&client.get(&keys_path("acme")).await, 200);
    let path = service_account_path("acme", &account);

    let disabled = people
        .admin
        .api
        .patch(&path, json!({ "enabled": false }))
        .await;
    assert_status(&disabled, 200);
    assert_eq!(disabled.body["enabled"], false);
    let verified = verify(&app, &key, None, None).await;
    assert_eq!(verified["code"], "DISABLED", "{verified}");
    assert_error(&client.get(&keys_path("acme")).await, 401, "KEY_DISABLED");

    let enabled = people
        .admin
        .api
        .patch(&path, json!({ "enabled": true }))
        .await;
    assert_status(&enabled, 200);
    assert_eq!(verify(&app, &key, None, None).await["code"], "VALID");
    assert_status(&client.get(&keys_path("acme")).await, 200);

    assert_status(&people.admin.api.delete(&path).await, 204);
    assert_eq!(verify(&app, &key, None, None).await["code"], "REVOKED");
    assert_error(&client.get(&keys_path("acme")).await, 401, "KEY_REVOKED");
}

pub async fn service_account_keys_create_only_subsets(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let writer = create_role(
        &people.owner.api,
        "acme",
        "key writer",
        json!(["keys:read", "keys:write", "members:read", "members:write"]),
    )
    .await;
    let everything = create_role(
        &people.owner.api,
        "acme",
        "everything",
        json!([
            "keys:read",
            "keys:write",
            "members:read",
            "members:write",
            "org:write"
        ]),
    )
    .await;
    let account = create_service_account(&app.admin, "acme", "robot").await;
    let bigger = create_service_account(&app.admin, "acme", "bigger robot").await;
    assert_status(
        &put(&app.admin, &role_of(&account, &writer), None).await,
        204,
    );
    assert_status(
        &put(&app.admin, &role_of(&bigger, &everything), None).await,
        204,
    );
    let key = sa_key(&app, &app.admin, &account).await;
    let client = app.client_with_key(&key);
    let path = keys_path("acme");

    // Its own account, the same grants or fewer.
    assert_status(&client.post(&path, sa_body(&account, None)).await, 201);
    assert_status(
        &client
            .post(&path, sa_body(&account, Some(json!(["keys:read"]))))
            .await,
        201,
    );
    // An account holding more: no.
    let refused = client.post(&path, sa_body(&bigger, None)).await;
    assert_error(&refused, 403, "PERMISSION_NOT_HELD");
    assert_eq!(refused.body["details"]["permission"], "org:write");
    let refused = client
        .post(&path, sa_body(&bigger, Some(json!(["org:write"]))))
        .await;
    assert_error(&refused, 403, "PERMISSION_NOT_HELD");
    // No organization or team keys, no user keys.
    let refused = client
        .post(
            &path,
            json!({ "name": "o", "scope": "organization", "permissions": ["keys:read"] }),
        )
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    let team = create_team(&app.admin, "acme", "Data").await;
    let refused = client
        .post(
            &path,
            json!({ "name": "t", "scope": "team", "team_id": team, "permissions": ["keys:read"] }),
        )
        .await;
    assert_error(&refused, 403, "FORBIDDEN");
    let refused = client
        .post(&path, json!({ "name": "u", "scope": "user" }))
        .await;
    assert_error(&refused, 422, "VALIDATION_FAILED");
    // Nor does its key hand the account a bigger role.
    let refused = put(&client, &role_of(&account, &everything), None).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}
