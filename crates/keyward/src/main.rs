//! The keyward binary: runs the server, applies migrations, and manages
//! organizations and keys of a running server over HTTP.

mod commands;

use clap::{Parser, Subcommand};
use commands::{ClientArgs, KeysCommand, OrgsCommand};
use keyward_client::ClientError;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "keyward", version, about = "A self-hosted API key service")]
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
    /// Manage organizations.
    Orgs {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: OrgsCommand,
    },
    /// Manage API keys.
    Keys {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err);
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(config) => keyward_server::serve(config).await?,
        Command::Migrate(config) => keyward_server::migrate(config).await?,
        Command::Orgs { client, command } => command.run(&client.client()).await?,
        Command::Keys { client, command } => command.run(&client.client()).await?,
    }
    Ok(())
}

/// `error: CODE: message` on stderr, then the error's `details` when the
/// server gave some (which permission was unknown, which field was wrong).
fn report(err: &anyhow::Error) {
    eprintln!("error: {err:#}");
    let details = match err.downcast_ref::<ClientError>() {
        Some(ClientError::Api { body, .. }) => body.details.as_ref(),
        _ => None,
    };
    if let Some(details) = details {
        eprintln!("details: {details}");
    }
}
