//! "Roll key" on a key card: a new key in the old one's place, the old one
//! working on for the chosen grace period, and the new secret shown once
//! through the same page as a new key's (`reveal`).

use super::errors::{FieldErrors, PageResult};
use super::expiry::{self, Expiry};
use super::form::{FormData, PostForm};
use super::key_form::{Choice, KEY_FIELDS};
use super::keys::{Section, manageable_key};
use super::page::{Layout, Portal, render_with};
use super::reveal;
use super::views::{KeyCard, Names};
use crate::auth::OrgMember;
use crate::ops::keys::{self as domain, GRACE_DEFAULT_SECONDS, KeyRoll};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use keyward_core::model::KeyRecord;

pub fn routes() -> Router<AppState> {
    Router::new().route("/orgs/{org}/keys/{id}/roll", get(ask).post(roll))
}

/// How long the old key may keep working: the choices offered, in seconds.
const GRACES: [(u32, &str); 4] = [
    (0, "stop it now"),
    (3_600, "for 1 hour"),
    (86_400, "for 24 hours"),
    (604_800, "for 7 days"),
];

#[derive(Template)]
#[template(path = "roll.html")]
struct RollPage {
    layout: Layout,
    key: KeyCard,
    action: String,
    cancel: String,
    graces: Vec<Choice>,
    grace: String,
    expiries: Vec<Choice>,
    expires_in: String,
    expires: String,
    errors: FieldErrors,
}

async fn page_for(
    state: &AppState,
    page: &Portal<OrgMember>,
    key: &KeyRecord,
    form: Option<&FormData>,
    errors: FieldErrors,
) -> PageResult {
    let member = &page.access;
    let policy = &member.org.key_policy;
    let names = Names::load(state, member.org.id).await?;
    let typed = |name: &str, default: String| {
        form.map(|f| f.get(name).to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or(default)
    };
    let status = errors.status();
    let view = RollPage {
        layout: page
            .layout(state, "Roll key", Section::of(key).nav())
            .await?,
        key: KeyCard::new(state, key, &names, member),
        action: page.org_path(&format!("/keys/{}/roll", key.id)),
        cancel: page.org_path(Section::of(key).path()),
        graces: GRACES
            .iter()
            .map(|(seconds, name)| Choice {
                id: seconds.to_string(),
                name: (*name).to_owned(),
            })
            .collect(),
        grace: typed("grace_seconds", GRACE_DEFAULT_SECONDS.to_string()),
        expiries: expiry::choices(policy, None),
        expires_in: typed("expires_in", expiry::default_choice(policy, false)),
        expires: typed("expires", String::new()),
        errors,
    };
    Ok(render_with(status, &view))
}

async fn ask(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let key = manageable_key(&state, &page.access, &id).await?;
    page_for(&state, &page, &key, None, FieldErrors::default()).await
}

async fn roll(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Portal<OrgMember>,
    Path((_, id)): Path<(String, String)>,
    PostForm(form): PostForm,
) -> PageResult {
    let key = manageable_key(&state, &page.access, &id).await?;
    let mut errors = FieldErrors::default();
    let grace = form
        .get("grace_seconds")
        .parse::<u32>()
        .ok()
        .filter(|g| GRACES.iter().any(|(seconds, _)| seconds == g));
    if grace.is_none() {
        errors.add("grace", "Choose how long the old key keeps working.");
    }
    let now = state.clock.now();
    let expires_at = match expiry::read(form.get("expires_in"), form.get("expires"), now) {
        Ok(Expiry::At(at)) => at,
        Ok(Expiry::Keep) => key.expires_at,
        Err(why) => {
            errors.add("expires", why);
            None
        }
    };
    if errors.is_empty() {
        let input = KeyRoll {
            grace_seconds: grace,
            expires_at,
            limits: Default::default(),
        };
        match domain::roll(&state, &page.access, &id, input).await {
            Ok((new, secret)) => {
                let org = page.org_path("");
                return Ok(reveal::hand_over(&state, &headers, &org, new.id, &secret));
            }
            Err(e) => errors = FieldErrors::from_api(e, KEY_FIELDS)?,
        }
    }
    page_for(&state, &page, &key, Some(&form), errors).await
}
