//! `keyward healthcheck`: asks a running keyward whether it is ready, for
//! container health checks and service managers on hosts without curl (the
//! container image holds nothing but this binary).
//!
//! It exits 0 when the server answers 200, and 1 for every other outcome
//! (an error status, no answer, no answer in time): container engines read
//! 1 as "unhealthy" and reserve 2.

use crate::commands::exit::Verdict;
use keyward_client::Client;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct Healthcheck {
    /// keyward's base URL.
    #[arg(long, env = "KEYWARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Ask `/healthz` (the process answers) instead of `/readyz` (its store
    /// answers too).
    #[arg(long)]
    live: bool,
    /// Seconds to wait for the whole answer, 1 to 300.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    timeout: u64,
}

impl Healthcheck {
    pub async fn run(self) -> anyhow::Result<()> {
        let path = if self.live { "/healthz" } else { "/readyz" };
        let client = Client::new(self.url);
        let target = format!("{}{path}", client.base_url());
        let wait = Duration::from_secs(self.timeout);
        let response = match tokio::time::timeout(wait, client.get(path)).await {
            Err(_) => {
                let message = format!("{target}: no answer within {} s", self.timeout);
                return Err(Verdict(message).into());
            }
            Ok(Err(error)) => {
                let message = format!("{target}: {:#}", anyhow::Error::from(error));
                return Err(Verdict(message).into());
            }
            Ok(Ok(response)) => response,
        };
        if response.status != 200 {
            let reason = response
                .body
                .get("message")
                .and_then(|message| message.as_str())
                .unwrap_or("no reason given");
            let message = format!("{target}: {} ({reason})", response.status);
            return Err(Verdict(message).into());
        }
        println!("{target}: 200");
        Ok(())
    }
}
