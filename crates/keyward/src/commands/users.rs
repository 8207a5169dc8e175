//! `keyward users …`: disabling and enabling users over HTTP (admin key),
//! and resetting a lost password on the server itself.

use super::Run;
use super::output::Output;
use super::request::{Endpoint, Request};
use keyward_client::{Client, Method};
use serde_json::json;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum UsersCommand {
    #[command(flatten)]
    Account(AccountCommand),
    /// On the server, against its configured store (no running server
    /// needed): print a single-use link, valid for an hour, that sets a new
    /// password for the account with this email; the way back for an owner
    /// who lost the bootstrap password. With SQLite, stop the server first:
    /// one process writes the audit log (a running one would refuse its next
    /// change in that log once, with 409).
    ResetPassword(Box<ResetPassword>),
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum AccountCommand {
    /// Disable a user: they can't sign in, and their personal keys stop working.
    Disable { user: String },
    /// Enable a disabled user again.
    Enable { user: String },
}

#[derive(Debug, Clone, clap::Args)]
pub struct ResetPassword {
    email: String,
    /// The server's configuration: its data folder or database, and secret.
    #[command(flatten)]
    server: keyward_server::Config,
}

impl Endpoint for AccountCommand {
    fn request(self) -> Request {
        let (user, enabled) = match self {
            AccountCommand::Disable { user } => (user, false),
            AccountCommand::Enable { user } => (user, true),
        };
        Request::new(Method::PATCH, &["users", &user]).json(json!({ "enabled": enabled }))
    }
}

impl Run for UsersCommand {
    async fn run(self, client: &Client, out: Output) -> anyhow::Result<()> {
        match self {
            UsersCommand::Account(command) => command.run(client, out).await,
            UsersCommand::ResetPassword(reset) => {
                let issued =
                    keyward_server::recovery::reset_password(reset.server, &reset.email).await?;
                out.print(&json!({
                    "token": issued.token.expose(),
                    "url": issued.url(),
                    "expires_at": issued.reset.expires_at,
                }))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::{parse, request};

    #[test]
    fn disable_and_enable_patch_the_user() {
        let disable = request::<AccountCommand>("disable 0192-u");
        assert_eq!(disable.method, Method::PATCH);
        assert_eq!(disable.path, "/api/v1/users/0192-u");
        assert_eq!(disable.body, Some(json!({"enabled": false})));
        let enable = request::<AccountCommand>("enable 0192-u");
        assert_eq!(enable.body, Some(json!({"enabled": true})));
    }

    #[test]
    fn a_user_id_is_required() {
        assert!(parse::<UsersCommand>("disable").is_err());
        assert!(parse::<UsersCommand>("delete 0192-u").is_err());
    }

    #[test]
    fn reset_password_takes_an_email_and_the_server_configuration() {
        let parsed = parse::<UsersCommand>("reset-password owner@keyward.local --data-dir /srv/kw");
        match parsed {
            Ok(UsersCommand::ResetPassword(reset)) => {
                assert_eq!(reset.email, "owner@keyward.local");
                assert_eq!(reset.server.data_dir.as_deref(), Some("/srv/kw".as_ref()));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse::<UsersCommand>("reset-password").is_err());
    }
}
