//! `keyward orgs …`

use super::Run;
use super::output::Output;
use keyward_client::{Client, NewOrg};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum OrgsCommand {
    /// Create an organization (needs the admin key).
    Create {
        /// Display name.
        name: String,
        /// URL-safe identifier; derived from the name when omitted.
        #[arg(long)]
        slug: Option<String>,
        /// Prefix of the organization's keys (2-12 lowercase letters or digits).
        #[arg(long)]
        key_prefix: Option<String>,
    },
    /// List the organizations the caller can see.
    List,
    /// Show one organization, by id or slug.
    Get { org: String },
}

impl Run for OrgsCommand {
    async fn run(self, client: &Client, out: Output) -> anyhow::Result<()> {
        match self {
            OrgsCommand::Create {
                name,
                slug,
                key_prefix,
            } => {
                let org = NewOrg {
                    name,
                    slug,
                    key_prefix,
                };
                out.print(&client.create_org(&org).await?)
            }
            OrgsCommand::List => out.print(&client.list_orgs().await?),
            OrgsCommand::Get { org } => out.print(&client.get_org(&org).await?),
        }
    }
}
