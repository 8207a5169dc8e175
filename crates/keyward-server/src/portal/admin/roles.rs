//! Custom roles: named sets of grants, picked from what the creator holds.

use crate::auth::{OrgAccess, RolesRead, RolesWrite};
use crate::ops::roles::{self, NewRole, RoleUpdate, role_or_404};
use crate::portal::errors::{FieldErrors, PageResult};
use crate::portal::form::{FormData, PostForm};
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
        .route("/orgs/{org}/admin/roles/{role}", get(edit).post(save))
        .route("/orgs/{org}/admin/roles/{role}/delete", post(delete))
}

/// Where the domain's refusals of a role form go.
const ROLE_FIELDS: &[(&str, &str)] = &[
    ("description", "description"),
    ("name", "name"),
    ("role", "name"),
    ("resource", "permissions"),
];

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
            let errors = FieldErrors::from_api(e, ROLE_FIELDS)?;
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

#[derive(Template)]
#[template(path = "admin/role_edit.html")]
struct RoleEdit {
    layout: Layout,
    base: String,
    action: String,
    title: String,
    name: String,
    description: String,
    picker: Picker,
    errors: FieldErrors,
}

/// The role's edit page, with what it is now or, after a refusal, what
/// was typed.
async fn edit_page(
    state: &AppState,
    page: &Portal<OrgAccess<RolesWrite>>,
    role: &keyward_core::access::Role,
    typed: Option<&FormData>,
    errors: FieldErrors,
) -> PageResult {
    let catalog = state.store.catalog(role.organization_id).await?;
    let mut picker = Picker::new(page.access.grants(), &catalog);
    let (name, description) = match typed {
        Some(form) => {
            picker.fill(form);
            (
                form.get("name").to_owned(),
                form.get("description").to_owned(),
            )
        }
        None => {
            picker.tick(&role.grants);
            (role.name.clone(), role.description.clone())
        }
    };
    let status = errors.status();
    let base = page.org_path("/admin/roles");
    let view = RoleEdit {
        layout: page.layout(state, "Edit role", "roles").await?,
        action: format!("{base}/{}", role.id),
        base,
        title: role.name.clone(),
        name,
        description,
        picker,
        errors,
    };
    Ok(render_with(status, &view))
}

async fn edit(
    State(state): State<AppState>,
    page: Portal<OrgAccess<RolesWrite>>,
    Path((_, role)): Path<(String, String)>,
) -> PageResult {
    let role = role_or_404(&state, page.access.org.id, &role).await?;
    edit_page(&state, &page, &role, None, FieldErrors::default()).await
}

async fn save(
    State(state): State<AppState>,
    page: Portal<OrgAccess<RolesWrite>>,
    Path((_, raw)): Path<(String, String)>,
    PostForm(form): PostForm,
) -> PageResult {
    let role = role_or_404(&state, page.access.org.id, &raw).await?;
    let update = RoleUpdate {
        name: Some(form.get("name").to_owned()),
        description: Some(form.get("description").to_owned()),
        grants: Some(Picker::refs(&form)),
    };
    match roles::update(&state, &page.access, &raw, update).await {
        Ok(_) => Ok(done(&page.org_path("/admin/roles"), "role-updated")),
        Err(e) => {
            let errors = FieldErrors::from_api(e, ROLE_FIELDS)?;
            edit_page(&state, &page, &role, Some(&form), errors).await
        }
    }
}
