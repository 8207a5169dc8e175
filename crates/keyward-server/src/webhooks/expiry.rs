//! `key.expiring` (once, when a key enters the last days before its expiry,
//! 7 unless the organization or the configuration says otherwise) and
//! `key.expired` (once, when it expired): recorded as audit events by
//! keyward itself, so they reach webhooks through the outbox like any other.

use crate::ops::webhooks::{ExpiryKind, note_expiry};
use crate::state::AppState;
use keyward_store::StoreError;
use std::time::Duration;

/// How often keys are checked.
const EVERY: Duration = Duration::from_secs(60);
/// Keys noted per check and kind; the rest wait for the next check.
const BATCH: u32 = 500;
/// Keys that expired longer ago than this (say, while every node was down)
/// are not announced any more.
const EXPIRED_LOOKBACK_DAYS: i64 = 7;

/// Notes the keys due a notice now; how many were noted.
pub async fn run_once(state: &AppState) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let days = state.settings.webhooks.expiring_days;
    let mut noted = 0;
    for notice in state.store.keys_expiring(now, days, BATCH).await? {
        noted += usize::from(note_expiry(state, &notice, ExpiryKind::Expiring).await?);
    }
    let since = now - chrono::Duration::days(EXPIRED_LOOKBACK_DAYS);
    for notice in state.store.keys_expired(now, since, BATCH).await? {
        noted += usize::from(note_expiry(state, &notice, ExpiryKind::Expired).await?);
    }
    Ok(noted)
}

/// Checks every minute until aborted.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        if let Err(error) = run_once(&state).await
            && !matches!(error, StoreError::Unavailable(_))
        {
            tracing::warn!(%error, "expiring keys could not be noted");
        }
    }
}
