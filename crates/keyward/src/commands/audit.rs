//! `keyward audit …`: an organization's audit log, or without `--org` the
//! organization-less one (organizations created and deleted; admin key).

use super::Run;
use super::exit::Verdict;
use super::output::{Output, write_stdout};
use keyward_client::{AuditFilter, ChainCheck, Client};

/// A page's columns in a table.
const EVENT_COLUMNS: &[&str] = &["at", "action", "outcome", "actor", "target"];

#[derive(Debug, Clone, clap::Subcommand)]
pub enum AuditCommand {
    /// List events, newest first, one page at a time.
    List {
        /// The organization, by id or slug; without it, the
        /// organization-less events (admin key).
        #[arg(long)]
        org: Option<String>,
        /// One action (`key.revoked`) or every action on a resource (`key.*`).
        #[arg(long)]
        action: Option<String>,
        /// Only events by this actor id.
        #[arg(long)]
        actor: Option<String>,
        /// Only events about this target id.
        #[arg(long)]
        target: Option<String>,
        /// Events at or after this time, RFC 3339 (`2025-01-31T00:00:00Z`).
        #[arg(long, value_parser = super::parse::parse_rfc3339)]
        since: Option<String>,
        /// Events before this time, RFC 3339.
        #[arg(long, value_parser = super::parse::parse_rfc3339)]
        until: Option<String>,
        /// Page size, 1 to 100.
        #[arg(long)]
        limit: Option<u32>,
        /// The `next_cursor` of the previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Write every matching event, oldest first, as JSON Lines on stdout,
    /// each as it arrives.
    Export {
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_parser = super::parse::parse_rfc3339)]
        since: Option<String>,
        #[arg(long, value_parser = super::parse::parse_rfc3339)]
        until: Option<String>,
    },
    /// Check the hash chain; exits with 1 when it is broken.
    Verify {
        #[arg(long)]
        org: Option<String>,
    },
}

/// A broken chain is a "no" for scripts, after the answer is printed.
fn verdict(check: &ChainCheck) -> anyhow::Result<()> {
    if check.ok {
        return Ok(());
    }
    let said = match &check.first_broken {
        Some(id) => format!("the audit chain is broken at event {id}"),
        None => "the audit chain ends short of its head: its newest events are gone".to_owned(),
    };
    Err(Verdict(said).into())
}

impl Run for AuditCommand {
    async fn run(self, client: &Client, out: Output) -> anyhow::Result<()> {
        match self {
            AuditCommand::List {
                org,
                action,
                actor,
                target,
                since,
                until,
                limit,
                cursor,
            } => {
                let filter = AuditFilter {
                    action,
                    actor_id: actor,
                    target_id: target,
                    since,
                    until,
                    limit,
                    cursor,
                };
                let page = client.list_audit(org.as_deref(), &filter).await?;
                out.print_columns(&page, Some(EVENT_COLUMNS))
            }
            AuditCommand::Export { org, since, until } => {
                let mut lines = client
                    .export_audit(org.as_deref(), since.as_deref(), until.as_deref())
                    .await?;
                while let Some(line) = lines.next_line().await? {
                    write_stdout(&line)?;
                }
                Ok(())
            }
            AuditCommand::Verify { org } => {
                let check = client.verify_audit(org.as_deref()).await?;
                out.print(&check)?;
                verdict(&check)
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
    fn org_is_optional_and_times_are_checked() {
        let line = "list --action key.* --actor u1 --since 2025-01-31T00:00:00Z --limit 5";
        let AuditCommand::List {
            org, action, limit, ..
        } = parse::<AuditCommand>(line).unwrap()
        else {
            panic!("{line:?} is not list")
        };
        assert_eq!(org, None);
        assert_eq!(action.as_deref(), Some("key.*"));
        assert_eq!(limit, Some(5));
        assert!(parse::<AuditCommand>("export --org acme --since yesterday").is_err());
        assert!(parse::<AuditCommand>("verify --org acme").is_ok());
    }

    #[test]
    fn only_an_intact_chain_succeeds() {
        let mut check = ChainCheck {
            ok: true,
            checked: 3,
            first_broken: None,
        };
        assert!(verdict(&check).is_ok());
        check.ok = false;
        assert!(verdict(&check).unwrap_err().is::<Verdict>());
        assert!(verdict(&check).unwrap_err().to_string().contains("short"));
        check.first_broken = Some("0192".into());
        assert!(verdict(&check).unwrap_err().to_string().contains("0192"));
    }
}
