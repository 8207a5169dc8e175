//! keyward's wire types, as the client sees them. Responses tolerate fields
//! this crate does not know, so an older client keeps working against a newer
//! server.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /api/v1/orgs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewOrg {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub key_prefix: String,
    pub created_at: String,
}

/// An entry of an organization's permission catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Permission {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub read_only: bool,
}

/// `POST /api/v1/orgs/{org}/keys`.
///
/// Each entry of `permissions` is a catalog id (`3`), a permission name
/// (`"keys:read"`), or a grant (`{"permission": "datasets:edit", "resource": "datasets/42"}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewKey {
    pub name: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_id: Option<String>,
}

/// A key's explicit grant, with the catalog id of its permission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyGrant {
    pub id: i64,
    pub name: String,
    pub resource: String,
}

/// A key as listings show it: masked, never the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Key {
    pub id: String,
    pub key_mask: String,
    pub name: String,
    pub scope: String,
    pub read_only: bool,
    #[serde(default)]
    pub permissions: Vec<KeyGrant>,
    pub organization_id: String,
    pub created_at: String,
    pub created_by: String,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub metadata: Value,
    pub enabled: bool,
    #[serde(default)]
    pub last_used_at: Option<String>,
    #[serde(default)]
    pub usage_count: i64,
}

/// The creation response: the key's record plus its secret, shown this once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub key: String,
    #[serde(flatten)]
    pub info: Key,
}

// The secret stays out of logs and test failure output.
impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("key", &"<redacted>")
            .field("info", &self.info)
            .finish()
    }
}

/// One page of `GET /api/v1/orgs/{org}/keys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPage {
    pub items: Vec<Key>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// Which audit events a listing returns; every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// One action (`key.revoked`) or a resource's (`key.*`).
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    /// RFC 3339: events at or after it.
    pub since: Option<String>,
    /// RFC 3339: events before it.
    pub until: Option<String>,
    /// Page size, 1 to 100.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of the audit log, newest first. Events are kept as JSON
/// (`{id, at, action, outcome, actor, target, …}`), as the server sent them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub items: Vec<Value>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// What checking an audit hash chain found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainCheck {
    pub ok: bool,
    pub checked: u64,
    #[serde(default)]
    pub first_broken: Option<String>,
}

/// The body of every keyward error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub status_code: u16,
    pub error: String,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl ErrorBody {
    /// Stands in for a non-2xx answer that does not carry keyward's error
    /// body (a proxy's 502 page, say), so callers still get the status and text.
    pub(crate) fn unexpected(status: u16, body: Value) -> Self {
        let error = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Unknown Status")
            .to_owned();
        let (message, details) = match body {
            Value::Null => (error.clone(), None),
            Value::String(text) => (text, None),
            other => (other.to_string(), Some(other)),
        };
        Self {
            status_code: status,
            error,
            code: "UNEXPECTED_RESPONSE".to_owned(),
            message,
            details,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_skip_absent_fields() {
        let org = NewOrg {
            name: "Acme".into(),
            ..Default::default()
        };
        assert_eq!(serde_json::to_value(&org).unwrap(), json!({"name": "Acme"}));
        let key = NewKey {
            name: "ci".into(),
            scope: "organization".into(),
            read_only: Some(true),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&key).unwrap(),
            json!({"name": "ci", "scope": "organization", "read_only": true})
        );
    }

    #[test]
    fn created_key_is_the_key_shape_plus_the_secret() {
        let body = json!({
            "key": "kw_secret",
            "id": "0192",
            "key_mask": "kw_abcde***",
            "name": "ci",
            "scope": "organization",
            "read_only": false,
            "permissions": [{"id": 1, "name": "keys:read", "resource": "*"}],
            "organization_id": "0191",
            "created_at": "2025-01-01T00:00:00Z",
            "created_by": "admin",
            "expires_at": null,
            "metadata": {},
            "enabled": true,
            "last_used_at": null,
            "usage_count": 0,
            "owner": {"type": "organization"}
        });
        let created: CreatedKey = serde_json::from_value(body).unwrap();
        assert_eq!(created.key, "kw_secret");
        assert_eq!(created.info.permissions[0].name, "keys:read");
        assert!(!format!("{created:?}").contains("kw_secret"));
    }

    #[test]
    fn error_body_uses_camel_case_status() {
        let body: ErrorBody = serde_json::from_value(json!({
            "statusCode": 404, "error": "Not Found", "code": "KEY_NOT_FOUND",
            "message": "API key x was not found"
        }))
        .unwrap();
        assert_eq!(body.status_code, 404);
        assert_eq!(body.details, None);
    }

    #[test]
    fn foreign_error_pages_keep_status_and_text() {
        let body = ErrorBody::unexpected(502, Value::String("bad gateway".into()));
        assert_eq!(body.error, "Bad Gateway");
        assert_eq!(body.message, "bad gateway");
        assert_eq!(body.code, "UNEXPECTED_RESPONSE");
    }
}
