//! `keyward roles …`: an organization's custom roles.

use super::parse::parse_permission;
use super::request::{Endpoint, Request};
use keyward_client::Method;
use serde_json::{Value, json};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum RolesCommand {
    /// List the organization's roles.
    List {
        #[arg(long)]
        org: String,
    },
    /// Create a role from grants the caller holds.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// A permission: catalog id (`3`), name (`keys:read`) or grant on one
        /// resource (`datasets:edit@datasets/42`). Repeatable.
        #[arg(long = "grant", value_name = "PERMISSION", value_parser = parse_permission)]
        grants: Vec<Value>,
    },
    /// Show one role.
    Get {
        #[arg(long)]
        org: String,
        role: String,
    },
    /// Rename or redescribe a role, or replace its grants.
    #[command(group = clap::ArgGroup::new("change").required(true).multiple(true))]
    Update {
        #[arg(long)]
        org: String,
        role: String,
        #[arg(long, group = "change")]
        name: Option<String>,
        #[arg(long, group = "change")]
        description: Option<String>,
        /// Replaces all the role's grants. Repeatable.
        #[arg(long = "grant", value_name = "PERMISSION", value_parser = parse_permission, group = "change")]
        grants: Vec<Value>,
    },
    /// Delete a role; whoever held it through an assignment or group loses it.
    Delete {
        #[arg(long)]
        org: String,
        role: String,
    },
}

impl Endpoint for RolesCommand {
    fn request(self) -> Request {
        match self {
            RolesCommand::List { org } => Request::new(Method::GET, &["orgs", &org, "roles"]),
            RolesCommand::Create {
                org,
                name,
                description,
                grants,
            } => Request::new(Method::POST, &["orgs", &org, "roles"])
                .json(json!({ "name": name, "description": description, "grants": grants })),
            RolesCommand::Get { org, role } => {
                Request::new(Method::GET, &["orgs", &org, "roles", &role])
            }
            RolesCommand::Update {
                org,
                role,
                name,
                description,
                grants,
            } => {
                let grants = (!grants.is_empty()).then_some(grants);
                Request::new(Method::PATCH, &["orgs", &org, "roles", &role])
                    .json(json!({ "name": name, "description": description, "grants": grants }))
            }
            RolesCommand::Delete { org, role } => {
                Request::new(Method::DELETE, &["orgs", &org, "roles", &role])
                    .done(json!({ "id": role, "deleted": true }))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::{parse, request};

    type C = RolesCommand;

    #[test]
    fn create_parses_each_grant() {
        let create = request::<C>(
            "create --org acme --name analyst --description reads \
             --grant keys:read --grant datasets:edit@datasets/42",
        );
        assert_eq!(create.method, Method::POST);
        assert_eq!(create.path, "/api/v1/orgs/acme/roles");
        let grant = json!({"permission": "datasets:edit", "resource": "datasets/42"});
        let body =
            json!({"name": "analyst", "description": "reads", "grants": ["keys:read", grant]});
        assert_eq!(create.body, Some(body));
        assert!(parse::<C>("create --org acme --name x --grant @x").is_err());
    }

    #[test]
    fn update_replaces_grants_only_when_given() {
        let rename = request::<C>("update --org acme r1 --name n");
        assert_eq!(rename.method, Method::PATCH);
        assert_eq!(rename.body, Some(json!({"name": "n"})));
        let regrant = request::<C>("update --org acme r1 --grant 3");
        assert_eq!(regrant.body, Some(json!({"grants": [3]})));
        assert!(parse::<C>("update --org acme r1").is_err());
    }

    #[test]
    fn get_and_delete() {
        let get = request::<C>("get --org acme r1");
        assert_eq!(get.method, Method::GET);
        assert_eq!(get.path, "/api/v1/orgs/acme/roles/r1");
        let delete = request::<C>("delete --org acme r1");
        assert_eq!((delete.method, delete.path), (Method::DELETE, get.path));
    }
}
