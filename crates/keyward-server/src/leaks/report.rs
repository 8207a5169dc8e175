//! A scanner's report, read entry by entry: GitHub's partner format (a
//! JSON array of `{token, type, url, source}`) and the generic form
//! (`{token, source, url}`), and the feedback GitHub expects back. An
//! entry that isn't of the shape is skipped and counted, never fatal.

use crate::error::{ApiError, ApiResult, Code};
use crate::extract::parse_json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;
use utoipa::ToSchema;

/// The most entries one report may hold.
pub const ENTRIES_MAX: usize = 500;
/// The longest token read: keys are at most 62 characters; scanners may
/// report longer candidates, which can't be keys.
pub const TOKEN_MAX: usize = 512;
const URL_MAX: usize = 2048;
const LABEL_MAX: usize = 128;

/// One exposed token as reported. `Debug` never shows the token.
pub struct Reported {
    pub token: String,
    /// The scanner's name for what it found (`type`).
    pub token_type: String,
    pub url: String,
    /// Where it was found: `content`, `commit`, `issue`, `npm`, ...
    pub source: String,
}

impl fmt::Debug for Reported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reported")
            .field("token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("url", &self.url)
            .field("source", &self.source)
            .finish()
    }
}

/// One entry of GitHub's partner format, for the API's documentation;
/// entries are read one by one ([`parse_github`]).
#[derive(Debug, Deserialize, ToSchema)]
pub struct GithubEntry {
    /// The exposed token.
    pub token: String,
    /// The token type registered with GitHub.
    #[serde(rename = "type")]
    pub token_type: String,
    /// Where GitHub found it.
    pub url: String,
    /// `content`, `commit`, `pull_request_description`, `issue`, `npm`, ...
    pub source: String,
}

/// A report's well-formed entries, and how many were skipped.
#[derive(Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Reported>,
    pub skipped: usize,
}

fn one_line(text: &str, max: usize) -> bool {
    text.len() <= max && !text.chars().any(char::is_control)
}

/// A string field of at most `max` bytes with no control character;
/// absent is empty.
fn field(entry: &Value, name: &str, max: usize) -> Option<String> {
    match entry.get(name) {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(text)) if one_line(text, max) => Some(text.clone()),
        Some(_) => None,
    }
}

fn entry(value: &Value) -> Option<Reported> {
    let token = value.get("token")?.as_str()?;
    if token.is_empty() || !one_line(token, TOKEN_MAX) {
        return None;
    }
    Some(Reported {
        token: token.to_owned(),
        token_type: field(value, "type", LABEL_MAX)?,
        url: field(value, "url", URL_MAX)?,
        source: field(value, "source", LABEL_MAX)?,
    })
}

/// Reads GitHub's partner format. A body that isn't a JSON array is 400,
/// one of more than [`ENTRIES_MAX`] entries 422; entries without a token
/// or with fields of the wrong type, too long or holding control
/// characters are skipped.
pub fn parse_github(body: &[u8]) -> ApiResult<Parsed> {
    let values: Vec<Value> = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            Code::MalformedJson,
            format!("the report must be a JSON array of {{token, type, url, source}}: {e}"),
        )
    })?;
    if values.len() > ENTRIES_MAX {
        return Err(ApiError::validation(format!(
            "a report holds at most {ENTRIES_MAX} entries"
        )));
    }
    let mut parsed = Parsed::default();
    for value in &values {
        match entry(value) {
            Some(reported) => parsed.entries.push(reported),
            None => parsed.skipped += 1,
        }
    }
    Ok(parsed)
}

/// The generic form's body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenericReport {
    /// The exposed token.
    pub token: String,
    /// Where it was found (`content`, `pastebin`, ...).
    #[serde(default)]
    pub source: Option<String>,
    /// A link to where it was found.
    #[serde(default)]
    pub url: Option<String>,
    /// The scanner's name for what it found.
    #[serde(default, rename = "type")]
    pub token_type: Option<String>,
}

/// Reads the generic form, with the API's usual checks.
pub fn parse_generic(body: &[u8]) -> ApiResult<Reported> {
    let report: GenericReport = parse_json(body)?;
    let bounded = |what: &str, text: &str, max: usize| {
        if one_line(text, max) {
            Ok(())
        } else {
            Err(ApiError::validation(format!(
                "{what} must be one line of at most {max} bytes"
            )))
        }
    };
    if report.token.is_empty() {
        return Err(ApiError::validation("token must not be empty"));
    }
    bounded("token", &report.token, TOKEN_MAX)?;
    let url = report.url.unwrap_or_default();
    bounded("url", &url, URL_MAX)?;
    let source = report.source.unwrap_or_default();
    bounded("source", &source, LABEL_MAX)?;
    let token_type = report.token_type.unwrap_or_default();
    bounded("type", &token_type, LABEL_MAX)?;
    Ok(Reported {
        token: report.token,
        token_type,
        url,
        source,
    })
}

/// Whether a reported token was a keyward key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = LeakLabel)]
pub enum Label {
    TruePositive,
    FalsePositive,
}

/// One entry of GitHub's feedback form: the token by its SHA-256 (or,
/// when configured, as reported), its type, and the label.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feedback {
    /// SHA-256 of the token, lowercase hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<String>,
    /// The token as reported (`leaks.github.answer_token_raw`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_raw: Option<String>,
    pub token_type: String,
    pub label: Label,
}

impl Feedback {
    pub fn new(reported: &Reported, label: Label, raw: bool) -> Self {
        let (token_hash, token_raw) = if raw {
            (None, Some(reported.token.clone()))
        } else {
            (Some(sha256_hex(&reported.token)), None)
        };
        Self {
            token_hash,
            token_raw,
            token_type: reported.token_type.clone(),
            label,
        }
    }
}

/// SHA-256 of `text`, lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn malformed_entries_are_skipped_and_counted() {
        let body = br#"[
            {"token": "kw_a", "type": "keyward_api_key", "url": "https://x", "source": "content"},
            {"type": "no token"},
            {"token": 7},
            {"token": "kw_b", "url": ["not", "a string"]},
            {"token": "kw_c\u0000"},
            "just a string",
            {"token": "kw_d"}
        ]"#;
        let parsed = parse_github(body).unwrap();
        let tokens: Vec<&str> = parsed.entries.iter().map(|e| e.token.as_str()).collect();
        assert_eq!(tokens, ["kw_a", "kw_d"]);
        assert_eq!(parsed.skipped, 5);
        assert_eq!(parsed.entries[0].source, "content");
    }

    #[test]
    fn a_report_must_be_a_bounded_array() {
        assert_eq!(parse_github(b"{}").unwrap_err().code, Code::MalformedJson);
        let many = format!("[{}]", vec!["{}"; ENTRIES_MAX + 1].join(","));
        assert_eq!(
            parse_github(many.as_bytes()).unwrap_err().code,
            Code::ValidationFailed
        );
    }

    #[test]
    fn feedback_names_the_token_by_its_hash_unless_asked() {
        let reported = parse_github(br#"[{"token":"abc","type":"t"}]"#)
            .unwrap()
            .entries
            .remove(0);
        let hashed =
            serde_json::to_value(Feedback::new(&reported, Label::TruePositive, false)).unwrap();
        assert_eq!(
            hashed,
            serde_json::json!({
                "token_hash": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "token_type": "t",
                "label": "true_positive"
            })
        );
        let raw =
            serde_json::to_value(Feedback::new(&reported, Label::FalsePositive, true)).unwrap();
        assert_eq!(raw["token_raw"], "abc");
        assert!(raw.get("token_hash").is_none());
        assert!(!format!("{reported:?}").contains("abc"));
    }
}
