//! `keyward groups …`: groups carry roles to their members (users and
//! service accounts).

use super::request::{Endpoint, Request};
use keyward_client::Method;
use serde_json::{Value, json};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum GroupsCommand {
    /// List the organization's groups.
    List {
        #[arg(long)]
        org: String,
    },
    /// Create a group, with its roles and members.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// A role id the group carries. Repeatable.
        #[arg(long = "role", value_name = "ROLE_ID")]
        roles: Vec<String>,
        /// A member's user id. Repeatable.
        #[arg(long = "user", value_name = "USER_ID")]
        users: Vec<String>,
        /// A service account id. Repeatable.
        #[arg(long = "service-account", value_name = "ID")]
        service_accounts: Vec<String>,
    },
    /// Show one group.
    Get {
        #[arg(long)]
        org: String,
        group: String,
    },
    /// Delete a group; its members lose the roles it carried.
    Delete {
        #[arg(long)]
        org: String,
        group: String,
    },
    /// Add a role to a group.
    AddRole {
        #[arg(long)]
        org: String,
        #[arg(long)]
        group: String,
        #[arg(long)]
        role: String,
    },
    /// Remove a role from a group.
    RemoveRole {
        #[arg(long)]
        org: String,
        #[arg(long)]
        group: String,
        #[arg(long)]
        role: String,
    },
    /// Add a user or a service account to a group.
    AddMember {
        #[arg(long)]
        org: String,
        #[arg(long)]
        group: String,
        #[command(flatten)]
        member: Member,
    },
    /// Remove a user or a service account from a group.
    RemoveMember {
        #[arg(long)]
        org: String,
        #[arg(long)]
        group: String,
        #[command(flatten)]
        member: Member,
    },
}

/// Exactly one of `--user` and `--service-account`.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Member {
    #[arg(long)]
    user: Option<String>,
    #[arg(long)]
    service_account: Option<String>,
}

impl Member {
    /// The `{type}/{id}` path segments.
    fn segments(self) -> [String; 2] {
        match (self.user, self.service_account) {
            (Some(user), _) => ["user".to_owned(), user],
            (None, account) => ["service_account".to_owned(), account.unwrap_or_default()],
        }
    }
}

fn members(kind: &str, ids: Vec<String>) -> impl Iterator<Item = Value> {
    let kind = kind.to_owned();
    ids.into_iter()
        .map(move |id| json!({ "type": kind, "id": id }))
}

impl Endpoint for GroupsCommand {
    fn request(self) -> Request {
        use GroupsCommand as C;
        match self {
            C::List { org } => Request::new(Method::GET, &["orgs", &org, "groups"]),
            C::Create {
                org,
                name,
                roles,
                users,
                service_accounts,
            } => {
                let members: Vec<Value> = members("user", users)
                    .chain(members("service_account", service_accounts))
                    .collect();
                Request::new(Method::POST, &["orgs", &org, "groups"])
                    .json(json!({ "name": name, "roles": roles, "members": members }))
            }
            C::Get { org, group } => Request::new(Method::GET, &["orgs", &org, "groups", &group]),
            C::Delete { org, group } => {
                Request::new(Method::DELETE, &["orgs", &org, "groups", &group])
                    .done(json!({ "id": group, "deleted": true }))
            }
            C::AddRole { org, group, role } => Request::new(
                Method::PUT,
                &["orgs", &org, "groups", &group, "roles", &role],
            )
            .done(json!({ "group": group, "role": role, "added": true })),
            C::RemoveRole { org, group, role } => Request::new(
                Method::DELETE,
                &["orgs", &org, "groups", &group, "roles", &role],
            )
            .done(json!({ "group": group, "role": role, "removed": true })),
            C::AddMember { org, group, member } => {
                let [kind, id] = member.segments();
                Request::new(
                    Method::PUT,
                    &["orgs", &org, "groups", &group, "members", &kind, &id],
                )
                .done(json!({ "group": group, "type": kind, "id": id, "added": true }))
            }
            C::RemoveMember { org, group, member } => {
                let [kind, id] = member.segments();
                let path = ["orgs", &org, "groups", &group, "members", &kind, &id];
                Request::new(Method::DELETE, &path)
                    .done(json!({ "group": group, "type": kind, "id": id, "removed": true }))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::{parse, request};

    type C = GroupsCommand;

    #[test]
    fn create_carries_roles_and_typed_members() {
        let create = request::<C>(
            "create --org acme --name analysts --role r1 --role r2 \
             --user u1 --service-account sa1",
        );
        assert_eq!(create.method, Method::POST);
        assert_eq!(create.path, "/api/v1/orgs/acme/groups");
        let members =
            json!([{"type": "user", "id": "u1"}, {"type": "service_account", "id": "sa1"}]);
        let body = json!({"name": "analysts", "roles": ["r1", "r2"], "members": members});
        assert_eq!(create.body, Some(body));
        let bare = request::<C>("create --org acme --name g");
        let body = json!({"name": "g", "roles": [], "members": []});
        assert_eq!(bare.body, Some(body));
    }

    #[test]
    fn members_are_a_user_or_a_service_account() {
        let user = request::<C>("add-member --org acme --group g1 --user u1");
        assert_eq!(user.method, Method::PUT);
        assert_eq!(user.path, "/api/v1/orgs/acme/groups/g1/members/user/u1");
        let account = request::<C>("remove-member --org acme --group g1 --service-account sa1");
        assert_eq!(account.method, Method::DELETE);
        let path = "/api/v1/orgs/acme/groups/g1/members/service_account/sa1";
        assert_eq!(account.path, path);
        assert!(parse::<C>("add-member --org acme --group g1").is_err());
        assert!(
            parse::<C>("add-member --org acme --group g1 --user u --service-account s").is_err()
        );
    }

    #[test]
    fn roles_are_put_and_deleted() {
        let add = request::<C>("add-role --org acme --group g1 --role r1");
        assert_eq!(add.method, Method::PUT);
        assert_eq!(add.path, "/api/v1/orgs/acme/groups/g1/roles/r1");
        let remove = request::<C>("remove-role --org acme --group g1 --role r1");
        assert_eq!((remove.method, remove.path), (Method::DELETE, add.path));
    }
}
