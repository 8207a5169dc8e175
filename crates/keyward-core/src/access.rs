//! The access model: users, memberships, teams, service accounts, roles and
//! groups, and how they add up to a principal's live grants.

use crate::grant::{Grant, GrantSet, Resource};
use crate::model::{Catalog, KeyGrant};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("{s:?} is not one of {}", names.join(", "))
                })
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// A user's role in an organization.
    OrgRole { Owner => "owner", Admin => "admin", Member => "member" }
}

string_enum! {
    /// A user's role in a team.
    TeamRole { Owner => "owner", Member => "member" }
}

string_enum! {
    /// Who can be a group member or hold roles.
    PrincipalKind { User => "user", ServiceAccount => "service_account" }
}

/// A user or a service account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrincipalRef {
    #[serde(rename = "type")]
    pub kind: PrincipalKind,
    pub id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    /// Lowercased.
    pub email: String,
    pub name: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub user: User,
    pub role: OrgRole,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub role: OrgRole,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
}

/// A single-use link that sets a user's lost password. Issued in an
/// organization by its owner or admin, or (`organization_id` none) on the
/// server itself; only its token's hash is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasswordReset {
    pub id: Uuid,
    pub user_id: Uuid,
    pub organization_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMember {
    pub user: User,
    pub role: TeamRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceAccount {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A custom role: a named set of grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Role {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: String,
    pub grants: Vec<KeyGrant>,
    pub created_at: DateTime<Utc>,
}

/// A set of principals carrying roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub role_ids: Vec<Uuid>,
    pub members: Vec<PrincipalRef>,
    pub created_at: DateTime<Utc>,
}

/// What the store knows about a principal in one organization, from which
/// its live grants follow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalAccess {
    /// Users only: their role in the organization.
    pub org_role: Option<OrgRole>,
    /// Users only: the teams they belong to.
    pub teams: Vec<(Uuid, TeamRole)>,
    /// Grants of the custom roles held directly or through groups.
    pub role_grants: Vec<Grant>,
}

/// The resources of a team: the team itself and everything below it.
pub fn team_resources(team: Uuid) -> [Resource; 2] {
    let path = format!("teams/{team}");
    [Resource::Exact(path.clone()), Resource::Below(path)]
}

/// Reading the audit log shows who did what from where: owners and
/// admins hold it, members don't.
const AUDIT_READ: &str = "audit:read";

/// The catalog's read-only permissions on `resources`, the audit log's
/// excepted: what members hold.
fn read_only_on(catalog: &Catalog, resources: &[Resource]) -> GrantSet {
    catalog
        .everything_on(resources)
        .read_only(|p| catalog.is_read_only(p) && p.as_str() != AUDIT_READ)
}

impl OrgRole {
    /// What the role holds: owners and admins every permission (ownership
    /// itself is no grant), members the read-only ones but `audit:read`,
    /// on everything.
    pub fn grants(self, catalog: &Catalog) -> GrantSet {
        match self {
            OrgRole::Owner | OrgRole::Admin => catalog.everything_on(&[Resource::Any]),
            OrgRole::Member => read_only_on(catalog, &[Resource::Any]),
        }
    }
}

impl TeamRole {
    /// What the role holds on `team`'s resources: owners every permission,
    /// members the read-only ones.
    pub fn grants(self, catalog: &Catalog, team: Uuid) -> GrantSet {
        match self {
            TeamRole::Owner => catalog.everything_on(&team_resources(team)),
            TeamRole::Member => read_only_on(catalog, &team_resources(team)),
        }
    }
}

impl PrincipalAccess {
    /// The live grants: org role, team roles, custom roles and groups' roles.
    pub fn grants(&self, catalog: &Catalog) -> GrantSet {
        let mut set = self
            .org_role
            .map(|role| role.grants(catalog))
            .unwrap_or_default();
        for (team, role) in &self.teams {
            for grant in role.grants(catalog, *team).grants() {
                set.insert(grant.clone());
            }
        }
        for grant in &self.role_grants {
            if catalog.by_name(grant.permission.as_str()).is_some() {
                set.insert(grant.clone());
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Permission;
    use crate::permission::PermissionName;

    fn catalog() -> Catalog {
        let p = |id, name: &str, read_only| Permission {
            id,
            name: PermissionName::parse(name).unwrap(),
            description: String::new(),
            read_only,
        };
        Catalog(vec![
            p(1, "keys:read", true),
            p(2, "keys:write", false),
            p(1000, "datasets:edit", false),
        ])
    }

    #[test]
    fn members_read_owners_do_everything() {
        let member = PrincipalAccess {
            org_role: Some(OrgRole::Member),
            ..Default::default()
        };
        let grants = member.grants(&catalog());
        assert!(grants.allows("keys:read", &Resource::Any));
        assert!(!grants.allows("keys:write", &Resource::Any));
        let owner = PrincipalAccess {
            org_role: Some(OrgRole::Owner),
            ..Default::default()
        };
        assert!(
            owner
                .grants(&catalog())
                .allows("datasets:edit", &Resource::parse("datasets/9").unwrap())
        );
    }

    #[test]
    fn team_owners_hold_their_team() {
        let team = Uuid::now_v7();
        let access = PrincipalAccess {
            teams: vec![(team, TeamRole::Owner)],
            ..Default::default()
        };
        let grants = access.grants(&catalog());
        let inside = Resource::parse(&format!("teams/{team}/dataproducts/1")).unwrap();
        assert!(grants.allows("datasets:edit", &inside));
        assert!(!grants.allows("datasets:edit", &Resource::Any));
    }

    #[test]
    fn role_grants_of_unknown_permissions_are_dropped() {
        let grant = Grant::new(PermissionName::parse("gone:away").unwrap(), Resource::Any);
        let access = PrincipalAccess {
            role_grants: vec![grant],
            ..Default::default()
        };
        assert!(access.grants(&catalog()).is_empty());
    }

    #[test]
    fn roles_parse() {
        assert_eq!("admin".parse::<OrgRole>().unwrap(), OrgRole::Admin);
        assert!(
            "boss"
                .parse::<OrgRole>()
                .unwrap_err()
                .contains("owner, admin, member")
        );
    }
}
