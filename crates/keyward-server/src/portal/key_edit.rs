//! "Edit" on a key card: the key form filled with what the key is now,
//! saved through `keys::update` under the rules of creation.

use super::errors::{FieldErrors, PageResult};
use super::form::PostForm;
use super::key_form::{KEY_FIELDS, KeyForm};
use super::keys::{Section, form_page, manageable_key};
use super::page::{Portal, done};
use crate::auth::OrgMember;
use crate::ops::keys as domain;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new().route("/orgs/{org}/keys/{id}/edit", get(edit).post(save))
}

async fn edit(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let key = manageable_key(&state, &page.access, &id).await?;
    let form = KeyForm::edit(&state, &page.access, &key).await?;
    let section = Section::of(&key);
    form_page(&state, &page, section, form, Some(&id), StatusCode::OK).await
}

async fn save(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    Path((_, id)): Path<(String, String)>,
    PostForm(form): PostForm,
) -> PageResult {
    let key = manageable_key(&state, &page.access, &id).await?;
    let section = Section::of(&key);
    let mut view = KeyForm::edit(&state, &page.access, &key).await?;
    view.fill(&form);
    if let Some(update) = view.update(&form, state.clock.now()) {
        match domain::update(&state, &page.access, &id, update).await {
            Ok(_) => return Ok(done(&page.org_path(section.path()), "key-updated")),
            Err(e) => view.errors = FieldErrors::from_api(e, KEY_FIELDS)?,
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    form_page(&state, &page, section, view, Some(&id), status).await
}
