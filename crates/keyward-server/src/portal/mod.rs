//! The web portal: server-rendered pages served by the same app, on the
//! same state and through the same domain functions as the API, so there is
//! no second logic path. Sessions ride in an HttpOnly, SameSite=Strict
//! cookie; every form carries a CSRF token; every response carries a strict
//! Content-Security-Policy and no HTML page is cached.

mod account;
mod admin;
mod assets;
mod audit;
mod errors;
mod expiry;
mod form;
mod key_edit;
mod key_form;
mod key_roll;
mod keys;
mod leak_report;
mod limits_form;
mod page;
mod picker;
mod reveal;
mod session;
mod settings;
mod views;
mod webhooks;

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// No inline script or style, no framing, forms only to ourselves.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The portal's pages, forms and static files.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(session::routes())
        .merge(account::routes())
        .merge(keys::routes())
        .merge(key_edit::routes())
        .merge(key_roll::routes())
        .merge(settings::routes())
        .merge(webhooks::routes())
        .merge(leak_report::routes())
        .merge(admin::routes())
        .merge(audit::routes())
        .merge(assets::routes())
        .layer(axum::middleware::map_response(security_headers))
}

/// The portal's answer for an address it doesn't have: an HTML page, with
/// the portal's headers.
pub async fn not_found() -> Response {
    security_headers(errors::not_found().into_response()).await
}

/// Adds the portal's security headers; anything that didn't choose its own
/// caching (static files do) is `no-store`: pages hold CSRF tokens, and
/// some hold a secret shown once.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
