//! "Report a leaked key": a public page where whoever holds a key revokes
//! it, with no account; the same operation as `POST /api/v1/keys/revoke`,
//! and the same answer whether or not the key was live.

use super::errors::{FieldErrors, PageResult};
use super::form::PostForm;
use super::page::{Layout, done, notice_in};
use super::session::anonymous_page;
use crate::ctx::RequestMeta;
use crate::leaks::report::TOKEN_MAX;
use crate::ops::leaks;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use std::net::SocketAddr;

/// The page's address.
pub const PATH: &str = "/leaked-key";

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(page).post(report))
}

#[derive(Template)]
#[template(path = "leak_report.html")]
struct LeakReport {
    layout: Layout,
    errors: FieldErrors,
}

fn form(
    state: &AppState,
    headers: &HeaderMap,
    notice: Option<&'static str>,
    errors: FieldErrors,
) -> Response {
    let status = errors.status();
    let layout = Layout {
        notice,
        ..Layout::bare("Report a leaked key")
    };
    anonymous_page(state, headers, status, layout, |layout| LeakReport {
        layout,
        errors,
    })
}

async fn page(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    form(
        &state,
        &headers,
        notice_in(uri.query()),
        FieldErrors::default(),
    )
}

async fn report(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    meta: RequestMeta,
    PostForm(submitted): PostForm,
) -> PageResult {
    state.throttle.revocation_attempt(peer.ip()).await?;
    let token = submitted.get("token").trim();
    if token.is_empty() || token.len() > TOKEN_MAX {
        let mut errors = FieldErrors::default();
        errors.add("token", "Paste the whole key, as it leaked.");
        return Ok(form(&state, &headers, None, errors));
    }
    leaks::revoke_held(&state, &meta, token).await?;
    Ok(done(PATH, "leak-reported"))
}
