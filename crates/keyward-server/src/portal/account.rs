//! Passwords in the portal: the signed-in user changes theirs, and anyone
//! with a reset link sets a new one.

use super::errors::{FieldErrors, PageResult};
use super::form::PostForm;
use super::page::{Layout, SignedIn, done, render, render_with};
use super::session::anonymous_page;
use crate::ctx::RequestMeta;
use crate::ops::passwords::{self, RESET_PATH};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use std::net::SocketAddr;

pub const CHANGE_PATH: &str = "/account/password";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(CHANGE_PATH, get(change_page).post(change))
        .route(RESET_PATH, get(reset_page).post(reset))
}

/// Where a password error goes on these forms.
const FIELDS: &[(&str, &str)] = &[
    ("current password", "current_password"),
    ("reset link", "token"),
    ("password", "new_password"),
];

#[derive(Template)]
#[template(path = "password_change.html")]
struct Change {
    layout: Layout,
    errors: FieldErrors,
}

async fn change_form(state: &AppState, user: &SignedIn, errors: FieldErrors) -> PageResult {
    let page = Change {
        layout: user.layout(state, "Change your password", "", None).await?,
        errors,
    };
    Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

async fn change_page(State(state): State<AppState>, user: SignedIn) -> PageResult {
    let page = Change {
        layout: user
            .layout(&state, "Change your password", "", None)
            .await?,
        errors: FieldErrors::default(),
    };
    Ok(render(&page))
}

async fn change(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    meta: RequestMeta,
    user: SignedIn,
    PostForm(form): PostForm,
) -> PageResult {
    let new = form.get("new_password");
    if new != form.get("new_password_again") {
        let mut errors = FieldErrors::default();
        errors.add("new_password_again", "The two passwords differ.");
        return change_form(&state, &user, errors).await;
    }
    let current = form.get("current_password");
    match passwords::change(&state, &meta, &user.session, current, new, peer.ip()).await {
        Ok(()) => Ok(done(CHANGE_PATH, "password-changed")),
        Err(e) => change_form(&state, &user, FieldErrors::from_api(e, FIELDS)?).await,
    }
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct Reset {
    layout: Layout,
    token: String,
    errors: FieldErrors,
}

fn reset_form(
    state: &AppState,
    headers: &HeaderMap,
    token: String,
    errors: FieldErrors,
) -> Response {
    let status = errors.status();
    let layout = Layout::bare("Set a new password");
    anonymous_page(state, headers, status, layout, |layout| Reset {
        layout,
        token,
        errors,
    })
}

async fn reset_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    reset_form(&state, &headers, String::new(), FieldErrors::default())
}

async fn reset(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    meta: RequestMeta,
    PostForm(form): PostForm,
) -> PageResult {
    state.throttle.token_attempt(peer.ip()).await?;
    let token = form.get("token").trim().to_owned();
    let new = form.get("new_password");
    if new != form.get("new_password_again") {
        let mut errors = FieldErrors::default();
        errors.add("new_password_again", "The two passwords differ.");
        return Ok(reset_form(&state, &headers, token, errors));
    }
    match passwords::complete(&state, &meta, &token, new).await {
        Ok(_) => Ok(done("/login", "password-reset")),
        Err(e) => {
            let errors = FieldErrors::from_api(e, FIELDS)?;
            Ok(reset_form(&state, &headers, token, errors))
        }
    }
}
