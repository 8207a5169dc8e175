//! CSRF protection: a synchronizer token derived from the session (an HMAC,
//! under the server secret, of the session token's hash), or, before
//! signing in, from a random pre-session cookie. Every portal form carries
//! it as the hidden field `csrf`, and every POST is checked
//! (`portal::form::PostForm`) before its handler runs.

use crate::cookies::{SESSION_COOKIE, cookie, cookie_header};
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue};
use keyward_core::{ApiKey, KeyHash, Prefix};
use subtle::ConstantTimeEq;

/// The cookie that binds the token of forms shown before signing in.
pub const ANON_COOKIE: &str = "keyward_csrf";
/// The form field.
pub const FIELD: &str = "csrf";
/// Keeps these HMACs apart from key and session hashes.
const LABEL: &str = "keyward-portal-csrf:";
const ANON_PREFIX: &str = "kwc";

/// What the token is bound to: the session cookie if any, else the
/// pre-session cookie.
pub fn binding(state: &AppState, headers: &HeaderMap) -> Option<KeyHash> {
    cookie(headers, SESSION_COOKIE)
        .or_else(|| cookie(headers, ANON_COOKIE))
        .filter(|v| !v.is_empty())
        .map(|v| state.hasher.hash(v))
}

/// The token for forms of a request bound to `binding`.
pub fn token(state: &AppState, binding: &KeyHash) -> String {
    let text = format!("{LABEL}{}", hex::encode(binding.as_bytes()));
    hex::encode(state.hasher.hash(&text).as_bytes())
}

/// Whether `sent` is the token for `binding`, compared in constant time.
pub fn verify(state: &AppState, binding: &KeyHash, sent: &str) -> bool {
    let expected = token(state, binding);
    expected.len() == sent.len() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()))
}

/// A token for a page shown before signing in, with the `Set-Cookie` that
/// starts a pre-session when the request had no cookie to bind to.
pub fn anonymous(
    state: &AppState,
    headers: &HeaderMap,
    secure: bool,
) -> (String, Option<HeaderValue>) {
    if let Some(bound) = binding(state, headers) {
        return (token(state, &bound), None);
    }
    let Ok(prefix) = Prefix::parse(ANON_PREFIX) else {
        return (String::new(), None);
    };
    let value = ApiKey::mint(&prefix);
    let set = cookie_header(ANON_COOKIE, value.expose(), None, secure);
    (token(state, &state.hasher.hash(value.expose())), set)
}
