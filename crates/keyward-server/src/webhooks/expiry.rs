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

/// Delivered and failed deliveries are kept this long, for the log.
const KEEP_DELIVERIES_DAYS: i64 = 30;
/// Old deliveries are pruned once in this many checks (hourly).
const PRUNE_EVERY: u32 = 60;

/// Deletes delivered and failed deliveries older than 30 days.
pub async fn prune(state: &AppState) -> Result<u64, StoreError> {
    let before = state.clock.now() - chrono::Duration::days(KEEP_DELIVERIES_DAYS);
    state.store.prune_deliveries(before).await
}

/// Checks every minute, and prunes old deliveries hourly, until aborted.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(EVERY);
    let mut checks: u32 = 0;
    loop {
        tick.tick().await;
        if checks.is_multiple_of(PRUNE_EVERY)
            && let Err(error) = prune(&state).await
            && !matches!(error, StoreError::Unavailable(_))
        {
            tracing::warn!(%error, "old webhook deliveries could not be pruned");
        }
        checks = checks.wrapping_add(1);
        if let Err(error) = run_once(&state).await
            && !matches!(error, StoreError::Unavailable(_))
        {
            tracing::warn!(%error, "expiring keys could not be noted");
        }
    }
}
