//! The permission catalog: keyward's built-ins and the platform's own,
//! which owners register here.

use crate::auth::{OrgAccess, OrgRead, OrgWrite};
use crate::ops::permissions;
use crate::portal::errors::{FieldErrors, PageResult};
use crate::portal::form::PostForm;
use crate::portal::page::{InOrg, Layout, Portal, done, render_with};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use keyward_core::permission::is_builtin;

pub fn routes() -> Router<AppState> {
    Router::new().route("/orgs/{org}/admin/permissions", get(list).post(create))
}

pub struct PermissionRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub read_only: bool,
    pub builtin: bool,
}

#[derive(Template)]
#[template(path = "admin/permissions.html")]
struct Catalog {
    layout: Layout,
    action: String,
    can_write: bool,
    permissions: Vec<PermissionRow>,
    name: String,
    description: String,
    read_only: bool,
    errors: FieldErrors,
}

async fn show<T: InOrg>(
    state: &AppState,
    page: &Portal<T>,
    status: StatusCode,
    fill: impl FnOnce(&mut Catalog),
) -> PageResult {
    let catalog = state.store.catalog(page.access.org().id).await?;
    let mut view = Catalog {
        layout: page.layout(state, "Permissions", "permissions").await?,
        action: page.org_path("/admin/permissions"),
        can_write: page
            .access
            .grants()
            .allows("org:write", &keyward_core::Resource::Any),
        permissions: catalog
            .0
            .into_iter()
            .map(|p| PermissionRow {
                id: p.id,
                builtin: is_builtin(p.name.as_str()),
                name: p.name.to_string(),
                description: p.description,
                read_only: p.read_only,
            })
            .collect(),
        name: String::new(),
        description: String::new(),
        read_only: false,
        errors: FieldErrors::default(),
    };
    fill(&mut view);
    Ok(render_with(status, &view))
}

async fn list(State(state): State<AppState>, page: Portal<OrgAccess<OrgRead>>) -> PageResult {
    show(&state, &page, StatusCode::OK, |_| {}).await
}

async fn create(
    State(state): State<AppState>,
    page: Portal<OrgAccess<OrgWrite>>,
    PostForm(form): PostForm,
) -> PageResult {
    let (name, description, read_only) = (
        form.get("name").trim().to_owned(),
        form.get("description").to_owned(),
        form.checked("read_only"),
    );
    let registered = permissions::register(
        &state,
        &page.access,
        &name,
        Some(description.clone()),
        read_only,
    )
    .await;
    match registered {
        Ok(_) => Ok(done(
            &page.org_path("/admin/permissions"),
            "permission-registered",
        )),
        Err(e) => {
            let errors = FieldErrors::from_api(
                e,
                &[
                    ("description", "description"),
                    ("permission", "name"),
                    ("", "name"),
                ],
            )?;
            show(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, |v| {
                v.name = name;
                v.description = description;
                v.read_only = read_only;
                v.errors = errors;
            })
            .await
        }
    }
}
