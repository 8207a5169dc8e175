//! Extractors whose rejections come in the common error body (`ApiJson`,
//! `ApiQuery`), and the edge checks every string passes: JSON bodies, query
//! strings, path segments, headers and portal forms.
//!
//! Strings may carry tab, line feed and carriage return (free text:
//! descriptions, metadata, passwords); every other control character (C0,
//! DEL, C1), NUL above all, is refused with 422. One-line values (names,
//! headers, query parameters) refuse those three too.

use crate::error::{ApiError, ApiResult, Code};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Whether free text may hold the control character `c`.
fn allowed_control(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
}

fn refused(c: char) -> bool {
    c.is_control() && !allowed_control(c)
}

fn control_error(what: &str) -> ApiError {
    ApiError::validation(format!(
        "{what} holds a control character; only tab, line feed and carriage return are allowed"
    ))
}

/// Refuses `text` if it holds a control character other than tab, line
/// feed and carriage return; `what` names it in the message.
pub fn check_text(what: &str, text: &str) -> ApiResult<()> {
    if text.chars().any(refused) {
        return Err(control_error(what));
    }
    Ok(())
}

/// Refuses a one-line value (a header, a query parameter) that holds any
/// control character.
pub fn check_line(what: &str, text: &str) -> ApiResult<()> {
    if text.chars().any(char::is_control) {
        return Err(ApiError::validation(format!(
            "{what} holds a control character; none is allowed there"
        )));
    }
    Ok(())
}

/// Whether a well-formed JSON text holds a refused control character in a
/// string, found without parsing it again: JSON strings can't hold raw C0
/// characters, so they arrive escaped (`\u0000`, `\b`, `\f`); DEL and C1
/// arrive escaped or as raw UTF-8.
fn json_has_control(body: &[u8]) -> bool {
    let mut at = 0;
    while let Some(&byte) = body.get(at) {
        match (byte, body.get(at + 1)) {
            (b'\\', Some(b'b' | b'f')) => return true,
            (b'\\', Some(b'u')) => {
                let escaped = body
                    .get(at + 2..at + 6)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32);
                if escaped.is_some_and(refused) {
                    return true;
                }
                at += 6;
            }
            // `\\`, `\"` and the allowed escapes: skip both bytes.
            (b'\\', _) => at += 2,
            (0x7f, _) | (0xc2, Some(0x80..=0x9f)) => return true,
            _ => at += 1,
        }
    }
    false
}

/// Deserializes a JSON request body the way [`ApiJson`] does, with its
/// checks and errors; public so fuzzing reaches the same code.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let value = crate::json_error::from_slice(body)?;
    if json_has_control(body) {
        return Err(control_error("a string in the body"));
    }
    Ok(value)
}

pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&body).map(Self)
    }
}

/// A request body as it came, within the body limit (413 in the common
/// error body past it): for bodies whose signature covers their bytes.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(Self)
            .map_err(body_rejection)
    }
}

/// `application/json` or `application/<anything>+json`, as axum's `Json` takes.
pub fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(essence) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
    else {
        return false;
    };
    let essence = essence.trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            Code::PayloadTooLarge,
            format!(
                "the request body is larger than {} bytes",
                crate::bounds::BODY_LIMIT
            ),
        );
    }
    ApiError::new(Code::BadRequest, rejection.body_text())
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Deserializes a field that may be absent (outer `None`), `null` (inner
/// `None`) or a value.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

/// axum's query extractor with rejections in the common error body.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let bad = |rejection: axum::extract::rejection::QueryRejection| {
            ApiError::new(Code::BadRequest, rejection.body_text())
        };
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map_err(bad)?;
        for (name, value) in &pairs {
            check_line("the query string", name)?;
            check_line(&format!("query parameter {name}"), value)?;
        }
        Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Self(q.0))
            .map_err(bad)
    }
}

/// Refuses, with 400 before routing, a path with a segment that doesn't
/// decode to UTF-8 free of control characters (`%ff%fe`, `%00`): no handler
/// or store ever sees one.
pub async fn decodable_path(req: Request, next: Next) -> Response {
    let decodable = req.uri().path().split('/').all(|segment| {
        percent_decode_str(segment)
            .decode_utf8()
            .is_ok_and(|s| !s.chars().any(char::is_control))
    });
    if !decodable {
        return ApiError::new(
            Code::BadRequest,
            "the path holds a segment that is not percent-encoded UTF-8 text",
        )
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_controls_are_found() {
        for body in [
            r#"{"a":"x\u0000"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\u007f"}"#,
            r#"{"a":"\u0085"}"#,
            r#"{"a":"\b"}"#,
            r#"{"a":"\f"}"#,
            "{\"a\":\"\u{7f}\"}",
            "{\"a\":\"\u{9f}\"}",
            r#"{"\u0000":1}"#,
        ] {
            assert!(json_has_control(body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn text_and_allowed_escapes_pass() {
        for body in [
            r#"{"a":"line\nnext\tcol\r"}"#,
            r#"{"a":"\\u0000 is how you write NUL"}"#,
            r#"{"a":"\\\\"}"#,
            r#"{"a":"\"\/\u00e9\ud83d\ude00"}"#,
            "{\"a\":\"é ü ¡ 😀\"}",
            "{\n\t\"a\": [1, 2]\r\n}",
        ] {
            assert!(!json_has_control(body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn parse_json_refuses_nul_with_422() {
        let e = parse_json::<serde_json::Value>(br#"{"name":"a\u0000b"}"#).unwrap_err();
        assert_eq!(e.code, Code::ValidationFailed);
        let e = parse_json::<serde_json::Value>(b"{\"name\":\"a\x00b\"}").unwrap_err();
        assert_eq!(e.code, Code::MalformedJson);
    }
}
