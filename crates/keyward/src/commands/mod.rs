//! The CLI's client commands: they call a running keyward over HTTP with
//! [`keyward_client::Client`] and print the answer as JSON for scripts or
//! as a table for people ([`output`]); [`exit`] says how they end.

mod audit;
pub mod exit;
mod groups;
mod keys;
mod members;
mod orgs;
mod output;
mod parse;
mod permissions;
mod request;
mod roles;
mod secret_input;
mod service_accounts;
mod session;
mod table;
mod teams;
mod users;
mod webhooks;

pub use audit::AuditCommand;
pub use groups::GroupsCommand;
pub use keys::KeysCommand;
pub use members::MembersCommand;
pub use orgs::OrgsCommand;
pub use permissions::PermissionsCommand;
pub use roles::RolesCommand;
pub use service_accounts::ServiceAccountsCommand;
pub use session::{Login, Logout, Me};
pub use teams::TeamsCommand;
pub use users::UsersCommand;
pub use webhooks::WebhooksCommand;

use keyward_client::Client;
use output::{Format, Output};

/// Where the server is and who we are to it; accepted before or after the
/// subcommand (`keyward keys --url U list` or `keyward keys list --url U`).
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// keyward's base URL.
    #[arg(
        long,
        env = "KEYWARD_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub url: String,
    /// The API key to authenticate with (the admin key, an organization key,
    /// or a session token from `keyward login`).
    #[arg(long, env = "KEYWARD_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
    /// How answers are printed: `table` for people, `json` for scripts.
    /// By default a table when stdout is a terminal, JSON otherwise.
    #[arg(long, value_enum, env = "KEYWARD_OUTPUT", global = true)]
    pub output: Option<Format>,
}

impl ClientArgs {
    pub fn client(&self) -> Client {
        let client = Client::new(self.url.clone());
        match &self.api_key {
            Some(key) => client.with_api_key(key.clone()),
            None => client,
        }
    }
}

/// What a client command does against a running keyward, printing its
/// answer through `out`.
pub trait Run {
    async fn run(self, client: &Client, out: Output) -> anyhow::Result<()>;
}

/// A group of client commands: `keyward teams [--url U] list --org acme`.
#[derive(Debug, Clone, clap::Args)]
pub struct Remote<C: clap::Subcommand> {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: C,
}

/// A client command without subcommands: `keyward login --email E`.
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteArgs<C: clap::Args> {
    #[command(flatten)]
    client: ClientArgs,
    #[command(flatten)]
    command: C,
}

impl<C: clap::Subcommand + Run> Remote<C> {
    pub async fn run(self) -> anyhow::Result<()> {
        let out = Output::new(self.client.output);
        self.command.run(&self.client.client(), out).await
    }
}

impl<C: clap::Args + Run> RemoteArgs<C> {
    pub async fn run(self) -> anyhow::Result<()> {
        let out = Output::new(self.client.output);
        self.command.run(&self.client.client(), out).await
    }
}

/// Parses a command line (split on whitespace) as `keyward GROUP …` would.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod testing {
    use super::request::{Endpoint, Request};
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Harness<C: clap::Subcommand> {
        #[command(subcommand)]
        command: C,
    }

    #[derive(Debug, Parser)]
    struct FlatHarness<A: clap::Args> {
        #[command(flatten)]
        args: A,
    }

    fn argv(line: &str) -> impl Iterator<Item = &str> {
        std::iter::once("keyward").chain(line.split_whitespace())
    }

    pub fn parse<C: clap::Subcommand>(line: &str) -> Result<C, clap::Error> {
        Harness::<C>::try_parse_from(argv(line)).map(|harness| harness.command)
    }

    /// Like [`parse`], for a command without subcommands.
    pub fn parse_args<A: clap::Args>(line: &str) -> Result<A, clap::Error> {
        FlatHarness::<A>::try_parse_from(argv(line)).map(|harness| harness.args)
    }

    /// The request `line` makes; panics when it doesn't parse.
    pub fn request<C: clap::Subcommand + Endpoint>(line: &str) -> Request {
        match parse::<C>(line) {
            Ok(command) => command.request(),
            Err(e) => panic!("{line:?} did not parse: {e}"),
        }
    }
}
