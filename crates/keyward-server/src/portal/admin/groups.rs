//! Groups: sets of users and service accounts that carry roles.

use super::roles::RoleRow;
use crate::auth::{OrgAccess, RolesRead, RolesWrite};
use crate::ops::groups::{self, NewGroup};
use crate::ops::roles::role_or_404;
use crate::portal::errors::{FieldErrors, PageResult};
use crate::portal::form::{FormData, PostForm};
use crate::portal::page::{InOrg, Layout, Portal, done, render_with};
use crate::portal::views::Names;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use keyward_core::Resource;
use keyward_core::access::{Group, PrincipalKind, PrincipalRef};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/admin/groups", get(list).post(create))
        .route("/orgs/{org}/admin/groups/{group}", get(edit).post(save))
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
    let (roles_offered, principals) = choices(state, org).await?;
    let mut view = Groups {
        layout: page.layout(state, "Groups", "groups").await?,
        base: page.org_path("/admin/groups"),
        can_write: page.access.grants().allows("roles:write", &Resource::Any),
        groups,
        roles: roles_offered,
        principals,
        name: String::new(),
        checked_roles: Vec::new(),
        errors: FieldErrors::default(),
    };
    fill(&mut view);
    Ok(render_with(status, &view))
}

/// The roles a group may carry and who may join one.
async fn choices(state: &AppState, org: Uuid) -> PageResult<(Vec<RoleRow>, Vec<Principal>)> {
    let roles = state
        .store
        .roles(org)
        .await?
        .into_iter()
        .map(|r| RoleRow {
            id: r.id.to_string(),
            name: r.name,
            description: r.description,
            grants: Vec::new(),
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
    Ok((roles, principals))
}

/// The members a form ticked.
fn ticked_members(form: &FormData) -> Vec<PrincipalRef> {
    form.all("member")
        .filter_map(|value| {
            let (kind, id) = value.split_once(':')?;
            Some(PrincipalRef {
                kind: kind.parse::<PrincipalKind>().ok()?,
                id: Uuid::parse_str(id).ok()?,
            })
        })
        .collect()
}

async fn list(State(state): State<AppState>, page: Portal<OrgAccess<RolesRead>>) -> PageResult {
    show(&state, &page, StatusCode::OK, |_| {}).await
}

async fn create(
    State(state): State<AppState>,
    page: Portal<OrgAccess<RolesWrite>>,
    PostForm(form): PostForm,
) -> PageResult {
    let members = ticked_members(&form);
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

#[derive(Template)]
#[template(path = "admin/group_edit.html")]
struct GroupEdit {
    layout: Layout,
    base: String,
    action: String,
    title: String,
    name: String,
    roles: Vec<RoleRow>,
    checked_roles: Vec<String>,
    principals: Vec<Principal>,
    errors: FieldErrors,
}

/// The group's edit page: its roles and members ticked as they are now.
async fn edit_page(
    state: &AppState,
    page: &Portal<OrgAccess<RolesWrite>>,
    group: &Group,
    errors: FieldErrors,
) -> PageResult {
    let (roles, mut principals) = choices(state, group.organization_id).await?;
    for principal in &mut principals {
        principal.checked = group
            .members
            .iter()
            .any(|m| principal.value == format!("{}:{}", m.kind.as_str(), m.id));
    }
    let status = errors.status();
    let base = page.org_path("/admin/groups");
    let view = GroupEdit {
        layout: page.layout(state, "Edit group", "groups").await?,
        action: format!("{base}/{}", group.id),
        base,
        title: group.name.clone(),
        name: group.name.clone(),
        roles,
        checked_roles: group.role_ids.iter().map(Uuid::to_string).collect(),
        principals,
        errors,
    };
    Ok(render_with(status, &view))
}

async fn edit(
    State(state): State<AppState>,
    page: Portal<OrgAccess<RolesWrite>>,
    Path((_, group)): Path<(String, String)>,
) -> PageResult {
    let group = groups::group_or_404(&state, page.access.org.id, &group).await?;
    edit_page(&state, &page, &group, FieldErrors::default()).await
}

/// Renames the group if asked, gives it the roles and members ticked and
/// takes away the rest, one audited change each; stops at the first
/// refusal and says why.
async fn save(
    State(state): State<AppState>,
    page: Portal<OrgAccess<RolesWrite>>,
    Path((_, raw)): Path<(String, String)>,
    PostForm(form): PostForm,
) -> PageResult {
    let ctx = &page.access;
    let group = groups::group_or_404(&state, ctx.org.id, &raw).await?;
    let roles: Vec<Uuid> = form
        .all("role")
        .filter_map(|r| Uuid::parse_str(r).ok())
        .collect();
    let members = ticked_members(&form);
    let name = form.get("name").trim();
    let applied = async {
        if name != group.name {
            groups::rename(&state, ctx, &raw, name).await?;
        }
        for id in roles.iter().filter(|r| !group.role_ids.contains(r)) {
            let role = role_or_404(&state, ctx.org.id, &id.to_string()).await?;
            groups::add_role(&state, ctx, &group, &role).await?;
        }
        for id in group.role_ids.iter().filter(|r| !roles.contains(r)) {
            groups::remove_role(&state, ctx, &group, &id.to_string()).await?;
        }
        for member in members.iter().filter(|m| !group.members.contains(m)) {
            groups::add_member(&state, ctx, &group, *member).await?;
        }
        for member in group.members.iter().filter(|m| !members.contains(m)) {
            groups::remove_member(&state, ctx, &group, *member).await?;
        }
        Ok::<_, crate::error::ApiError>(())
    };
    match applied.await {
        Ok(()) => Ok(done(&page.org_path("/admin/groups"), "group-updated")),
        Err(e) => {
            let errors = FieldErrors::whole(e)?;
            let group = groups::group_or_404(&state, ctx.org.id, &raw).await?;
            edit_page(&state, &page, &group, errors).await
        }
    }
}
