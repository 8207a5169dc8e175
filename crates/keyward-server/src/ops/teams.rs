//! Teams and who is in them.

use super::actions::{TEAM_CREATED, TEAM_DELETED, TEAM_MEMBER_ADDED, TEAM_MEMBER_REMOVED};
use super::commit::{Change, commit};
use super::handout::ensure_hands_out;
use super::rules::{check_name, not_found, parse_id, truncate};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::eviction::Evict;
use crate::state::AppState;
use futures::FutureExt;
use keyward_core::access::{Team, TeamRole};
use keyward_core::handout::Handout;
use uuid::Uuid;

/// Creates a team; its signed-in creator becomes its owner if they hold
/// what owning it grants (a holder of `teams:write` alone creates teams
/// but doesn't own them).
pub async fn create(state: &AppState, ctx: &Ctx, name: &str) -> ApiResult<Team> {
    let org = ctx.org.id;
    let team = Team {
        id: Uuid::now_v7(),
        organization_id: org,
        name: check_name(name)?,
        created_at: truncate(state.clock.now()),
    };
    let mut owner = None;
    if let Some(user) = ctx.caller.user_id() {
        let ownership = Handout::TeamRole {
            team: team.id,
            role: TeamRole::Owner,
        };
        if ensure_hands_out(state, org, &ctx.grants, ownership)
            .await
            .is_ok()
        {
            owner = Some(user);
        }
    }
    let change = Change::new(TEAM_CREATED, Some(org))
        .target("team", team.id, &team.name)
        .detail("owner", owner)
        .evicts(Evict::Org(org));
    commit(state, ctx.by(), change, |store| {
        async move { store.create_team(&team, owner).await.map(|()| team) }.boxed()
    })
    .await
    .map_err(ApiError::from)
}

/// Deletes a team and revokes its keys.
pub async fn delete(state: &AppState, ctx: &Ctx, team: &Team) -> ApiResult<()> {
    let (org, id) = (team.organization_id, team.id);
    let at = truncate(state.clock.now());
    let change = Change::new(TEAM_DELETED, Some(org))
        .target("team", id, &team.name)
        .evicts(Evict::Org(org));
    commit(state, ctx.by(), change, |store| {
        async move { store.delete_team(org, id, at).await }.boxed()
    })
    .await?;
    Ok(())
}

/// Adds an organization member to a team or changes their team role; the
/// caller must hold what the team role grants.
pub async fn put_member(
    state: &AppState,
    ctx: &Ctx,
    team: &Team,
    raw: &str,
    role: TeamRole,
) -> ApiResult<()> {
    let user = parse_id(raw).ok_or_else(|| not_found("user", raw))?;
    let handout = Handout::TeamRole {
        team: team.id,
        role,
    };
    ensure_hands_out(state, team.organization_id, &ctx.grants, handout).await?;
    // A user outside the organization is, to it, no user at all.
    let Some(member) = state.store.member(team.organization_id, user).await? else {
        return Err(not_found("user", raw));
    };
    let team_id = team.id;
    let change = Change::new(TEAM_MEMBER_ADDED, Some(team.organization_id))
        .target("user", user, member.user.name)
        .detail("team", team_id)
        .detail("team_name", &team.name)
        .detail("role", role)
        .evicts(Evict::Principal(user));
    commit(state, ctx.by(), change, |store| {
        async move { store.set_team_member(team_id, user, role).await }.boxed()
    })
    .await?;
    Ok(())
}

/// Takes a user out of a team.
pub async fn remove_member(state: &AppState, ctx: &Ctx, team: &Team, raw: &str) -> ApiResult<()> {
    let user = parse_id(raw).ok_or_else(|| not_found("user", raw))?;
    let name = match state.store.user_by_id(user).await? {
        Some(found) => found.name,
        None => String::new(),
    };
    let team_id = team.id;
    let change = Change::new(TEAM_MEMBER_REMOVED, Some(team.organization_id))
        .target("user", user, name)
        .detail("team", team_id)
        .detail("team_name", &team.name)
        .evicts(Evict::Principal(user));
    let removed = commit(state, ctx.by(), change, |store| {
        async move { store.remove_team_member(team_id, user).await }.boxed()
    })
    .await?;
    if removed {
        Ok(())
    } else {
        Err(ApiError::new(
            crate::error::Code::NotFound,
            format!("user {user} is not in this team"),
        ))
    }
}
