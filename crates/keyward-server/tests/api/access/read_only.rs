//! A read-only key gets 403 on every POST, PUT, PATCH and DELETE of
//! keyward's own API, whatever its scope, table-driven over the OpenAPI
//! document with the organization's real ids (so a missing check would
//! change something, not just miss a random id).

use super::openapi::{Ids, Operation, id_of, operations};
use super::{
    BUILTINS, create_role, create_service_account, create_team, groups_path, invitations_path,
    join, members_path, put, roles_path, service_account_path, service_accounts_path, teams_path,
};
use crate::api::{keys_path, text};
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use serde_json::{Value, json};

/// Writes that take no key: a key sent along changes nothing.
const PUBLIC: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/invitations/accept"),
    ("POST", "/api/v1/auth/password-reset"),
    // The token or the report's signature is the credential.
    ("POST", "/api/v1/keys/revoke"),
    ("POST", "/api/v1/leaks/github"),
    ("POST", "/api/v1/leaks"),
];

/// Forward-auth changes nothing whatever its own method: a proxy may call
/// it with any, and read-only keys are judged by the original request's
/// method (tested in forward/).
const FORWARD_AUTH: &str = "/api/v1/auth/forward";

/// A snapshot of what the organization holds.
async fn snapshot(app: &TestApp) -> Vec<Value> {
    let mut parts = Vec::new();
    for path in [
        keys_path("acme"),
        members_path("acme"),
        teams_path("acme"),
        roles_path("acme"),
        groups_path("acme"),
        service_accounts_path("acme"),
        invitations_path("acme"),
        "/api/v1/orgs/acme".to_owned(),
        "/api/v1/orgs/acme/permissions".to_owned(),
    ] {
        let response = app.admin.get(&path).await;
        assert_status(&response, 200);
        let mut body = response.body;
        // Usage moves with every call; it isn't a change by the caller.
        if let Some(items) = body.get_mut("items").and_then(Value::as_array_mut) {
            for item in items {
                item["last_used_at"] = Value::Null;
                item["usage_count"] = Value::Null;
            }
        }
        parts.push(body);
    }
    parts
}

pub async fn read_only_keys_change_nothing_anywhere(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let owner = join(&app, "acme", "owner@acme.test", "owner").await;
    let member = join(&app, "acme", "member@acme.test", "member").await;
    let team = create_team(&owner.api, "acme", "Data").await;
    let everything: Vec<Value> = BUILTINS
        .iter()
        .map(|p| json!({ "permission": p, "resource": "*" }))
        .collect();
    let role = create_role(&owner.api, "acme", "everything", json!(everything)).await;
    let group = owner
        .api
        .post(
            &groups_path("acme"),
            json!({ "name": "group", "roles": [role], "members": [{ "type": "user", "id": member.id }] }),
        )
        .await;
    assert_status(&group, 201);
    let account = create_service_account(&owner.api, "acme", "robot").await;
    let assigned = put(
        &owner.api,
        &format!("{}/roles/{role}", service_account_path("acme", &account)),
        None,
    )
    .await;
    assert_status(&assigned, 204);
    let invitation = super::invite(&owner.api, "acme", "later@acme.test", "member").await;
    assert_status(&invitation, 201);
    let victim = app.org_key("acme", "victim").await;

    let read_only = |scope: &str| {
        let mut body = json!({ "name": format!("ro {scope}"), "scope": scope, "read_only": true });
        match scope {
            "team" => body["team_id"] = json!(team),
            "service_account" => body["service_account_id"] = json!(account),
            _ => {}
        }
        body
    };
    let mut keys = Vec::new();
    for scope in ["organization", "user", "team", "service_account"] {
        let created = owner.create_key("acme", read_only(scope)).await;
        assert_eq!(created["read_only"], true);
        keys.push((scope, text(&created, "key").to_owned()));
    }

    let ids = Ids::random("acme")
        .with("keys", text(&victim, "id"))
        .with("api-key", text(&victim, "id"))
        .with("invitations", &id_of(&invitation.body))
        .with("members", &member.id)
        .with("users", &member.id)
        .with("teams", &team)
        .with("roles", &role)
        .with("groups", &id_of(&group.body))
        .with("service-accounts", &account);
    let table: Vec<Operation> = operations(&app)
        .await
        .into_iter()
        .filter(|op| op.is_write() && op.path != FORWARD_AUTH)
        .filter(|op| {
            !PUBLIC
                .iter()
                .any(|(m, p)| *m == op.method.as_str() && *p == op.path)
        })
        .collect();
    assert!(table.len() >= 25, "only {} writes", table.len());
    for (method, path) in PUBLIC {
        assert!(
            operations(&app)
                .await
                .iter()
                .any(|op| op.method.as_str() == *method && op.path == *path),
            "{method} {path} is no longer documented"
        );
    }

    let before = snapshot(&app).await;
    let mut failures = Vec::new();
    for (scope, key) in &keys {
        let client = app
            .client_with_key(key)
            .with_header("X-Keyward-Org", "acme");
        for op in &table {
            let path = ids.fill(&op.path);
            let response = client.send(op.method.clone(), &path, op.body.clone()).await;
            if response.status != 403 {
                failures.push(format!(
                    "read-only {scope} key: {} {path} answered {}: {}",
                    op.method, response.status, response.body
                ));
            }
        }
    }
    let after = snapshot(&app).await;
    assert!(
        failures.is_empty(),
        "{} writes by read-only keys were not refused with 403:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(before, after, "read-only keys changed the organization");
}
