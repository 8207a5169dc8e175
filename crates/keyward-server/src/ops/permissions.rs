//! The organization's own permissions in its catalog.

use super::actions::PERMISSION_CREATED;
use super::commit::{Change, commit};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, Code};
use crate::eviction::Evict;
use crate::state::AppState;
use futures::FutureExt;
use keyward_core::PermissionName;
use keyward_core::model::Permission;
use keyward_core::permission::is_builtin;
use keyward_store::NewPermission;

/// Registers a platform permission. Owner-level keys hold every catalog
/// permission, so the organization's cached answers are retired.
pub async fn register(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    description: Option<String>,
    read_only: bool,
) -> ApiResult<Permission> {
    let org = ctx.org.id;
    let name = PermissionName::parse(name).map_err(|e| ApiError::validation(e.to_string()))?;
    if is_builtin(name.as_str()) {
        return Err(ApiError::new(
            Code::Conflict,
            format!("{name} is a built-in permission"),
        ));
    }
    let description = super::rules::check_description(description)?.unwrap_or_default();
    let change = Change::new(PERMISSION_CREATED, Some(org))
        .target("permission", name.as_str(), name.as_str())
        .detail("read_only", read_only)
        .evicts(Evict::Org(org));
    let new = NewPermission {
        name,
        description,
        read_only,
    };
    commit(state, ctx.by(), change, |store| {
        async move { store.create_permission(org, &new).await }.boxed()
    })
    .await
    .map_err(ApiError::from)
}
