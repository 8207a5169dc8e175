//! Groups: sets of users and service accounts that carry roles.

use super::roles::RoleRow;
use crate::auth::{OrgAccess, RolesRead, RolesWrite};
use crate::ops::groups::{self, NewGroup};
use crate::portal::errors::{FieldErrors, PageResult};
use crate::portal::form::PostForm;
use crate::portal::page::{InOrg, Layout, Portal, done, render_with};
use crate::portal::views::Names;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use keyward_core::Resource;
use keyward_core::access::{PrincipalKind, PrincipalRef};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/admin/groups", get(list).post(create))
        .route("/orgs/{org}/admin/groups/{group}/delete", post(delete))
}

pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub members: Vec<String>,
}

/// A user or service account that can join a group: `user:<id>` or
/// `service_account:<id>`.
pub struct Principal {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct Groups {
    layout: Layout,
    base: String,
    can_write: bool,
    groups: Vec<GroupRow>,
    roles: Vec<RoleRow>,
    principals: Vec<Principal>,
    name: String,
    checked_roles: Vec<String>,
    errors: FieldErrors,
}

async fn show<T: InOrg>(
    state: &AppState,
    page: &Portal<T>,
    status: StatusCode,
    fill: impl FnOnce(&mut Groups),
) -> PageResult {
    let org = page.access.org().id;
    let names = Names::load(state, org).await?;
    let roles = state.store.roles(org).await?;
    let role_name = |id: &Uuid| {
        roles
            .iter()
            .find(|r| r.id == *id)
            .map_or_else(|| id.to_string(), |r| r.name.clone())
    };
    let groups = state
        .store
        .groups(org)
        .await?
        .into_iter()
        .map(|g| GroupRow {
            id: g.id.to_string(),
            roles: g.role_ids.iter().map(role_name).collect(),
            members: g.members.iter().map(|p| names.of(p.id, "(gone)")).collect(),
            name: g.name,
        })
        .collect();
    let mut principals: Vec<Principal> = state
        .store
        .members(org)
        .await?
        .into_iter()
        .map(|m| Principal {
            value: format!("user:{}", m.user.id),
            label: format!("{} ({})", m.user.name, m.user.email),
            checked: false,
        })
        .collect();
    for account in state.store.service_accounts(org).await? {
        principals.push(Principal {
            value: format!("service_account:{}", account.id),
            label: format!("{} (service account)", account.name),
            checked: false,
        });
    }
    let mut view = Groups {
        layout: page.layout(state, "Groups", "groups").await?,
        base: page.org_path("/admin/groups"),
        can_write: page.access.grants().allows("roles:write", &Resource::Any),
        groups,
        roles: roles
            .into_iter()
            .map(|r| RoleRow {
                id: r.id.to_string(),
                name: r.name,
                description: r.description,
                grants: Vec::new(),
            })
            .collect(),
        principals,
        name: String::new(),
        checked_roles: Vec::new(),
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
    let members = form
        .all("member")
        .filter_map(|value| {
            let (kind, id) = value.split_once(':')?;
            Some(PrincipalRef {
                kind: kind.parse::<PrincipalKind>().ok()?,
                id: Uuid::parse_str(id).ok()?,
            })
        })
        .collect();
    let request = NewGroup {
        name: form.get("name").to_owned(),
        roles: form
            .all("role")
            .filter_map(|r| Uuid::parse_str(r).ok())
            .collect(),
        members,
    };
    let access = &page.access;
    match groups::create(&state, access, request).await {
        Ok(_) => Ok(done(&page.org_path("/admin/groups"), "group-created")),
        Err(e) => {
            let errors = FieldErrors::from_api(e, &[("name", "name"), ("group", "name")])?;
            let ticked: Vec<String> = form.all("member").map(str::to_owned).collect();
            show(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, |v| {
                v.name = form.get("name").to_owned();
                v.checked_roles = form.all("role").map(str::to_owned).collect();
                for principal in &mut v.principals {
                    principal.checked = ticked.contains(&principal.value);
                }
                v.errors = errors;
            })
            .await
        }
    }
}

async fn delete(
    State(state): State<AppState>,
    page: Portal<OrgAccess<RolesWrite>>,
    Path((_, group)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    groups::delete(&state, &page.access, &group).await?;
    Ok(done(&page.org_path("/admin/groups"), "group-deleted"))
}
