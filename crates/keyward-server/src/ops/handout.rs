//! The operations' way to the rule of
//! [`keyward_core::handout`]: refuse an action that hands out more than
//! the caller holds, with 403 `PERMISSION_NOT_HELD` naming what is missing.

use crate::ctx::Grants;
use crate::error::ApiResult;
use crate::ops::rules::ensure_holds;
use crate::state::AppState;
use keyward_core::handout::Handout;
use uuid::Uuid;

/// Refuses `handout` unless the caller holds all of it in `org`; the
/// admin key holds everything.
pub async fn ensure_hands_out(
    state: &AppState,
    org: Uuid,
    grants: &Grants,
    handout: Handout<'_>,
) -> ApiResult<()> {
    if grants.set().is_none() {
        return Ok(());
    }
    let catalog = state.store.catalog(org).await?;
    ensure_holds(grants, &handout.grants(&catalog))
}
