//! Teams: create and delete them, and manage who is in each, with what role.

use crate::auth::{OrgAccess, TeamAccess, TeamsRead, TeamsWrite};
use crate::error::ApiError;
use crate::ops::teams;
use crate::portal::errors::{FieldErrors, PageResult};
use crate::portal::form::PostForm;
use crate::portal::page::{InOrg, Layout, Portal, done, render_with};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use keyward_core::access::{TeamRole, team_resources};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/admin/teams", get(list).post(create))
        .route("/orgs/{org}/admin/teams/{team}", get(team_page))
        .route("/orgs/{org}/admin/teams/{team}/delete", post(delete))
        .route("/orgs/{org}/admin/teams/{team}/members", post(put_member))
        .route(
            "/orgs/{org}/admin/teams/{team}/members/{user}/remove",
            post(remove_member),
        )
}

pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub members: usize,
    pub manageable: bool,
}

#[derive(Template)]
#[template(path = "admin/teams.html")]
struct Teams {
    layout: Layout,
    base: String,
    can_create: bool,
    teams: Vec<TeamRow>,
    name: String,
    errors: FieldErrors,
}

async fn show<T: InOrg>(
    state: &AppState,
    page: &Portal<T>,
    status: StatusCode,
    name: String,
    errors: FieldErrors,
) -> PageResult {
    let grants = page.access.grants();
    let mut teams = Vec::new();
    for team in state.store.teams(page.access.org().id).await? {
        let [own, _] = team_resources(team.id);
        teams.push(TeamRow {
            id: team.id.to_string(),
            members: state.store.team_members(team.id).await?.len(),
            manageable: grants.allows("teams:write", &own),
            name: team.name,
        });
    }
    let view = Teams {
        layout: page.layout(state, "Teams", "teams").await?,
        base: page.org_path("/admin/teams"),
        can_create: grants.allows("teams:write", &keyward_core::Resource::Any),
        teams,
        name,
        errors,
    };
    Ok(render_with(status, &view))
}

async fn list(State(state): State<AppState>, page: Portal<OrgAccess<TeamsRead>>) -> PageResult {
    show(
        &state,
        &page,
        StatusCode::OK,
        String::new(),
        FieldErrors::default(),
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    page: Portal<OrgAccess<TeamsWrite>>,
    PostForm(form): PostForm,
) -> PageResult {
    let name = form.get("name").to_owned();
    let access = &page.access;
    match teams::create(&state, access, &name).await {
        Ok(team) => Ok(done(
            &page.org_path(&format!("/admin/teams/{}", team.id)),
            "team-created",
        )),
        Err(e) => {
            let errors = FieldErrors::from_api(e, &[("name", "name"), ("team", "name")])?;
            show(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                name,
                errors,
            )
            .await
        }
    }
}

async fn delete(
    State(state): State<AppState>,
    page: Portal<TeamAccess<TeamsWrite>>,
    PostForm(_): PostForm,
) -> PageResult {
    teams::delete(&state, &page.access, &page.access.team).await?;
    Ok(done(&page.org_path("/admin/teams"), "team-deleted"))
}

pub struct TeamMemberRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
}

pub struct Candidate {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "admin/team.html")]
struct TeamPage {
    layout: Layout,
    base: String,
    name: String,
    can_write: bool,
    roles: &'static [TeamRole],
    members: Vec<TeamMemberRow>,
    candidates: Vec<Candidate>,
    errors: FieldErrors,
}

async fn show_team<A>(
    state: &AppState,
    page: &Portal<TeamAccess<A>>,
    status: StatusCode,
    errors: FieldErrors,
) -> PageResult {
    let team = &page.access.team;
    let [own, _] = team_resources(team.id);
    let in_team = state.store.team_members(team.id).await?;
    let candidates = state
        .store
        .members(team.organization_id)
        .await?
        .into_iter()
        .filter(|m| !in_team.iter().any(|t| t.user.id == m.user.id))
        .map(|m| Candidate {
            id: m.user.id.to_string(),
            name: format!("{} ({})", m.user.name, m.user.email),
        })
        .collect();
    let view = TeamPage {
        layout: page.layout(state, &team.name, "teams").await?,
        base: page.org_path(&format!("/admin/teams/{}", team.id)),
        name: team.name.clone(),
        can_write: page.access.grants.allows("teams:write", &own),
        roles: TeamRole::ALL,
        members: in_team
            .into_iter()
            .map(|t| TeamMemberRow {
                id: t.user.id.to_string(),
                name: t.user.name,
                email: t.user.email,
                role: t.role.to_string(),
            })
            .collect(),
        candidates,
        errors,
    };
    Ok(render_with(status, &view))
}

async fn team_page(
    State(state): State<AppState>,
    page: Portal<TeamAccess<TeamsRead>>,
) -> PageResult {
    show_team(&state, &page, StatusCode::OK, FieldErrors::default()).await
}

async fn put_member(
    State(state): State<AppState>,
    page: Portal<TeamAccess<TeamsWrite>>,
    PostForm(form): PostForm,
) -> PageResult {
    let result = match form.get("role").parse::<TeamRole>() {
        Ok(role) => {
            let access = &page.access;
            teams::put_member(&state, access, &access.team, form.get("user_id"), role).await
        }
        Err(e) => Err(ApiError::validation(format!("role {e}"))),
    };
    let path = page.org_path(&format!("/admin/teams/{}", page.access.team.id));
    match result {
        Ok(()) => Ok(done(&path, "team-member-saved")),
        Err(e) => {
            let errors = FieldErrors::whole(e)?;
            show_team(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, errors).await
        }
    }
}

async fn remove_member(
    State(state): State<AppState>,
    page: Portal<TeamAccess<TeamsWrite>>,
    Path((_, _, user)): Path<(String, String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    teams::remove_member(&state, &page.access, &page.access.team, &user).await?;
    let path = page.org_path(&format!("/admin/teams/{}", page.access.team.id));
    Ok(done(&path, "team-member-removed"))
}
