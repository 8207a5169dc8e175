//! Signing in and out, the start page, and accepting an invitation.

use super::errors::{FieldErrors, PageResult};
use super::form::PostForm;
use super::page::{Layout, SignedIn, done, render, render_with};
use crate::cookies::{SESSION_COOKIE, cookie_header};
use crate::csrf;
use crate::ctx::RequestMeta;
use crate::error::Code;
use crate::ops::invitations::{self, Joiner};
use crate::ops::sessions::{self, SESSION_TTL};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use keyward_core::access::User;
use std::net::SocketAddr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/account/keys", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", axum::routing::post(logout))
        .route(invitations::ACCEPT_PATH, get(accept_page).post(accept))
}

/// Whether cookies must be `Secure`: configured, or the request came over
/// TLS to the proxy in front of keyward.
pub fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.settings.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    layout: Layout,
}

/// The start page: a user's first organization's personal keys.
async fn home(State(state): State<AppState>, user: SignedIn) -> PageResult {
    let orgs = state.store.user_orgs(user.session.user.id).await?;
    match orgs.first() {
        Some((org, _)) => {
            Ok(Redirect::to(&format!("/orgs/{}/account/keys", org.slug.as_str())).into_response())
        }
        None => {
            let layout = user.layout(&state, "Welcome", "", None).await?;
            Ok(render(&Home { layout }))
        }
    }
}

/// A page shown before signing in, titled `title`: its forms' CSRF token
/// is bound to a pre-session cookie, set with the page when the browser
/// had none.
pub fn anonymous_page<T: Template>(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    layout: Layout,
    page: impl FnOnce(Layout) -> T,
) -> Response {
    let (csrf, set_cookie) = csrf::anonymous(state, headers, secure(state, headers));
    let mut response = render_with(status, &page(Layout { csrf, ..layout }));
    if let Some(value) = set_cookie {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    layout: Layout,
    email: String,
    errors: FieldErrors,
}

fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    email: String,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    let layout = Layout {
        notice,
        ..Layout::bare("Sign in")
    };
    anonymous_page(state, headers, status, layout, |layout| Login {
        layout,
        email,
        errors,
    })
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SignedIn, super::errors::PortalError>,
    uri: axum::http::Uri,
) -> Response {
    if user.is_ok() {
        return Redirect::to("/").into_response();
    }
    let notice = super::page::notice_in(uri.query());
    login_form(
        &state,
        &headers,
        String::new(),
        FieldErrors::default(),
        notice,
    )
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    meta: RequestMeta,
    PostForm(form): PostForm,
) -> PageResult {
    let email = form.get("email").trim().to_owned();
    match sessions::sign_in(&state, &meta, &email, form.get("password"), peer.ip()).await {
        Ok(session) => {
            let mut response = Redirect::to("/").into_response();
            let value = cookie_header(
                SESSION_COOKIE,
                session.token.expose(),
                Some(SESSION_TTL.num_seconds()),
                secure(&state, &headers),
            );
            if let Some(value) = value {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Err(e) if e.code == Code::Unauthenticated => {
            let errors = FieldErrors::general(e.message);
            Ok(login_form(&state, &headers, email, errors, None))
        }
        Err(e) => Err(e.into()),
    }
}

/// Ends the session server-side and forgets the cookie.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: SignedIn,
    meta: RequestMeta,
    PostForm(_): PostForm,
) -> PageResult {
    sessions::sign_out(&state, &meta, &user.session).await?;
    let mut response = Redirect::to("/login?notice=signed-out").into_response();
    if let Some(value) = cookie_header(SESSION_COOKIE, "", Some(0), secure(&state, &headers)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "accept.html")]
struct Accept {
    layout: Layout,
    token: String,
    name: String,
    /// Who accepts, when signed in: the invitation must be for their email.
    signed_in: Option<User>,
    errors: FieldErrors,
}

fn accept_form(
    state: &AppState,
    headers: &HeaderMap,
    signed_in: Option<&SignedIn>,
    token: String,
    name: String,
    errors: FieldErrors,
) -> Response {
    let status = errors.status();
    let layout = Layout::bare("Accept your invitation");
    anonymous_page(state, headers, status, layout, |layout| Accept {
        layout,
        token,
        name,
        signed_in: signed_in.map(|user| user.session.user.clone()),
        errors,
    })
}

async fn accept_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SignedIn, super::errors::PortalError>,
) -> Response {
    accept_form(
        &state,
        &headers,
        user.ok().as_ref(),
        String::new(),
        String::new(),
        FieldErrors::default(),
    )
}

/// Accepts as the signed-in user, or else as a new user; an email that
/// has an account must sign in first.
async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    meta: RequestMeta,
    user: Result<SignedIn, super::errors::PortalError>,
    PostForm(form): PostForm,
) -> PageResult {
    state.throttle.token_attempt(peer.ip()).await?;
    let signed_in = user.ok();
    let token = form.get("token").trim().to_owned();
    let name = form.get("name").to_owned();
    let joiner = match &signed_in {
        Some(user) => Joiner::SignedIn(&user.session.user),
        None => {
            let password = form.get("password");
            if password != form.get("password_again") {
                let mut errors = FieldErrors::default();
                errors.add("password_again", "The two passwords differ.");
                return Ok(accept_form(&state, &headers, None, token, name, errors));
            }
            Joiner::New {
                name: &name,
                password,
            }
        }
    };
    let failed = match invitations::accept(&state, &meta, &token, joiner).await {
        Ok(accepted) if signed_in.is_some() => {
            let org = state.store.org_by_id(accepted.organization_id).await?;
            let path = org.map_or_else(
                || "/".to_owned(),
                |org| format!("/orgs/{}/account/keys", org.slug.as_str()),
            );
            return Ok(done(&path, "invitation-joined"));
        }
        Ok(_) => return Ok(done("/login", "invitation-accepted")),
        Err(e) if e.code == Code::Unauthenticated => FieldErrors::general(
            "This email address already has a keyward account: sign in, then open your invitation link again.",
        ),
        Err(e) => FieldErrors::from_api(
            e,
            &[
                ("invitation", "token"),
                ("name", "name"),
                ("password", "password"),
            ],
        )?,
    };
    Ok(accept_form(
        &state,
        &headers,
        signed_in.as_ref(),
        token,
        name,
        failed,
    ))
}
