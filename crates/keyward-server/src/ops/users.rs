//! Users' accounts: enabling and disabling them (the admin key's).

use super::actions::USER_UPDATED;
use super::commit::{By, Change, commit, user_logs};
use super::rules::{not_found, parse_id};
use crate::ctx::{Caller, RequestMeta};
use crate::error::ApiResult;
use crate::eviction::Evict;
use crate::state::AppState;
use futures::FutureExt;
use keyward_core::access::User;

/// Enables or disables a user; disabling ends their sessions. Recorded in
/// each organization the user belongs to.
pub async fn set_enabled(
    state: &AppState,
    meta: &RequestMeta,
    raw: &str,
    enabled: bool,
) -> ApiResult<User> {
    let id = parse_id(raw).ok_or_else(|| not_found("user", raw))?;
    let user = state
        .store
        .user_by_id(id)
        .await?
        .ok_or_else(|| not_found("user", raw))?;
    let change = Change::in_orgs(USER_UPDATED, user_logs(state, id).await?)
        .target("user", id, &user.name)
        .changed("enabled", &user.enabled, Some(&enabled))
        .evicts(Evict::Principal(id));
    let by = By {
        actor: Caller::Admin.actor(),
        meta,
    };
    commit(state, by, change, |store| {
        async move { store.set_user_enabled(id, enabled).await }.boxed()
    })
    .await?
    .ok_or_else(|| not_found("user", raw))
}
