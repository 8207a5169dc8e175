//! The CLI's client commands: they call a running keyward over HTTP with
//! [`keyward_client::Client`] and print the JSON answer for scripts.

mod keys;
mod orgs;

pub use keys::KeysCommand;
pub use orgs::OrgsCommand;

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
    /// The API key to authenticate with (the admin key, or an organization key).
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

/// Prints `value` as pretty JSON on stdout. A closed pipe (`| head`) is an
/// error to return, not a panic as with `println!`.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(())
}
