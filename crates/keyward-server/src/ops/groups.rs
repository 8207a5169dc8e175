//! Groups of principals that carry roles their members inherit.

use super::actions::{
    GROUP_CREATED, GROUP_DELETED, GROUP_MEMBER_ADDED, GROUP_MEMBER_REMOVED, GROUP_RENAMED,
    GROUP_ROLE_ADDED, GROUP_ROLE_REMOVED,
};
use super::commit::{Change, commit};
use super::handout::ensure_hands_out;
use super::rules::{check_name, found, not_found, parse_id, truncate};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, Code};
use crate::eviction::Evict;
use crate::state::AppState;
use futures::FutureExt;
use keyward_core::access::{Group, PrincipalKind, PrincipalRef, Role};
use keyward_core::handout::Handout;
use serde_json::json;
use uuid::Uuid;

/// The organization's group the path names, or 404.
pub async fn group_or_404(state: &AppState, org: Uuid, raw: &str) -> ApiResult<Group> {
    let id = parse_id(raw).ok_or_else(|| not_found("group", raw))?;
    state
        .store
        .group(org, id)
        .await?
        .ok_or_else(|| not_found("group", raw))
}

fn dedup<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

async fn roles_among(state: &AppState, org: Uuid, ids: &[Uuid]) -> ApiResult<Vec<Role>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut roles = state.store.roles(org).await?;
    roles.retain(|role| ids.contains(&role.id));
    Ok(roles)
}

/// The principal's display name, if it is the organization's.
async fn principal_name(state: &AppState, org: Uuid, principal: PrincipalRef) -> ApiResult<String> {
    let id = principal.id;
    match principal.kind {
        PrincipalKind::User => match state.store.member(org, id).await? {
            Some(member) => Ok(member.user.name),
            None => Err(ApiError::validation(format!(
                "user {id} is not a member of this organization"
            ))),
        },
        PrincipalKind::ServiceAccount => match state.store.service_account(org, id).await? {
            Some(account) => Ok(account.name),
            None => Err(ApiError::validation(format!(
                "service account {id} is not in this organization"
            ))),
        },
    }
}

/// A principal named by a path's `{type}/{id}`.
pub fn principal_from_path(kind: &str, id: &str) -> ApiResult<PrincipalRef> {
    let kind = kind
        .parse::<PrincipalKind>()
        .map_err(|e| ApiError::new(Code::NotFound, format!("member type {e}")))?;
    let id = parse_id(id)
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("{kind} {id} was not found")))?;
    Ok(PrincipalRef { kind, id })
}

/// What a new group asks for.
pub struct NewGroup {
    pub name: String,
    pub roles: Vec<Uuid>,
    pub members: Vec<PrincipalRef>,
}

/// Creates a group whose roles the creator holds.
pub async fn create(state: &AppState, ctx: &Ctx, input: NewGroup) -> ApiResult<Group> {
    let org = ctx.org.id;
    let name = check_name(&input.name)?;
    let role_ids = dedup(input.roles);
    let roles = roles_among(state, org, &role_ids).await?;
    let unknown: Vec<Uuid> = role_ids
        .iter()
        .filter(|id| !roles.iter().any(|role| role.id == **id))
        .copied()
        .collect();
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown.iter().map(Uuid::to_string).collect();
        return Err(ApiError::validation(format!(
            "these roles are not in this organization: {}",
            listed.join(", ")
        ))
        .with_details(json!({ "unknown_roles": unknown })));
    }
    let members = dedup(input.members);
    for member in &members {
        principal_name(state, org, *member).await?;
    }
    ensure_hands_out(state, org, &ctx.grants, Handout::Roles(&roles)).await?;
    let group = Group {
        id: Uuid::now_v7(),
        organization_id: org,
        name,
        role_ids,
        members,
        created_at: truncate(state.clock.now()),
    };
    let change = Change::new(GROUP_CREATED, Some(org))
        .target("group", group.id, &group.name)
        .detail("roles", &group.role_ids)
        .detail("members", &group.members)
        .evicts(Evict::Org(org));
    commit(state, ctx.by(), change, |store| {
        async move { store.create_group(&group).await.map(|()| group) }.boxed()
    })
    .await
    .map_err(ApiError::from)
}

/// Renames a group; what it carries is unchanged.
pub async fn rename(state: &AppState, ctx: &Ctx, raw: &str, name: &str) -> ApiResult<Group> {
    let org = ctx.org.id;
    let group = group_or_404(state, org, raw).await?;
    let name = check_name(name)?;
    let change = Change::new(GROUP_RENAMED, Some(org))
        .target("group", group.id, &group.name)
        .changed("name", &group.name, Some(&name));
    let id = group.id;
    let renamed = commit(state, ctx.by(), change, |store| {
        let name = name.clone();
        async move { store.rename_group(org, id, &name).await }.boxed()
    })
    .await?;
    found(renamed, "group", raw)?;
    Ok(Group { name, ..group })
}

/// Deletes a group; its members no longer hold its roles.
pub async fn delete(state: &AppState, ctx: &Ctx, raw: &str) -> ApiResult<()> {
    let org = ctx.org.id;
    let group = group_or_404(state, org, raw).await?;
    let change = Change::new(GROUP_DELETED, Some(org))
        .target("group", group.id, &group.name)
        .evicts(Evict::Org(org));
    let id = group.id;
    let deleted = commit(state, ctx.by(), change, |store| {
        async move { store.delete_group(org, id).await }.boxed()
    })
    .await?;
    found(deleted, "group", raw)
}

/// Adds a role the caller holds to a group.
pub async fn add_role(state: &AppState, ctx: &Ctx, group: &Group, role: &Role) -> ApiResult<()> {
    let org = ctx.org.id;
    let handout = Handout::Roles(std::slice::from_ref(role));
    ensure_hands_out(state, org, &ctx.grants, handout).await?;
    let change = Change::new(GROUP_ROLE_ADDED, Some(org))
        .target("group", group.id, &group.name)
        .detail("role", role.id)
        .detail("role_name", &role.name)
        .evicts(Evict::Org(org));
    let (group_id, role_id) = (group.id, role.id);
    commit(state, ctx.by(), change, |store| {
        async move { store.add_group_role(group_id, role_id).await }.boxed()
    })
    .await?;
    Ok(())
}

/// Takes a role from a group.
pub async fn remove_role(state: &AppState, ctx: &Ctx, group: &Group, raw: &str) -> ApiResult<()> {
    let org = ctx.org.id;
    let not_in_group = || ApiError::new(Code::NotFound, format!("role {raw} is not in this group"));
    let role_id = parse_id(raw).ok_or_else(not_in_group)?;
    let change = Change::new(GROUP_ROLE_REMOVED, Some(org))
        .target("group", group.id, &group.name)
        .detail("role", role_id)
        .evicts(Evict::Org(org));
    let group_id = group.id;
    let removed = commit(state, ctx.by(), change, |store| {
        async move { store.remove_group_role(group_id, role_id).await }.boxed()
    })
    .await?;
    if removed { Ok(()) } else { Err(not_in_group()) }
}

/// Adds a member or service account of the organization to a group; the
/// caller must hold the group's roles.
pub async fn add_member(
    state: &AppState,
    ctx: &Ctx,
    group: &Group,
    principal: PrincipalRef,
) -> ApiResult<()> {
    let org = ctx.org.id;
    let name = principal_name(state, org, principal).await?;
    let roles = roles_among(state, org, &group.role_ids).await?;
    ensure_hands_out(state, org, &ctx.grants, Handout::Roles(&roles)).await?;
    let change = Change::new(GROUP_MEMBER_ADDED, Some(org))
        .target(principal.kind.as_str(), principal.id, name)
        .detail("group", group.id)
        .detail("group_name", &group.name)
        .evicts(Evict::Principal(principal.id));
    let group_id = group.id;
    commit(state, ctx.by(), change, |store| {
        async move { store.add_group_member(group_id, principal).await }.boxed()
    })
    .await?;
    Ok(())
}

/// Takes a member or service account out of a group.
pub async fn remove_member(
    state: &AppState,
    ctx: &Ctx,
    group: &Group,
    principal: PrincipalRef,
) -> ApiResult<()> {
    let org = ctx.org.id;
    let name = principal_name(state, org, principal)
        .await
        .unwrap_or_default();
    let change = Change::new(GROUP_MEMBER_REMOVED, Some(org))
        .target(principal.kind.as_str(), principal.id, name)
        .detail("group", group.id)
        .detail("group_name", &group.name)
        .evicts(Evict::Principal(principal.id));
    let group_id = group.id;
    let removed = commit(state, ctx.by(), change, |store| {
        async move { store.remove_group_member(group_id, principal).await }.boxed()
    })
    .await?;
    if removed {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::NotFound,
            format!("{} {} is not in this group", principal.kind, principal.id),
        ))
    }
}
