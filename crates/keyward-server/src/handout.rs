//! The routes' and the portal's way to the rule of
//! [`keyward_core::handout`]: refuse an action that hands out more than
//! the caller holds, with 403 `PERMISSION_NOT_HELD` naming what is missing.

use crate::auth::Grants;
use crate::error::ApiResult;
use crate::eviction::Evict;
use crate::keys::ensure_holds;
use crate::state::AppState;
use keyward_core::access::{PrincipalRef, Role};
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

/// Assigns `role` to a member or service account once the caller is seen
/// to hold everything it grants; the principal's keys are retired.
pub async fn assign_role(
    state: &AppState,
    org: Uuid,
    grants: &Grants,
    principal: PrincipalRef,
    role: &Role,
) -> ApiResult<()> {
    ensure_hands_out(
        state,
        org,
        grants,
        Handout::Roles(std::slice::from_ref(role)),
    )
    .await?;
    state.store.assign_role(org, principal, role.id).await?;
    state.cache.retire(Evict::Principal(principal.id));
    Ok(())
}
