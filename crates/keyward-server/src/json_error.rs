//! Request bodies' shape errors in keyward's words: serde's messages
//! (`missing field …`, `invalid type: …, expected …`) turned into the field's
//! path and what is wrong with it (`permissions is required`,
//! `credits.remaining must be an integer of 0 or more`), with the path in `details.field`.

use crate::error::{ApiError, Code};
use serde::de::DeserializeOwned;
use serde_json::json;
use serde_path_to_error::{Path, Segment};

/// Deserializes `body` as `T`: unparsable JSON is MALFORMED_JSON (400), a
/// body of the wrong shape VALIDATION_FAILED (422) naming the field.
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => value,
        Err(e) if e.inner().is_data() => {
            return with_integral_numbers(body)
                .ok_or_else(|| shape_error(&field_path(e.path()), e.inner()));
        }
        Err(e) => return Err(shape_error(&field_path(e.path()), e.inner())),
    };
    deserializer.end().map_err(|e| shape_error("", &e))?;
    Ok(value)
}

/// JSON has one number type, and JSON Schema counts `1.0` as the integer
/// 1: a body refused only because an integer came written as a float is
/// read again with such numbers as integers.
fn with_integral_numbers<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !integral_floats_to_integers(&mut value) {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// Rewrites every float with no fraction (within the range a double holds
/// exactly) as an integer; whether it rewrote any.
fn integral_floats_to_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            #[allow(clippy::cast_possible_truncation)]
            Some(f) if f.fract() == 0.0 && f.abs() <= EXACT => {
                *value = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| integral_floats_to_integers(item) | any),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |any, item| integral_floats_to_integers(item) | any),
        _ => false,
    }
}

fn shape_error(path: &str, error: &serde_json::Error) -> ApiError {
    if !error.is_data() {
        return ApiError::new(
            Code::MalformedJson,
            format!("the body is not valid JSON: {}", bare(error)),
        );
    }
    let (field, message) = describe(&printable(path), &printable(&bare(error)));
    let error = ApiError::new(Code::ValidationFailed, message);
    match field {
        Some(field) => error.with_details(json!({ "field": field })),
        None => error,
    }
}

/// `text` with its control characters escaped (`\u{6}`): field names come
/// from the request.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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
        // serde's path already ends at the unknown field.
        let field = quoted(rest).unwrap_or(rest);
        let name = if path == field || path.ends_with(&format!(".{field}")) {
            path.to_owned()
        } else {
            child(path, field)
        };
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
        let given = quoted(rest).unwrap_or(rest);
        return (field, format!("{subject} must be {allowed}, not {given:?}"));
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
        return (field, format!("{subject} must be {}", in_words(expected)));
    }
    // The body's own checks (bounds, formats) say what is wrong themselves.
    (field, format!("{subject}: {message}"))
}

/// serde names numbers by their Rust type; a person reads the range.
fn in_words(expected: &str) -> &str {
    match expected {
        "u8" => "an integer from 0 to 255",
        "u16" => "an integer from 0 to 65535",
        "u32" => "an integer from 0 to 4294967295",
        "u64" | "usize" => "an integer of 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer",
        "f32" | "f64" => "a number",
        other => other,
    }
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
            "limits.remaining must be an integer of 0 or more"
        );
        assert_eq!(
            refused(r#"{"name":"a","tags":[1,-2]}"#).message,
            "tags[1] must be an integer from 0 to 255"
        );
        assert_eq!(refused("[]").message, "the body must be a JSON object");
    }

    #[test]
    fn an_unknown_field_is_named() {
        let e = refused(r#"{"name":"a","nmae":"b"}"#);
        assert_eq!(
            e.message,
            "nmae is not a field here; expected one of name, limits, tags"
        );
    }

    #[test]
    fn an_integer_may_be_written_as_a_float() {
        #[derive(Debug, Deserialize)]
        struct Count {
            n: u32,
        }
        let count = from_slice::<Count>(br#"{"n": 7.0}"#).unwrap();
        assert_eq!(count.n, 7);
        assert_eq!(
            from_slice::<Count>(br#"{"n": 7.5}"#).unwrap_err().message,
            "n must be an integer from 0 to 4294967295"
        );
    }

    #[test]
    fn broken_json_stays_malformed() {
        assert_eq!(refused("{").code, Code::MalformedJson);
        assert_eq!(refused(r#"{"name":"a"} x"#).code, Code::MalformedJson);
    }
}
