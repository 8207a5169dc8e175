//! `keyward members …`: an organization's members, their invitations and
//! the custom roles assigned to them.

use super::request::{Endpoint, Request};
use keyward_client::Method;
use serde_json::json;

const ORG_ROLES: [&str; 3] = ["owner", "admin", "member"];

#[derive(Debug, Clone, clap::Subcommand)]
pub enum MembersCommand {
    /// List the organization's members.
    List {
        #[arg(long)]
        org: String,
    },
    /// Show one member.
    Get {
        #[arg(long)]
        org: String,
        user: String,
    },
    /// Change a member's organization role.
    SetRole {
        #[arg(long)]
        org: String,
        user: String,
        #[arg(long, value_parser = ORG_ROLES)]
        role: String,
    },
    /// Remove a member from the organization.
    Remove {
        #[arg(long)]
        org: String,
        user: String,
    },
    /// Invite someone by email; prints the invitation's `token` and
    /// `accept_url`, shown this once.
    Invite {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ORG_ROLES)]
        role: String,
    },
    /// Accept an invitation: as the signed-in user (their session token as
    /// the credential), or as a new user for an email without an account.
    Accept {
        #[arg(long)]
        token: String,
        /// The new user's display name (with a password).
        #[arg(long, requires = "password")]
        name: Option<String>,
        /// The new user's password, at least 12 characters; or set `KEYWARD_PASSWORD`.
        #[arg(long, env = "KEYWARD_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Assign one of the organization's custom roles to a member.
    AddRole {
        #[arg(long)]
        org: String,
        #[arg(long)]
        user: String,
        /// The role's id.
        #[arg(long)]
        role: String,
    },
    /// Issue a single-use link, valid for an hour, that sets a member's lost
    /// password (owners and admins; only owners for an owner).
    ResetPassword {
        #[arg(long)]
        org: String,
        #[arg(long)]
        user: String,
    },
    /// Take a custom role away from a member.
    RemoveRole {
        #[arg(long)]
        org: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        role: String,
    },
}

impl Endpoint for MembersCommand {
    fn request(self) -> Request {
        match self {
            MembersCommand::List { org } => Request::new(Method::GET, &["orgs", &org, "members"]),
            MembersCommand::Get { org, user } => {
                Request::new(Method::GET, &["orgs", &org, "members", &user])
            }
            MembersCommand::SetRole { org, user, role } => {
                Request::new(Method::PATCH, &["orgs", &org, "members", &user])
                    .json(json!({ "role": role }))
            }
            MembersCommand::Remove { org, user } => {
                Request::new(Method::DELETE, &["orgs", &org, "members", &user])
                    .done(json!({ "user": user, "removed": true }))
            }
            MembersCommand::ResetPassword { org, user } => Request::new(
                Method::POST,
                &["orgs", &org, "members", &user, "password-reset"],
            ),
            MembersCommand::Invite { org, email, role } => {
                Request::new(Method::POST, &["orgs", &org, "invitations"])
                    .json(json!({ "email": email, "role": role }))
            }
            MembersCommand::Accept {
                token,
                name,
                password,
            } => {
                let body = match (name, password) {
                    (Some(name), Some(password)) => {
                        json!({ "token": token, "name": name, "password": password })
                    }
                    _ => json!({ "token": token }),
                };
                Request::new(Method::POST, &["invitations", "accept"]).json(body)
            }
            MembersCommand::AddRole { org, user, role } => Request::new(
                Method::PUT,
                &["orgs", &org, "members", &user, "roles", &role],
            )
            .done(json!({ "user": user, "role": role, "assigned": true })),
            MembersCommand::RemoveRole { org, user, role } => Request::new(
                Method::DELETE,
                &["orgs", &org, "members", &user, "roles", &role],
            )
            .done(json!({ "user": user, "role": role, "assigned": false })),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::{parse, request};

    type C = MembersCommand;

    #[test]
    fn member_paths() {
        let list = request::<C>("list --org acme");
        assert_eq!(list.method, Method::GET);
        assert_eq!(list.path, "/api/v1/orgs/acme/members");
        let remove = request::<C>("remove --org acme u1");
        assert_eq!(remove.method, Method::DELETE);
        assert_eq!(remove.path, "/api/v1/orgs/acme/members/u1");
        let get = request::<C>("get u/1 --org acme");
        assert_eq!(get.path, "/api/v1/orgs/acme/members/u%2F1");
        assert!(parse::<C>("get u1").is_err());
    }

    #[test]
    fn set_role_takes_an_organization_role() {
        let set = request::<C>("set-role --org acme u1 --role admin");
        assert_eq!(set.method, Method::PATCH);
        assert_eq!(set.body, Some(json!({"role": "admin"})));
        assert!(parse::<C>("set-role --org acme u1 --role god").is_err());
    }

    #[test]
    fn invite_and_accept() {
        let invite = request::<C>("invite --org acme --email bo@acme.io --role member");
        assert_eq!(invite.path, "/api/v1/orgs/acme/invitations");
        let body = json!({"email": "bo@acme.io", "role": "member"});
        assert_eq!(invite.body, Some(body));
        assert!(parse::<C>("invite --org acme --email bo@acme.io").is_err());
        let accept = request::<C>("accept --token t --name Bo --password long-password");
        assert_eq!(accept.path, "/api/v1/invitations/accept");
        let body = json!({"token": "t", "name": "Bo", "password": "long-password"});
        assert_eq!(accept.body, Some(body));
        // An existing account accepts signed in, with the token alone.
        let signed_in = request::<C>("accept --token t");
        assert_eq!(signed_in.body, Some(json!({"token": "t"})));
        assert!(parse::<C>("accept --token t --name Bo").is_err());
    }

    #[test]
    fn custom_roles_are_put_and_deleted() {
        let add = request::<C>("add-role --org acme --user u1 --role r1");
        assert_eq!(add.method, Method::PUT);
        assert_eq!(add.path, "/api/v1/orgs/acme/members/u1/roles/r1");
        let remove = request::<C>("remove-role --org acme --user u1 --role r1");
        assert_eq!((remove.method, remove.path), (Method::DELETE, add.path));
        assert!(parse::<C>("add-role --org acme --user u1").is_err());
    }
}
