//! `keyward permissions …`: the organization's permission catalog.

use super::Run;
use super::output::Output;
use keyward_client::{Client, NewPermission};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum PermissionsCommand {
    /// List the catalog: keyward's built-in permissions and the platform's own.
    List {
        /// The organization, by id or slug.
        #[arg(long)]
        org: String,
    },
    /// Register a platform permission, `resource:action` (`dataproducts:read`).
    Create {
        #[arg(long)]
        org: String,
        name: String,
        /// What the permission allows, for people choosing it.
        #[arg(long)]
        description: Option<String>,
        /// An action that changes nothing; read-only keys keep only these.
        #[arg(long)]
        read_only: bool,
    },
}

impl Run for PermissionsCommand {
    async fn run(self, client: &Client, out: Output) -> anyhow::Result<()> {
        match self {
            PermissionsCommand::List { org } => out.print(&client.list_permissions(&org).await?),
            PermissionsCommand::Create {
                org,
                name,
                description,
                read_only,
            } => {
                let permission = NewPermission {
                    name,
                    description,
                    read_only,
                };
                out.print(&client.create_permission(&org, &permission).await?)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::parse;

    #[test]
    fn create_takes_a_name_and_optional_description_and_flag() {
        let line = "create --org acme dataproducts:read --description Read --read-only";
        let PermissionsCommand::Create {
            name,
            description,
            read_only,
            ..
        } = parse::<PermissionsCommand>(line).unwrap()
        else {
            panic!("{line:?} is not create")
        };
        assert_eq!(name, "dataproducts:read");
        assert_eq!(description.as_deref(), Some("Read"));
        assert!(read_only);
        assert!(parse::<PermissionsCommand>("create --org acme").is_err());
        assert!(parse::<PermissionsCommand>("list").is_err());
    }
}
