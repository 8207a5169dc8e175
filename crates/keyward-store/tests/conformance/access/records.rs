//! Records of the access model to store, and assertions about the store's
//! answers, shared by the access tests.

use crate::fixtures::{insert, now};
use chrono::{DateTime, Duration, Utc};
use keyward_core::access::{
    Group, Invitation, OrgRole, PasswordReset, PrincipalAccess, PrincipalKind, PrincipalRef, Role,
    ServiceAccount, Team, User,
};
use keyward_core::model::{KeyGrant, KeyRecord, Organization};
use keyward_core::{ApiKey, Grant, KeyHash, PermissionName, Prefix, Resource, Scope};
use keyward_store::{Acceptance, Accepted, Acceptor, Store, StoreError};
use uuid::Uuid;

/// No ids, typed for comparisons with lists of ids.
pub const NO_IDS: Vec<Uuid> = Vec::new();

pub const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";

pub fn user(email: &str) -> User {
    User {
        id: Uuid::now_v7(),
        email: email.to_owned(),
        name: format!("Name of {email}"),
        enabled: true,
        created_at: now(),
    }
}

pub async fn create_user(store: &dyn Store, email: &str) -> User {
    let user = user(email);
    store
        .create_user(&user, HASH)
        .await
        .expect("create the user");
    user
}

/// A new user who is a member of `org` with `role`.
pub async fn member(store: &dyn Store, org: &Organization, email: &str, role: OrgRole) -> User {
    let user = create_user(store, email).await;
    store
        .add_member(org.id, user.id, role, now())
        .await
        .expect("add the member");
    user
}

pub fn as_user(user: &User) -> PrincipalRef {
    PrincipalRef {
        kind: PrincipalKind::User,
        id: user.id,
    }
}

pub fn as_account(account: &ServiceAccount) -> PrincipalRef {
    PrincipalRef {
        kind: PrincipalKind::ServiceAccount,
        id: account.id,
    }
}

/// A fresh session or invitation token's hash.
pub fn new_token() -> KeyHash {
    crate::fixtures::hash(&ApiKey::mint(&Prefix::default()))
}

pub fn invitation(
    org: &Organization,
    email: &str,
    role: OrgRole,
    created_at: DateTime<Utc>,
) -> Invitation {
    Invitation {
        id: Uuid::now_v7(),
        organization_id: org.id,
        email: email.to_owned(),
        role,
        created_by: format!("user:{}", Uuid::now_v7()),
        created_at,
        expires_at: created_at + Duration::days(7),
        accepted_at: None,
    }
}

pub async fn create_invitation(store: &dyn Store, invitation: &Invitation) -> KeyHash {
    let token = new_token();
    store
        .create_invitation(invitation, &token)
        .await
        .expect("create the invitation");
    token
}

/// A reset of `user`'s password issued at `created_at`, valid for an hour.
pub fn password_reset(user: &User, org: Option<Uuid>, created_at: DateTime<Utc>) -> PasswordReset {
    PasswordReset {
        id: Uuid::now_v7(),
        user_id: user.id,
        organization_id: org,
        created_by: "admin".to_owned(),
        created_at,
        expires_at: created_at + Duration::hours(1),
        used_at: None,
    }
}

pub async fn create_password_reset(store: &dyn Store, reset: &PasswordReset) -> KeyHash {
    let token = new_token();
    store
        .create_password_reset(reset, &token)
        .await
        .expect("create the reset");
    token
}

pub fn team(org: &Organization, name: &str) -> Team {
    Team {
        id: Uuid::now_v7(),
        organization_id: org.id,
        name: name.to_owned(),
        created_at: now(),
    }
}

pub async fn create_team(store: &dyn Store, org: &Organization, name: &str) -> Team {
    let team = team(org, name);
    store
        .create_team(&team, None)
        .await
        .expect("create the team");
    team
}

pub fn account(org: &Organization, name: &str) -> ServiceAccount {
    ServiceAccount {
        id: Uuid::now_v7(),
        organization_id: org.id,
        name: name.to_owned(),
        description: format!("{name} deploys"),
        enabled: true,
        created_at: now(),
    }
}

pub async fn create_account(store: &dyn Store, org: &Organization, name: &str) -> ServiceAccount {
    let account = account(org, name);
    store
        .create_service_account(&account)
        .await
        .expect("create the service account");
    account
}

pub fn role(org: &Organization, name: &str, grants: Vec<KeyGrant>) -> Role {
    Role {
        id: Uuid::now_v7(),
        organization_id: org.id,
        name: name.to_owned(),
        description: format!("The {name} role"),
        grants,
        created_at: now(),
    }
}

pub async fn create_role(
    store: &dyn Store,
    org: &Organization,
    name: &str,
    grants: Vec<KeyGrant>,
) -> Role {
    let role = role(org, name, grants);
    store.create_role(&role).await.expect("create the role");
    role
}

pub fn group(
    org: &Organization,
    name: &str,
    role_ids: Vec<Uuid>,
    members: Vec<PrincipalRef>,
) -> Group {
    Group {
        id: Uuid::now_v7(),
        organization_id: org.id,
        name: name.to_owned(),
        role_ids,
        members,
        created_at: now(),
    }
}

/// Group parts come back in order: roles by id, members by type, then id.
pub fn sorted(mut group: Group) -> Group {
    group.role_ids.sort();
    group.members.sort_by_key(|p| (p.kind.as_str(), p.id));
    group
}

pub async fn create_group(
    store: &dyn Store,
    org: &Organization,
    name: &str,
    role_ids: Vec<Uuid>,
    members: Vec<PrincipalRef>,
) -> Group {
    let group = group(org, name, role_ids, members);
    store.create_group(&group).await.expect("create the group");
    sorted(group)
}

/// A live key of `scope` owned by `owner`.
pub async fn owned_key(
    store: &dyn Store,
    org: &Organization,
    scope: Scope,
    owner: Uuid,
) -> KeyRecord {
    insert(store, org, |k| {
        k.scope = scope;
        k.owner_id = owner;
    })
    .await
    .record
}

pub async fn reread(store: &dyn Store, key: &KeyRecord) -> KeyRecord {
    store
        .key(key.organization_id, key.id)
        .await
        .unwrap()
        .expect("the key is still stored")
}

pub fn assert_conflict<T: std::fmt::Debug>(result: keyward_store::Result<T>, what: &str) {
    match result {
        Err(StoreError::Conflict(said)) => assert!(said.contains(what), "{said:?} lacks {what:?}"),
        other => panic!("expected a conflict on {what}, got {other:?}"),
    }
}

pub fn assert_missing<T: std::fmt::Debug>(result: keyward_store::Result<T>) {
    assert!(
        matches!(result, Err(StoreError::MissingReference)),
        "expected MissingReference, got {result:?}"
    );
}

pub fn assert_last_owner<T: std::fmt::Debug>(result: keyward_store::Result<T>) {
    assert!(
        matches!(result, Err(StoreError::LastOwner)),
        "expected LastOwner, got {result:?}"
    );
}

pub fn grant_of(name: &str, resource: &str) -> Grant {
    Grant::new(
        PermissionName::parse(name).unwrap(),
        Resource::parse(resource).unwrap(),
    )
}

/// What `principal` holds in `org`.
pub async fn access_of(
    store: &dyn Store,
    org: Uuid,
    principal: PrincipalRef,
) -> Option<PrincipalAccess> {
    store.principal_access(org, principal).await.unwrap()
}

/// The roles `principal` holds directly in `org`.
pub async fn assigned(store: &dyn Store, org: Uuid, principal: PrincipalRef) -> Vec<Uuid> {
    store.assigned_roles(org, principal).await.unwrap()
}

/// Accepts the invitation of `token` as the new user `user`.
pub async fn accept_new(
    store: &dyn Store,
    token: &KeyHash,
    at: DateTime<Utc>,
    user: &User,
    password_hash: &str,
) -> Acceptance {
    let acceptor = Acceptor::New {
        user,
        password_hash,
    };
    store.accept_invitation(token, at, acceptor).await.unwrap()
}

/// What an acceptance that had to succeed did.
pub fn accepted(acceptance: Acceptance) -> Accepted {
    match acceptance {
        Acceptance::Accepted(accepted) => accepted,
        other => panic!("the invitation was not accepted: {other:?}"),
    }
}
