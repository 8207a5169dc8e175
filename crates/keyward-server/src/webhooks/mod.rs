//! Delivering webhooks: the outbox every audited write fills (see
//! `keyward_store::Store::audited`) is sent by whichever node leases an
//! endpoint, one delivery at a time in order, each retried with backoff
//! and jitter for 24 hours; endpoints failing for 5 days are disabled.
//! `expiry.rs` records `key.expiring` and `key.expired`, which go out the
//! same way.

pub mod expiry;
pub mod send;
pub mod settings;
pub mod targets;

pub use settings::{WebhookSettings, WebhooksConfig};

use crate::state::AppState;
use chrono::{DateTime, Utc};
use keyward_core::webhook::{DISABLE_AFTER, RETRY_WINDOW, backoff, jitter};
use keyward_store::{Attempt, AttemptOutcome, Due, StoreError};
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

/// How often a node looks for due deliveries when nothing wakes it.
const POLL: Duration = Duration::from_millis(500);
/// How long a lease lasts: a node that stops (even by `kill -9`) holds an
/// endpoint no longer than this.
const LEASE: Duration = Duration::from_secs(20);
/// A node starts attempts for an endpoint only this long into its lease,
/// so the last one (at most [`send::TIMEOUT`]) ends before the lease does.
const TURN: Duration = Duration::from_secs(5);
/// The least time between two looks, however many commits wake the sender.
const BURST_PAUSE: Duration = Duration::from_millis(20);
/// Endpoints one node sends to at once.
const CONCURRENCY: usize = 32;

/// Wakes this node's sender after a commit that may have queued deliveries.
#[derive(Debug, Default)]
pub struct Outbox(Notify);

impl Outbox {
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Sends due deliveries until the task is aborted.
pub async fn run(state: AppState) {
    let node = Uuid::now_v7();
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    loop {
        if let Err(error) = round(&state, node, &slots).await
            && !matches!(error, StoreError::Unavailable(_))
        {
            tracing::warn!(%error, "webhook deliveries could not be read");
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = state.outbox.0.notified() => {
                // A burst of commits wakes the sender once per pause.
                tokio::time::sleep(BURST_PAUSE).await;
            }
        }
    }
}

/// Leases the endpoints with due deliveries that no node holds, and sends
/// each one's in the background.
async fn round(state: &AppState, node: Uuid, slots: &Arc<Semaphore>) -> Result<(), StoreError> {
    let free = slots.available_permits();
    if free == 0 {
        return Ok(());
    }
    let now = Utc::now();
    let claimed = state
        .store
        .claim_webhooks(node, now, now + to_chrono(LEASE), free as u32)
        .await?;
    for webhook in claimed {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return Ok(());
        };
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = drain(&state, webhook).await {
                tracing::warn!(%error, %webhook, "webhook deliveries stopped");
            }
            if let Err(error) = state.store.release_webhook(webhook, node).await {
                tracing::warn!(%error, %webhook, "a webhook's lease could not be released");
            }
            drop(permit);
        });
    }
    Ok(())
}

/// Sends an endpoint's due deliveries in order, stopping at the first
/// that fails (the next waits for it) or when the turn is over.
async fn drain(state: &AppState, webhook: Uuid) -> Result<(), StoreError> {
    let started = Instant::now();
    while started.elapsed() < TURN {
        let now = Utc::now();
        let Some(due) = state.store.next_due(webhook, now).await? else {
            return Ok(());
        };
        if !attempt(state, webhook, due, now).await? {
            return Ok(());
        }
    }
    Ok(())
}

/// One attempt at a delivery, recorded; whether it was delivered.
async fn attempt(
    state: &AppState,
    webhook: Uuid,
    due: Due,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let allow_private = state.settings.webhooks.allow_private_targets;
    let sent = send::send(
        &due.url,
        allow_private,
        &due.secrets,
        &due.delivery.message_id,
        &due.body,
        now,
    )
    .await;
    let delivered = sent.delivered();
    let at = Utc::now();
    let outcome = if delivered {
        AttemptOutcome::Delivered
    } else {
        next_attempt(state, &due, at)
    };
    let attempt = Attempt {
        at,
        response_status: sent.status.map(i32::from),
        latency_ms: i64::try_from(sent.latency.as_millis()).unwrap_or(i64::MAX),
        outcome,
        error: sent.error,
    };
    state
        .store
        .record_attempt(due.delivery.id, &attempt)
        .await?;
    if !delivered {
        let since = due.failing_since.unwrap_or(at);
        if at - since >= to_chrono(DISABLE_AFTER) {
            crate::ops::webhooks::disable_failing(state, due.organization_id, webhook).await;
        }
    }
    Ok(delivered)
}

/// When a failed delivery goes again: after the backoff for its number of
/// failures, with jitter, while its 24 hours last.
fn next_attempt(state: &AppState, due: &Due, at: DateTime<Utc>) -> AttemptOutcome {
    if at - due.window_start >= to_chrono(RETRY_WINDOW) {
        return AttemptOutcome::GiveUp;
    }
    let failures = u32::try_from(due.delivery.attempts).unwrap_or(0) + 1;
    let wait = jitter(
        backoff(failures, state.settings.webhooks.retry_base),
        rand::thread_rng().r#gen::<f64>(),
    );
    AttemptOutcome::RetryAt(at + to_chrono(wait))
}
