//! Assertions on statuses, JSON shapes and the common error body.

use axum::http::StatusCode;
use keyward_client::RawResponse;
use serde_json::Value;
use std::collections::BTreeSet;

/// Fails with the body when the status is not `status`.
pub fn assert_status(response: &RawResponse, status: u16) {
    assert_eq!(
        response.status, status,
        "expected {status}, got {}: {}",
        response.status, response.body
    );
}

/// The object has exactly these fields.
pub fn assert_fields(value: &Value, fields: &[&str]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    let found: BTreeSet<&str> = object.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = fields.iter().copied().collect();
    assert_eq!(found, expected, "fields of {value}");
}

/// The common error body, `{statusCode, error, code, message, details?}`,
/// with the status's reason phrase; 401s carry `WWW-Authenticate`.
pub fn assert_error(response: &RawResponse, status: u16, code: &str) {
    assert_status(response, status);
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default();
    assert_error_body(&response.body, status, reason, code);
    if status == 401 {
        let challenge = response
            .header("www-authenticate")
            .unwrap_or_else(|| panic!("a 401 without WWW-Authenticate: {}", response.body));
        assert!(challenge.contains("Api-Key"), "challenge {challenge}");
    }
}

/// The common error body with the given `error` text.
pub fn assert_error_body(body: &Value, status: u16, error: &str, code: &str) {
    let mut fields = vec!["statusCode", "error", "code", "message"];
    if body.get("details").is_some() {
        fields.push("details");
    }
    assert_fields(body, &fields);
    assert_eq!(body["statusCode"], status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["code"], code, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "an error without a message: {body}");
}

/// A 422 whose message mentions `needle`.
pub fn assert_validation(response: &RawResponse, needle: &str) {
    assert_error(response, 422, "VALIDATION_FAILED");
    let message = response.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "{message:?} does not mention {needle:?}"
    );
}
