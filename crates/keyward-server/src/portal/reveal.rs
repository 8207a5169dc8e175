//! A new key's secret, held once for the browser that created it. The
//! creating POST seals the secret into a short-lived cookie scoped to the
//! one page that shows it and redirects there (POST/redirect/GET); that
//! page opens the cookie and deletes it. A refresh shows the key without
//! its secret and creates nothing, on whichever node answers.
//!
//! The cookie is XChaCha20-Poly1305 under a key derived from the server
//! secret, bound to the session and the key it names, and dead after
//! [`LIFETIME`] whatever the browser keeps.

use super::session::secure;
use crate::cookies::{cookie, scoped_cookie_header};
use crate::csrf;
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use keyward_core::{ApiKey, KeyHash};
use uuid::Uuid;

const COOKIE: &str = "keyward_reveal";
/// Keeps the cookie's key apart from every other HMAC of the server secret.
const LABEL: &str = "keyward-portal-reveal-key";
/// How long the redirect may take to be followed.
const LIFETIME: chrono::Duration = chrono::Duration::seconds(120);
const NONCE: usize = 24;

/// The page that shows the secret of the key `id`.
fn page(org_path: &str, id: Uuid) -> String {
    format!("{org_path}/keys/{id}/secret")
}

fn cipher(state: &AppState) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(state.hasher.hash(LABEL).as_bytes().into())
}

/// What the sealed value is bound to: the session, the key, the deadline.
fn bound_to(session: &KeyHash, id: Uuid, until: i64) -> Vec<u8> {
    let mut aad = session.as_bytes().to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad.extend_from_slice(&until.to_be_bytes());
    aad
}

/// The `Set-Cookie` holding `secret` for [`page`], for this session only.
fn seal(
    state: &AppState,
    session: &KeyHash,
    page: &str,
    id: Uuid,
    secret: &ApiKey,
    secure: bool,
) -> Option<HeaderValue> {
    let until = (state.clock.now() + LIFETIME).timestamp();
    let nonce: [u8; NONCE] = rand::random();
    let sealed = cipher(state)
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: secret.expose().as_bytes(),
                aad: &bound_to(session, id, until),
            },
        )
        .ok()?;
    let mut value = hex::encode(nonce);
    value.push_str(&format!("{until:016x}"));
    value.push_str(&hex::encode(sealed));
    scoped_cookie_header(COOKIE, &value, page, Some(LIFETIME.num_seconds()), secure)
}

/// The secret sealed for this session and key, unless it is gone, spent,
/// tampered with or past its deadline.
fn open(
    state: &AppState,
    headers: &HeaderMap,
    session: &KeyHash,
    id: Uuid,
    now: DateTime<Utc>,
) -> Option<String> {
    let value = cookie(headers, COOKIE)?;
    let nonce = hex::decode(value.get(..NONCE * 2)?).ok()?;
    let until = i64::from_str_radix(value.get(NONCE * 2..NONCE * 2 + 16)?, 16).ok()?;
    let sealed = hex::decode(value.get(NONCE * 2 + 16..)?).ok()?;
    if now.timestamp() > until || nonce.len() != NONCE {
        return None;
    }
    let plain = cipher(state)
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &sealed,
                aad: &bound_to(session, id, until),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

/// The `Set-Cookie` that deletes the cookie of [`page`].
fn spent(page: &str, secure: bool) -> Option<HeaderValue> {
    scoped_cookie_header(COOKIE, "", page, Some(0), secure)
}

/// Sends the browser that created the key `id` to the page showing its
/// secret, holding the secret for that page once.
pub fn hand_over(
    state: &AppState,
    headers: &HeaderMap,
    org_path: &str,
    id: Uuid,
    secret: &ApiKey,
) -> Response {
    let page = page(org_path, id);
    let cookie = csrf::binding(state, headers)
        .and_then(|session| seal(state, &session, &page, id, secret, secure(state, headers)));
    let mut response = Redirect::to(&page).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The secret held for the key `id`'s page, if this browser has it still,
/// with the `Set-Cookie` that spends it.
pub fn take(
    state: &AppState,
    headers: &HeaderMap,
    org_path: &str,
    id: Uuid,
) -> (Option<String>, Option<HeaderValue>) {
    let secret = csrf::binding(state, headers)
        .and_then(|session| open(state, headers, &session, id, state.clock.now()));
    let spent = secret
        .as_ref()
        .and_then(|_| spent(&page(org_path, id), secure(state, headers)));
    (secret, spent)
}
