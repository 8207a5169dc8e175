//! Service accounts: non-human principals, and the way to their keys.

use crate::auth::{MembersRead, MembersWrite, OrgAccess};
use crate::ops::service_accounts::{self as accounts, AccountUpdate};
use crate::portal::errors::{FieldErrors, PageResult};
use crate::portal::form::PostForm;
use crate::portal::page::{InOrg, Layout, Portal, done, render_with};
use crate::portal::views::when;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use keyward_core::Resource;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/admin/service-accounts", get(list).post(create))
        .route(
            "/orgs/{org}/admin/service-accounts/{account}/enable",
            post(enable),
        )
        .route(
            "/orgs/{org}/admin/service-accounts/{account}/disable",
            post(disable),
        )
        .route(
            "/orgs/{org}/admin/service-accounts/{account}/delete",
            post(delete),
        )
        .route(
            "/orgs/{org}/admin/service-accounts/{account}/edit",
            post(edit),
        )
}

pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/service_accounts.html")]
struct Accounts {
    layout: Layout,
    base: String,
    keys_url: String,
    can_write: bool,
    accounts: Vec<AccountRow>,
    name: String,
    description: String,
    errors: FieldErrors,
}

async fn show<T: InOrg>(
    state: &AppState,
    page: &Portal<T>,
    status: StatusCode,
    fill: impl FnOnce(&mut Accounts),
) -> PageResult {
    let mut view = Accounts {
        layout: page
            .layout(state, "Service accounts", "service-accounts")
            .await?,
        base: page.org_path("/admin/service-accounts"),
        keys_url: page.org_path("/settings/keys/new"),
        can_write: page.access.grants().allows("members:write", &Resource::Any),
        accounts: state
            .store
            .service_accounts(page.access.org().id)
            .await?
            .into_iter()
            .map(|a| AccountRow {
                id: a.id.to_string(),
                name: a.name,
                description: a.description,
                enabled: a.enabled,
                created: when(a.created_at),
            })
            .collect(),
        name: String::new(),
        description: String::new(),
        errors: FieldErrors::default(),
    };
    fill(&mut view);
    Ok(render_with(status, &view))
}

async fn list(State(state): State<AppState>, page: Portal<OrgAccess<MembersRead>>) -> PageResult {
    show(&state, &page, StatusCode::OK, |_| {}).await
}

async fn create(
    State(state): State<AppState>,
    page: Portal<OrgAccess<MembersWrite>>,
    PostForm(form): PostForm,
) -> PageResult {
    let description = Some(form.get("description").to_owned());
    match accounts::create(&state, &page.access, form.get("name"), description).await {
        Ok(_) => Ok(done(
            &page.org_path("/admin/service-accounts"),
            "account-created",
        )),
        Err(e) => {
            let errors = FieldErrors::from_api(
                e,
                &[
                    ("description", "description"),
                    ("name", "name"),
                    ("service account", "name"),
                ],
            )?;
            show(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, |v| {
                v.name = form.get("name").to_owned();
                v.description = form.get("description").to_owned();
                v.errors = errors;
            })
            .await
        }
    }
}

/// Renames an account or changes its description; a refusal shows the page
/// with why.
async fn edit(
    State(state): State<AppState>,
    page: Portal<OrgAccess<MembersWrite>>,
    Path((_, account)): Path<(String, String)>,
    PostForm(form): PostForm,
) -> PageResult {
    let change = AccountUpdate {
        name: Some(form.get("name").to_owned()),
        description: Some(form.get("description").to_owned()),
        enabled: None,
    };
    match accounts::update(&state, &page.access, &account, change).await {
        Ok(_) => Ok(done(
            &page.org_path("/admin/service-accounts"),
            "account-updated",
        )),
        Err(e) => {
            let errors = FieldErrors::whole(e)?;
            show(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, |v| {
                v.errors = errors
            })
            .await
        }
    }
}

async fn set_enabled(
    state: &AppState,
    page: &Portal<OrgAccess<MembersWrite>>,
    account: &str,
    enabled: bool,
) -> PageResult {
    let change = AccountUpdate {
        enabled: Some(enabled),
        ..AccountUpdate::default()
    };
    accounts::update(state, &page.access, account, change).await?;
    Ok(done(
        &page.org_path("/admin/service-accounts"),
        "account-updated",
    ))
}

async fn enable(
    State(state): State<AppState>,
    page: Portal<OrgAccess<MembersWrite>>,
    Path((_, account)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    set_enabled(&state, &page, &account, true).await
}

async fn disable(
    State(state): State<AppState>,
    page: Portal<OrgAccess<MembersWrite>>,
    Path((_, account)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    set_enabled(&state, &page, &account, false).await
}

async fn delete(
    State(state): State<AppState>,
    page: Portal<OrgAccess<MembersWrite>>,
    Path((_, account)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    accounts::delete(&state, &page.access, &account).await?;
    Ok(done(
        &page.org_path("/admin/service-accounts"),
        "account-deleted",
    ))
}
