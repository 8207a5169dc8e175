//! Every write in the OpenAPI document, made once with a request that
//! succeeds, leaves exactly one audit event, of the right action and
//! actor, in the right log; the logs' chains verify afterwards. A write
//! added to the router without a step here fails the coverage check.

use super::openapi::operations;
use super::{ACCEPT, bearer, invitations_path, invite};
use crate::api::{ORGS, text};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use futures::TryStreamExt;
use keyward_client::Method;
use keyward_core::audit::AuditEvent;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

/// The writes the test walks through, and the logs it reads.
struct Trail<'a> {
    app: &'a TestApp,
    org: Option<Uuid>,
    covered: BTreeSet<String>,
}

impl Trail<'_> {
    async fn log(&self, org: Option<Uuid>) -> Vec<AuditEvent> {
        self.app
            .state
            .store
            .audit_export(org, None, None)
            .try_collect()
            .await
            .expect("the audit log reads")
    }

    /// Sends one write as `api`, expects `status`, and checks that exactly
    /// one event was recorded, `action` by an actor of type `actor`.
    #[allow(clippy::too_many_arguments)]
    async fn write(
        &mut self,
        api: &crate::api::Api,
        method: Method,
        documented: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
        action: &str,
        actor: &str,
    ) -> Value {
        self.covered.insert(format!("{method} {documented}"));
        let mut logs = vec![None];
        logs.extend(self.org.map(Some));
        let mut before = Vec::new();
        for &org in &logs {
            before.push(self.log(org).await.len());
        }
        let response = api.send(method.clone(), path, body).await;
        assert_eq!(
            response.status, status,
            "{method} {path}: {}",
            response.body
        );
        let mut new = Vec::new();
        for (org, seen) in logs.into_iter().zip(before) {
            new.extend(self.log(org).await.into_iter().skip(seen));
        }
        assert_eq!(
            new.len(),
            1,
            "{method} {documented} left {} events: {new:#?}",
            new.len()
        );
        let event = &new[0];
        assert_eq!(event.action.as_str(), action, "{method} {documented}");
        assert_eq!(event.actor.kind.as_str(), actor, "{method} {documented}");
        assert_eq!(event.outcome.as_str(), "success", "{method} {documented}");
        let details = serde_json::to_string(&event.details).expect("details serialize");
        for secret in ["kwi_", "kws_", "password"] {
            assert!(!details.contains(secret), "{action} details hold {secret}");
        }
        response.body
    }
}

pub async fn every_write_leaves_one_audit_event(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin.clone();
    let anonymous = app.anonymous();
    let mut trail = Trail {
        app: &app,
        org: None,
        covered: BTreeSet::new(),
    };
    let (post, patch, put, delete) = (Method::POST, Method::PATCH, Method::PUT, Method::DELETE);

    let org = trail
        .write(
            &admin,
            post.clone(),
            ORGS,
            ORGS,
            Some(json!({"name": "Audited"})),
            201,
            "org.created",
            "admin",
        )
        .await;
    let org_id: Uuid = text(&org, "id").parse().expect("an org id");
    trail.org = Some(org_id);
    let o = format!("{ORGS}/{org_id}");

    // An owner joins through an invitation and signs in.
    let invited = trail
        .write(
            &admin,
            post.clone(),
            "/api/v1/orgs/{org}/invitations",
            &invitations_path(&org_id.to_string()),
            Some(json!({"email": "ada@example.com", "role": "owner"})),
            201,
            "member.invited",
            "admin",
        )
        .await;
    let accepted = trail
        .write(&anonymous, post.clone(), ACCEPT, ACCEPT,
            Some(json!({"token": text(&invited, "token"), "name": "Ada Lovelace", "password": "a long passphrase 1"})),
            201, "member.joined", "user")
        .await;
    let ada_id = accepted["user"]["id"]
        .as_str()
        .expect("a user id")
        .to_owned();
    let login = trail
        .write(
            &anonymous,
            post.clone(),
            "/api/v1/auth/login",
            "/api/v1/auth/login",
            Some(json!({"email": "ada@example.com", "password": "a long passphrase 1"})),
            200,
            "auth.login_succeeded",
            "user",
        )
        .await;
    let ada = bearer(&app, text(&login, "token"));

    trail
        .write(
            &ada,
            patch.clone(),
            "/api/v1/orgs/{org}",
            &o,
            Some(json!({"name": "Audited Inc"})),
            200,
            "org.updated",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            post.clone(),
            "/api/v1/orgs/{org}/permissions",
            &format!("{o}/permissions"),
            Some(json!({"name": "reports:read"})),
            201,
            "permission.created",
            "user",
        )
        .await;

    // Keys, through the JSON API and the Dadosfera contract.
    let key = trail
        .write(
            &ada,
            post.clone(),
            "/api/v1/orgs/{org}/keys",
            &format!("{o}/keys"),
            Some(json!({"name": "nightly export", "scope": "organization"})),
            201,
            "key.created",
            "user",
        )
        .await;
    let key_path = format!("{o}/keys/{}", text(&key, "id"));
    trail
        .write(
            &ada,
            patch.clone(),
            "/api/v1/orgs/{org}/keys/{id}",
            &key_path,
            Some(json!({"name": "nightly"})),
            200,
            "key.updated",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/keys/{id}",
            &key_path,
            None,
            204,
            "key.revoked",
            "user",
        )
        .await;
    let catalog = ada.get("/permissions").await.body;
    let keys_read = catalog
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "keys:read"))
        .map(|p| p["id"].clone())
        .expect("keys:read in the catalog");
    let dadosfera = trail
        .write(
            &ada,
            post.clone(),
            "/api-key",
            "/api-key",
            Some(json!({"permissions": [keys_read], "name": "legacy"})),
            201,
            "key.created",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api-key/{id}",
            &format!("/api-key/{}", text(&dadosfera, "id")),
            None,
            204,
            "key.revoked",
            "user",
        )
        .await;

    // A member: invited, withdrawn, invited again, joined, promoted.
    let withdrawn = trail
        .write(
            &ada,
            post.clone(),
            "/api/v1/orgs/{org}/invitations",
            &format!("{o}/invitations"),
            Some(json!({"email": "bob@example.com", "role": "member"})),
            201,
            "member.invited",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/invitations/{id}",
            &format!("{o}/invitations/{}", text(&withdrawn, "id")),
            None,
            204,
            "invitation.withdrawn",
            "user",
        )
        .await;
    let bob_invite = invite(&ada, &org_id.to_string(), "bob@example.com", "member")
        .await
        .body;
    let bob = accept_new(&app, text(&bob_invite, "token"), "Bob").await;
    let member = format!("{o}/members/{bob}");
    trail
        .write(
            &ada,
            patch.clone(),
            "/api/v1/orgs/{org}/members/{user}",
            &member,
            Some(json!({"role": "admin"})),
            200,
            "member.role_changed",
            "user",
        )
        .await;

    // Roles, assigned to the member.
    let role = trail
        .write(
            &ada,
            post.clone(),
            "/api/v1/orgs/{org}/roles",
            &format!("{o}/roles"),
            Some(json!({"name": "readers", "grants": ["keys:read"]})),
            201,
            "role.created",
            "user",
        )
        .await;
    let role_id = text(&role, "id").to_owned();
    let role_path = format!("{o}/roles/{role_id}");
    trail
        .write(
            &ada,
            patch.clone(),
            "/api/v1/orgs/{org}/roles/{role}",
            &role_path,
            Some(json!({"name": "key readers"})),
            200,
            "role.updated",
            "user",
        )
        .await;
    let member_role = format!("{member}/roles/{role_id}");
    trail
        .write(
            &ada,
            put.clone(),
            "/api/v1/orgs/{org}/members/{user}/roles/{role}",
            &member_role,
            None,
            204,
            "member.role_assigned",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/members/{user}/roles/{role}",
            &member_role,
            None,
            204,
            "member.role_unassigned",
            "user",
        )
        .await;

    // Teams, by a key of the organization.
    let org_key = app.org_key(&org_id.to_string(), "automation").await;
    let automation = app.client_with_key(text(&org_key, "key"));
    let team = trail
        .write(
            &automation,
            post.clone(),
            "/api/v1/orgs/{org}/teams",
            &format!("{o}/teams"),
            Some(json!({"name": "Data"})),
            201,
            "team.created",
            "key",
        )
        .await;
    let team_path = format!("{o}/teams/{}", text(&team, "id"));
    let team_member = format!("{team_path}/members/{bob}");
    trail
        .write(
            &ada,
            put.clone(),
            "/api/v1/orgs/{org}/teams/{team}/members/{user}",
            &team_member,
            Some(json!({"role": "member"})),
            204,
            "team.member_added",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/teams/{team}/members/{user}",
            &team_member,
            None,
            204,
            "team.member_removed",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/teams/{team}",
            &team_path,
            None,
            204,
            "team.deleted",
            "user",
        )
        .await;

    // Service accounts.
    let account = trail
        .write(
            &ada,
            post.clone(),
            "/api/v1/orgs/{org}/service-accounts",
            &format!("{o}/service-accounts"),
            Some(json!({"name": "etl"})),
            201,
            "service_account.created",
            "user",
        )
        .await;
    let account_path = format!("{o}/service-accounts/{}", text(&account, "id"));
    trail
        .write(
            &ada,
            patch.clone(),
            "/api/v1/orgs/{org}/service-accounts/{account}",
            &account_path,
            Some(json!({"description": "nightly loads"})),
            200,
            "service_account.updated",
            "user",
        )
        .await;
    let account_role = format!("{account_path}/roles/{role_id}");
    trail
        .write(
            &ada,
            put.clone(),
            "/api/v1/orgs/{org}/service-accounts/{account}/roles/{role}",
            &account_role,
            None,
            204,
            "service_account.role_assigned",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/service-accounts/{account}/roles/{role}",
            &account_role,
            None,
            204,
            "service_account.role_unassigned",
            "user",
        )
        .await;

    // Groups.
    let group = trail
        .write(
            &ada,
            post.clone(),
            "/api/v1/orgs/{org}/groups",
            &format!("{o}/groups"),
            Some(json!({"name": "analysts"})),
            201,
            "group.created",
            "user",
        )
        .await;
    let group_path = format!("{o}/groups/{}", text(&group, "id"));
    let group_role = format!("{group_path}/roles/{role_id}");
    trail
        .write(
            &ada,
            put.clone(),
            "/api/v1/orgs/{org}/groups/{group}/roles/{role}",
            &group_role,
            None,
            204,
            "group.role_added",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/groups/{group}/roles/{role}",
            &group_role,
            None,
            204,
            "group.role_removed",
            "user",
        )
        .await;
    let group_member = format!("{group_path}/members/user/{bob}");
    trail
        .write(
            &ada,
            put.clone(),
            "/api/v1/orgs/{org}/groups/{group}/members/{type}/{id}",
            &group_member,
            None,
            204,
            "group.member_added",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/groups/{group}/members/{type}/{id}",
            &group_member,
            None,
            204,
            "group.member_removed",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/groups/{group}",
            &group_path,
            None,
            204,
            "group.deleted",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/service-accounts/{account}",
            &account_path,
            None,
            204,
            "service_account.deleted",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/roles/{role}",
            &role_path,
            None,
            204,
            "role.deleted",
            "user",
        )
        .await;

    // The member's account, their membership, the owner's session.
    trail
        .write(
            &admin,
            patch.clone(),
            "/api/v1/users/{user}",
            &format!("/api/v1/users/{bob}"),
            Some(json!({"enabled": false})),
            200,
            "user.updated",
            "admin",
        )
        .await;
    trail
        .write(
            &ada,
            delete.clone(),
            "/api/v1/orgs/{org}/members/{user}",
            &member,
            None,
            204,
            "member.removed",
            "user",
        )
        .await;
    trail
        .write(
            &ada,
            post.clone(),
            "/api/v1/auth/logout",
            "/api/v1/auth/logout",
            None,
            204,
            "auth.logout",
            "user",
        )
        .await;

    for org in [None, Some(org_id)] {
        let check = app
            .state
            .store
            .verify_audit_chain(org)
            .await
            .expect("verify");
        assert!(check.ok, "{org:?}: {check:?}");
    }
    // The target of member events is the user.
    let joined = trail.log(Some(org_id)).await;
    let ada_joined = joined
        .iter()
        .find(|e| e.action.as_str() == "member.joined")
        .expect("member.joined");
    assert_eq!(
        ada_joined.target.as_ref().map(|t| t.id.as_str()),
        Some(ada_id.as_str())
    );

    trail
        .write(
            &admin,
            delete,
            "/api/v1/orgs/{org}",
            &o,
            None,
            204,
            "org.deleted",
            "admin",
        )
        .await;

    let documented: BTreeSet<String> = operations(&app)
        .await
        .into_iter()
        // Verification and forward-auth answer about keys; they change nothing.
        .filter(|op| op.is_write() && !op.has_tag("verification"))
        .map(|op| op.label())
        .collect();
    let missing: Vec<&String> = documented.difference(&trail.covered).collect();
    assert!(
        missing.is_empty(),
        "writes without an audit step: {missing:?}"
    );
}

/// Accepts an invitation as a new user; returns the user's id.
async fn accept_new(app: &TestApp, token: &str, name: &str) -> String {
    let accepted = super::accept(app, token, name, "a long passphrase 2").await;
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    accepted.body["user"]["id"]
        .as_str()
        .expect("a user id")
        .to_owned()
}

/// The events of one action in an organization's log, oldest first.
async fn events_of(app: &TestApp, org: Uuid, action: &str) -> Vec<AuditEvent> {
    let all: Vec<AuditEvent> = app
        .state
        .store
        .audit_export(Some(org), None, None)
        .try_collect()
        .await
        .expect("the audit log reads");
    all.into_iter()
        .filter(|e| e.action.as_str() == action)
        .collect()
}

pub async fn denied_calls_are_recorded_once_a_minute(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Denials").await;
    let org_id: Uuid = text(&org, "id").parse().expect("an org id");
    let member = super::join(&app, &org_id.to_string(), "mallory@example.com", "member").await;
    let teams = format!("{ORGS}/{org_id}/teams");
    for _ in 0..5 {
        let refused = member.api.post(&teams, json!({"name": "mine"})).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
    let denied = events_of(&app, org_id, "auth.denied").await;
    assert_eq!(denied.len(), 1, "{denied:#?}");
    let event = &denied[0];
    assert_eq!(event.outcome.as_str(), "denied");
    assert_eq!(event.actor.kind.as_str(), "user");
    assert_eq!(event.actor.id, member.id);
    assert_eq!(event.details["operation"], "POST /api/v1/orgs/{org}/teams");
    assert_eq!(event.details["status"], 403);

    // Another operation, and the same one a minute later, are new events.
    let refused = member
        .api
        .post(
            &format!("{ORGS}/{org_id}/roles"),
            json!({"name": "r", "grants": ["keys:read"]}),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    app.clock.advance(chrono::Duration::seconds(61));
    let refused = member.api.post(&teams, json!({"name": "mine"})).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(events_of(&app, org_id, "auth.denied").await.len(), 3);

    // A revoked key of the organization is a known credential: its 401 is
    // recorded; an unknown key's is not.
    let key = app.org_key(&org_id.to_string(), "soon revoked").await;
    let revoked = app
        .admin
        .delete(&format!("{ORGS}/{org_id}/keys/{}", text(&key, "id")))
        .await;
    assert_eq!(revoked.status, 204);
    let with_revoked = app.client_with_key(text(&key, "key"));
    assert_eq!(with_revoked.get(&teams).await.status, 401);
    let denied = events_of(&app, org_id, "auth.denied").await;
    assert_eq!(denied.len(), 4, "{denied:#?}");
    assert_eq!(denied[3].actor.kind.as_str(), "key");
    assert_eq!(denied[3].details["status"], 401);
}

pub async fn failed_sign_ins_are_recorded_for_the_account_only(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Sign-ins").await;
    let org_id: Uuid = text(&org, "id").parse().expect("an org id");
    let ada = super::join(&app, &org_id.to_string(), "ada@example.com", "member").await;
    let wrong = super::login(&app, "ada@example.com", "not the password at all").await;
    assert_eq!(wrong.status, 401);
    let unknown = super::login(&app, "nobody@example.com", "not the password at all").await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        wrong.body, unknown.body,
        "the answer says nothing of the account"
    );
    let failed = events_of(&app, org_id, "auth.login_failed").await;
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].outcome.as_str(), "denied");
    assert_eq!(
        failed[0].target.as_ref().map(|t| t.id.as_str()),
        Some(ada.id.as_str())
    );
    let details = serde_json::to_string(&failed[0]).expect("an event serializes");
    assert!(!details.contains("not the password"), "{details}");
    let org_less: Vec<AuditEvent> = app
        .state
        .store
        .audit_export(None, None, None)
        .try_collect()
        .await
        .expect("the audit log reads");
    assert!(
        org_less
            .iter()
            .all(|e| e.action.as_str() != "auth.login_failed"),
        "an unknown account's failure is recorded nowhere"
    );
}
