//! `keyward service-accounts …`

use super::request::{Endpoint, Request};
use keyward_client::Method;
use serde_json::json;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum ServiceAccountsCommand {
    /// List the organization's service accounts.
    List {
        #[arg(long)]
        org: String,
    },
    /// Create a service account.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Show one service account, with its roles and groups.
    Get {
        #[arg(long)]
        org: String,
        account: String,
    },
    /// Rename, redescribe, enable or disable a service account.
    #[command(group = clap::ArgGroup::new("change").required(true).multiple(true))]
    Update {
        #[arg(long)]
        org: String,
        account: String,
        #[arg(long, group = "change")]
        name: Option<String>,
        #[arg(long, group = "change")]
        description: Option<String>,
        /// Its keys work again.
        #[arg(long, group = "change", conflicts_with = "disable")]
        enable: bool,
        /// Its keys stop working until it is enabled again.
        #[arg(long, group = "change")]
        disable: bool,
    },
    /// Delete a service account and its keys.
    Delete {
        #[arg(long)]
        org: String,
        account: String,
    },
    /// List the roles assigned to a service account.
    Roles {
        #[arg(long)]
        org: String,
        account: String,
    },
    /// Assign a role to a service account.
    AddRole {
        #[arg(long)]
        org: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        role: String,
    },
    /// Take a role away from a service account.
    RemoveRole {
        #[arg(long)]
        org: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        role: String,
    },
}

impl Endpoint for ServiceAccountsCommand {
    fn request(self) -> Request {
        use ServiceAccountsCommand as C;
        const ACCOUNTS: &str = "service-accounts";
        match self {
            C::List { org } => Request::new(Method::GET, &["orgs", &org, ACCOUNTS]),
            C::Create {
                org,
                name,
                description,
            } => Request::new(Method::POST, &["orgs", &org, ACCOUNTS])
                .json(json!({ "name": name, "description": description })),
            C::Get { org, account } => {
                Request::new(Method::GET, &["orgs", &org, ACCOUNTS, &account])
            }
            C::Update {
                org,
                account,
                name,
                description,
                enable,
                disable,
            } => {
                let enabled = (enable || disable).then_some(enable);
                Request::new(Method::PATCH, &["orgs", &org, ACCOUNTS, &account])
                    .json(json!({ "name": name, "description": description, "enabled": enabled }))
            }
            C::Delete { org, account } => {
                Request::new(Method::DELETE, &["orgs", &org, ACCOUNTS, &account])
                    .done(json!({ "id": account, "deleted": true }))
            }
            C::Roles { org, account } => {
                Request::new(Method::GET, &["orgs", &org, ACCOUNTS, &account, "roles"])
            }
            C::AddRole { org, account, role } => Request::new(
                Method::PUT,
                &["orgs", &org, ACCOUNTS, &account, "roles", &role],
            )
            .done(json!({ "account": account, "role": role, "assigned": true })),
            C::RemoveRole { org, account, role } => Request::new(
                Method::DELETE,
                &["orgs", &org, ACCOUNTS, &account, "roles", &role],
            )
            .done(json!({ "account": account, "role": role, "assigned": false })),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::{parse, request};

    type C = ServiceAccountsCommand;

    #[test]
    fn create_and_get() {
        let create = request::<C>("create --org acme --name etl");
        assert_eq!(create.method, Method::POST);
        assert_eq!(create.path, "/api/v1/orgs/acme/service-accounts");
        assert_eq!(create.body, Some(json!({"name": "etl"})));
        let get = request::<C>("get --org acme sa1");
        assert_eq!(get.path, "/api/v1/orgs/acme/service-accounts/sa1");
        let roles = request::<C>("roles --org acme sa1");
        assert_eq!(roles.path, "/api/v1/orgs/acme/service-accounts/sa1/roles");
    }

    #[test]
    fn update_sends_only_what_changes() {
        let disable = request::<C>("update --org acme sa1 --disable");
        assert_eq!(disable.method, Method::PATCH);
        assert_eq!(disable.body, Some(json!({"enabled": false})));
        let rename = request::<C>("update --org acme sa1 --name etl2 --enable");
        assert_eq!(rename.body, Some(json!({"name": "etl2", "enabled": true})));
        assert!(parse::<C>("update --org acme sa1").is_err());
        assert!(parse::<C>("update --org acme sa1 --enable --disable").is_err());
    }

    #[test]
    fn roles_are_put_and_deleted() {
        let add = request::<C>("add-role --org acme --account sa1 --role r1");
        assert_eq!(add.method, Method::PUT);
        assert_eq!(add.path, "/api/v1/orgs/acme/service-accounts/sa1/roles/r1");
        let remove = request::<C>("remove-role --org acme --account sa1 --role r1");
        assert_eq!((remove.method, remove.path), (Method::DELETE, add.path));
        assert!(parse::<C>("add-role --org acme --account sa1").is_err());
    }
}
