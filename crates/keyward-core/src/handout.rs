//! "Never more than the actor holds", for every action that hands out
//! grants: what the action hands out is computed here, in one place, and
//! the actor must hold all of it (`GrantSet::first_uncovered` names what
//! is missing). Keys follow the same rule through their
//! effective grants.

use crate::access::{OrgRole, Role, TeamRole};
use crate::grant::GrantSet;
use crate::model::{Catalog, KeyGrant};
use uuid::Uuid;

/// What a grant-bearing action hands out.
#[derive(Debug, Clone, Copy)]
pub enum Handout<'a> {
    /// Inviting someone with an organization role, or changing a member's.
    OrgRole(OrgRole),
    /// Making a user a team's owner or member (a team's creator becomes
    /// its owner).
    TeamRole { team: Uuid, role: TeamRole },
    /// Custom roles given to a member, a service account or a group, or a
    /// group's roles given to a principal joining it.
    Roles(&'a [Role]),
    /// The grants a role is created or edited with.
    Grants(&'a [KeyGrant]),
}

impl Handout<'_> {
    /// Every grant the action hands out.
    pub fn grants(&self, catalog: &Catalog) -> GrantSet {
        match *self {
            Handout::OrgRole(role) => role.grants(catalog),
            Handout::TeamRole { team, role } => role.grants(catalog, team),
            Handout::Roles(roles) => known(catalog, roles.iter().flat_map(|r| &r.grants)),
            Handout::Grants(grants) => known(catalog, grants),
        }
    }
}

/// The grants whose permission is in the catalog: the others confer
/// nothing (live grants drop them too), so they hand nothing out.
fn known<'a>(catalog: &Catalog, grants: impl IntoIterator<Item = &'a KeyGrant>) -> GrantSet {
    GrantSet::new(
        grants
            .into_iter()
            .filter(|g| catalog.by_name(g.name.as_str()).is_some())
            .map(KeyGrant::grant)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::team_resources;
    use crate::grant::{Grant, Resource};
    use crate::model::Permission;
    use crate::permission::PermissionName;
    use chrono::Utc;

    const TEAM: Uuid = Uuid::from_u128(7);
    const OTHER_TEAM: Uuid = Uuid::from_u128(8);

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
            p(3, "members:write", false),
            p(4, "teams:write", false),
            p(1000, "datasets:read", true),
        ])
    }

    fn grant(permission: &str, resource: &str) -> Grant {
        Grant::new(
            PermissionName::parse(permission).unwrap(),
            Resource::parse(resource).unwrap(),
        )
    }

    fn key_grant(permission: &str, resource: &str) -> KeyGrant {
        KeyGrant {
            id: 0,
            name: PermissionName::parse(permission).unwrap(),
            resource: Resource::parse(resource).unwrap(),
        }
    }

    fn role(grants: Vec<KeyGrant>) -> Role {
        Role {
            id: Uuid::from_u128(1),
            organization_id: Uuid::from_u128(2),
            name: "r".to_owned(),
            description: String::new(),
            grants,
            created_at: Utc::now(),
        }
    }

    /// Who acts, by what they hold.
    fn actor(name: &str) -> GrantSet {
        let c = catalog();
        let plus = |mut set: GrantSet, extra: &[Grant]| {
            for g in extra {
                set.insert(g.clone());
            }
            set
        };
        match name {
            "owner" => OrgRole::Owner.grants(&c),
            "member" => OrgRole::Member.grants(&c),
            "members:write only" => GrantSet::new(vec![grant("members:write", "*")]),
            "member with teams:write" => {
                plus(OrgRole::Member.grants(&c), &[grant("teams:write", "*")])
            }
            "team owner" => TeamRole::Owner.grants(&c, TEAM),
            _ => unreachable!("{name}"),
        }
    }

    #[test]
    fn each_action_needs_all_it_hands_out() {
        let wide = [role(vec![key_grant("keys:write", "*")])];
        let read = [role(vec![key_grant("keys:read", "*")])];
        let gone = [role(vec![key_grant("gone:away", "*")])];
        let inside = [key_grant("keys:write", &format!("teams/{TEAM}/x"))];
        let team = |role| Handout::TeamRole { team: TEAM, role };
        let other = Handout::TeamRole {
            team: OTHER_TEAM,
            role: TeamRole::Member,
        };
        // (actor, action, the first permission missing; None: allowed)
        let table: &[(&str, Handout<'_>, Option<&str>)] = &[
            ("owner", Handout::OrgRole(OrgRole::Owner), None),
            ("owner", Handout::OrgRole(OrgRole::Admin), None),
            ("owner", team(TeamRole::Owner), None),
            ("owner", Handout::Roles(&wide), None),
            ("member", Handout::OrgRole(OrgRole::Member), None),
            (
                "member",
                Handout::OrgRole(OrgRole::Admin),
                Some("keys:write"),
            ),
            ("member", team(TeamRole::Member), None),
            ("member", team(TeamRole::Owner), Some("keys:write")),
            ("member", Handout::Roles(&read), None),
            ("member", Handout::Roles(&wide), Some("keys:write")),
            ("member", Handout::Roles(&gone), None),
            ("member", Handout::Grants(&inside), Some("keys:write")),
            (
                "members:write only",
                Handout::OrgRole(OrgRole::Member),
                Some("keys:read"),
            ),
            (
                "members:write only",
                Handout::OrgRole(OrgRole::Owner),
                Some("keys:read"),
            ),
            (
                "member with teams:write",
                team(TeamRole::Owner),
                Some("keys:write"),
            ),
            ("member with teams:write", team(TeamRole::Member), None),
            ("team owner", team(TeamRole::Owner), None),
            ("team owner", Handout::Grants(&inside), None),
            ("team owner", other, Some("keys:read")),
            (
                "team owner",
                Handout::OrgRole(OrgRole::Member),
                Some("keys:read"),
            ),
            ("team owner", Handout::Roles(&wide), Some("keys:write")),
        ];
        for (who, action, missing) in table {
            let handed = action.grants(&catalog());
            let found = actor(who).first_uncovered(&handed).cloned();
            assert_eq!(
                found.as_ref().map(|g| g.permission.as_str()),
                *missing,
                "{who} doing {action:?}"
            );
        }
    }

    #[test]
    fn roles_hand_out_what_they_hold() {
        let c = catalog();
        let everything = c.everything_on(&[Resource::Any]);
        for role in [OrgRole::Owner, OrgRole::Admin] {
            assert_eq!(Handout::OrgRole(role).grants(&c), everything);
        }
        let member = Handout::OrgRole(OrgRole::Member).grants(&c);
        assert_eq!(
            member,
            GrantSet::new(vec![grant("keys:read", "*"), grant("datasets:read", "*")])
        );
        let owner = Handout::TeamRole {
            team: TEAM,
            role: TeamRole::Owner,
        }
        .grants(&c);
        assert_eq!(owner, c.everything_on(&team_resources(TEAM)));
        assert_eq!(owner.grants().len(), 2 * c.0.len());
    }
}
