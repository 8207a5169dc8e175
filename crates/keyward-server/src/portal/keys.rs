//! "Your account » API keys" (personal keys) and "Organization » Settings »
//! API keys" (team, organization and service-account keys): the lists,
//! "+ Generate new key", the secret shown once, disabling, enabling and
//! revoking. Keys are made by `keys::create`, the API's one creation path.

use super::errors::{FieldErrors, PageResult};
use super::form::{FormData, PostForm};
use super::key_form::{KEY_FIELDS, KeyForm};
use super::page::{Layout, Portal, done, render, render_with};
use super::reveal;
use super::views::{KeyCard, Names, all_keys};
use crate::auth::{KeysRead, OrgAccess, OrgMember};
use crate::ops::keys::{self as domain, KeyUpdate};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Redirect;
use axum::routing::get;
use keyward_core::Scope;
use keyward_core::model::KeyRecord;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}", get(org_home))
        .route(
            "/orgs/{org}/account/keys",
            get(personal).post(create_personal),
        )
        .route("/orgs/{org}/account/keys/new", get(new_personal))
        .route("/orgs/{org}/settings/keys", get(shared).post(create_shared))
        .route("/orgs/{org}/settings/keys/new", get(new_shared))
        .route("/orgs/{org}/keys/{id}/secret", get(created))
        .route("/orgs/{org}/keys/{id}/enable", axum::routing::post(enable))
        .route(
            "/orgs/{org}/keys/{id}/disable",
            axum::routing::post(disable),
        )
        .route(
            "/orgs/{org}/keys/{id}/revoke",
            get(confirm_revoke).post(revoke),
        )
}

/// The two key pages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Personal,
    Shared,
}

impl Section {
    pub(super) fn of(key: &KeyRecord) -> Self {
        if key.scope == Scope::User {
            Section::Personal
        } else {
            Section::Shared
        }
    }

    pub(super) fn path(self) -> &'static str {
        match self {
            Section::Personal => "/account/keys",
            Section::Shared => "/settings/keys",
        }
    }

    pub(super) fn nav(self) -> &'static str {
        match self {
            Section::Personal => "account-keys",
            Section::Shared => "settings-keys",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Section::Personal => "Your API keys",
            Section::Shared => "Organization API keys",
        }
    }

    fn shows(self, key: &KeyRecord, me: Uuid) -> bool {
        match self {
            Section::Personal => key.scope == Scope::User && key.owner_id == me,
            Section::Shared => key.scope != Scope::User,
        }
    }
}

async fn org_home(Path(org): Path<String>) -> Redirect {
    Redirect::to(&format!("/orgs/{org}/account/keys"))
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeyList {
    layout: Layout,
    personal: bool,
    base: String,
    new_url: String,
    keys: Vec<KeyCard>,
}

async fn list<T: super::page::InOrg>(
    state: &AppState,
    page: &Portal<T>,
    member: &OrgMember,
    section: Section,
) -> PageResult {
    let me = page.user.session.user.id;
    let names = Names::load(state, member.org.id).await?;
    let keys = all_keys(state, member.org.id)
        .await?
        .iter()
        .filter(|k| section.shows(k, me))
        .map(|k| KeyCard::new(state, k, &names, member))
        .collect();
    let view = KeyList {
        layout: page.layout(state, section.title(), section.nav()).await?,
        personal: section == Section::Personal,
        base: page.org_path(""),
        new_url: page.org_path(&format!("{}/new", section.path())),
        keys,
    };
    Ok(render(&view))
}

fn as_member<A>(access: &OrgAccess<A>) -> OrgMember {
    OrgMember(access.ctx.clone())
}

async fn personal(State(state): State<AppState>, page: Portal<OrgMember>) -> PageResult {
    list(&state, &page, &page.access, Section::Personal).await
}

async fn shared(State(state): State<AppState>, page: Portal<OrgAccess<KeysRead>>) -> PageResult {
    let member = as_member(&page.access);
    list(&state, &page, &member, Section::Shared).await
}

#[derive(Template)]
#[template(path = "key_form.html")]
struct FormPage {
    layout: Layout,
    personal: bool,
    /// Editing an existing key: no scope or owner to choose.
    editing: bool,
    action: String,
    cancel: String,
    form: KeyForm,
}

/// The key form's page: to generate a key in `section`, or, with
/// `editing`, to change the key it posts to.
pub(super) async fn form_page(
    state: &AppState,
    page: &Portal<OrgMember>,
    section: Section,
    form: KeyForm,
    editing: Option<&str>,
    status: StatusCode,
) -> PageResult {
    let list = page.org_path(section.path());
    let (title, action) = match editing {
        Some(id) => ("Edit key", page.org_path(&format!("/keys/{id}/edit"))),
        None => ("Generate a new key", list.clone()),
    };
    let view = FormPage {
        layout: page.layout(state, title, section.nav()).await?,
        personal: section == Section::Personal,
        editing: editing.is_some(),
        action,
        cancel: list,
        form,
    };
    Ok(render_with(status, &view))
}

async fn new_form(
    state: &AppState,
    page: &Portal<OrgMember>,
    section: Section,
    form: KeyForm,
    status: StatusCode,
) -> PageResult {
    form_page(state, page, section, form, None, status).await
}

#[derive(Deserialize, Default)]
struct Preset {
    scope: Option<String>,
    team_id: Option<String>,
    service_account_id: Option<String>,
}

async fn new_personal(State(state): State<AppState>, page: Portal<OrgMember>) -> PageResult {
    let form = KeyForm::offer(&state, &page.access, true).await?;
    new_form(&state, &page, Section::Personal, form, StatusCode::OK).await
}

async fn new_shared(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    Query(preset): Query<Preset>,
) -> PageResult {
    let mut form = KeyForm::offer(&state, &page.access, false).await?;
    if let Some(scope) = preset.scope {
        form.scope = scope;
    }
    form.team_id = preset.team_id.unwrap_or_default();
    form.service_account_id = preset.service_account_id.unwrap_or_default();
    new_form(&state, &page, Section::Shared, form, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "key_created.html")]
struct Created {
    layout: Layout,
    /// The secret, on the first showing only.
    secret: Option<String>,
    key: KeyCard,
    back: String,
}

/// The page a new key's creator is sent to: its secret the first time,
/// the key without it on any later visit.
async fn created(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Portal<OrgMember>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let member = &page.access;
    let key = manageable_key(&state, member, &id).await?;
    let (secret, spent) = reveal::take(&state, &headers, &page.org_path(""), key.id);
    let section = Section::of(&key);
    let names = Names::load(&state, member.org.id).await?;
    let view = Created {
        layout: page.layout(&state, "Your new key", section.nav()).await?,
        secret,
        key: KeyCard::new(&state, &key, &names, member),
        back: page.org_path(section.path()),
    };
    let mut response = render(&view);
    if let Some(cookie) = spent {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Creates the key and sends the browser to the page that shows its
/// secret once (`reveal`): reloading that page creates nothing.
async fn create(
    state: &AppState,
    headers: &HeaderMap,
    page: Portal<OrgMember>,
    form: FormData,
    section: Section,
) -> PageResult {
    let member = &page.access;
    let mut view = KeyForm::offer(state, member, section == Section::Personal).await?;
    view.fill(&form);
    if section == Section::Personal {
        view.scope = Scope::User.as_str().to_owned();
    }
    let Some(spec) = view.spec(&form, state.clock.now()) else {
        return new_form(
            state,
            &page,
            section,
            view,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match domain::create(state, member, spec).await {
        Ok((record, key)) => Ok(reveal::hand_over(
            state,
            headers,
            &page.org_path(""),
            record.id,
            &key,
        )),
        Err(e) => {
            view.errors = FieldErrors::from_api(e, KEY_FIELDS)?;
            new_form(
                state,
                &page,
                section,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn create_personal(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Portal<OrgMember>,
    PostForm(form): PostForm,
) -> PageResult {
    create(&state, &headers, page, form, Section::Personal).await
}

async fn create_shared(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Portal<OrgMember>,
    PostForm(form): PostForm,
) -> PageResult {
    create(&state, &headers, page, form, Section::Shared).await
}

/// The key of the path, if the organization has it live.
async fn live_key(state: &AppState, member: &OrgMember, id: &str) -> PageResult<KeyRecord> {
    let found = match Uuid::parse_str(id) {
        Ok(uuid) => state.store.key(member.org.id, uuid).await?,
        Err(_) => None,
    };
    found
        .filter(|k| k.revoked_at.is_none())
        .ok_or_else(|| crate::error::ApiError::key_not_found(id).into())
}

/// The live key of the path, if the signed-in user may manage it; as if
/// there were none otherwise.
pub(super) async fn manageable_key(
    state: &AppState,
    member: &OrgMember,
    id: &str,
) -> PageResult<KeyRecord> {
    let key = live_key(state, member, id).await?;
    if !domain::may_manage(member, &key) {
        return Err(crate::error::ApiError::key_not_found(id).into());
    }
    Ok(key)
}

async fn set_enabled(
    state: &AppState,
    page: &Portal<OrgMember>,
    id: &str,
    enabled: bool,
) -> PageResult {
    let change = KeyUpdate {
        enabled: Some(enabled),
        ..KeyUpdate::default()
    };
    let key = domain::update(state, &page.access, id, change).await?;
    let notice = if enabled {
        "key-enabled"
    } else {
        "key-disabled"
    };
    Ok(done(&page.org_path(Section::of(&key).path()), notice))
}

async fn enable(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    Path((_, id)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    set_enabled(&state, &page, &id, true).await
}

async fn disable(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    Path((_, id)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    set_enabled(&state, &page, &id, false).await
}

#[derive(Template)]
#[template(path = "revoke.html")]
struct ConfirmRevoke {
    layout: Layout,
    key: KeyCard,
    action: String,
    cancel: String,
}

/// The confirmation, as a page, for browsers without JavaScript (with it,
/// the list opens the same question in a dialog).
async fn confirm_revoke(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let member = &page.access;
    let key = live_key(&state, member, &id).await?;
    let section = Section::of(&key);
    let names = Names::load(&state, member.org.id).await?;
    let view = ConfirmRevoke {
        layout: page.layout(&state, "Revoke key", section.nav()).await?,
        key: KeyCard::new(&state, &key, &names, member),
        action: page.org_path(&format!("/keys/{id}/revoke")),
        cancel: page.org_path(section.path()),
    };
    Ok(render(&view))
}

async fn revoke(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    Path((_, id)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    let key = live_key(&state, &page.access, &id).await?;
    domain::revoke(&state, &page.access, &id).await?;
    Ok(done(
        &page.org_path(Section::of(&key).path()),
        "key-revoked",
    ))
}
