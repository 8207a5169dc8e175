//! `keyward webhooks …`

use super::request::{Endpoint, Request};
use keyward_client::Method;
use serde_json::json;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum WebhooksCommand {
    /// List the organization's webhooks (never their secrets).
    List {
        #[arg(long)]
        org: String,
    },
    /// Create a webhook; its signing secret (`whsec_…`) is printed this once.
    Create {
        #[arg(long)]
        org: String,
        /// The receiver's URL: `https://…` on a public address.
        #[arg(long)]
        endpoint: String,
        /// An event type or pattern (`key.revoked`, `key.*`, `*`); repeat it.
        #[arg(long = "event", required = true)]
        events: Vec<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Show one webhook.
    Get {
        #[arg(long)]
        org: String,
        webhook: String,
    },
    /// Change a webhook's URL, events, description, or whether it is enabled.
    Update {
        #[arg(long)]
        org: String,
        webhook: String,
        /// A new receiver URL.
        #[arg(long)]
        endpoint: Option<String>,
        /// Replaces the events; repeat it.
        #[arg(long = "event")]
        events: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        enabled: Option<bool>,
    },
    /// Delete a webhook and its deliveries.
    Delete {
        #[arg(long)]
        org: String,
        webhook: String,
    },
    /// Send a `webhook.test` event.
    Test {
        #[arg(long)]
        org: String,
        webhook: String,
    },
    /// Roll the signing secret: the new one is printed this once; the old
    /// one signs too for 24 hours.
    RollSecret {
        #[arg(long)]
        org: String,
        webhook: String,
    },
    /// List a webhook's deliveries, newest first.
    Deliveries {
        #[arg(long)]
        org: String,
        webhook: String,
    },
    /// Send a delivery again.
    Retry {
        #[arg(long)]
        org: String,
        #[arg(long)]
        webhook: String,
        delivery: String,
    },
}

impl Endpoint for WebhooksCommand {
    fn request(self) -> Request {
        match self {
            WebhooksCommand::List { org } => Request::new(Method::GET, &["orgs", &org, "webhooks"]),
            WebhooksCommand::Create {
                org,
                endpoint: url,
                events,
                description,
            } => Request::new(Method::POST, &["orgs", &org, "webhooks"]).json(json!({
                "url": url, "events": events, "description": description,
            })),
            WebhooksCommand::Get { org, webhook } => {
                Request::new(Method::GET, &["orgs", &org, "webhooks", &webhook])
            }
            WebhooksCommand::Update {
                org,
                webhook,
                endpoint: url,
                events,
                description,
                enabled,
            } => {
                let events = (!events.is_empty()).then_some(events);
                Request::new(Method::PATCH, &["orgs", &org, "webhooks", &webhook]).json(json!({
                    "url": url, "events": events, "description": description, "enabled": enabled,
                }))
            }
            WebhooksCommand::Delete { org, webhook } => {
                Request::new(Method::DELETE, &["orgs", &org, "webhooks", &webhook])
                    .done(json!({ "id": webhook, "deleted": true }))
            }
            WebhooksCommand::Test { org, webhook } => {
                Request::new(Method::POST, &["orgs", &org, "webhooks", &webhook, "test"])
            }
            WebhooksCommand::RollSecret { org, webhook } => Request::new(
                Method::POST,
                &["orgs", &org, "webhooks", &webhook, "roll-secret"],
            ),
            WebhooksCommand::Deliveries { org, webhook } => Request::new(
                Method::GET,
                &["orgs", &org, "webhooks", &webhook, "deliveries"],
            ),
            WebhooksCommand::Retry {
                org,
                webhook,
                delivery,
            } => Request::new(
                Method::POST,
                &[
                    "orgs",
                    &org,
                    "webhooks",
                    &webhook,
                    "deliveries",
                    &delivery,
                    "retry",
                ],
            ),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::{parse, request};

    type C = WebhooksCommand;

    #[test]
    fn webhook_commands() {
        let create = request::<C>(
            "create --org acme --endpoint https://example.com/h --event key.* --event member.removed",
        );
        assert_eq!(create.method, Method::POST);
        assert_eq!(create.path, "/api/v1/orgs/acme/webhooks");
        assert_eq!(
            create.body,
            Some(json!({"url": "https://example.com/h", "events": ["key.*", "member.removed"]}))
        );
        assert!(parse::<C>("create --org acme --endpoint https://example.com/h").is_err());
        let update = request::<C>("update --org acme w1 --enabled true");
        assert_eq!(update.method, Method::PATCH);
        assert_eq!(update.body, Some(json!({"enabled": true})));
        let retry = request::<C>("retry --org acme --webhook w1 42");
        assert_eq!(
            retry.path,
            "/api/v1/orgs/acme/webhooks/w1/deliveries/42/retry"
        );
        let roll = request::<C>("roll-secret --org acme w1");
        assert_eq!(roll.path, "/api/v1/orgs/acme/webhooks/w1/roll-secret");
        let deliveries = request::<C>("deliveries --org acme w1");
        assert_eq!(deliveries.method, Method::GET);
        assert_eq!(deliveries.path, "/api/v1/orgs/acme/webhooks/w1/deliveries");
    }
}
