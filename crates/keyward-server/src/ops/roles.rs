//! Custom roles, and assigning them to members and service accounts.

use super::actions::{
    MEMBER_ROLE_ASSIGNED, MEMBER_ROLE_UNASSIGNED, ROLE_CREATED, ROLE_DELETED, ROLE_UPDATED,
    SERVICE_ACCOUNT_ROLE_ASSIGNED, SERVICE_ACCOUNT_ROLE_UNASSIGNED,
};
use super::commit::{Change, commit};
use super::handout::ensure_hands_out;
use super::rules::{
    check_description, check_name, found, not_found, parse_id, resolve_permissions, truncate,
};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, Code};
use crate::eviction::Evict;
use crate::state::AppState;
use futures::FutureExt;
use keyward_core::access::{PrincipalKind, PrincipalRef, Role};
use keyward_core::handout::Handout;
use keyward_core::model::KeyGrant;
use keyward_store::RolePatch;
use serde_json::Value;
use uuid::Uuid;

/// What a new role asks for.
pub struct NewRole {
    pub name: String,
    pub description: Option<String>,
    pub grants: Vec<Value>,
}

/// What a change to a role asks for; `None` fields stay.
pub struct RoleUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub grants: Option<Vec<Value>>,
}

/// The organization's role the path names, or 404.
pub async fn role_or_404(state: &AppState, org: Uuid, raw: &str) -> ApiResult<Role> {
    let id = parse_id(raw).ok_or_else(|| not_found("role", raw))?;
    state
        .store
        .role(org, id)
        .await?
        .ok_or_else(|| not_found("role", raw))
}

/// Resolves grant references the caller holds all of.
async fn resolve_held(state: &AppState, ctx: &Ctx, refs: &[Value]) -> ApiResult<Vec<KeyGrant>> {
    let catalog = state.store.catalog(ctx.org.id).await?;
    let grants = resolve_permissions(&catalog, refs)?;
    ensure_hands_out(state, ctx.org.id, &ctx.grants, Handout::Grants(&grants)).await?;
    Ok(grants)
}

/// Creates a role whose grants the creator holds.
pub async fn create(state: &AppState, ctx: &Ctx, input: NewRole) -> ApiResult<Role> {
    let org = ctx.org.id;
    let role = Role {
        id: Uuid::now_v7(),
        organization_id: org,
        name: check_name(&input.name)?,
        description: check_description(input.description)?.unwrap_or_default(),
        grants: resolve_held(state, ctx, &input.grants).await?,
        created_at: truncate(state.clock.now()),
    };
    let change = Change::new(ROLE_CREATED, Some(org))
        .target("role", role.id, &role.name)
        .detail("grants", &role.grants)
        .evicts(Evict::Org(org));
    commit(state, ctx.by(), change, |store| {
        async move { store.create_role(&role).await.map(|()| role) }.boxed()
    })
    .await
    .map_err(ApiError::from)
}

/// Renames, describes or regrants a role; new grants must be held.
pub async fn update(state: &AppState, ctx: &Ctx, raw: &str, input: RoleUpdate) -> ApiResult<Role> {
    let org = ctx.org.id;
    let role = role_or_404(state, org, raw).await?;
    let grants = match &input.grants {
        Some(refs) => Some(resolve_held(state, ctx, refs).await?),
        None => None,
    };
    let patch = RolePatch {
        name: input.name.as_deref().map(check_name).transpose()?,
        description: check_description(input.description)?,
        grants,
    };
    let change = Change::new(ROLE_UPDATED, Some(org))
        .target("role", role.id, &role.name)
        .changed("name", &role.name, patch.name.as_ref())
        .changed("description", &role.description, patch.description.as_ref())
        .changed("grants", &role.grants, patch.grants.as_ref())
        .evicts(Evict::Org(org));
    let id = role.id;
    commit(state, ctx.by(), change, |store| {
        async move { store.update_role(org, id, &patch).await }.boxed()
    })
    .await?
    .ok_or_else(|| not_found("role", raw))
}

/// Deletes a role; whoever held it through it no longer does.
pub async fn delete(state: &AppState, ctx: &Ctx, raw: &str) -> ApiResult<()> {
    let org = ctx.org.id;
    let role = role_or_404(state, org, raw).await?;
    let change = Change::new(ROLE_DELETED, Some(org))
        .target("role", role.id, &role.name)
        .evicts(Evict::Org(org));
    let id = role.id;
    let deleted = commit(state, ctx.by(), change, |store| {
        async move { store.delete_role(org, id).await }.boxed()
    })
    .await?;
    found(deleted, "role", raw)
}

/// How the log names a principal: its kind and display name.
pub struct Principal {
    pub principal: PrincipalRef,
    pub name: String,
}

fn assignment(
    principal: &Principal,
    assigned: bool,
) -> (keyward_core::audit::Action, &'static str) {
    match (principal.principal.kind, assigned) {
        (PrincipalKind::User, true) => (MEMBER_ROLE_ASSIGNED, "user"),
        (PrincipalKind::User, false) => (MEMBER_ROLE_UNASSIGNED, "user"),
        (PrincipalKind::ServiceAccount, true) => (SERVICE_ACCOUNT_ROLE_ASSIGNED, "service_account"),
        (PrincipalKind::ServiceAccount, false) => {
            (SERVICE_ACCOUNT_ROLE_UNASSIGNED, "service_account")
        }
    }
}

/// Assigns `role` to a member or service account once the caller is seen
/// to hold everything it grants.
pub async fn assign(state: &AppState, ctx: &Ctx, to: &Principal, role: &Role) -> ApiResult<()> {
    let org = ctx.org.id;
    let handout = Handout::Roles(std::slice::from_ref(role));
    ensure_hands_out(state, org, &ctx.grants, handout).await?;
    let (action, kind) = assignment(to, true);
    let principal = to.principal;
    let change = Change::new(action, Some(org))
        .target(kind, principal.id, &to.name)
        .detail("role", role.id)
        .detail("role_name", &role.name)
        .evicts(Evict::Principal(principal.id));
    let role_id = role.id;
    commit(state, ctx.by(), change, |store| {
        async move { store.assign_role(org, principal, role_id).await }.boxed()
    })
    .await?;
    Ok(())
}

/// Takes `role` from a member or service account.
pub async fn unassign(state: &AppState, ctx: &Ctx, from: &Principal, role: &Role) -> ApiResult<()> {
    let org = ctx.org.id;
    let (action, kind) = assignment(from, false);
    let principal = from.principal;
    let change = Change::new(action, Some(org))
        .target(kind, principal.id, &from.name)
        .detail("role", role.id)
        .detail("role_name", &role.name)
        .evicts(Evict::Principal(principal.id));
    let role_id = role.id;
    let removed = commit(state, ctx.by(), change, |store| {
        async move { store.unassign_role(org, principal, role_id).await }.boxed()
    })
    .await?;
    if removed {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::NotFound,
            format!("the {kind} does not hold that role"),
        ))
    }
}
