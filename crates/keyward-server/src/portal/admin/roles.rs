//! Custom roles: named sets of grants, picked from what the creator holds.

use crate::auth::{OrgAccess, RolesRead, RolesWrite};
use crate::ops::roles::{self, NewRole};
use crate::portal::errors::{FieldErrors, PageResult};
use crate::portal::form::PostForm;
use crate::portal::page::{InOrg, Layout, Portal, done, render_with};
use crate::portal::picker::Picker;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use keyward_core::Resource;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/admin/roles", get(list).post(create))
        .route("/orgs/{org}/admin/roles/{role}/delete", post(delete))
}

pub struct RoleRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub grants: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct Roles {
    layout: Layout,
    base: String,
    can_write: bool,
    roles: Vec<RoleRow>,
    name: String,
    description: String,
    picker: Picker,
    errors: FieldErrors,
}

async fn show<T: InOrg>(
    state: &AppState,
    page: &Portal<T>,
    status: StatusCode,
    fill: impl FnOnce(&mut Roles),
) -> PageResult {
    let org = page.access.org().id;
    let catalog = state.store.catalog(org).await?;
    let mut view = Roles {
        layout: page.layout(state, "Roles", "roles").await?,
        base: page.org_path("/admin/roles"),
        can_write: page.access.grants().allows("roles:write", &Resource::Any),
        roles: state
            .store
            .roles(org)
            .await?
            .into_iter()
            .map(|r| RoleRow {
                id: r.id.to_string(),
                name: r.name,
                description: r.description,
                grants: r
                    .grants
                    .iter()
                    .map(|g| format!("{} on {}", g.name, g.resource))
                    .collect(),
            })
            .collect(),
        name: String::new(),
        description: String::new(),
        picker: Picker::new(page.access.grants(), &catalog),
        errors: FieldErrors::default(),
    };
    fill(&mut view);
    Ok(render_with(status, &view))
}

async fn list(State(state): State<AppState>, page: Portal<OrgAccess<RolesRead>>) -> PageResult {
    show(&state, &page, StatusCode::OK, |_| {}).await
}

async fn create(
    State(state): State<AppState>,
    page: Portal<OrgAccess<RolesWrite>>,
    PostForm(form): PostForm,
) -> PageResult {
    let request = NewRole {
        name: form.get("name").to_owned(),
        description: Some(form.get("description").to_owned()),
        grants: Picker::refs(&form),
    };
    let access = &page.access;
    match roles::create(&state, access, request).await {
        Ok(_) => Ok(done(&page.org_path("/admin/roles"), "role-created")),
        Err(e) => {
            let errors = FieldErrors::from_api(
                e,
                &[
                    ("description", "description"),
                    ("name", "name"),
                    ("role", "name"),
                    ("resource", "permissions"),
                ],
            )?;
            show(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, |v| {
                v.name = form.get("name").to_owned();
                v.description = form.get("description").to_owned();
                v.picker.fill(&form);
                v.errors = errors;
            })
            .await
        }
    }
}

async fn delete(
    State(state): State<AppState>,
    page: Portal<OrgAccess<RolesWrite>>,
    Path((_, role)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    roles::delete(&state, &page.access, &role).await?;
    Ok(done(&page.org_path("/admin/roles"), "role-deleted"))
}
