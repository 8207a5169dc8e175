//! The access model end to end: users and sessions, memberships and
//! invitations, teams, service accounts, roles and groups, key scopes,
//! live evaluation, tenant isolation and "no escalation". Every test runs
//! on SQLite and on PostgreSQL, as `access::sqlite::<test>` and
//! `access::postgres::<test>`, through the harness's `backend::run`.

mod audit_trail;
mod bootstrap;
mod escalation;
mod handouts;
mod invitations;
mod isolation;
mod live;
mod members;
mod openapi;
mod passwords;
mod read_only;
mod roles;
mod scopes;
mod service_accounts;
mod sessions;
mod teams;

use crate::api::{Api, ORGS, keys_path, permissions_path, text};
use crate::assertions::assert_status;
use crate::helpers::TestApp;
use keyward_client::{Method, RawResponse};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// [`crate::api_tests`] for this folder: `access::sqlite::<name>` and
/// `access::postgres::<name>` for each `module::name` of `access`.
macro_rules! access_tests {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::backend::run(crate::backend::Kind::Sqlite, super::$module::$name).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::backend::run(crate::backend::Kind::Postgres, super::$module::$name).await;
                }
            )*
        }
    };
}

access_tests! {
    audit_trail::every_write_leaves_one_audit_event,
    audit_trail::denied_calls_are_recorded_once_a_minute,
    audit_trail::failed_sign_ins_are_recorded_for_the_account_only,
    audit_trail::request_ids_are_bounded_and_carried_into_events,
    bootstrap::first_start_creates_a_default_owner_once,
    bootstrap::no_bootstrap_user_creates_nobody,
    sessions::login_opens_a_session_usable_as_bearer,
    sessions::logout_ends_the_session,
    sessions::login_failures_look_the_same,
    sessions::sessions_expire_after_twelve_hours,
    sessions::me_lists_every_org_with_role_and_live_grants,
    sessions::me_through_a_key_speaks_for_its_org_only,
    sessions::passwords_need_twelve_characters,
    passwords::changing_a_password_keeps_only_this_session,
    passwords::wrong_current_passwords_are_throttled_like_sign_ins,
    passwords::reset_links_work_once,
    passwords::expired_reset_links_are_refused,
    passwords::who_may_reset_passwords,
    bootstrap::a_lost_bootstrap_password_is_reset_on_the_server,
    invitations::invitation_creates_a_user_once,
    invitations::accept_adds_an_existing_user_to_another_org,
    invitations::expired_invitation_is_refused,
    invitations::bad_tokens_are_refused,
    invitations::withdrawn_invitation_is_refused,
    invitations::who_may_invite_whom,
    invitations::concurrent_accepts_use_the_invitation_once,
    invitations::the_token_alone_never_enrols_an_existing_account,
    members::members_are_listed_read_and_changed,
    members::only_higher_roles_hand_out_roles,
    members::last_owner_cannot_be_demoted,
    members::last_owner_cannot_be_removed,
    members::removing_a_member_revokes_their_user_keys,
    teams::teams_are_created_listed_and_read,
    teams::team_members_are_managed_by_team_owners,
    teams::team_roles_grant_on_the_team_resources,
    teams::deleting_a_team_revokes_its_keys,
    teams::leaving_a_team_applies_at_once,
    scopes::user_keys_act_with_their_owners_live_grants,
    scopes::user_keys_belong_to_signed_in_users,
    scopes::team_keys_need_a_team_and_its_owner,
    scopes::organization_keys_are_for_owners_only,
    scopes::read_only_keys_keep_read_only_grants,
    scopes::explicit_permissions_narrow_and_must_be_held,
    scopes::asked_resources_narrow_to_the_scope,
    live::disabling_a_user_stops_them_at_once,
    live::enabling_a_user_restores_their_keys,
    live::reenabling_a_user_revives_no_session,
    live::org_role_changes_apply_on_the_next_request,
    live::removal_applies_on_the_next_request,
    read_only::read_only_keys_change_nothing_anywhere,
    escalation::user_keys_create_only_subsets,
    escalation::sessions_create_only_what_their_user_may,
    escalation::team_keys_stay_in_their_team,
    escalation::org_keys_create_only_subsets,
    escalation::narrowed_keys_cannot_hand_out_org_roles,
    handouts::members_write_alone_makes_no_member,
    handouts::team_writers_cannot_make_themselves_team_owners,
    handouts::narrowed_team_keys_hand_out_no_more_than_they_hold,
    handouts::service_accounts_get_no_more_than_held,
    isolation::every_org_route_refuses_other_orgs,
    isolation::dadosfera_routes_refuse_other_orgs,
    isolation::org_less_routes_stay_in_the_callers_org,
    isolation::every_route_is_classified,
    roles::custom_roles_are_managed,
    roles::opendatasoft_example,
    roles::wider_resources_cover_narrower,
    roles::groups_carry_roles_to_their_members,
    roles::removing_a_role_applies_at_once,
    roles::removing_a_group_role_or_member_applies_at_once,
    roles::roles_cannot_hand_out_more_than_held,
    service_accounts::service_accounts_are_managed,
    service_accounts::service_account_keys_act_with_the_accounts_roles,
    service_accounts::service_account_keys_need_members_write,
    service_accounts::service_account_groups_grant_live,
    service_accounts::disabled_or_deleted_accounts_stop_their_keys,
    service_accounts::service_account_keys_create_only_subsets,
}

pub const PASSWORD: &str = "correct horse battery staple";
pub const LOGIN: &str = "/api/v1/auth/login";
pub const LOGOUT: &str = "/api/v1/auth/logout";
pub const ME: &str = "/api/v1/me";
pub const ACCEPT: &str = "/api/v1/invitations/accept";
pub const VERIFY: &str = "/api/v1/keys/verify";

/// keyward's built-in permissions that change nothing.
pub const READ_ONLY_BUILTINS: &[&str] = &[
    "keys:read",
    "keys:verify",
    "members:read",
    "teams:read",
    "roles:read",
    "audit:read",
    "org:read",
];

/// What the member role holds: the read-only built-ins but the audit
/// log's, which owners and admins hold.
pub const MEMBER_GRANTS: &[&str] = &[
    "keys:read",
    "keys:verify",
    "members:read",
    "teams:read",
    "roles:read",
    "org:read",
];

/// Every built-in permission.
pub const BUILTINS: &[&str] = &[
    "keys:read",
    "keys:write",
    "keys:verify",
    "members:read",
    "members:write",
    "teams:read",
    "teams:write",
    "roles:read",
    "roles:write",
    "audit:read",
    "org:read",
    "org:write",
    "webhooks:write",
];

pub fn invitations_path(org: &str) -> String {
    format!("{ORGS}/{org}/invitations")
}

pub fn members_path(org: &str) -> String {
    format!("{ORGS}/{org}/members")
}

pub fn member_path(org: &str, user: &str) -> String {
    format!("{ORGS}/{org}/members/{user}")
}

pub fn member_role_path(org: &str, user: &str, role: &str) -> String {
    format!("{ORGS}/{org}/members/{user}/roles/{role}")
}

pub fn teams_path(org: &str) -> String {
    format!("{ORGS}/{org}/teams")
}

pub fn team_path(org: &str, team: &str) -> String {
    format!("{ORGS}/{org}/teams/{team}")
}

pub fn team_member_path(org: &str, team: &str, user: &str) -> String {
    format!("{ORGS}/{org}/teams/{team}/members/{user}")
}

pub fn roles_path(org: &str) -> String {
    format!("{ORGS}/{org}/roles")
}

pub fn role_path(org: &str, role: &str) -> String {
    format!("{ORGS}/{org}/roles/{role}")
}

pub fn groups_path(org: &str) -> String {
    format!("{ORGS}/{org}/groups")
}

pub fn group_path(org: &str, group: &str) -> String {
    format!("{ORGS}/{org}/groups/{group}")
}

pub fn service_accounts_path(org: &str) -> String {
    format!("{ORGS}/{org}/service-accounts")
}

pub fn service_account_path(org: &str, account: &str) -> String {
    format!("{ORGS}/{org}/service-accounts/{account}")
}

pub fn user_path(user: &str) -> String {
    format!("/api/v1/users/{user}")
}

/// `PUT` with an optional JSON body.
pub async fn put(api: &Api, path: &str, body: Option<Value>) -> RawResponse {
    api.send(Method::PUT, path, body).await
}

/// A client sending `token` as `Authorization: Bearer`.
pub fn bearer(app: &TestApp, token: &str) -> Api {
    app.anonymous()
        .with_header("Authorization", &format!("Bearer {token}"))
}

/// A signed-in user: their id, session token and a client using it.
#[derive(Clone)]
pub struct Person {
    pub id: String,
    pub token: String,
    pub api: Api,
}

impl Person {
    /// Creates a key in `org` with this user's session; returns the 201 body.
    pub async fn create_key(&self, org: &str, body: Value) -> Value {
        let response = self.api.post(&keys_path(org), body).await;
        assert_status(&response, 201);
        response.body
    }

    /// A `user` key of this user in `org`.
    pub async fn user_key(&self, org: &str, name: &str) -> Value {
        self.create_key(org, json!({ "name": name, "scope": "user" }))
            .await
    }
}

pub async fn invite(api: &Api, org: &str, email: &str, role: &str) -> RawResponse {
    api.post(
        &invitations_path(org),
        json!({ "email": email, "role": role }),
    )
    .await
}

pub async fn accept(app: &TestApp, token: &str, name: &str, password: &str) -> RawResponse {
    app.anonymous()
        .post(
            ACCEPT,
            json!({ "token": token, "name": name, "password": password }),
        )
        .await
}

/// Accepts an invitation as the signed-in `person` (their session).
pub async fn accept_signed_in(person: &Person, token: &str) -> RawResponse {
    person.api.post(ACCEPT, json!({ "token": token })).await
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> RawResponse {
    app.anonymous()
        .post(LOGIN, json!({ "email": email, "password": password }))
        .await
}

/// Signs `email` in with [`PASSWORD`].
pub async fn sign_in(app: &TestApp, email: &str) -> Person {
    let response = login(app, email, PASSWORD).await;
    assert_status(&response, 200);
    let token = text(&response.body, "token").to_owned();
    let api = bearer(app, &token);
    let me = api.get(ME).await;
    assert_status(&me, 200);
    Person {
        id: text(&me.body["user"], "id").to_owned(),
        token,
        api,
    }
}

/// Invites `email` into `org` with `role` (admin key), accepts (as a new
/// user with [`PASSWORD`], or signed in if the email has an account) and
/// signs in.
pub async fn join(app: &TestApp, org: &str, email: &str, role: &str) -> Person {
    let invited = invite(&app.admin, org, email, role).await;
    assert_status(&invited, 201);
    let token = text(&invited.body, "token");
    // An existing account joins with its own session. (Asked of the store,
    // not by a sign-in attempt that would count against the address.)
    let existing = app.state.store.user_credentials(email).await.unwrap();
    if existing.is_some() {
        let person = sign_in(app, email).await;
        assert_status(&accept_signed_in(&person, token).await, 201);
        return person;
    }
    let name = email.split('@').next().unwrap_or(email);
    assert_status(&accept(app, token, name, PASSWORD).await, 201);
    sign_in(app, email).await
}

/// An organization `acme` with an owner, an admin and a member.
pub struct Acme {
    pub owner: Person,
    pub admin: Person,
    pub member: Person,
}

pub async fn acme(app: &TestApp) -> Acme {
    app.create_org("Acme").await;
    Acme {
        owner: join(app, "acme", "owner@acme.test", "owner").await,
        admin: join(app, "acme", "admin@acme.test", "admin").await,
        member: join(app, "acme", "member@acme.test", "member").await,
    }
}

/// Creates a team with `api`; returns its id.
pub async fn create_team(api: &Api, org: &str, name: &str) -> String {
    let response = api.post(&teams_path(org), json!({ "name": name })).await;
    assert_status(&response, 201);
    text(&response.body, "id").to_owned()
}

/// Puts `user` in `team` with `role`.
pub async fn set_team_member(api: &Api, org: &str, team: &str, user: &str, role: &str) {
    let response = put(
        api,
        &team_member_path(org, team, user),
        Some(json!({ "role": role })),
    )
    .await;
    assert_status(&response, 204);
}

/// Registers a platform permission in `org` (admin key).
pub async fn register_permission(app: &TestApp, org: &str, name: &str, read_only: bool) -> Value {
    let response = app
        .admin
        .post(
            &permissions_path(org),
            json!({ "name": name, "read_only": read_only }),
        )
        .await;
    assert_status(&response, 201);
    response.body
}

/// Creates a custom role with `api`; returns its id.
pub async fn create_role(api: &Api, org: &str, name: &str, grants: Value) -> String {
    let response = api
        .post(&roles_path(org), json!({ "name": name, "grants": grants }))
        .await;
    assert_status(&response, 201);
    text(&response.body, "id").to_owned()
}

/// Creates a service account with `api`; returns its id.
pub async fn create_service_account(api: &Api, org: &str, name: &str) -> String {
    let response = api
        .post(
            &service_accounts_path(org),
            json!({ "name": name, "description": "a robot" }),
        )
        .await;
    assert_status(&response, 201);
    text(&response.body, "id").to_owned()
}

/// `{permission, resource}`.
pub fn grant(permission: &str, resource: &str) -> Value {
    json!({ "permission": permission, "resource": resource })
}

/// Grants of a JSON list, as `(permission, resource)` pairs.
pub fn grant_set(grants: &Value) -> BTreeSet<(String, String)> {
    grants
        .as_array()
        .unwrap_or_else(|| panic!("not a list of grants: {grants}"))
        .iter()
        .map(|g| {
            (
                text(g, "permission").to_owned(),
                text(g, "resource").to_owned(),
            )
        })
        .collect()
}

/// Every permission of `names` on each of `resources`.
pub fn all_on(names: &[&str], resources: &[&str]) -> BTreeSet<(String, String)> {
    names
        .iter()
        .flat_map(|p| resources.iter().map(|r| ((*p).to_owned(), (*r).to_owned())))
        .collect()
}

/// `POST /api/v1/keys/verify` with the admin key; the 200 body.
pub async fn verify(
    app: &TestApp,
    key: &str,
    permission: Option<&str>,
    resource: Option<&str>,
) -> Value {
    let mut body = json!({ "key": key });
    if let Some(permission) = permission {
        body["permission"] = json!(permission);
    }
    if let Some(resource) = resource {
        body["resource"] = json!(resource);
    }
    let response = app.admin.post(VERIFY, body).await;
    assert_status(&response, 200);
    response.body
}

/// The verification code of `key` (with `permission` on `resource`, if given).
pub async fn verify_code(
    app: &TestApp,
    key: &str,
    permission: Option<&str>,
    resource: Option<&str>,
) -> String {
    let body = verify(app, key, permission, resource).await;
    text(&body, "code").to_owned()
}

/// Asserts the verification code of `key` for `permission` on `resource`.
pub async fn assert_code(app: &TestApp, key: &str, permission: &str, resource: &str, code: &str) {
    let body = verify(app, key, Some(permission), Some(resource)).await;
    assert_eq!(body["code"], code, "{permission} on {resource}: {body}");
}

/// The live grants `/me` reports for `org` (slug).
pub async fn me_grants(api: &Api, org: &str) -> BTreeSet<(String, String)> {
    let me = api.get(ME).await;
    assert_status(&me, 200);
    let membership = me.body["organizations"]
        .as_array()
        .unwrap_or_else(|| panic!("no organizations in {}", me.body))
        .iter()
        .find(|m| m["slug"] == org)
        .unwrap_or_else(|| panic!("{org} is not in {}", me.body))
        .clone();
    grant_set(&membership["grants"])
}
