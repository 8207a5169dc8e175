//! The keyward binary: runs the server, applies migrations, and manages a
//! running server over HTTP: organizations, keys, and the access model
//! (sessions, members, teams, service accounts, roles, groups) and reads
//! the audit log.

mod commands;
mod healthcheck;

use clap::{Parser, Subcommand};
use commands::{
    AuditCommand, GroupsCommand, KeysCommand, Login, Logout, Me, MembersCommand, OrgsCommand,
    PermissionsCommand, Remote, RemoteArgs, RolesCommand, ServiceAccountsCommand, TeamsCommand,
    UsersCommand, WebhooksCommand, exit,
};
use keyward_client::ClientError;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "keyward",
    version,
    about = "A self-hosted API key service",
    after_help = "Exit codes: 0 done; 1 done, and the answer is no (a key that is not VALID, \
                  a broken audit chain); 2 not done (bad usage, the server unreachable, an API error)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(keyward_server::Config),
    /// Apply the store's migrations, then exit.
    Migrate(keyward_server::Config),
    /// Ask a running server whether it is ready (`/readyz` answers 200):
    /// exit 0 if so, 1 if not; for container health checks.
    Healthcheck(healthcheck::Healthcheck),
    /// Sign in with email and password; prints a session `token` that works
    /// as `--api-key`/`KEYWARD_API_KEY`.
    Login(RemoteArgs<Login>),
    /// End the session whose token is the API key.
    Logout(RemoteArgs<Logout>),
    /// Show the signed-in user and their organizations.
    Me(RemoteArgs<Me>),
    /// Manage organizations.
    Orgs(Remote<OrgsCommand>),
    /// Manage, roll and verify API keys.
    Keys(Remote<KeysCommand>),
    /// List and register the organization's permissions.
    Permissions(Remote<PermissionsCommand>),
    /// Disable or enable users (admin key); reset a lost password on the server.
    Users(Remote<UsersCommand>),
    /// Manage an organization's members, invitations and member roles.
    Members(Remote<MembersCommand>),
    /// Manage teams and their members.
    Teams(Remote<TeamsCommand>),
    /// Manage service accounts and their roles.
    ServiceAccounts(Remote<ServiceAccountsCommand>),
    /// Manage custom roles.
    Roles(Remote<RolesCommand>),
    /// Manage groups: roles given to users and service accounts together.
    Groups(Remote<GroupsCommand>),
    /// Read the audit log, export it as JSON Lines, check its hash chain.
    Audit(Remote<AuditCommand>),
    /// Manage webhooks: signed events sent to the organization's endpoints.
    Webhooks(Remote<WebhooksCommand>),
}

#[tokio::main]
async fn main() -> ExitCode {
    let Err(err) = run(Cli::parse()).await else {
        return ExitCode::SUCCESS;
    };
    match exit::code(&err) {
        None => ExitCode::SUCCESS,
        Some(code) => {
            report(&err);
            ExitCode::from(code)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(config) => keyward_server::serve(config).await?,
        Command::Migrate(config) => keyward_server::migrate(config).await?,
        Command::Healthcheck(command) => command.run().await?,
        Command::Login(command) => command.run().await?,
        Command::Logout(command) => command.run().await?,
        Command::Me(command) => command.run().await?,
        Command::Orgs(command) => command.run().await?,
        Command::Keys(command) => command.run().await?,
        Command::Permissions(command) => command.run().await?,
        Command::Users(command) => command.run().await?,
        Command::Members(command) => command.run().await?,
        Command::Teams(command) => command.run().await?,
        Command::ServiceAccounts(command) => command.run().await?,
        Command::Roles(command) => command.run().await?,
        Command::Groups(command) => command.run().await?,
        Command::Audit(command) => command.run().await?,
        Command::Webhooks(command) => command.run().await?,
    }
    Ok(())
}

/// `error: CODE: message` on stderr, then the error's `details` when the
/// server gave some (which permission was unknown, which field was wrong).
/// A closed stderr is no reason to panic: what can't be said is dropped.
fn report(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {err:#}");
    let details = match err.downcast_ref::<ClientError>() {
        Some(ClientError::Api { body, .. }) => body.details.as_ref(),
        _ => None,
    };
    if let Some(details) = details {
        let _ = writeln!(stderr, "details: {details}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("keyward").chain(line.split_whitespace()))
    }

    #[test]
    fn every_client_command_is_wired_with_the_client_flags() {
        for line in [
            "login --email a@b.io --password pw --url http://k:1",
            "logout --api-key kw_session",
            "me --url http://k:1",
            "users --url http://k:1 disable u1",
            "users reset-password owner@keyward.local --data-dir /srv/kw",
            "members list --org acme --api-key k",
            "members accept --token t --name N --password pw",
            "teams --api-key k list --org acme",
            "service-accounts list --org acme",
            "roles list --org acme --url http://k:1",
            "groups list --org acme",
            "keys verify kw_x --permission a:read",
            "keys verify - --output json",
            "keys --output table list --org acme",
            "keys update --org acme k1 --name ci --read-only false",
            "keys disable --org acme k1",
            "keys enable --org acme k1",
            "keys roll --org acme k1 --grace 0 --url http://k:1",
            "permissions list --org acme --output table",
            "permissions create --org acme a:read --read-only",
            "me --output json",
            "audit list --org acme --action key.*",
            "audit --url http://k:1 verify",
            "audit export --org acme --api-key k",
        ] {
            assert!(parse(line).is_ok(), "{line:?}: {:?}", parse(line).err());
        }
        assert!(parse("teams").is_err());
        assert!(parse("keys list --org acme --output yaml").is_err());
        assert!(parse("service_accounts list --org acme").is_err());
    }
}
