//! `/api/v1/orgs/{org}/teams`: teams and their members.

use super::parse_id;
use crate::auth::{Caller, Grants, OrgAccess, TeamAccess, TeamsRead, TeamsWrite};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::handout::ensure_hands_out;
use crate::keys::{check_name, truncate};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::{Team, TeamMember, TeamRole};
use keyward_core::handout::Handout;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMemberRequest {
    /// `owner` or `member`.
    #[schema(value_type = String, example = "member")]
    pub role: TeamRole,
}

/// The organization's teams.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams", tag = "teams",
    params(("org" = String, Path, description = "Organization id or slug")),
    responses((status = 200, body = Vec<Object>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<TeamsRead>,
) -> ApiResult<ApiJson<Vec<Team>>> {
    Ok(ApiJson(state.store.teams(access.org.id).await?))
}

/// Create a team; a signed-in creator becomes its owner.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/teams", tag = "teams",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateTeamRequest,
    responses((status = 201, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<TeamsWrite>,
    ApiJson(body): ApiJson<CreateTeamRequest>,
) -> ApiResult<(StatusCode, ApiJson<Team>)> {
    let team = create_team(
        &state,
        access.org.id,
        &access.caller,
        &access.grants,
        &body.name,
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(team)))
}

/// Creates a team; its signed-in creator becomes its owner if they hold
/// what owning it grants (a holder of `teams:write` alone creates teams
/// but doesn't own them). Shared with the portal.
pub async fn create_team(
    state: &AppState,
    org: Uuid,
    caller: &Caller,
    grants: &Grants,
    name: &str,
) -> ApiResult<Team> {
    let team = Team {
        id: Uuid::now_v7(),
        organization_id: org,
        name: check_name(name)?,
        created_at: truncate(state.clock.now()),
    };
    let mut owner = None;
    if let Some(user) = caller.user_id() {
        let ownership = Handout::TeamRole {
            team: team.id,
            role: TeamRole::Owner,
        };
        if ensure_hands_out(state, org, grants, ownership)
            .await
            .is_ok()
        {
            owner = Some(user);
        }
    }
    state.store.create_team(&team, owner).await?;
    state.cache.retire(Evict::Org(org));
    Ok(team)
}

/// Read a team.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path)),
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn get(access: TeamAccess<TeamsRead>) -> ApiJson<Team> {
    ApiJson(access.team)
}

/// Delete a team; its keys are revoked.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    access: TeamAccess<TeamsWrite>,
) -> ApiResult<StatusCode> {
    delete_team(&state, &access.team).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a team and revokes its keys; shared with the portal.
pub async fn delete_team(state: &AppState, team: &Team) -> ApiResult<()> {
    state
        .store
        .delete_team(team.organization_id, team.id, truncate(state.clock.now()))
        .await?;
    state.cache.retire(Evict::Org(team.organization_id));
    Ok(())
}

/// The team's members.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/teams/{team}/members", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path)),
    responses((status = 200, body = Vec<Object>), (status = "4XX", body = ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    access: TeamAccess<TeamsRead>,
) -> ApiResult<ApiJson<Vec<TeamMember>>> {
    Ok(ApiJson(state.store.team_members(access.team.id).await?))
}

fn user_id(raw: &str) -> ApiResult<Uuid> {
    parse_id(raw).ok_or_else(|| {
        ApiError::new(
            crate::error::Code::NotFound,
            format!("user {raw} was not found"),
        )
    })
}

/// Add an organization member to the team, or change their team role.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/teams/{team}/members/{user}", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path), ("user" = Uuid, Path)),
    request_body = TeamMemberRequest,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn put_member(
    State(state): State<AppState>,
    access: TeamAccess<TeamsWrite>,
    Path(path): Path<(String, String, String)>,
    ApiJson(body): ApiJson<TeamMemberRequest>,
) -> ApiResult<StatusCode> {
    put_team_member(&state, &access.grants, &access.team, &path.2, body.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an organization member to a team or changes their team role; the
/// caller must hold what the team role grants. Shared with the portal.
pub async fn put_team_member(
    state: &AppState,
    grants: &Grants,
    team: &Team,
    raw: &str,
    role: TeamRole,
) -> ApiResult<()> {
    let user = user_id(raw)?;
    let handout = Handout::TeamRole {
        team: team.id,
        role,
    };
    ensure_hands_out(state, team.organization_id, grants, handout).await?;
    if state
        .store
        .member(team.organization_id, user)
        .await?
        .is_none()
    {
        return Err(ApiError::validation(format!(
            "user {user} is not a member of this organization"
        )));
    }
    state.store.set_team_member(team.id, user, role).await?;
    state.cache.retire(Evict::Principal(user));
    Ok(())
}

/// Remove a member from the team.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/teams/{team}/members/{user}", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path), ("user" = Uuid, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    access: TeamAccess<TeamsWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    remove_team_member(&state, &access.team, &path.2).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a user out of a team; shared with the portal.
pub async fn remove_team_member(state: &AppState, team: &Team, raw: &str) -> ApiResult<()> {
    let user = user_id(raw)?;
    if !state.store.remove_team_member(team.id, user).await? {
        return Err(ApiError::new(
            crate::error::Code::NotFound,
            format!("user {user} is not in this team"),
        ));
    }
    state.cache.retire(Evict::Principal(user));
    Ok(())
}
