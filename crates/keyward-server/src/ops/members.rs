//! Members of an organization and their roles there.

use super::actions::{MEMBER_REMOVED, MEMBER_ROLE_CHANGED};
use super::commit::{Change, commit};
use super::handout::ensure_hands_out;
use super::roles::Principal;
use super::rules::{found, not_found, parse_id, truncate};
use crate::ctx::{Ctx, Grants};
use crate::error::{ApiError, ApiResult, Code};
use crate::eviction::Evict;
use crate::state::AppState;
use futures::FutureExt;
use keyward_core::access::{Member, OrgRole, PrincipalKind, PrincipalRef};
use keyward_core::handout::Handout;
use keyward_store::StoreError;
use uuid::Uuid;

/// Whether the caller may make someone `role`: owners make owners, admins
/// admins, and everything the role grants must be held.
pub async fn may_grant_role(
    state: &AppState,
    org: Uuid,
    grants: &Grants,
    role: OrgRole,
) -> ApiResult<()> {
    let allowed = match role {
        OrgRole::Owner => grants.is_org_owner(),
        OrgRole::Admin => grants.is_org_admin(),
        OrgRole::Member => true,
    };
    if !allowed {
        return Err(ApiError::forbidden(format!(
            "only higher roles may hand out the role {role}"
        )));
    }
    ensure_hands_out(state, org, grants, Handout::OrgRole(role)).await
}

/// Whether the caller may take `role` away (change or remove its holder).
async fn may_take_role(
    state: &AppState,
    org: Uuid,
    grants: &Grants,
    role: OrgRole,
) -> ApiResult<()> {
    match role {
        OrgRole::Member => Ok(()),
        higher => may_grant_role(state, org, grants, higher).await,
    }
}

fn last_owner(e: StoreError) -> ApiError {
    match e {
        StoreError::LastOwner => ApiError::new(
            Code::Conflict,
            "the organization must keep at least one owner; make another owner first",
        ),
        other => other.into(),
    }
}

/// The organization's member the path names, or 404.
pub async fn member_or_404(state: &AppState, org: Uuid, raw: &str) -> ApiResult<Member> {
    let found = match parse_id(raw) {
        Some(id) => state.store.member(org, id).await?,
        None => None,
    };
    found.ok_or_else(|| not_found("member", raw))
}

/// The member as a principal roles are assigned to.
pub fn principal(member: &Member) -> Principal {
    Principal {
        principal: PrincipalRef {
            kind: PrincipalKind::User,
            id: member.user.id,
        },
        name: member.user.name.clone(),
    }
}

/// Changes a member's role.
pub async fn change_role(
    state: &AppState,
    ctx: &Ctx,
    raw: &str,
    role: OrgRole,
) -> ApiResult<Member> {
    let org = ctx.org.id;
    let current = member_or_404(state, org, raw).await?;
    may_take_role(state, org, &ctx.grants, current.role).await?;
    may_grant_role(state, org, &ctx.grants, role).await?;
    let user = current.user.id;
    let change = Change::new(MEMBER_ROLE_CHANGED, Some(org))
        .target("user", user, &current.user.name)
        .changed("role", &current.role, Some(&role))
        .evicts(Evict::Principal(user));
    commit(state, ctx.by(), change, |store| {
        async move { store.set_member_role(org, user, role).await }.boxed()
    })
    .await
    .map_err(last_owner)?
    .ok_or_else(|| not_found("member", raw))
}

/// Removes a member: out of the organization, its teams and groups, their
/// personal keys here revoked.
pub async fn remove(state: &AppState, ctx: &Ctx, raw: &str) -> ApiResult<()> {
    let org = ctx.org.id;
    let current = member_or_404(state, org, raw).await?;
    may_take_role(state, org, &ctx.grants, current.role).await?;
    let user = current.user.id;
    let at = truncate(state.clock.now());
    let change = Change::new(MEMBER_REMOVED, Some(org))
        .target("user", user, &current.user.name)
        .detail("role", current.role)
        .evicts(Evict::Principal(user));
    let removed = commit(state, ctx.by(), change, |store| {
        async move { store.remove_member(org, user, at).await }.boxed()
    })
    .await
    .map_err(last_owner)?;
    found(removed, "member", raw)
}
