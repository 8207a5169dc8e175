//! `keyward teams …`

use super::request::{Endpoint, Request};
use keyward_client::Method;
use serde_json::json;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum TeamsCommand {
    /// List the organization's teams.
    List {
        #[arg(long)]
        org: String,
    },
    /// Create a team.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
    },
    /// Show one team.
    Get {
        #[arg(long)]
        org: String,
        team: String,
    },
    /// Delete a team; its keys stop working.
    Delete {
        #[arg(long)]
        org: String,
        team: String,
    },
    /// List a team's members.
    Members {
        #[arg(long)]
        org: String,
        team: String,
    },
    /// Add an organization member to a team, or change their team role.
    AddMember {
        #[arg(long)]
        org: String,
        #[arg(long)]
        team: String,
        #[arg(long)]
        user: String,
        #[arg(long, value_parser = ["owner", "member"], default_value = "member")]
        role: String,
    },
    /// Remove a member from a team.
    RemoveMember {
        #[arg(long)]
        org: String,
        #[arg(long)]
        team: String,
        #[arg(long)]
        user: String,
    },
}

impl Endpoint for TeamsCommand {
    fn request(self) -> Request {
        match self {
            TeamsCommand::List { org } => Request::new(Method::GET, &["orgs", &org, "teams"]),
            TeamsCommand::Create { org, name } => {
                Request::new(Method::POST, &["orgs", &org, "teams"]).json(json!({ "name": name }))
            }
            TeamsCommand::Get { org, team } => {
                Request::new(Method::GET, &["orgs", &org, "teams", &team])
            }
            TeamsCommand::Delete { org, team } => {
                Request::new(Method::DELETE, &["orgs", &org, "teams", &team])
                    .done(json!({ "id": team, "deleted": true }))
            }
            TeamsCommand::Members { org, team } => {
                Request::new(Method::GET, &["orgs", &org, "teams", &team, "members"])
            }
            TeamsCommand::AddMember {
                org,
                team,
                user,
                role,
            } => Request::new(
                Method::PUT,
                &["orgs", &org, "teams", &team, "members", &user],
            )
            .json(json!({ "role": role }))
            .done(json!({ "team": team, "user": user, "role": role })),
            TeamsCommand::RemoveMember { org, team, user } => Request::new(
                Method::DELETE,
                &["orgs", &org, "teams", &team, "members", &user],
            )
            .done(json!({ "team": team, "user": user, "removed": true })),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::{parse, request};

    type C = TeamsCommand;

    #[test]
    fn team_crud() {
        let create = request::<C>("create --org acme --name Data");
        assert_eq!(create.method, Method::POST);
        assert_eq!(create.path, "/api/v1/orgs/acme/teams");
        assert_eq!(create.body, Some(json!({"name": "Data"})));
        let delete = request::<C>("delete --org acme t1");
        assert_eq!(delete.method, Method::DELETE);
        assert_eq!(delete.path, "/api/v1/orgs/acme/teams/t1");
        let members = request::<C>("members --org acme t1");
        assert_eq!(members.path, "/api/v1/orgs/acme/teams/t1/members");
        assert!(parse::<C>("create --org acme").is_err());
        assert!(parse::<C>("list").is_err());
    }

    #[test]
    fn members_default_to_the_member_role() {
        let add = request::<C>("add-member --org acme --team t1 --user u1");
        assert_eq!(add.method, Method::PUT);
        assert_eq!(add.path, "/api/v1/orgs/acme/teams/t1/members/u1");
        assert_eq!(add.body, Some(json!({"role": "member"})));
        let owner = request::<C>("add-member --org acme --team t1 --user u1 --role owner");
        assert_eq!(owner.body, Some(json!({"role": "owner"})));
        assert!(parse::<C>("add-member --org acme --team t1 --user u1 --role admin").is_err());
        let remove = request::<C>("remove-member --org acme --team t1 --user u1");
        assert_eq!((remove.method, remove.path), (Method::DELETE, add.path));
    }
}
