//! The access model on PostgreSQL. Rules that span rows (an organization
//! keeps an owner, only its own principals join its teams, groups and
//! roles) lock the organization's row first: changes that could break them
//! take it `FOR UPDATE`, additions that rely on them `FOR SHARE`, so they
//! can't interleave across nodes.

use super::PostgresStore;
use crate::access::{Acceptance, Accepted, Acceptor, AccessStore, RolePatch, ServiceAccountPatch};
use crate::rows::{self, GrantsByRole};
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::KeyHash;
use keyward_core::access::{
    Group, Invitation, Member, OrgRole, PrincipalAccess, PrincipalKind, PrincipalRef, Role,
    ServiceAccount, Team, TeamMember, TeamRole, User,
};
use keyward_core::model::{KeyGrant, Organization};
use sqlx::postgres::PgRow;
use sqlx::{Executor, PgConnection, Postgres, Row};
use std::collections::HashMap;
use uuid::Uuid;

pub(super) const USER_COLUMNS: &str = "u.id, u.email, u.name, u.enabled, u.created_at";
const INVITATION_COLUMNS: &str = "id, organization_id, email, role, created_by, created_at, \
     expires_at, accepted_at";
const SERVICE_ACCOUNT_COLUMNS: &str = "id, organization_id, name, description, enabled, created_at";

/// Where a principal kind belongs to organizations: the table and the column
/// naming the principal (a user through a membership, a service account by
/// being one of the organization's).
fn principal_home(kind: PrincipalKind) -> (&'static str, &'static str) {
    match kind {
        PrincipalKind::User => ("memberships", "user_id"),
        PrincipalKind::ServiceAccount => ("service_accounts", "id"),
    }
}

pub(super) fn user_from_row(row: &PgRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        enabled: row.try_get("enabled")?,
        created_at: row.try_get("created_at")?,
    })
}

fn member_from_row(row: &PgRow) -> Result<Member> {
    Ok(Member {
        user: user_from_row(row)?,
        role: rows::org_role(row.try_get("role")?)?,
        joined_at: row.try_get("joined_at")?,
    })
}

fn invitation_from_row(row: &PgRow) -> Result<Invitation> {
    Ok(Invitation {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        email: row.try_get("email")?,
        role: rows::org_role(row.try_get("role")?)?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        accepted_at: row.try_get("accepted_at")?,
    })
}

fn team_from_row(row: &PgRow) -> Result<Team> {
    Ok(Team {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn service_account_from_row(row: &PgRow) -> Result<ServiceAccount> {
    Ok(ServiceAccount {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        enabled: row.try_get("enabled")?,
        created_at: row.try_get("created_at")?,
    })
}

fn role_from_row(row: &PgRow, grants: &mut GrantsByRole) -> Result<Role> {
    let id: Uuid = row.try_get("id")?;
    Ok(Role {
        id,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        grants: grants.remove(&id).unwrap_or_default(),
        created_at: row.try_get("created_at")?,
    })
}

/// Locks the organization's row `FOR UPDATE` (`shared: false`) or
/// `FOR SHARE`; says whether there is one.
async fn lock_org(conn: &mut PgConnection, org: Uuid, shared: bool) -> Result<bool> {
    let sql = if shared {
        "SELECT id FROM organizations WHERE id = $1 FOR SHARE"
    } else {
        "SELECT id FROM organizations WHERE id = $1 FOR UPDATE"
    };
    let found: Option<Uuid> = sqlx::query_scalar(sql)
        .bind(org)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// Locks `FOR SHARE` the organization of a group or a team, given the SQL
/// that selects it; fails with `MissingReference` when there is none.
async fn share_org_of(conn: &mut PgConnection, select_org: &str, id: Uuid) -> Result<()> {
    let org: Option<Uuid> = sqlx::query_scalar(select_org)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match org {
        Some(org) if lock_org(conn, org, true).await? => Ok(()),
        _ => Err(StoreError::MissingReference),
    }
}

/// Adds a member of the team's organization to the team, or changes their
/// role there, under a share lock on the organization; fails with
/// `MissingReference` for a missing team or a user outside its organization.
async fn upsert_team_member(
    conn: &mut PgConnection,
    team: Uuid,
    user: Uuid,
    role: TeamRole,
) -> Result<()> {
    share_org_of(
        conn,
        "SELECT organization_id FROM teams WHERE id = $1",
        team,
    )
    .await?;
    let done = sqlx::query(
        "INSERT INTO team_members (team_id, user_id, role) \
         SELECT t.id, m.user_id, $1 FROM teams t JOIN memberships m \
           ON m.organization_id = t.organization_id \
         WHERE t.id = $2 AND m.user_id = $3 \
         ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role",
    )
    .bind(role.as_str())
    .bind(team)
    .bind(user)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::MissingReference);
    }
    Ok(())
}

/// Fails with `LastOwner` unless the organization has another owner.
async fn ensure_other_owner(conn: &mut PgConnection, org: Uuid) -> Result<()> {
    let owners: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE organization_id = $1 AND role = 'owner'",
    )
    .bind(org)
    .fetch_one(&mut *conn)
    .await?;
    if owners <= 1 {
        return Err(StoreError::LastOwner);
    }
    Ok(())
}

/// The role of a member, read under the organization's lock.
async fn member_role(conn: &mut PgConnection, org: Uuid, user_id: Uuid) -> Result<Option<OrgRole>> {
    let role: Option<String> = sqlx::query_scalar(
        "SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2",
    )
    .bind(org)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    role.as_deref().map(rows::org_role).transpose()
}

/// The grants of the organization's roles, or of one of them.
async fn grants_by_role<'e, E>(db: E, org: Uuid, only: Option<Uuid>) -> Result<GrantsByRole>
where
    E: Executor<'e, Database = Postgres>,
{
    let found = sqlx::query(
        "SELECT rg.role_id, rg.permission_id, p.name, rg.resource \
         FROM role_grants rg JOIN roles r ON r.id = rg.role_id \
         JOIN permissions p ON p.id = rg.permission_id \
         WHERE r.organization_id = $1 AND ($2::uuid IS NULL OR r.id = $2) \
         ORDER BY rg.role_id, rg.position",
    )
    .bind(org)
    .bind(only)
    .fetch_all(db)
    .await?;
    let mut out = GrantsByRole::new();
    for row in found {
        let grant = rows::key_grant(row.try_get(1)?, row.try_get(2)?, row.try_get(3)?)?;
        out.entry(row.try_get(0)?).or_default().push(grant);
    }
    Ok(out)
}

/// Stores a role's grants in order. A permission outside the role's
/// organization's catalog is a missing reference: it would tie the role to
/// another tenant.
async fn insert_role_grants(
    conn: &mut PgConnection,
    org: Uuid,
    role: Uuid,
    grants: &[KeyGrant],
) -> Result<()> {
    for (position, grant) in grants.iter().enumerate() {
        let done = sqlx::query(
            "INSERT INTO role_grants (role_id, position, permission_id, resource) \
             SELECT $1, $2, id, $3 FROM permissions \
             WHERE id = $4 AND (organization_id IS NULL OR organization_id = $5)",
        )
        .bind(role)
        .bind(position as i32)
        .bind(grant.resource.to_string())
        .bind(grant.id)
        .bind(org)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::MissingReference);
        }
    }
    Ok(())
}

/// Adds a role of the group's organization to the group; fails with
/// `MissingReference` for a missing group or a role of another organization.
async fn insert_group_role(conn: &mut PgConnection, group: Uuid, role: Uuid) -> Result<()> {
    let done = sqlx::query(
        "INSERT INTO group_roles (group_id, role_id) \
         SELECT g.id, r.id FROM principal_groups g JOIN roles r \
           ON r.organization_id = g.organization_id \
         WHERE g.id = $1 AND r.id = $2 ON CONFLICT DO NOTHING",
    )
    .bind(group)
    .bind(role)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let present: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM group_roles WHERE group_id = $1 AND role_id = $2")
            .bind(group)
            .bind(role)
            .fetch_optional(&mut *conn)
            .await?;
    present.map(|_| ()).ok_or(StoreError::MissingReference)
}

/// Adds a principal of the group's organization to the group, whose
/// organization the caller has locked; fails with `MissingReference` for a
/// missing group or a principal outside its organization.
async fn insert_group_member(
    conn: &mut PgConnection,
    group: Uuid,
    principal: PrincipalRef,
) -> Result<()> {
    let (home, column) = principal_home(principal.kind);
    let done = sqlx::query(&format!(
        "INSERT INTO group_members (group_id, principal_type, principal_id) \
         SELECT g.id, $1, $2 FROM principal_groups g \
         WHERE g.id = $3 AND EXISTS (SELECT 1 FROM {home} \
           WHERE organization_id = g.organization_id AND {column} = $2) \
         ON CONFLICT DO NOTHING"
    ))
    .bind(principal.kind.as_str())
    .bind(principal.id)
    .bind(group)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let present: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM group_members \
         WHERE group_id = $1 AND principal_type = $2 AND principal_id = $3",
    )
    .bind(group)
    .bind(principal.kind.as_str())
    .bind(principal.id)
    .fetch_optional(&mut *conn)
    .await?;
    present.map(|_| ()).ok_or(StoreError::MissingReference)
}

impl PostgresStore {
    async fn member_in<'e, E>(db: E, org: Uuid, user_id: Uuid) -> Result<Option<Member>>
    where
        E: Executor<'e, Database = Postgres>,
    {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, m.role, m.joined_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 AND m.user_id = $2"
        ))
        .bind(org)
        .bind(user_id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(member_from_row)
        .transpose()
    }

    async fn groups_where(&self, org: Uuid, only: Option<Uuid>) -> Result<Vec<Group>> {
        let found = sqlx::query(
            "SELECT id, organization_id, name, created_at FROM principal_groups \
             WHERE organization_id = $1 AND ($2::uuid IS NULL OR id = $2) ORDER BY created_at, id",
        )
        .bind(org)
        .bind(only)
        .fetch_all(&self.pool)
        .await?;
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let mut roles: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for row in sqlx::query(
            "SELECT gr.group_id, gr.role_id FROM group_roles gr \
             JOIN principal_groups g ON g.id = gr.group_id \
             WHERE g.organization_id = $1 AND ($2::uuid IS NULL OR g.id = $2) ORDER BY gr.role_id",
        )
        .bind(org)
        .bind(only)
        .fetch_all(&self.pool)
        .await?
        {
            roles
                .entry(row.try_get(0)?)
                .or_default()
                .push(row.try_get(1)?);
        }
        let mut members: HashMap<Uuid, Vec<PrincipalRef>> = HashMap::new();
        for row in sqlx::query(
            "SELECT gm.group_id, gm.principal_type, gm.principal_id FROM group_members gm \
             JOIN principal_groups g ON g.id = gm.group_id \
             WHERE g.organization_id = $1 AND ($2::uuid IS NULL OR g.id = $2) \
             ORDER BY gm.principal_type, gm.principal_id",
        )
        .bind(org)
        .bind(only)
        .fetch_all(&self.pool)
        .await?
        {
            let principal = PrincipalRef {
                kind: rows::principal_kind(row.try_get(1)?)?,
                id: row.try_get(2)?,
            };
            members.entry(row.try_get(0)?).or_default().push(principal);
        }
        found
            .iter()
            .map(|row| {
                let id: Uuid = row.try_get("id")?;
                Ok(Group {
                    id,
                    organization_id: row.try_get("organization_id")?,
                    name: row.try_get("name")?,
                    role_ids: roles.remove(&id).unwrap_or_default(),
                    members: members.remove(&id).unwrap_or_default(),
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl AccessStore for PostgresStore {
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user.id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(password_hash)
        .bind(user.enabled)
        .bind(user.created_at)
        .execute(&mut *write)
        .await?;
        self.finish(write, ()).await
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(|row| Ok((user_from_row(row)?, row.try_get("password_hash")?)))
        .transpose()
    }

    async fn set_user_enabled(&self, id: Uuid, enabled: bool) -> Result<Option<User>> {
        let mut tx = self.transaction().await?;
        let updated = sqlx::query(
            "UPDATE users SET enabled = $1 WHERE id = $2 \
             RETURNING id, email, name, enabled, created_at",
        )
        .bind(enabled)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()?;
        // Disabling ends the sessions for good: enabling again revives none.
        if !enabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        self.finish(tx, updated).await
    }

    async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn create_session(
        &self,
        token: &KeyHash,
        user_id: Uuid,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token.as_bytes().as_slice())
        .bind(user_id)
        .bind(created_at)
        .bind(expires_at)
        .execute(&mut *write)
        .await?;
        self.finish(write, ()).await
    }

    async fn session_user(&self, token: &KeyHash, now: DateTime<Utc>) -> Result<Option<User>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.enabled"
        ))
        .bind(token.as_bytes().as_slice())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    async fn delete_session(&self, token: &KeyHash) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token.as_bytes().as_slice())
            .execute(&mut *write)
            .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn add_member(
        &self,
        org: Uuid,
        user_id: Uuid,
        role: OrgRole,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(
            "INSERT INTO memberships (organization_id, user_id, role, joined_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(org)
        .bind(user_id)
        .bind(role.as_str())
        .bind(at)
        .execute(&mut *write)
        .await?;
        self.finish(write, ()).await
    }

    async fn members(&self, org: Uuid) -> Result<Vec<Member>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, m.role, m.joined_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 \
             ORDER BY m.joined_at, u.id"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(member_from_row)
        .collect()
    }

    async fn member(&self, org: Uuid, user_id: Uuid) -> Result<Option<Member>> {
        Self::member_in(&self.pool, org, user_id).await
    }

    async fn set_member_role(
        &self,
        org: Uuid,
        user_id: Uuid,
        role: OrgRole,
    ) -> Result<Option<Member>> {
        let mut tx = self.transaction().await?;
        // Under the lock, two owners can't demote each other at once.
        lock_org(&mut tx, org, false).await?;
        let Some(current) = member_role(&mut tx, org, user_id).await? else {
            return Ok(None);
        };
        if current == OrgRole::Owner && role != OrgRole::Owner {
            ensure_other_owner(&mut tx, org).await?;
        }
        sqlx::query("UPDATE memberships SET role = $1 WHERE organization_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(org)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let member = Self::member_in(&mut *tx, org, user_id).await?;
        self.finish(tx, member).await
    }

    async fn remove_member(&self, org: Uuid, user_id: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.transaction().await?;
        // The lock also keeps out concurrent additions of the user to the
        // organization's teams, groups and roles, which take it shared.
        lock_org(&mut tx, org, false).await?;
        let Some(current) = member_role(&mut tx, org, user_id).await? else {
            return Ok(false);
        };
        if current == OrgRole::Owner {
            ensure_other_owner(&mut tx, org).await?;
        }
        sqlx::query(
            "DELETE FROM team_members WHERE user_id = $1 \
             AND team_id IN (SELECT id FROM teams WHERE organization_id = $2)",
        )
        .bind(user_id)
        .bind(org)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM group_members WHERE principal_type = 'user' AND principal_id = $1 \
             AND group_id IN (SELECT id FROM principal_groups WHERE organization_id = $2)",
        )
        .bind(user_id)
        .bind(org)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM role_assignments WHERE organization_id = $1 \
             AND principal_type = 'user' AND principal_id = $2",
        )
        .bind(org)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE organization_id = $2 AND scope = 'user' \
             AND owner_id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(org)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        self.finish(tx, true).await
    }

    async fn user_orgs(&self, user_id: Uuid) -> Result<Vec<(Organization, OrgRole)>> {
        sqlx::query(
            "SELECT o.id, o.name, o.slug, o.key_prefix, o.created_at, o.key_max_lifetime_days, \
               o.key_require_expiry, o.leak_policy, m.role \
             FROM memberships m JOIN organizations o ON o.id = m.organization_id \
             WHERE m.user_id = $1 ORDER BY o.created_at, o.id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok((
                Self::org_from_row(row)?,
                rows::org_role(row.try_get("role")?)?,
            ))
        })
        .collect()
    }

    async fn create_invitation(&self, invitation: &Invitation, token: &KeyHash) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(&format!(
            "INSERT INTO invitations ({INVITATION_COLUMNS}, token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(invitation.id)
        .bind(invitation.organization_id)
        .bind(&invitation.email)
        .bind(invitation.role.as_str())
        .bind(&invitation.created_by)
        .bind(invitation.created_at)
        .bind(invitation.expires_at)
        .bind(invitation.accepted_at)
        .bind(token.as_bytes().as_slice())
        .execute(&mut *write)
        .await?;
        self.finish(write, ()).await
    }

    async fn invitations(&self, org: Uuid) -> Result<Vec<Invitation>> {
        sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations \
             WHERE organization_id = $1 AND accepted_at IS NULL ORDER BY created_at DESC, id DESC"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(invitation_from_row)
        .collect()
    }

    async fn delete_invitation(&self, org: Uuid, id: Uuid) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query("DELETE FROM invitations WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .execute(&mut *write)
            .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn invitation_by_token(&self, token: &KeyHash) -> Result<Option<Invitation>> {
        sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE token_hash = $1"
        ))
        .bind(token.as_bytes().as_slice())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(invitation_from_row)
        .transpose()
    }

    async fn accept_invitation(
        &self,
        token: &KeyHash,
        now: DateTime<Utc>,
        acceptor: Acceptor<'_>,
    ) -> Result<Acceptance> {
        let mut tx = self.transaction().await?;
        // The row lock makes a concurrent acceptance wait, then find the
        // invitation accepted.
        let claimed = sqlx::query(&format!(
            "UPDATE invitations SET accepted_at = $1 \
             WHERE token_hash = $2 AND accepted_at IS NULL AND expires_at > $1 \
             RETURNING {INVITATION_COLUMNS}"
        ))
        .bind(now)
        .bind(token.as_bytes().as_slice())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(invitation) = claimed.as_ref().map(invitation_from_row).transpose()? else {
            return Ok(Acceptance::Invalid);
        };
        // Dropping the transaction on a refusal leaves the invitation open.
        let user = match acceptor {
            Acceptor::User(id) => {
                let found = sqlx::query(&format!(
                    "SELECT {USER_COLUMNS} FROM users u \
                     WHERE u.id = $1 AND u.email = $2 AND u.enabled"
                ))
                .bind(id)
                .bind(&invitation.email)
                .fetch_optional(&mut *tx)
                .await?;
                match found {
                    Some(row) => user_from_row(&row)?,
                    None => return Ok(Acceptance::OtherUser),
                }
            }
            Acceptor::New {
                user,
                password_hash,
            } => {
                // A concurrent insert of the same email makes this one wait
                // and do nothing: that email now has an account.
                let created = sqlx::query(
                    "INSERT INTO users (id, email, name, password_hash, enabled, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING \
                     RETURNING id, email, name, enabled, created_at",
                )
                .bind(user.id)
                .bind(&invitation.email)
                .bind(&user.name)
                .bind(password_hash)
                .bind(user.enabled)
                .bind(user.created_at)
                .fetch_optional(&mut *tx)
                .await?;
                match created {
                    Some(row) => user_from_row(&row)?,
                    None => return Ok(Acceptance::SignInFirst),
                }
            }
        };
        // A member already keeps the role they have.
        sqlx::query(
            "INSERT INTO memberships (organization_id, user_id, role, joined_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(invitation.organization_id)
        .bind(user.id)
        .bind(invitation.role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.finish(tx, Acceptance::Accepted(Accepted { invitation, user }))
            .await
    }

    async fn create_team(&self, team: &Team, owner: Option<Uuid>) -> Result<()> {
        let mut write = if owner.is_some() {
            self.transaction().await?
        } else {
            self.statement().await?
        };
        sqlx::query(
            "INSERT INTO teams (id, organization_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(team.id)
        .bind(team.organization_id)
        .bind(&team.name)
        .bind(team.created_at)
        .execute(&mut *write)
        .await?;
        if let Some(owner) = owner {
            upsert_team_member(&mut write, team.id, owner, TeamRole::Owner).await?;
        }
        self.finish(write, ()).await
    }

    async fn teams(&self, org: Uuid) -> Result<Vec<Team>> {
        sqlx::query("SELECT * FROM teams WHERE organization_id = $1 ORDER BY created_at, id")
            .bind(org)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(team_from_row)
            .collect()
    }

    async fn team(&self, org: Uuid, id: Uuid) -> Result<Option<Team>> {
        sqlx::query("SELECT * FROM teams WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(team_from_row)
            .transpose()
    }

    async fn delete_team(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.transaction().await?;
        let done = sqlx::query("DELETE FROM teams WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE organization_id = $2 AND scope = 'team' \
             AND owner_id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(org)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.finish(tx, true).await
    }

    async fn set_team_member(&self, team_id: Uuid, user_id: Uuid, role: TeamRole) -> Result<()> {
        let mut tx = self.transaction().await?;
        upsert_team_member(&mut tx, team_id, user_id, role).await?;
        self.finish(tx, ()).await
    }

    async fn remove_team_member(&self, team_id: Uuid, user_id: Uuid) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id)
            .bind(user_id)
            .execute(&mut *write)
            .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn team_members(&self, team_id: Uuid) -> Result<Vec<TeamMember>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, tm.role FROM team_members tm JOIN users u ON u.id = tm.user_id \
             WHERE tm.team_id = $1 ORDER BY u.email, u.id"
        ))
        .bind(team_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(TeamMember {
                user: user_from_row(row)?,
                role: rows::team_role(row.try_get("role")?)?,
            })
        })
        .collect()
    }

    async fn create_service_account(&self, account: &ServiceAccount) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(&format!(
            "INSERT INTO service_accounts ({SERVICE_ACCOUNT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(account.id)
        .bind(account.organization_id)
        .bind(&account.name)
        .bind(&account.description)
        .bind(account.enabled)
        .bind(account.created_at)
        .execute(&mut *write)
        .await?;
        self.finish(write, ()).await
    }

    async fn service_accounts(&self, org: Uuid) -> Result<Vec<ServiceAccount>> {
        sqlx::query(&format!(
            "SELECT {SERVICE_ACCOUNT_COLUMNS} FROM service_accounts WHERE organization_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(service_account_from_row)
        .collect()
    }

    async fn service_account(&self, org: Uuid, id: Uuid) -> Result<Option<ServiceAccount>> {
        sqlx::query(&format!(
            "SELECT {SERVICE_ACCOUNT_COLUMNS} FROM service_accounts \
             WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(service_account_from_row)
        .transpose()
    }

    async fn update_service_account(
        &self,
        org: Uuid,
        id: Uuid,
        patch: &ServiceAccountPatch,
    ) -> Result<Option<ServiceAccount>> {
        let mut write = self.statement().await?;
        let updated = sqlx::query(&format!(
            "UPDATE service_accounts SET name = COALESCE($1, name), \
               description = COALESCE($2, description), enabled = COALESCE($3, enabled) \
             WHERE organization_id = $4 AND id = $5 RETURNING {SERVICE_ACCOUNT_COLUMNS}"
        ))
        .bind(patch.name.as_deref())
        .bind(patch.description.as_deref())
        .bind(patch.enabled)
        .bind(org)
        .bind(id)
        .fetch_optional(&mut *write)
        .await?
        .as_ref()
        .map(service_account_from_row)
        .transpose()?;
        self.finish(write, updated).await
    }

    async fn delete_service_account(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.transaction().await?;
        let done =
            sqlx::query("DELETE FROM service_accounts WHERE organization_id = $1 AND id = $2")
                .bind(org)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "DELETE FROM group_members WHERE principal_type = 'service_account' \
             AND principal_id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM role_assignments WHERE principal_type = 'service_account' \
             AND principal_id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE organization_id = $2 \
             AND scope = 'service_account' AND owner_id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(org)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.finish(tx, true).await
    }

    async fn create_role(&self, role: &Role) -> Result<()> {
        let mut tx = self.transaction().await?;
        sqlx::query(
            "INSERT INTO roles (id, organization_id, name, description, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(role.id)
        .bind(role.organization_id)
        .bind(&role.name)
        .bind(&role.description)
        .bind(role.created_at)
        .execute(&mut *tx)
        .await?;
        insert_role_grants(&mut tx, role.organization_id, role.id, &role.grants).await?;
        self.finish(tx, ()).await
    }

    async fn roles(&self, org: Uuid) -> Result<Vec<Role>> {
        let found = sqlx::query(
            "SELECT id, organization_id, name, description, created_at FROM roles \
             WHERE organization_id = $1 ORDER BY created_at, id",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        let mut grants = grants_by_role(&self.pool, org, None).await?;
        found
            .iter()
            .map(|row| role_from_row(row, &mut grants))
            .collect()
    }

    async fn role(&self, org: Uuid, id: Uuid) -> Result<Option<Role>> {
        let Some(row) = sqlx::query(
            "SELECT id, organization_id, name, description, created_at FROM roles \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let mut grants = grants_by_role(&self.pool, org, Some(id)).await?;
        role_from_row(&row, &mut grants).map(Some)
    }

    async fn update_role(&self, org: Uuid, id: Uuid, patch: &RolePatch) -> Result<Option<Role>> {
        let mut tx = self.transaction().await?;
        let Some(row) = sqlx::query(
            "UPDATE roles SET name = COALESCE($1, name), description = COALESCE($2, description) \
             WHERE organization_id = $3 AND id = $4 \
             RETURNING id, organization_id, name, description, created_at",
        )
        .bind(patch.name.as_deref())
        .bind(patch.description.as_deref())
        .bind(org)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        if let Some(new_grants) = &patch.grants {
            sqlx::query("DELETE FROM role_grants WHERE role_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            insert_role_grants(&mut tx, org, id, new_grants).await?;
        }
        let mut grants = grants_by_role(&mut *tx, org, Some(id)).await?;
        let role = role_from_row(&row, &mut grants)?;
        self.finish(tx, Some(role)).await
    }

    async fn delete_role(&self, org: Uuid, id: Uuid) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query("DELETE FROM roles WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .execute(&mut *write)
            .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn assign_role(&self, org: Uuid, principal: PrincipalRef, role_id: Uuid) -> Result<()> {
        let mut tx = self.transaction().await?;
        if !lock_org(&mut tx, org, true).await? {
            return Err(StoreError::MissingReference);
        }
        let (home, column) = principal_home(principal.kind);
        let done = sqlx::query(&format!(
            "INSERT INTO role_assignments (organization_id, principal_type, principal_id, role_id) \
             SELECT r.organization_id, $1, $2, r.id FROM roles r \
             WHERE r.organization_id = $3 AND r.id = $4 AND EXISTS (SELECT 1 FROM {home} \
               WHERE organization_id = r.organization_id AND {column} = $2) \
             ON CONFLICT DO NOTHING"
        ))
        .bind(principal.kind.as_str())
        .bind(principal.id)
        .bind(org)
        .bind(role_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let present: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM role_assignments WHERE organization_id = $1 \
                 AND principal_type = $2 AND principal_id = $3 AND role_id = $4",
            )
            .bind(org)
            .bind(principal.kind.as_str())
            .bind(principal.id)
            .bind(role_id)
            .fetch_optional(&mut *tx)
            .await?;
            if present.is_none() {
                return Err(StoreError::MissingReference);
            }
        }
        self.finish(tx, ()).await
    }

    async fn unassign_role(
        &self,
        org: Uuid,
        principal: PrincipalRef,
        role_id: Uuid,
    ) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query(
            "DELETE FROM role_assignments WHERE organization_id = $1 \
             AND principal_type = $2 AND principal_id = $3 AND role_id = $4",
        )
        .bind(org)
        .bind(principal.kind.as_str())
        .bind(principal.id)
        .bind(role_id)
        .execute(&mut *write)
        .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn assigned_roles(&self, org: Uuid, principal: PrincipalRef) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar(
            "SELECT role_id FROM role_assignments WHERE organization_id = $1 \
             AND principal_type = $2 AND principal_id = $3 ORDER BY role_id",
        )
        .bind(org)
        .bind(principal.kind.as_str())
        .bind(principal.id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn create_group(&self, group: &Group) -> Result<()> {
        let mut tx = self.transaction().await?;
        if !lock_org(&mut tx, group.organization_id, true).await? {
            return Err(StoreError::MissingReference);
        }
        sqlx::query(
            "INSERT INTO principal_groups (id, organization_id, name, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(group.id)
        .bind(group.organization_id)
        .bind(&group.name)
        .bind(group.created_at)
        .execute(&mut *tx)
        .await?;
        for role in &group.role_ids {
            insert_group_role(&mut tx, group.id, *role).await?;
        }
        for member in &group.members {
            insert_group_member(&mut tx, group.id, *member).await?;
        }
        self.finish(tx, ()).await
    }

    async fn groups(&self, org: Uuid) -> Result<Vec<Group>> {
        self.groups_where(org, None).await
    }

    async fn group(&self, org: Uuid, id: Uuid) -> Result<Option<Group>> {
        Ok(self.groups_where(org, Some(id)).await?.pop())
    }

    async fn rename_group(&self, org: Uuid, id: Uuid, name: &str) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query(
            "UPDATE principal_groups SET name = $1 WHERE organization_id = $2 AND id = $3",
        )
        .bind(name)
        .bind(org)
        .bind(id)
        .execute(&mut *write)
        .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn delete_group(&self, org: Uuid, id: Uuid) -> Result<bool> {
        let mut write = self.statement().await?;
        let done =
            sqlx::query("DELETE FROM principal_groups WHERE organization_id = $1 AND id = $2")
                .bind(org)
                .bind(id)
                .execute(&mut *write)
                .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn add_group_role(&self, group_id: Uuid, role_id: Uuid) -> Result<()> {
        let mut tx = self.transaction().await?;
        insert_group_role(&mut tx, group_id, role_id).await?;
        self.finish(tx, ()).await
    }

    async fn remove_group_role(&self, group_id: Uuid, role_id: Uuid) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query("DELETE FROM group_roles WHERE group_id = $1 AND role_id = $2")
            .bind(group_id)
            .bind(role_id)
            .execute(&mut *write)
            .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn add_group_member(&self, group_id: Uuid, principal: PrincipalRef) -> Result<()> {
        let mut tx = self.transaction().await?;
        share_org_of(
            &mut tx,
            "SELECT organization_id FROM principal_groups WHERE id = $1",
            group_id,
        )
        .await?;
        insert_group_member(&mut tx, group_id, principal).await?;
        self.finish(tx, ()).await
    }

    async fn remove_group_member(&self, group_id: Uuid, principal: PrincipalRef) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query(
            "DELETE FROM group_members \
             WHERE group_id = $1 AND principal_type = $2 AND principal_id = $3",
        )
        .bind(group_id)
        .bind(principal.kind.as_str())
        .bind(principal.id)
        .execute(&mut *write)
        .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn principal_access(
        &self,
        org: Uuid,
        principal: PrincipalRef,
    ) -> Result<Option<PrincipalAccess>> {
        // One snapshot for every answer below.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let mut access = PrincipalAccess::default();
        match principal.kind {
            PrincipalKind::User => {
                let role: Option<String> = sqlx::query_scalar(
                    "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id \
                     WHERE m.organization_id = $1 AND m.user_id = $2 AND u.enabled",
                )
                .bind(org)
                .bind(principal.id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(role) = role else {
                    return Ok(None);
                };
                access.org_role = Some(rows::org_role(&role)?);
                access.teams = sqlx::query(
                    "SELECT tm.team_id, tm.role FROM team_members tm \
                     JOIN teams t ON t.id = tm.team_id \
                     WHERE t.organization_id = $1 AND tm.user_id = $2 ORDER BY tm.team_id",
                )
                .bind(org)
                .bind(principal.id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| Ok((row.try_get(0)?, rows::team_role(row.try_get(1)?)?)))
                .collect::<Result<_>>()?;
            }
            PrincipalKind::ServiceAccount => {
                let enabled: Option<bool> = sqlx::query_scalar(
                    "SELECT enabled FROM service_accounts WHERE organization_id = $1 AND id = $2",
                )
                .bind(org)
                .bind(principal.id)
                .fetch_optional(&mut *tx)
                .await?;
                if enabled != Some(true) {
                    return Ok(None);
                }
            }
        }
        // Roles held directly and through groups, each counted once, and
        // only roles and permissions of this organization.
        access.role_grants = sqlx::query(
            "SELECT rg.permission_id, p.name, rg.resource FROM role_grants rg \
             JOIN roles r ON r.id = rg.role_id JOIN permissions p ON p.id = rg.permission_id \
             WHERE r.organization_id = $1 \
               AND (p.organization_id IS NULL OR p.organization_id = r.organization_id) \
               AND rg.role_id IN ( \
                 SELECT ra.role_id FROM role_assignments ra WHERE ra.organization_id = $1 \
                   AND ra.principal_type = $2 AND ra.principal_id = $3 \
                 UNION \
                 SELECT gr.role_id FROM group_roles gr \
                   JOIN group_members gm ON gm.group_id = gr.group_id \
                   JOIN principal_groups g ON g.id = gr.group_id \
                 WHERE g.organization_id = $1 AND gm.principal_type = $2 AND gm.principal_id = $3) \
             ORDER BY rg.role_id, rg.position",
        )
        .bind(org)
        .bind(principal.kind.as_str())
        .bind(principal.id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok(rows::key_grant(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)?.grant()))
        .collect::<Result<_>>()?;
        tx.commit().await?;
        Ok(Some(access))
    }
}
