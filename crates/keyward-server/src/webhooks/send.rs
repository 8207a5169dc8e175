//! One attempt: the signed POST, to the address checked just before it.

use super::targets::{self, Refused};
use chrono::{DateTime, Utc};
use keyward_core::webhook::Secrets;
use std::time::{Duration, Instant};

/// A receiver that doesn't answer within this counts as failed.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What an attempt got.
#[derive(Debug, Clone)]
pub struct Sent {
    pub status: Option<u16>,
    pub latency: Duration,
    /// Why it failed, if it did; never the response's body.
    pub error: Option<String>,
}

impl Sent {
    pub fn delivered(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Sends `body` to `url`, signed with `secrets` as message `message_id`.
pub async fn send(
    url: &str,
    allow_private: bool,
    secrets: &Secrets,
    message_id: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Sent {
    let started = Instant::now();
    let failed = |error: String| Sent {
        status: None,
        latency: started.elapsed(),
        error: Some(error),
    };
    let target = match targets::check(url, allow_private).await {
        Ok(target) => target,
        Err(refused @ Refused::Private(_)) | Err(refused @ Refused::NotHttps) => {
            return failed(format!("not sent: {refused}"));
        }
        Err(refused) => return failed(refused.to_string()),
    };
    let mut client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("keyward-webhooks/", env!("CARGO_PKG_VERSION")));
    if let Some((host, address)) = &target.pinned {
        client = client.resolve(host, *address);
    }
    let client = match client.build() {
        Ok(client) => client,
        Err(error) => return failed(format!("no HTTP client: {error}")),
    };
    let timestamp = now.timestamp();
    let signature = secrets.signature(now, message_id, timestamp, body);
    let sent = client
        .post(target.url)
        .header("content-type", "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_owned())
        .send()
        .await;
    let latency = started.elapsed();
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let error = (!(200..300).contains(&status)).then(|| format!("answered {status}"));
            Sent {
                status: Some(status),
                latency,
                error,
            }
        }
        Err(error) if error.is_timeout() => Sent {
            status: None,
            latency,
            error: Some(format!("no answer within {} s", TIMEOUT.as_secs())),
        },
        Err(error) if error.is_connect() => Sent {
            status: None,
            latency,
            error: Some("could not connect".to_owned()),
        },
        Err(_) => Sent {
            status: None,
            latency,
            error: Some("the request failed".to_owned()),
        },
    }
}
