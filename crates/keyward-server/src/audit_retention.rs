//! The audit log's retention: events older than `audit_retention_days` are
//! pruned at start and then every hour. Pruning cuts each chain at its
//! start and moves its anchor, so what remains still verifies.

use crate::state::AppState;
use keyward_store::StoreError;
use std::time::Duration;

/// How often retention runs after the first pass at start.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Prunes every chain's events older than the retention, by the server's
/// clock; says how many went.
pub async fn prune_once(state: &AppState) -> Result<u64, StoreError> {
    let retention = chrono::Duration::days(i64::from(state.settings.audit_retention_days));
    state.store.prune_audit(state.clock.now() - retention).await
}

/// Prunes now and then every [`PRUNE_INTERVAL`], until aborted. A failed
/// pass is logged and the next one tries again.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(PRUNE_INTERVAL);
    loop {
        tick.tick().await;
        match prune_once(&state).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "audit events past their retention pruned"),
            Err(error) => {
                tracing::warn!(%error, "pruning the audit log failed; retrying in an hour")
            }
        }
    }
}
