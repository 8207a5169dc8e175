//! The cookies keyward reads and sets: the portal's session cookie, the
//! pre-session CSRF cookie and the cookie that carries a new key's secret
//! to the page that shows it.

use axum::http::{HeaderMap, HeaderValue};

pub const SESSION_COOKIE: &str = "keyward_session";

/// The portal's session cookie, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, for the whole site;
/// `max_age` of `Some(0)` deletes the cookie, `None` lasts the browser session.
pub fn cookie_header(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    secure: bool,
) -> Option<HeaderValue> {
    scoped_cookie_header(name, value, "/", max_age, secure)
}

/// [`cookie_header`] for the pages under `path` only.
pub fn scoped_cookie_header(
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
    secure: bool,
) -> Option<HeaderValue> {
    let mut text = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).ok()
}
