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

/// `POST /api/v1/orgs/{org}/permissions`: a platform permission.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewPermission {
    /// `resource:action`, e.g. `dataproducts:read`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// True for actions that change nothing; read-only keys keep only these.
    #[serde(default)]
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
    /// `{name, limit, duration_ms}` each, at most 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratelimits: Option<Vec<Value>>,
    /// `{remaining, refill?: {interval, amount, refill_day?}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Value>,
    /// Addresses and CIDRs the key may be used from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_ips: Option<Vec<String>>,
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
    /// The key that replaced this one, once it was rolled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_to: Option<String>,
    #[serde(default)]
    pub ratelimits: Vec<Value>,
    /// `{remaining, refill, refill_at}`, or absent without credits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Value>,
    #[serde(default)]
    pub allowed_ips: Vec<String>,
}

/// `PATCH /api/v1/orgs/{org}/keys/{id}`: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `Some(None)` removes the expiry (sent as `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// The same forms as [`NewKey::permissions`]; `Some(None)` gives the
    /// key all of its scope's rights (sent as `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Option<Vec<Value>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// New rate limits; `Some(vec![])` takes them away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratelimits: Option<Vec<Value>>,
    /// A new balance; `Some(None)` takes credits away (sent as `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Option<Value>>,
    /// New allowed addresses; `Some(vec![])` allows any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_ips: Option<Vec<String>>,
}

/// `POST /api/v1/orgs/{org}/keys/{id}/roll`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyRoll {
    /// How long the old key keeps working; the server's default (a day)
    /// when absent, `0` revokes it at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<u64>,
    /// The new key's expiry, RFC 3339; none when absent (subject to the
    /// organization's key policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
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

/// The answer to rolling a key: the new key, its secret shown this once,
/// and the id of the key it replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolledKey {
    #[serde(flatten)]
    pub created: CreatedKey,
    pub rolled_from: String,
}

/// `POST /api/v1/keys/verify`: a key, and optionally the permission
/// query and resource it is checked against.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerifyRequest {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The client's address, for keys with an allow-list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Credits the verification costs; 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<u64>,
}

// The secret stays out of logs and test failure output.
impl std::fmt::Debug for VerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("key", &"<redacted>")
            .field("permission", &self.permission)
            .field("resource", &self.resource)
            .field("ip", &self.ip)
            .field("cost", &self.cost)
            .finish()
    }
}

/// What verifying a key found: `valid` and `code` (`VALID`, `EXPIRED`, …),
/// and the rest of the answer (key id, owner, grants, …) as the server sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub valid: bool,
    pub code: String,
    #[serde(flatten)]
    pub details: serde_json::Map<String, Value>,
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
    fn key_changes_send_only_what_changes_and_null_for_no_expiry() {
        let changes = KeyChanges {
            enabled: Some(false),
            expires_at: Some(None),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&changes).unwrap(),
            json!({"enabled": false, "expires_at": null})
        );
        assert_eq!(serde_json::to_value(KeyRoll::default()).unwrap(), json!({}));
    }

    #[test]
    fn rolled_key_is_the_created_key_plus_rolled_from() {
        let body = json!({
            "key": "kw_new", "id": "k2", "key_mask": "kw_xyz***", "name": "ci",
            "scope": "organization", "read_only": false, "permissions": [],
            "organization_id": "o1", "created_at": "2025-01-01T00:00:00Z",
            "created_by": "admin", "metadata": {}, "enabled": true,
            "rolled_from": "k1"
        });
        let rolled: RolledKey = serde_json::from_value(body).unwrap();
        assert_eq!(rolled.created.key, "kw_new");
        assert_eq!(rolled.rolled_from, "k1");
        assert!(!format!("{rolled:?}").contains("kw_new"));
        let shown = serde_json::to_value(&rolled).unwrap();
        assert_eq!(shown["key"], "kw_new");
        assert_eq!(shown["rolled_from"], "k1");
    }

    #[test]
    fn verification_keeps_the_whole_answer() {
        let body = json!({"valid": false, "code": "EXPIRED", "key_id": "k1", "grants": []});
        let verification: Verification = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(verification.code, "EXPIRED");
        assert_eq!(serde_json::to_value(&verification).unwrap(), body);
        let request = VerifyRequest {
            key: "kw_secret".into(),
            ..Default::default()
        };
        assert!(!format!("{request:?}").contains("kw_secret"));
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
