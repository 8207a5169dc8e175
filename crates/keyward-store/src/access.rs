//! The access model's part of the store: users, sessions, memberships,
//! invitations, teams, service accounts, roles and groups.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::KeyHash;
use keyward_core::access::{
    Group, Invitation, Member, OrgRole, PrincipalAccess, PrincipalRef, Role, ServiceAccount, Team,
    TeamMember, TeamRole, User,
};
use keyward_core::model::{KeyGrant, Organization};
use uuid::Uuid;

/// A change to a service account: only the fields that are `Some` change.
#[derive(Debug, Clone, Default)]
pub struct ServiceAccountPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// A change to a role: only the fields that are `Some` change.
#[derive(Debug, Clone, Default)]
pub struct RolePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub grants: Option<Vec<KeyGrant>>,
}

/// Who accepts an invitation.
#[derive(Debug, Clone, Copy)]
pub enum Acceptor<'a> {
    /// A signed-in user, whose email must be the invitation's.
    User(Uuid),
    /// A new account with the invitation's email, which no user may have:
    /// an existing account joins only by signing in.
    New {
        user: &'a User,
        password_hash: &'a str,
    },
}

/// What accepting an invitation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub invitation: Invitation,
    pub user: User,
}

/// The outcome of accepting an invitation; only `Accepted` writes anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    Accepted(Accepted),
    /// The token is unknown, used or expired.
    Invalid,
    /// The signed-in user (or a disabled one) isn't the invitation's email's.
    OtherUser,
    /// The invitation's email has an account: its user must sign in.
    SignInFirst,
}

#[async_trait]
pub trait AccessStore: Send + Sync {
    // Users and sessions.
    /// Fails with `Conflict` when the email is taken.
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<()>;
    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>>;
    /// The user with this (lowercased) email and their password hash.
    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>>;
    /// Disabling also deletes the user's sessions, so enabling again
    /// revives none of them.
    async fn set_user_enabled(&self, id: Uuid, enabled: bool) -> Result<Option<User>>;
    async fn count_users(&self) -> Result<i64>;
    async fn create_session(
        &self,
        token: &KeyHash,
        user_id: Uuid,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The enabled user of an unexpired session.
    async fn session_user(&self, token: &KeyHash, now: DateTime<Utc>) -> Result<Option<User>>;
    async fn delete_session(&self, token: &KeyHash) -> Result<bool>;

    // Memberships.
    /// Fails with `Conflict` when the user is a member already.
    async fn add_member(
        &self,
        org: Uuid,
        user_id: Uuid,
        role: OrgRole,
        at: DateTime<Utc>,
    ) -> Result<()>;
    async fn members(&self, org: Uuid) -> Result<Vec<Member>>;
    async fn member(&self, org: Uuid, user_id: Uuid) -> Result<Option<Member>>;
    /// Fails with `LastOwner` when it would leave the organization without one.
    async fn set_member_role(
        &self,
        org: Uuid,
        user_id: Uuid,
        role: OrgRole,
    ) -> Result<Option<Member>>;
    /// Removes the user from the organization, its teams and groups, drops
    /// their role assignments and revokes their user-scope keys there; fails
    /// with `LastOwner` for the last owner.
    async fn remove_member(&self, org: Uuid, user_id: Uuid, at: DateTime<Utc>) -> Result<bool>;
    async fn user_orgs(&self, user_id: Uuid) -> Result<Vec<(Organization, OrgRole)>>;

    // Invitations.
    async fn create_invitation(&self, invitation: &Invitation, token: &KeyHash) -> Result<()>;
    /// Invitations not yet accepted, expired ones included.
    async fn invitations(&self, org: Uuid) -> Result<Vec<Invitation>>;
    async fn delete_invitation(&self, org: Uuid, id: Uuid) -> Result<bool>;
    /// The invitation a token names, accepted, expired or not.
    async fn invitation_by_token(&self, token: &KeyHash) -> Result<Option<Invitation>>;
    /// In one transaction: marks an unexpired, unaccepted invitation
    /// accepted, checks the acceptor (the enabled user with the
    /// invitation's email, or a new user created with that email when no
    /// user has it) and adds the membership; a refusal writes nothing.
    async fn accept_invitation(
        &self,
        token: &KeyHash,
        now: DateTime<Utc>,
        acceptor: Acceptor<'_>,
    ) -> Result<Acceptance>;

    // Teams.
    /// Fails with `Conflict` when the name is taken in the organization.
    /// With an `owner`, that member of the organization joins the team as
    /// its owner in the same transaction (`MissingReference` if they are not
    /// a member).
    async fn create_team(&self, team: &Team, owner: Option<Uuid>) -> Result<()>;
    async fn teams(&self, org: Uuid) -> Result<Vec<Team>>;
    async fn team(&self, org: Uuid, id: Uuid) -> Result<Option<Team>>;
    /// Deletes the team and revokes its keys.
    async fn delete_team(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool>;
    /// Adds the user to the team or changes their role there.
    async fn set_team_member(&self, team_id: Uuid, user_id: Uuid, role: TeamRole) -> Result<()>;
    async fn remove_team_member(&self, team_id: Uuid, user_id: Uuid) -> Result<bool>;
    async fn team_members(&self, team_id: Uuid) -> Result<Vec<TeamMember>>;

    // Service accounts.
    async fn create_service_account(&self, account: &ServiceAccount) -> Result<()>;
    async fn service_accounts(&self, org: Uuid) -> Result<Vec<ServiceAccount>>;
    async fn service_account(&self, org: Uuid, id: Uuid) -> Result<Option<ServiceAccount>>;
    async fn update_service_account(
        &self,
        org: Uuid,
        id: Uuid,
        patch: &ServiceAccountPatch,
    ) -> Result<Option<ServiceAccount>>;
    /// Deletes the account, its group memberships and role assignments, and
    /// revokes its keys.
    async fn delete_service_account(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool>;

    // Roles.
    async fn create_role(&self, role: &Role) -> Result<()>;
    async fn roles(&self, org: Uuid) -> Result<Vec<Role>>;
    async fn role(&self, org: Uuid, id: Uuid) -> Result<Option<Role>>;
    async fn update_role(&self, org: Uuid, id: Uuid, patch: &RolePatch) -> Result<Option<Role>>;
    async fn delete_role(&self, org: Uuid, id: Uuid) -> Result<bool>;
    /// Idempotent.
    async fn assign_role(&self, org: Uuid, principal: PrincipalRef, role_id: Uuid) -> Result<()>;
    async fn unassign_role(
        &self,
        org: Uuid,
        principal: PrincipalRef,
        role_id: Uuid,
    ) -> Result<bool>;
    async fn assigned_roles(&self, org: Uuid, principal: PrincipalRef) -> Result<Vec<Uuid>>;

    // Groups.
    async fn create_group(&self, group: &Group) -> Result<()>;
    async fn groups(&self, org: Uuid) -> Result<Vec<Group>>;
    async fn group(&self, org: Uuid, id: Uuid) -> Result<Option<Group>>;
    /// Renames a group; says whether there was one. A name another group
    /// of the organization has is a `Conflict`.
    async fn rename_group(&self, org: Uuid, id: Uuid, name: &str) -> Result<bool>;
    async fn delete_group(&self, org: Uuid, id: Uuid) -> Result<bool>;
    /// Idempotent.
    async fn add_group_role(&self, group_id: Uuid, role_id: Uuid) -> Result<()>;
    async fn remove_group_role(&self, group_id: Uuid, role_id: Uuid) -> Result<bool>;
    /// Idempotent.
    async fn add_group_member(&self, group_id: Uuid, principal: PrincipalRef) -> Result<()>;
    async fn remove_group_member(&self, group_id: Uuid, principal: PrincipalRef) -> Result<bool>;

    /// What a principal holds in an organization; `None` for a user who is
    /// not an enabled member, or a service account that is missing or disabled.
    async fn principal_access(
        &self,
        org: Uuid,
        principal: PrincipalRef,
    ) -> Result<Option<PrincipalAccess>>;
}
