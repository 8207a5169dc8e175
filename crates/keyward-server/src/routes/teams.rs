//! `/api/v1/orgs/{org}/teams`: teams and their members.

use crate::auth::{OrgAccess, TeamAccess, TeamsRead, TeamsWrite};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::{Label, REFUSED};
use crate::ops::teams;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keyward_core::access::{Team, TeamMember, TeamRole};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    #[schema(value_type = Label)]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMemberRequest {
    /// `owner` or `member`.
    #[schema(value_type = TeamRole)]
    pub role: TeamRole,
}

/// The organization's teams.
#[utoipa::path(get, operation_id = "listTeams", path = "/api/v1/orgs/{org}/teams", tag = "teams",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<Team>, description = "The organization's teams"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<TeamsRead>,
) -> ApiResult<ApiJson<Vec<Team>>> {
    Ok(ApiJson(state.store.teams(access.org.id).await?))
}

/// Create a team; a signed-in creator becomes its owner.
#[utoipa::path(post, operation_id = "createTeam", path = "/api/v1/orgs/{org}/teams", tag = "teams",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateTeamRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = Team, description = "The new team"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<TeamsWrite>,
    ApiJson(body): ApiJson<CreateTeamRequest>,
) -> ApiResult<(StatusCode, ApiJson<Team>)> {
    let team = teams::create(&state, &access, &body.name).await?;
    Ok((StatusCode::CREATED, ApiJson(team)))
}

/// Read a team.
#[utoipa::path(get, operation_id = "getTeam", path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Team, description = "The team"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn get(access: TeamAccess<TeamsRead>) -> ApiJson<Team> {
    ApiJson(access.team)
}

/// Delete a team; its keys are revoked.
#[utoipa::path(delete, operation_id = "deleteTeam", path = "/api/v1/orgs/{org}/teams/{team}", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The team is deleted"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn delete(
    State(state): State<AppState>,
    access: TeamAccess<TeamsWrite>,
) -> ApiResult<StatusCode> {
    teams::delete(&state, &access, &access.team).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The team's members.
#[utoipa::path(get, operation_id = "listTeamMembers", path = "/api/v1/orgs/{org}/teams/{team}/members", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<TeamMember>, description = "The team's members"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn members(
    State(state): State<AppState>,
    access: TeamAccess<TeamsRead>,
) -> ApiResult<ApiJson<Vec<TeamMember>>> {
    Ok(ApiJson(state.store.team_members(access.team.id).await?))
}

/// Add an organization member to the team, or change their team role.
#[utoipa::path(put, operation_id = "putTeamMember", path = "/api/v1/orgs/{org}/teams/{team}/members/{user}", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path), ("user" = Uuid, Path)),
    request_body = TeamMemberRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The user is a member of the team, with the role given"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn put_member(
    State(state): State<AppState>,
    access: TeamAccess<TeamsWrite>,
    Path(path): Path<(String, String, String)>,
    ApiJson(body): ApiJson<TeamMemberRequest>,
) -> ApiResult<StatusCode> {
    teams::put_member(&state, &access, &access.team, &path.2, body.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member from the team.
#[utoipa::path(delete, operation_id = "removeTeamMember", path = "/api/v1/orgs/{org}/teams/{team}/members/{user}", tag = "teams",
    params(("org" = String, Path), ("team" = Uuid, Path), ("user" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The user is no longer a member of the team"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn remove_member(
    State(state): State<AppState>,
    access: TeamAccess<TeamsWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    teams::remove_member(&state, &access, &access.team, &path.2).await?;
    Ok(StatusCode::NO_CONTENT)
}
