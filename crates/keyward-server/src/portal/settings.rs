//! "Organization » Settings": the organization's name, slug and key
//! prefix, and its key and leak policies, which its owners set.

use super::errors::{FieldErrors, PageResult};
use super::form::{FormData, PostForm};
use super::page::{Layout, Portal, done, render_with};
use crate::auth::OrgMember;
use crate::ops::orgs::{self, OrgUpdate};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/settings", get(show))
        .route("/orgs/{org}/settings/key-policy", post(save_policy))
        .route("/orgs/{org}/settings/leak-policy", post(save_leak_policy))
}

#[derive(Template)]
#[template(path = "settings.html")]
struct Settings {
    layout: Layout,
    name: String,
    slug: String,
    prefix: String,
    owner: bool,
    max_lifetime_days: String,
    require_expiry: bool,
    leak_policy: &'static str,
    leak_choices: &'static [LeakChoice],
    errors: FieldErrors,
}

/// One answer to a leak report, as the settings page offers it.
struct LeakChoice {
    value: &'static str,
    label: &'static str,
    hint: &'static str,
}

const LEAK_CHOICES: &[LeakChoice] = &[
    LeakChoice {
        value: "revoke",
        label: "Revoke the key",
        hint: "it stops working for good (recommended)",
    },
    LeakChoice {
        value: "disable",
        label: "Disable the key",
        hint: "it stops working until someone enables it again",
    },
    LeakChoice {
        value: "notify",
        label: "Only record the report",
        hint: "the key keeps working; the audit log shows key.leaked",
    },
];

async fn render_page(
    state: &AppState,
    page: &Portal<OrgMember>,
    typed: Option<&FormData>,
    errors: FieldErrors,
) -> PageResult {
    let org = &page.access.org;
    let policy = org.key_policy;
    let status = errors.status();
    let view = Settings {
        layout: page
            .layout(state, "Organization settings", "settings")
            .await?,
        name: org.name.clone(),
        slug: org.slug.as_str().to_owned(),
        prefix: org.key_prefix.as_str().to_owned(),
        owner: page.access.grants.is_org_owner(),
        max_lifetime_days: typed.map_or_else(
            || {
                policy
                    .max_lifetime_days
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            },
            |f| f.get("max_lifetime_days").to_owned(),
        ),
        require_expiry: typed.map_or(policy.require_expiry, |f| f.checked("require_expiry")),
        leak_policy: org.leak_policy.as_str(),
        leak_choices: LEAK_CHOICES,
        errors,
    };
    Ok(render_with(status, &view))
}

async fn show(State(state): State<AppState>, page: Portal<OrgMember>) -> PageResult {
    render_page(&state, &page, None, FieldErrors::default()).await
}

async fn save_policy(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    PostForm(form): PostForm,
) -> PageResult {
    let days = match form.get("max_lifetime_days").trim() {
        "" => Ok(None),
        text => text.parse::<u32>().map(Some),
    };
    let errors = match days {
        Ok(days) => {
            let input = OrgUpdate {
                key_policy: Some((days, form.checked("require_expiry"))),
                ..OrgUpdate::default()
            };
            match orgs::update(&state, &page.access, input).await {
                Ok(_) => return Ok(done(&page.org_path("/settings"), "policy-saved")),
                Err(e) if e.code.status() == StatusCode::FORBIDDEN => return Err(e.into()),
                Err(e) => FieldErrors::from_api(e, &[("max_lifetime_days", "max_lifetime_days")])?,
            }
        }
        Err(_) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "max_lifetime_days",
                "Give a number of days, or leave it empty.",
            );
            errors
        }
    };
    render_page(&state, &page, Some(&form), errors).await
}

async fn save_leak_policy(
    State(state): State<AppState>,
    page: Portal<OrgMember>,
    PostForm(form): PostForm,
) -> PageResult {
    let input = OrgUpdate {
        leak_policy: Some(form.get("leak_policy").to_owned()),
        ..OrgUpdate::default()
    };
    match orgs::update(&state, &page.access, input).await {
        Ok(_) => Ok(done(&page.org_path("/settings"), "leak-policy-saved")),
        Err(e) if e.code.status() == StatusCode::FORBIDDEN => Err(e.into()),
        Err(e) => {
            let errors = FieldErrors::from_api(e, &[("leak_policy", "leak_policy")])?;
            render_page(&state, &page, None, errors).await
        }
    }
}
