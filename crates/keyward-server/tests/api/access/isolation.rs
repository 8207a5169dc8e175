//! Tenant isolation, table-driven over the whole router: a key, a session
//! and a service-account key of organization A get 403 on every operation
//! of organization B (the admin key aside), the Dadosfera routes included.
//! The table is the OpenAPI document, so a new route is covered the moment
//! it is added; a route that names no organization must be classified here.

use super::openapi::{Ids, Operation, id_of, operations};
use super::{
    BUILTINS, ME, VERIFY, all_on, create_role, create_service_account, create_team, groups_path,
    invitations_path, join, put, service_account_path, user_path, verify,
};
use crate::api::{Api, ORGS, keys_path, org_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use keyward_client::Method;
use serde_json::{Value, json};

/// Operations that name no organization, and why they can't leak one.
const ORG_LESS: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/api/v1/orgs",
        "lists only the caller's organizations",
    ),
    ("POST", "/api/v1/orgs", "admin key only"),
    ("POST", "/api/v1/auth/login", "public: email and password"),
    (
        "POST",
        "/api/v1/auth/logout",
        "ends the caller's own session",
    ),
    ("GET", "/api/v1/me", "the caller's own memberships"),
    (
        "POST",
        "/api/v1/me/password",
        "the signed-in user's own password",
    ),
    (
        "POST",
        "/api/v1/auth/password-reset",
        "public: the token names the account; it answers nothing about it",
    ),
    (
        "POST",
        "/api/v1/invitations/accept",
        "the token names the organization; an existing account accepts with its own session",
    ),
    ("PATCH", "/api/v1/users/{user}", "admin key only"),
    (
        "POST",
        "/api/v1/keys/verify",
        "answers NOT_FOUND for other organizations' keys",
    ),
    (
        "GET",
        "/api/v1/auth/forward",
        "a key speaks for its own organization",
    ),
    (
        "POST",
        "/api/v1/auth/forward",
        "a key speaks for its own organization",
    ),
    (
        "PUT",
        "/api/v1/auth/forward",
        "a key speaks for its own organization",
    ),
    (
        "PATCH",
        "/api/v1/auth/forward",
        "a key speaks for its own organization",
    ),
    (
        "DELETE",
        "/api/v1/auth/forward",
        "a key speaks for its own organization",
    ),
    (
        "POST",
        "/api/v1/keys/revoke",
        "public: the token is the credential; the answer is the same for any token",
    ),
    (
        "POST",
        "/api/v1/leaks/github",
        "signed by GitHub; answers only whether each reported token is a key",
    ),
    (
        "POST",
        "/api/v1/leaks",
        "signed with the shared secret; answers only whether the token is a key",
    ),
    ("GET", "/api/v1/audit", "admin key only"),
    ("GET", "/api/v1/audit/export", "admin key only"),
    ("GET", "/api/v1/audit/verify", "admin key only"),
    ("GET", "/healthz", "no data"),
    ("GET", "/readyz", "no data"),
    (
        "GET",
        "/metrics",
        "process-wide counters, no organization's data",
    ),
];

/// The three credentials of organization A.
struct Tenant {
    slug: &'static str,
    org_id: String,
    session: Api,
    key: Value,
    service_account_key: Value,
}

impl Tenant {
    fn credentials(&self, app: &TestApp) -> Vec<(&'static str, Api)> {
        vec![
            (
                "organization key",
                app.client_with_key(text(&self.key, "key")),
            ),
            ("session", self.session.clone()),
            (
                "service-account key",
                app.client_with_key(text(&self.service_account_key, "key")),
            ),
        ]
    }
}

/// `acme` (A) with its three credentials, each holding everything there.
async fn tenant_a(app: &TestApp) -> Tenant {
    let org = app.create_org("Acme").await;
    let owner = join(app, "acme", "owner@acme.test", "owner").await;
    let key = owner
        .create_key("acme", json!({ "name": "a", "scope": "organization" }))
        .await;
    let everything: Vec<Value> = BUILTINS
        .iter()
        .map(|p| json!({ "permission": p, "resource": "*" }))
        .collect();
    let role = create_role(&owner.api, "acme", "everything", json!(everything)).await;
    let account = create_service_account(&owner.api, "acme", "robot").await;
    let assigned = put(
        &owner.api,
        &format!("{}/roles/{role}", service_account_path("acme", &account)),
        None,
    )
    .await;
    assert_status(&assigned, 204);
    let service_account_key = owner
        .create_key(
            "acme",
            json!({ "name": "sa", "scope": "service_account", "service_account_id": account }),
        )
        .await;
    let verified = verify(app, text(&service_account_key, "key"), None, None).await;
    assert_eq!(
        super::grant_set(&verified["grants"]),
        all_on(BUILTINS, &["*"]),
        "the service account should hold everything in A: {verified}"
    );
    Tenant {
        slug: "acme",
        org_id: id_of(&org),
        session: owner.api,
        key,
        service_account_key,
    }
}

/// `beta` (B), with one of everything; returns its real ids and its key.
async fn tenant_b(app: &TestApp) -> (Ids, Value) {
    app.create_org("Beta").await;
    let owner = join(app, "beta", "owner@beta.test", "owner").await;
    let member = join(app, "beta", "member@beta.test", "member").await;
    let key = app.org_key("beta", "b").await;
    let team = create_team(&owner.api, "beta", "Their team").await;
    let role = create_role(
        &owner.api,
        "beta",
        "readers",
        json!([{ "permission": "keys:read", "resource": "*" }]),
    )
    .await;
    let group = owner
        .api
        .post(
            &groups_path("beta"),
            json!({ "name": "group", "roles": [role], "members": [{ "type": "user", "id": member.id }] }),
        )
        .await;
    assert_status(&group, 201);
    let account = create_service_account(&owner.api, "beta", "their robot").await;
    let invitation = super::invite(&owner.api, "beta", "later@beta.test", "member").await;
    assert_status(&invitation, 201);
    let ids = Ids::random("beta")
        .with("keys", text(&key, "id"))
        .with("api-key", text(&key, "id"))
        .with("invitations", &id_of(&invitation.body))
        .with("members", &member.id)
        .with("users", &member.id)
        .with("teams", &team)
        .with("roles", &role)
        .with("groups", &id_of(&group.body))
        .with("service-accounts", &account);
    (ids, key)
}

/// Sends `op` with `api`; `None` if it was refused with 403, else a
/// description of what happened instead.
async fn refused(api: &Api, op: &Operation, ids: &Ids, who: &str) -> Option<String> {
    let path = ids.fill(&op.path);
    let response = api.send(op.method.clone(), &path, op.body.clone()).await;
    (response.status != 403).then(|| {
        format!(
            "{who}: {} {path} answered {}: {}",
            op.method, response.status, response.body
        )
    })
}

/// B is as it was: its key, its owner's session, its team and members.
async fn assert_b_untouched(app: &TestApp, ids: &Ids, key: &Value) {
    assert_eq!(
        verify(app, text(key, "key"), None, None).await["code"],
        "VALID"
    );
    let org = app.admin.get(&org_path("beta")).await;
    assert_status(&org, 200);
    assert_eq!(org.body["name"], "Beta");
    assert_eq!(org.body["key_prefix"], "kw");
    let members = app.admin.get(&format!("{ORGS}/beta/members")).await;
    assert_eq!(
        members.body.as_array().unwrap().len(),
        2,
        "{}",
        members.body
    );
    let team = &ids.by_collection["teams"];
    assert_status(
        &app.admin.get(&format!("{ORGS}/beta/teams/{team}")).await,
        200,
    );
    let keys = app.admin.get(&keys_path("beta")).await;
    assert_eq!(
        keys.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        keys.body
    );
    let invitations = app.admin.get(&invitations_path("beta")).await;
    assert_eq!(invitations.body.as_array().unwrap().len(), 1);
}

pub async fn every_org_route_refuses_other_orgs(backend: Backend) {
    let app = spawn_app(&backend).await;
    let a = tenant_a(&app).await;
    let (b, b_key) = tenant_b(&app).await;
    let table: Vec<Operation> = operations(&app)
        .await
        .into_iter()
        .filter(|op| op.path.contains("{org}"))
        .collect();
    assert!(
        table.len() >= 30,
        "only {} operations name an organization: {:?}",
        table.len(),
        table.iter().map(Operation::label).collect::<Vec<_>>()
    );
    // The credentials work in their own organization.
    for (who, api) in a.credentials(&app) {
        let own = api.get(&org_path(a.slug)).await;
        assert_eq!(own.status, 200, "{who} in its own org: {}", own.body);
    }
    let mut leaks = Vec::new();
    for ids in [
        b.clone(),
        Ids::random("beta"),
        Ids::random(&b_org_id(&app).await),
    ] {
        for (who, api) in a.credentials(&app) {
            for op in &table {
                leaks.extend(refused(&api, op, &ids, who).await);
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} of {} calls into B were not refused:\n{}",
        leaks.len(),
        table.len() * 9,
        leaks.join("\n")
    );
    assert_b_untouched(&app, &b, &b_key).await;
    // And A's credentials still work: nothing was revoked along the way.
    for (who, api) in a.credentials(&app) {
        let own = api.get(&org_path(a.slug)).await;
        assert_eq!(own.status, 200, "{who} in its own org: {}", own.body);
    }
}

async fn b_org_id(app: &TestApp) -> String {
    let org = app.admin.get(&org_path("beta")).await;
    id_of(&org.body)
}

pub async fn dadosfera_routes_refuse_other_orgs(backend: Backend) {
    let app = spawn_app(&backend).await;
    let a = tenant_a(&app).await;
    let (b, b_key) = tenant_b(&app).await;
    let table: Vec<Operation> = operations(&app)
        .await
        .into_iter()
        .filter(|op| op.has_tag("dadosfera"))
        .collect();
    let labels: Vec<String> = table.iter().map(Operation::label).collect();
    for expected in [
        "GET /api-key",
        "POST /api-key",
        "DELETE /api-key/{id}",
        "GET /permissions",
    ] {
        assert!(
            labels.iter().any(|l| l == expected),
            "{expected} in {labels:?}"
        );
    }
    let b_id = b_org_id(&app).await;
    let mut leaks = Vec::new();
    for named in ["beta", b_id.as_str()] {
        for (who, api) in a.credentials(&app) {
            let api = api.with_header("X-Keyward-Org", named);
            for ids in [b.clone(), Ids::random("beta")] {
                for op in &table {
                    let who = format!("{who} naming {named}");
                    leaks.extend(refused(&api, op, &ids, &who).await);
                }
            }
        }
    }
    assert!(leaks.is_empty(), "not refused:\n{}", leaks.join("\n"));
    assert_b_untouched(&app, &b, &b_key).await;
    // Without the header, each credential gets its own organization.
    for (who, api) in a.credentials(&app) {
        let own = api.get("/api-key").await;
        assert_eq!(own.status, 200, "{who}: {}", own.body);
        let ids: Vec<&str> = own
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|k| text(k, "id"))
            .collect();
        assert!(!ids.contains(&text(&b_key, "id")), "{who} sees B's key");
        let named = api
            .with_header("X-Keyward-Org", a.slug)
            .get("/permissions")
            .await;
        assert_eq!(named.status, 200, "{who}: {}", named.body);
    }
}

pub async fn org_less_routes_stay_in_the_callers_org(backend: Backend) {
    let app = spawn_app(&backend).await;
    let a = tenant_a(&app).await;
    let (b, b_key) = tenant_b(&app).await;
    let a_key = text(&a.key, "key").to_owned();
    for (who, api) in a.credentials(&app) {
        let listed = api.get(ORGS).await;
        assert_status(&listed, 200);
        let slugs: Vec<&str> = listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|o| text(o, "slug"))
            .collect();
        assert_eq!(slugs, ["acme"], "{who}");
        // Verification answers about A's keys only.
        let theirs = api
            .post(VERIFY, json!({ "key": text(&b_key, "key") }))
            .await;
        assert_status(&theirs, 200);
        assert_eq!(theirs.body["code"], "NOT_FOUND", "{who}: {}", theirs.body);
        assert!(theirs.body["key_id"].is_null(), "{who}: {}", theirs.body);
        assert!(theirs.body["organization_id"].is_null());
        let ours = api.post(VERIFY, json!({ "key": a_key })).await;
        assert_eq!(ours.body["code"], "VALID", "{who}: {}", ours.body);
        assert_eq!(ours.body["organization_id"], a.org_id.as_str());
        // Naming B doesn't widen it.
        let named = api
            .clone()
            .with_header("X-Keyward-Org", "beta")
            .post(VERIFY, json!({ "key": text(&b_key, "key") }))
            .await;
        assert_ne!(named.body["code"], "VALID", "{who}: {}", named.body);
        // Users are the admin key's.
        let user = &b.by_collection["users"];
        let refused = api
            .patch(&user_path(user), json!({ "enabled": false }))
            .await;
        assert_error(&refused, 403, "FORBIDDEN");
        let created = api.post(ORGS, json!({ "name": "Gamma" })).await;
        assert_error(&created, 403, "FORBIDDEN");
    }
    let me = a.session.get(ME).await;
    let orgs: Vec<&str> = me.body["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| text(o, "slug"))
        .collect();
    assert_eq!(orgs, ["acme"]);
    assert_b_untouched(&app, &b, &b_key).await;
}

/// Each operation either names an organization (`{org}`), is part of the
/// Dadosfera contract (an organization by credential or `X-Keyward-Org`),
/// or is listed in [`ORG_LESS`] with the reason it can't leak one.
pub async fn every_route_is_classified(backend: Backend) {
    let app = spawn_app(&backend).await;
    let all = operations(&app).await;
    let mut unclassified = Vec::new();
    for op in &all {
        let method = op.method.as_str();
        let listed = ORG_LESS
            .iter()
            .any(|(m, p, _)| *m == method && *p == op.path);
        let classified = op.path.contains("{org}") || op.has_tag("dadosfera") || listed;
        if !classified {
            unclassified.push(op.label());
        }
    }
    assert!(
        unclassified.is_empty(),
        "operations that name no organization and aren't classified in access/isolation.rs: {unclassified:?}"
    );
    for (method, path, why) in ORG_LESS {
        assert!(
            all.iter()
                .any(|op| op.method.as_str() == *method && op.path == *path),
            "{method} {path} ({why}) is no longer documented"
        );
    }
    assert!(all.iter().any(|op| op.method == Method::DELETE));
}
