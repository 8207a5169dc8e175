//! The CLI's client commands: they call a running keyward over HTTP with
//! [`keyward_client::Client`] and print the JSON answer for scripts.

mod audit;
mod groups;
mod keys;
mod members;
mod orgs;
mod parse;
mod request;
mod roles;
mod service_accounts;
mod session;
mod teams;
mod users;

pub use audit::AuditCommand;
pub use groups::GroupsCommand;
pub use keys::KeysCommand;
pub use members::MembersCommand;
pub use orgs::OrgsCommand;
pub use roles::RolesCommand;
pub use service_accounts::ServiceAccountsCommand;
pub use session::{Login, Logout, Me};
pub use teams::TeamsCommand;
pub use users::UsersCommand;

use keyward_client::Client;
use std::io::Write;

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

/// What a client command does against a running keyward.
pub trait Run {
    async fn run(self, client: &Client) -> anyhow::Result<()>;
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
        self.command.run(&self.client.client()).await
    }
}

impl<C: clap::Args + Run> RemoteArgs<C> {
    pub async fn run(self) -> anyhow::Result<()> {
        self.command.run(&self.client.client()).await
    }
}

/// Prints `value` as pretty JSON on stdout. A closed pipe (`| head`) is an
/// error to return, not a panic as with `println!`.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(())
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
