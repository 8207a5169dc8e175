//! Webhooks' part of the store: endpoints, the outbox of deliveries (filled
//! by every audited write, in its transaction: see [`crate::Store::audited`])
//! and the lease that lets one node at a time send an endpoint's
//! deliveries, in order.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::webhook::{Delivery, EventPattern, Secrets, SigningSecret, Webhook};
use uuid::Uuid;

/// A change to an endpoint: only the fields that are `Some` change.
/// Enabling it again forgets that it was failing.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<EventPattern>>,
    pub enabled: Option<bool>,
}

/// A new outbox row outside any audit event: a test message.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub message_id: String,
    pub event_type: String,
    pub body: String,
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    /// `None` when no answer came (refused, timed out, not allowed).
    pub response_status: Option<i32>,
    pub latency_ms: i64,
    /// Delivered; else the next attempt's time, or `None` when retries
    /// are over.
    pub outcome: AttemptOutcome,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(DateTime<Utc>),
    GiveUp,
}

/// What a node needs to send an endpoint's next delivery.
#[derive(Debug, Clone)]
pub struct Due {
    pub delivery: Delivery,
    pub body: String,
    /// When the retry window of the delivery started.
    pub window_start: DateTime<Utc>,
    pub url: String,
    pub secrets: Secrets,
    pub organization_id: Uuid,
    pub failing_since: Option<DateTime<Utc>>,
}

/// A key about to expire or just expired, for `key.expiring` / `key.expired`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryNotice {
    pub key_id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_webhook(&self, webhook: &Webhook, secret: &SigningSecret) -> Result<()>;
    /// The organization's endpoints, oldest first.
    async fn webhooks(&self, org: Uuid) -> Result<Vec<Webhook>>;
    async fn webhook(&self, org: Uuid, id: Uuid) -> Result<Option<Webhook>>;
    async fn update_webhook(
        &self,
        org: Uuid,
        id: Uuid,
        patch: &WebhookPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<Webhook>>;
    /// Deletes an endpoint and its deliveries.
    async fn delete_webhook(&self, org: Uuid, id: Uuid) -> Result<bool>;
    /// Replaces the secret; the old one keeps signing until `previous_until`.
    async fn roll_webhook_secret(
        &self,
        org: Uuid,
        id: Uuid,
        secret: &SigningSecret,
        previous_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Option<Webhook>>;
    /// Disables an enabled endpoint that failed too long; says whether it did.
    async fn disable_failing_webhook(&self, org: Uuid, id: Uuid, at: DateTime<Utc>)
    -> Result<bool>;

    /// Queues a message to one endpoint (a test); its delivery's id.
    async fn enqueue_message(
        &self,
        org: Uuid,
        webhook: Uuid,
        message: &NewMessage,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>>;
    /// The endpoint's deliveries, newest first, older than `before`.
    async fn deliveries(
        &self,
        org: Uuid,
        webhook: Uuid,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Delivery>>;
    /// Sends a delivery again as soon as it is its endpoint's turn, with a
    /// new retry window.
    async fn retry_delivery(
        &self,
        org: Uuid,
        webhook: Uuid,
        delivery: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<Delivery>>;

    /// Leases up to `limit` enabled endpoints that have a delivery due and
    /// no live lease to `node` until `until`; their ids.
    async fn claim_webhooks(
        &self,
        node: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Uuid>>;
    /// The endpoint's oldest pending delivery, if it is due at `now`.
    async fn next_due(&self, webhook: Uuid, now: DateTime<Utc>) -> Result<Option<Due>>;
    /// Records an attempt, and whether the endpoint is failing.
    async fn record_attempt(&self, delivery: i64, attempt: &Attempt) -> Result<()>;
    /// Ends `node`'s lease on an endpoint.
    async fn release_webhook(&self, webhook: Uuid, node: Uuid) -> Result<()>;

    /// Deletes delivered and failed deliveries made before `before`; how many.
    async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64>;

    /// Days before expiry that `key.expiring` goes, if the organization set it.
    async fn expiring_days(&self, org: Uuid) -> Result<Option<u32>>;
    async fn set_expiring_days(&self, org: Uuid, days: u32) -> Result<()>;
    /// Live keys that expire after `now` and within their organization's
    /// notice days (`default_days` if unset), not yet noticed as `kind`.
    async fn keys_expiring(
        &self,
        now: DateTime<Utc>,
        default_days: u32,
        limit: u32,
    ) -> Result<Vec<ExpiryNotice>>;
    /// Unrevoked keys that expired by `now`, after `since`, not yet noticed.
    async fn keys_expired(
        &self,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ExpiryNotice>>;
    /// Notes that `kind` was sent for the key; `false` if it already was.
    async fn note_key_expiry(&self, key: Uuid, kind: &str, at: DateTime<Utc>) -> Result<bool>;
}
