//! Every write in the OpenAPI document, made once with a request that
//! succeeds, leaves exactly one audit event, of the right action and
//! actor, in the right log; the logs' chains verify afterwards. A write
//! added to the router without a step here fails the coverage check.

use super::openapi::operations;
use super::{bearer, invite};
use crate::api::{Api, ORGS, text};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use crate::leaks::{Github, HMAC_SECRET, hmac_signature, leak_app};
use futures::TryStreamExt;
use keyward_client::Method;
use keyward_core::audit::AuditEvent;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The writes the test walks through: the ids their paths name, and the
/// operations covered so far.
struct Trail<'a> {
    app: &'a TestApp,
    org: Option<Uuid>,
    ids: BTreeMap<&'static str, String>,
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

    /// Names `{name}` in the paths that follow.
    fn set(&mut self, name: &'static str, value: &str) {
        self.ids.insert(name, value.to_owned());
    }

    /// Makes the documented write `documented` ("METHOD /path/{name}") as
    /// `api`, expects it to succeed, and checks that it recorded exactly
    /// one event, `expected` ("action by actor type"); returns the body.
    async fn write(
        &mut self,
        api: &Api,
        documented: &str,
        body: Option<Value>,
        expected: &str,
    ) -> Value {
        self.covered.insert(documented.to_owned());
        let (method, template) = documented.split_once(' ').expect("METHOD /path");
        let method: Method = method.parse().expect("a method");
        let mut path = template.to_owned();
        for (name, value) in &self.ids {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let mut logs = vec![None];
        logs.extend(self.org.map(Some));
        let mut before = Vec::new();
        for &org in &logs {
            before.push(self.log(org).await.len());
        }
        let response = api.send(method, &path, body).await;
        assert!(
            response.is_success(),
            "{documented} as {path}: {} {}",
            response.status,
            response.body
        );
        let mut new = Vec::new();
        for (org, seen) in logs.into_iter().zip(before) {
            new.extend(self.log(org).await.into_iter().skip(seen));
        }
        assert_eq!(
            new.len(),
            1,
            "{documented} left {} events: {new:#?}",
            new.len()
        );
        let event = &new[0];
        let seen = format!("{} by {}", event.action, event.actor.kind);
        assert_eq!(seen, expected, "{documented}");
        assert_eq!(event.outcome.as_str(), "success", "{documented}");
        let details = serde_json::to_string(&event.details).expect("details serialize");
        for secret in ["kwi_", "kwr_", "kws_", "whsec_", "passphrase"] {
            assert!(
                !details.contains(secret),
                "{expected}: details hold {secret}"
            );
        }
        response.body
    }
}

pub async fn every_write_leaves_one_audit_event(backend: Backend) {
    let github = Github::new();
    let app = leak_app(&backend, &github).await;
    let (admin, anonymous) = (app.admin.clone(), app.anonymous());
    let mut t = Trail {
        app: &app,
        org: None,
        ids: BTreeMap::new(),
        covered: BTreeSet::new(),
    };
    let org = t
        .write(
            &admin,
            "POST /api/v1/orgs",
            Some(json!({"name": "Audited"})),
            "org.created by admin",
        )
        .await;
    let org_id: Uuid = text(&org, "id").parse().expect("an org id");
    t.org = Some(org_id);
    t.set("org", &org_id.to_string());

    // An owner joins through an invitation and signs in.
    let owner = json!({"email": "ada@example.com", "role": "owner"});
    let invited = t
        .write(
            &admin,
            "POST /api/v1/orgs/{org}/invitations",
            Some(owner),
            "member.invited by admin",
        )
        .await;
    let ada_joins = json!({"token": text(&invited, "token"), "name": "Ada Lovelace", "password": "a long passphrase 1"});
    let accepted = t
        .write(
            &anonymous,
            "POST /api/v1/invitations/accept",
            Some(ada_joins),
            "member.joined by user",
        )
        .await;
    let ada_id = accepted["user"]["id"]
        .as_str()
        .expect("a user id")
        .to_owned();
    let credentials = json!({"email": "ada@example.com", "password": "a long passphrase 1"});
    let login = t
        .write(
            &anonymous,
            "POST /api/v1/auth/login",
            Some(credentials),
            "auth.login_succeeded by user",
        )
        .await;
    let ada = bearer(&app, text(&login, "token"));

    t.write(
        &ada,
        "PATCH /api/v1/orgs/{org}",
        Some(json!({"name": "Audited Inc"})),
        "org.updated by user",
    )
    .await;
    let permission = json!({"name": "reports:read"});
    t.write(
        &ada,
        "POST /api/v1/orgs/{org}/permissions",
        Some(permission),
        "permission.created by user",
    )
    .await;

    // Keys, through the JSON API and the Dadosfera contract.
    let new_key = json!({"name": "nightly export", "scope": "organization"});
    let key = t
        .write(
            &ada,
            "POST /api/v1/orgs/{org}/keys",
            Some(new_key),
            "key.created by user",
        )
        .await;
    t.set("id", text(&key, "id"));
    t.write(
        &ada,
        "PATCH /api/v1/orgs/{org}/keys/{id}",
        Some(json!({"name": "nightly"})),
        "key.updated by user",
    )
    .await;
    let rolled = t
        .write(
            &ada,
            "POST /api/v1/orgs/{org}/keys/{id}/roll",
            Some(json!({"grace_seconds": 0})),
            "key.rolled by user",
        )
        .await;
    t.set("id", text(&rolled, "id"));
    t.write(
        &ada,
        "DELETE /api/v1/orgs/{org}/keys/{id}",
        None,
        "key.revoked by user",
    )
    .await;
    let catalog = ada.get("/permissions").await.body;
    let keys_read = catalog
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "keys:read"))
        .map(|p| p["id"].clone())
        .expect("keys:read in the catalog");
    let legacy = json!({"permissions": [keys_read], "name": "legacy"});
    let legacy = t
        .write(&ada, "POST /api-key", Some(legacy), "key.created by user")
        .await;
    t.set("id", text(&legacy, "id"));
    t.write(&ada, "DELETE /api-key/{id}", None, "key.revoked by user")
        .await;

    // Leaked keys: revoked by whoever holds one, reported by GitHub and by
    // another scanner.
    let org_ref = org_id.to_string();
    let held = app.create_key(&org_ref, json!({"name": "held", "scope": "organization"}));
    let held = json!({"token": text(&held.await, "key")});
    t.write(
        &anonymous,
        "POST /api/v1/keys/revoke",
        Some(held),
        "key.revoked by key_holder",
    )
    .await;
    let leaked = app.create_key(&org_ref, json!({"name": "leaked", "scope": "organization"}));
    let report = json!([{"token": text(&leaked.await, "key"), "type": "keyward_api_key",
        "url": "https://github.com/acme/app/blob/main/.env", "source": "content"}]);
    let github_api = github.signed(&anonymous, &serde_json::to_vec(&report).expect("JSON"));
    t.write(
        &github_api,
        "POST /api/v1/leaks/github",
        Some(report),
        "key.leaked by system",
    )
    .await;
    let scanned = app.create_key(
        &org_ref,
        json!({"name": "scanned", "scope": "organization"}),
    );
    let report = json!({"token": text(&scanned.await, "key"), "source": "pastebin"});
    let signature = hmac_signature(HMAC_SECRET, &serde_json::to_vec(&report).expect("JSON"));
    let scanner = anonymous
        .clone()
        .with_header("X-Keyward-Signature", &signature);
    t.write(
        &scanner,
        "POST /api/v1/leaks",
        Some(report),
        "key.leaked by system",
    )
    .await;

    // A member: invited, withdrawn, invited again, joined, promoted.
    let bob = json!({"email": "bob@example.com", "role": "member"});
    let withdrawn = t
        .write(
            &ada,
            "POST /api/v1/orgs/{org}/invitations",
            Some(bob),
            "member.invited by user",
        )
        .await;
    t.set("id", text(&withdrawn, "id"));
    t.write(
        &ada,
        "DELETE /api/v1/orgs/{org}/invitations/{id}",
        None,
        "invitation.withdrawn by user",
    )
    .await;
    let bob_invite = invite(&ada, &org_id.to_string(), "bob@example.com", "member")
        .await
        .body;
    let bob = accept_new(&app, text(&bob_invite, "token"), "Bob").await;
    t.set("user", &bob);
    let promote = Some(json!({"role": "admin"}));
    t.write(
        &ada,
        "PATCH /api/v1/orgs/{org}/members/{user}",
        promote,
        "member.role_changed by user",
    )
    .await;

    // Passwords: the owner changes hers (her session stays) and resets
    // the member's, who sets a new one with the link.
    let change =
        json!({"current_password": "a long passphrase 1", "new_password": "a longer passphrase 1"});
    t.write(
        &ada,
        "POST /api/v1/me/password",
        Some(change),
        "user.password_changed by user",
    )
    .await;
    let reset = t
        .write(
            &ada,
            "POST /api/v1/orgs/{org}/members/{user}/password-reset",
            None,
            "user.password_reset_issued by user",
        )
        .await;
    let new_password =
        json!({"token": text(&reset, "token"), "new_password": "a long passphrase 3"});
    t.write(
        &anonymous,
        "POST /api/v1/auth/password-reset",
        Some(new_password),
        "user.password_reset by user",
    )
    .await;

    // Roles, assigned to the member.
    let readers = json!({"name": "readers", "grants": ["keys:read"]});
    let role = t
        .write(
            &ada,
            "POST /api/v1/orgs/{org}/roles",
            Some(readers),
            "role.created by user",
        )
        .await;
    t.set("role", text(&role, "id"));
    let rename = Some(json!({"name": "key readers"}));
    t.write(
        &ada,
        "PATCH /api/v1/orgs/{org}/roles/{role}",
        rename,
        "role.updated by user",
    )
    .await;
    let member_role = "/api/v1/orgs/{org}/members/{user}/roles/{role}";
    t.write(
        &ada,
        &format!("PUT {member_role}"),
        None,
        "member.role_assigned by user",
    )
    .await;
    t.write(
        &ada,
        &format!("DELETE {member_role}"),
        None,
        "member.role_unassigned by user",
    )
    .await;

    // Teams, created by a key of the organization.
    let org_key = app.org_key(&org_id.to_string(), "automation").await;
    let automation = app.client_with_key(text(&org_key, "key"));
    let data = Some(json!({"name": "Data"}));
    let team = t
        .write(
            &automation,
            "POST /api/v1/orgs/{org}/teams",
            data,
            "team.created by key",
        )
        .await;
    t.set("team", text(&team, "id"));
    let team_member = "/api/v1/orgs/{org}/teams/{team}/members/{user}";
    let as_member = Some(json!({"role": "member"}));
    t.write(
        &ada,
        &format!("PUT {team_member}"),
        as_member,
        "team.member_added by user",
    )
    .await;
    t.write(
        &ada,
        &format!("DELETE {team_member}"),
        None,
        "team.member_removed by user",
    )
    .await;
    t.write(
        &ada,
        "DELETE /api/v1/orgs/{org}/teams/{team}",
        None,
        "team.deleted by user",
    )
    .await;

    // Service accounts.
    let etl = Some(json!({"name": "etl"}));
    let account = t
        .write(
            &ada,
            "POST /api/v1/orgs/{org}/service-accounts",
            etl,
            "service_account.created by user",
        )
        .await;
    t.set("account", text(&account, "id"));
    let account_path = "/api/v1/orgs/{org}/service-accounts/{account}";
    let describe = Some(json!({"description": "nightly loads"}));
    t.write(
        &ada,
        &format!("PATCH {account_path}"),
        describe,
        "service_account.updated by user",
    )
    .await;
    let account_role = format!("{account_path}/roles/{{role}}");
    t.write(
        &ada,
        &format!("PUT {account_role}"),
        None,
        "service_account.role_assigned by user",
    )
    .await;
    t.write(
        &ada,
        &format!("DELETE {account_role}"),
        None,
        "service_account.role_unassigned by user",
    )
    .await;

    // Groups.
    let analysts = Some(json!({"name": "analysts"}));
    let group = t
        .write(
            &ada,
            "POST /api/v1/orgs/{org}/groups",
            analysts,
            "group.created by user",
        )
        .await;
    t.set("group", text(&group, "id"));
    let group_role = "/api/v1/orgs/{org}/groups/{group}/roles/{role}";
    t.write(
        &ada,
        &format!("PUT {group_role}"),
        None,
        "group.role_added by user",
    )
    .await;
    t.write(
        &ada,
        &format!("DELETE {group_role}"),
        None,
        "group.role_removed by user",
    )
    .await;
    t.set("type", "user");
    t.set("id", &bob);
    let group_member = "/api/v1/orgs/{org}/groups/{group}/members/{type}/{id}";
    t.write(
        &ada,
        &format!("PUT {group_member}"),
        None,
        "group.member_added by user",
    )
    .await;
    t.write(
        &ada,
        &format!("DELETE {group_member}"),
        None,
        "group.member_removed by user",
    )
    .await;
    t.write(
        &ada,
        "PATCH /api/v1/orgs/{org}/groups/{group}",
        Some(json!({"name": "data analysts"})),
        "group.renamed by user",
    )
    .await;
    t.write(
        &ada,
        "DELETE /api/v1/orgs/{org}/groups/{group}",
        None,
        "group.deleted by user",
    )
    .await;
    t.write(
        &ada,
        &format!("DELETE {account_path}"),
        None,
        "service_account.deleted by user",
    )
    .await;
    t.write(
        &ada,
        "DELETE /api/v1/orgs/{org}/roles/{role}",
        None,
        "role.deleted by user",
    )
    .await;

    // Webhooks: an endpoint, changed, tested, its delivery retried, its
    // secret rolled, the expiry notice's days set, then deleted.
    let endpoint = json!({"url": "https://93.184.216.34/hook", "events": ["key.*"]});
    let webhook = t
        .write(
            &ada,
            "POST /api/v1/orgs/{org}/webhooks",
            Some(endpoint),
            "webhook.created by user",
        )
        .await;
    t.set("webhook", text(&webhook, "id"));
    t.write(
        &ada,
        "PATCH /api/v1/orgs/{org}/webhooks/{webhook}",
        Some(json!({"description": "audit sink"})),
        "webhook.updated by user",
    )
    .await;
    let tested = t
        .write(
            &ada,
            "POST /api/v1/orgs/{org}/webhooks/{webhook}/test",
            None,
            "webhook.tested by user",
        )
        .await;
    t.set("delivery", &tested["delivery_id"].to_string());
    t.write(
        &ada,
        "POST /api/v1/orgs/{org}/webhooks/{webhook}/deliveries/{delivery}/retry",
        None,
        "webhook.delivery_retried by user",
    )
    .await;
    t.write(
        &ada,
        "POST /api/v1/orgs/{org}/webhooks/{webhook}/roll-secret",
        None,
        "webhook.secret_rolled by user",
    )
    .await;
    t.write(
        &ada,
        "PUT /api/v1/orgs/{org}/webhook-settings",
        Some(json!({"expiring_days": 3})),
        "webhook.settings_updated by user",
    )
    .await;
    t.write(
        &ada,
        "DELETE /api/v1/orgs/{org}/webhooks/{webhook}",
        None,
        "webhook.deleted by user",
    )
    .await;

    // The member's account, their membership, the owner's session.
    let disable = Some(json!({"enabled": false}));
    t.write(
        &admin,
        "PATCH /api/v1/users/{user}",
        disable,
        "user.updated by admin",
    )
    .await;
    t.write(
        &ada,
        "DELETE /api/v1/orgs/{org}/members/{user}",
        None,
        "member.removed by user",
    )
    .await;
    t.write(
        &ada,
        "POST /api/v1/auth/logout",
        None,
        "auth.logout by user",
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
    // Member events name the user as their target.
    let joined = t.log(Some(org_id)).await;
    let ada_joined = joined
        .iter()
        .find(|e| e.action.as_str() == "member.joined")
        .expect("member.joined");
    assert_eq!(
        ada_joined.target.as_ref().map(|t| t.id.as_str()),
        Some(ada_id.as_str())
    );

    t.write(
        &admin,
        "DELETE /api/v1/orgs/{org}",
        None,
        "org.deleted by admin",
    )
    .await;

    let documented: BTreeSet<String> = operations(&app)
        .await
        .into_iter()
        // Verification and forward-auth answer about keys; they change nothing.
        .filter(|op| op.is_write() && !op.has_tag("verification"))
        .map(|op| op.label())
        .collect();
    let missing: Vec<&String> = documented.difference(&t.covered).collect();
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
pub(super) async fn events_of(app: &TestApp, org: Uuid, action: &str) -> Vec<AuditEvent> {
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

    // The portal's refusals count too: the member may not read the log.
    let page = app
        .anonymous()
        .with_header("Cookie", &format!("keyward_session={}", member.token))
        .send(Method::GET, "/orgs/denials/audit", None)
        .await;
    assert_eq!(page.status, 403);
    let denied = events_of(&app, org_id, "auth.denied").await;
    assert_eq!(denied.len(), 4, "{denied:#?}");
    assert_eq!(denied[3].details["operation"], "GET /orgs/{org}/audit");

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
    assert_eq!(denied.len(), 5, "{denied:#?}");
    assert_eq!(denied[4].actor.kind.as_str(), "key");
    assert_eq!(denied[4].details["status"], 401);
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

pub async fn request_ids_are_bounded_and_carried_into_events(backend: Backend) {
    let app = spawn_app(&backend).await;
    let chosen = app
        .admin
        .clone()
        .with_header("X-Request-Id", "trace-0123")
        .post(ORGS, json!({"name": "Traced"}))
        .await;
    assert_eq!(chosen.status, 201, "{}", chosen.body);
    assert_eq!(chosen.header("x-request-id"), Some("trace-0123"));
    let huge = "r".repeat(5000);
    let agent = "a".repeat(5000);
    let flooded = app
        .admin
        .clone()
        .with_header("X-Request-Id", &huge)
        .with_header("User-Agent", &agent)
        .post(ORGS, json!({"name": "Flooded"}))
        .await;
    assert_eq!(flooded.status, 201, "{}", flooded.body);
    let generated = app.admin.post(ORGS, json!({"name": "Plain"})).await;
    let generated_id = generated
        .header("x-request-id")
        .expect("a generated id")
        .to_owned();
    assert!(Uuid::parse_str(&generated_id).is_ok(), "{generated_id}");

    let log: Vec<AuditEvent> = app
        .state
        .store
        .audit_export(None, None, None)
        .try_collect()
        .await
        .expect("the audit log reads");
    let ids: Vec<Option<&str>> = log.iter().map(|e| e.request_id.as_deref()).collect();
    assert_eq!(ids[0], Some("trace-0123"));
    assert_eq!(
        ids[1].map(str::len),
        Some(256),
        "a client's id is cut to 256 characters"
    );
    assert_eq!(log[1].user_agent.as_deref().map(str::len), Some(256));
    assert_eq!(ids[2], Some(generated_id.as_str()));
}
