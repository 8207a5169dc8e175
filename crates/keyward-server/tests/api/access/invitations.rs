//! Invitations: by email, with a role; a single-use token, shown once,
//! that expires after seven days.

use super::{
    PASSWORD, accept, accept_signed_in, acme, invitations_path, invite, join, login, me_grants,
    members_path, sign_in,
};
use crate::api::text;
use crate::assertions::{assert_error, assert_fields, assert_status, assert_validation};
use crate::backend::Backend;
use crate::helpers::spawn_app;
use chrono::{DateTime, Duration, Utc};
use keyward_core::Clock;

fn invitation_id(body: &serde_json::Value) -> String {
    text(body, "id").to_owned()
}

pub async fn invitation_creates_a_user_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Acme").await;
    let invited = invite(&app.admin, "acme", "New.Person@Acme.test", "admin").await;
    assert_status(&invited, 201);
    let body = &invited.body;
    assert_fields(
        body,
        &[
            "id",
            "organization_id",
            "email",
            "role",
            "created_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "token",
            "accept_url",
        ],
    );
    assert_eq!(body["organization_id"], org["id"]);
    assert_eq!(body["email"], "new.person@acme.test");
    assert_eq!(body["role"], "admin");
    assert_eq!(body["created_by"], "admin");
    assert!(body["accepted_at"].is_null());
    let created: DateTime<Utc> = text(body, "created_at").parse().unwrap();
    let expires: DateTime<Utc> = text(body, "expires_at").parse().unwrap();
    assert_eq!(created, app.clock.now());
    assert_eq!(expires - created, Duration::days(7));
    let token = text(body, "token").to_owned();
    assert!(token.starts_with("kwi_"), "{token}");
    // The link carries the token in its fragment, never sent to a server.
    assert!(
        text(body, "accept_url").ends_with(&format!("#{token}")),
        "{body}"
    );

    // Listed while pending, without the token: it is shown once.
    let pending = app.admin.get(&invitations_path("acme")).await;
    assert_status(&pending, 200);
    let pending = pending.body.as_array().unwrap().clone();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], body["id"]);
    assert!(pending[0].get("token").is_none(), "{}", pending[0]);
    assert!(!pending[0].to_string().contains(&token));

    let accepted = accept(&app, &token, "New Person", PASSWORD).await;
    assert_status(&accepted, 201);
    assert_fields(&accepted.body, &["user", "organization_id", "role"]);
    assert_eq!(accepted.body["organization_id"], org["id"]);
    assert_eq!(accepted.body["role"], "admin");
    let user = &accepted.body["user"];
    assert_eq!(user["email"], "new.person@acme.test");
    assert_eq!(user["name"], "New Person");
    assert_eq!(user["enabled"], true);
    assert!(user.get("password_hash").is_none(), "{user}");

    // Single use.
    let again = accept(&app, &token, "Someone Else", PASSWORD).await;
    assert_error(&again, 404, "NOT_FOUND");
    let pending = app.admin.get(&invitations_path("acme")).await;
    assert_eq!(pending.body, serde_json::json!([]));

    // The new user is a member with the invited role and can sign in.
    let members = app.admin.get(&members_path("acme")).await;
    let found = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == user["id"])
        .cloned()
        .unwrap_or_else(|| panic!("not a member: {}", members.body));
    assert_eq!(found["role"], "admin");
    let person = sign_in(&app, "new.person@acme.test").await;
    assert_eq!(person.id, text(user, "id"));
}

pub async fn accept_adds_an_existing_user_to_another_org(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    app.create_org("Beta").await;
    let invited = invite(&app.admin, "beta", "MEMBER@acme.test", "admin").await;
    assert_status(&invited, 201);
    // The invited account accepts with its own session.
    let accepted = accept_signed_in(&people.member, text(&invited.body, "token")).await;
    assert_status(&accepted, 201);
    // The same user, unchanged, now in both organizations.
    assert_eq!(accepted.body["user"]["id"], people.member.id.as_str());
    assert_eq!(accepted.body["user"]["name"], "member");
    assert_eq!(accepted.body["role"], "admin");
    assert_status(&login(&app, "member@acme.test", PASSWORD).await, 200);
    // The existing session sees the new organization at once.
    let session = &people.member.api;
    assert!(!me_grants(session, "beta").await.is_empty());
    let beta_members = session.get(&members_path("beta")).await;
    assert_status(&beta_members, 200);

    // An invitation to an organization one already belongs to keeps the role.
    let twice = invite(&app.admin, "acme", "member@acme.test", "admin").await;
    assert_status(&twice, 201);
    let accepted = accept_signed_in(&people.member, text(&twice.body, "token")).await;
    assert_status(&accepted, 201);
    let member = app
        .admin
        .get(&super::member_path("acme", &people.member.id))
        .await;
    assert_eq!(member.body["role"], "member", "{}", member.body);
}

/// Another organization's admin invites an existing user's email and
/// accepts with the token alone: refused, and no answer to the inviter
/// tells who the account is. The account's own session accepts it.
pub async fn the_token_alone_never_enrols_an_existing_account(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    app.create_org("Beta").await;
    let beta_admin = join(&app, "beta", "boss@beta.test", "admin").await;
    let victim = &people.member;
    // The account's id, or any user or name at all.
    let reveals = |body: &serde_json::Value| {
        let text = body.to_string();
        text.contains(&victim.id) || text.contains("\"user\"") || text.contains("\"name\"")
    };

    let invited = invite(&beta_admin.api, "beta", "member@acme.test", "member").await;
    assert_status(&invited, 201);
    let unknown = invite(&beta_admin.api, "beta", "nobody@acme.test", "member").await;
    assert_status(&unknown, 201);
    // Creating and listing look the same for an email with an account.
    let keys = |body: &serde_json::Value| {
        let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&invited.body), keys(&unknown.body));
    assert!(!reveals(&invited.body), "{}", invited.body);
    let listed = beta_admin.api.get(&invitations_path("beta")).await;
    assert!(!reveals(&listed.body), "{}", listed.body);

    let token = text(&invited.body, "token");
    let refused = accept(&app, token, "Mallory", PASSWORD).await;
    assert_error(&refused, 401, "UNAUTHENTICATED");
    assert!(!reveals(&refused.body), "{}", refused.body);
    // Nor with the inviter's own session, nor with a key.
    let as_inviter = accept_signed_in(&beta_admin, token).await;
    assert_error(&as_inviter, 403, "FORBIDDEN");
    assert!(!reveals(&as_inviter.body), "{}", as_inviter.body);
    let key = app.org_key("beta", "machine").await;
    let with_key = app
        .client_with_key(text(&key, "key"))
        .post(super::ACCEPT, serde_json::json!({ "token": token }))
        .await;
    assert_error(&with_key, 403, "FORBIDDEN");
    // Nothing happened: not a member of beta, invitation still pending,
    // the password unchanged.
    let members = app.admin.get(&members_path("beta")).await;
    assert!(!members.body.to_string().contains(&victim.id));
    let pending = app.admin.get(&invitations_path("beta")).await;
    assert_eq!(
        pending.body.as_array().unwrap().len(),
        2,
        "{}",
        pending.body
    );
    assert_error(
        &login(&app, "member@acme.test", "a long enough password").await,
        401,
        "UNAUTHENTICATED",
    );

    // The account's own session accepts.
    let accepted = accept_signed_in(victim, token).await;
    assert_status(&accepted, 201);
    assert_eq!(accepted.body["user"]["id"], victim.id.as_str());
    assert!(!me_grants(&victim.api, "beta").await.is_empty());
    // A new account needs a name and a password.
    let unknown_token = text(&unknown.body, "token");
    let missing = app
        .anonymous()
        .post(super::ACCEPT, serde_json::json!({ "token": unknown_token }))
        .await;
    assert_error(&missing, 422, "VALIDATION_FAILED");
    assert_status(&accept(&app, unknown_token, "Nobody", PASSWORD).await, 201);
}

pub async fn expired_invitation_is_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let early = invite(&app.admin, "acme", "early@acme.test", "member").await;
    let late = invite(&app.admin, "acme", "late@acme.test", "member").await;
    app.clock
        .advance(Duration::days(7) - Duration::milliseconds(1));
    let accepted = accept(&app, text(&early.body, "token"), "Early", PASSWORD).await;
    assert_status(&accepted, 201);
    app.clock.advance(Duration::milliseconds(1));
    let expired = accept(&app, text(&late.body, "token"), "Late", PASSWORD).await;
    assert_error(&expired, 404, "NOT_FOUND");
    app.clock.advance(Duration::days(30));
    let expired = accept(&app, text(&late.body, "token"), "Late", PASSWORD).await;
    assert_error(&expired, 404, "NOT_FOUND");
    assert_error(
        &login(&app, "late@acme.test", PASSWORD).await,
        401,
        "UNAUTHENTICATED",
    );
}

pub async fn bad_tokens_are_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let invited = invite(&app.admin, "acme", "someone@acme.test", "member").await;
    let token = text(&invited.body, "token").to_owned();
    let key = app.org_key("acme", "machine").await;
    let (head, _) = token.split_at(token.len() - 1);
    for bad in [
        "",
        "garbage",
        head,
        &format!("{head}A"),
        &format!("{head}B"),
        text(&key, "key"),
    ] {
        if bad == token {
            continue;
        }
        let refused = accept(&app, bad, "Someone", PASSWORD).await;
        assert_error(&refused, 404, "NOT_FOUND");
    }
    // None of them touched the real one.
    assert_status(&accept(&app, &token, "Someone", PASSWORD).await, 201);
}

pub async fn withdrawn_invitation_is_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let invited = invite(&people.admin.api, "acme", "later@acme.test", "member").await;
    assert_status(&invited, 201);
    let path = format!(
        "{}/{}",
        invitations_path("acme"),
        invitation_id(&invited.body)
    );
    // Members can't withdraw; admins can.
    assert_error(&people.member.api.delete(&path).await, 403, "FORBIDDEN");
    assert_status(&people.admin.api.delete(&path).await, 204);
    assert_error(&people.admin.api.delete(&path).await, 404, "NOT_FOUND");
    let refused = accept(&app, text(&invited.body, "token"), "Later", PASSWORD).await;
    assert_error(&refused, 404, "NOT_FOUND");
}

pub async fn who_may_invite_whom(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    // Members lack members:write.
    for role in ["member", "admin", "owner"] {
        let refused = invite(&people.member.api, "acme", "x@acme.test", role).await;
        assert_error(&refused, 403, "FORBIDDEN");
    }
    // They may see who is invited (members:read), without the tokens.
    let pending = people.member.api.get(&invitations_path("acme")).await;
    assert_status(&pending, 200);
    // Admins invite members and admins, not owners.
    assert_status(
        &invite(&people.admin.api, "acme", "m@acme.test", "member").await,
        201,
    );
    assert_status(
        &invite(&people.admin.api, "acme", "a@acme.test", "admin").await,
        201,
    );
    let owner = invite(&people.admin.api, "acme", "o@acme.test", "owner").await;
    assert_error(&owner, 403, "FORBIDDEN");
    // Owners invite owners.
    let owner = invite(&people.owner.api, "acme", "o@acme.test", "owner").await;
    assert_status(&owner, 201);
    assert_eq!(owner.body["created_by"], people.owner.id.as_str());
    let joined = accept(&app, text(&owner.body, "token"), "Second Owner", PASSWORD).await;
    assert_eq!(joined.body["role"], "owner");
    // Nonsense is refused.
    assert_validation(
        &invite(&people.owner.api, "acme", "not an email", "member").await,
        "email",
    );
    assert_error(
        &invite(&people.owner.api, "acme", "ok@acme.test", "boss").await,
        422,
        "VALIDATION_FAILED",
    );
    let joined = join(&app, "acme", "last@acme.test", "member").await;
    assert_status(&joined.api.get(&members_path("acme")).await, 200);
}

pub async fn concurrent_accepts_use_the_invitation_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let invited = invite(&app.admin, "acme", "race@acme.test", "member").await;
    let token = text(&invited.body, "token").to_owned();
    let (first, second) = tokio::join!(
        accept(&app, &token, "First", PASSWORD),
        accept(&app, &token, "Second", "another password of length")
    );
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 404], "{} / {}", first.body, second.body);
    let members = app.admin.get(&members_path("acme")).await;
    let races: Vec<_> = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["user"]["email"] == "race@acme.test")
        .collect();
    assert_eq!(races.len(), 1, "{}", members.body);
}
