//! Request bodies' shape errors in keyward's words: serde's messages
//! (`missing field …`, `invalid type: …, expected …`) turned into the field's
//! path and what is wrong with it (`permissions is required`,
//! `credits.remaining must be u64`), with the path in `details.field`.

use crate::error::{ApiError, Code};
use serde::de::DeserializeOwned;
use serde_json::json;
use serde_path_to_error::{Path, Segment};

/// Deserializes `body` as `T`: unparsable JSON is MALFORMED_JSON (400), a
/// body of the wrong shape VALIDATION_FAILED (422) naming the field.
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| shape_error(&field_path(e.path()), e.inner()))?;
    deserializer.end().map_err(|e| shape_error("", &e))?;
    Ok(value)
}

fn shape_error(path: &str, error: &serde_json::Error) -> ApiError {
    if !error.is_data() {
        return ApiError::new(
            Code::MalformedJson,
            format!("the body is not valid JSON: {}", bare(error)),
        );
    }
    let (field, message) = describe(path, &bare(error));
    let error = ApiError::new(Code::ValidationFailed, message);
    match field {
        Some(field) => error.with_details(json!({ "field": field })),
        None => error,
    }
}

/// serde_json's message without its ` at line 1 column 5` suffix.
fn bare(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

/// `credits.refill.interval_ms`, `permissions[2].resource`; empty for the
/// body itself.
fn field_path(path: &Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// Joins a parent path and a field name.
fn child(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// The text between the first pair of backticks in `text`.
fn quoted(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once('`')?;
    rest.split_once('`').map(|(inside, _)| inside)
}

/// The field at fault (if any) and the sentence that says what is wrong.
fn describe(path: &str, message: &str) -> (Option<String>, String) {
    let subject = if path.is_empty() { "the body" } else { path };
    let field = (!path.is_empty()).then(|| path.to_owned());
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = child(path, quoted(rest).unwrap_or(rest));
        return (Some(name.clone()), format!("{name} is required"));
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = child(path, quoted(rest).unwrap_or(rest));
        let allowed = rest
            .split_once(", expected ")
            .map(|(_, allowed)| format!("; expected {}", allowed.replace('`', "")))
            .unwrap_or_default();
        return (
            Some(name.clone()),
            format!("{name} is not a field here{allowed}"),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let allowed = rest
            .split_once(", expected ")
            .map_or_else(String::new, |(_, a)| a.replace('`', ""));
        return (field, format!("{subject} must be {allowed}"));
    }
    let expected = ["invalid type: ", "invalid value: ", "invalid length "]
        .iter()
        .any(|prefix| message.starts_with(prefix))
        .then(|| message.split_once(", expected "))
        .flatten();
    if let Some((_, expected)) = expected {
        let expected = expected
            .strip_prefix("struct ")
            .map_or(expected, |_| "a JSON object");
        return (field, format!("{subject} must be {expected}"));
    }
    // The body's own checks (bounds, formats) say what is wrong themselves.
    (field, format!("{subject}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        limits: Option<Limits>,
        tags: Option<Vec<u8>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Limits {
        remaining: u64,
    }

    fn refused(body: &str) -> ApiError {
        from_slice::<Body>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_missing_field_is_named() {
        let e = refused("{}");
        assert_eq!(e.code, Code::ValidationFailed);
        assert_eq!(e.message, "name is required");
        let e = refused(r#"{"name":"a","limits":{}}"#);
        assert_eq!(e.message, "limits.remaining is required");
    }

    #[test]
    fn a_wrong_type_says_what_is_expected() {
        assert_eq!(refused(r#"{"name":5}"#).message, "name must be a string");
        assert_eq!(
            refused(r#"{"name":"a","limits":{"remaining":"x"}}"#).message,
            "limits.remaining must be u64"
        );
        assert_eq!(
            refused(r#"{"name":"a","tags":[1,-2]}"#).message,
            "tags[1] must be u8"
        );
        assert_eq!(refused("[]").message, "the body must be a JSON object");
    }

    #[test]
    fn an_unknown_field_is_named() {
        let e = refused(r#"{"name":"a","nmae":"b"}"#);
        assert_eq!(
            e.message,
            "nmae is not a field here; expected name, limits, tags"
        );
    }

    #[test]
    fn broken_json_stays_malformed() {
        assert_eq!(refused("{").code, Code::MalformedJson);
        assert_eq!(refused(r#"{"name":"a"} x"#).code, Code::MalformedJson);
    }
}
