//! `keyward keys …`

use super::print_json;
use keyward_client::{Client, NewKey};
use serde_json::{Value, json};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once, in the `key` field.
    Create {
        /// The organization, by id or slug.
        #[arg(long)]
        org: String,
        /// A label for the key.
        #[arg(long)]
        name: String,
        /// user, team, organization or service_account.
        #[arg(long, default_value = "organization")]
        scope: String,
        /// Keep only read-only permissions.
        #[arg(long)]
        read_only: bool,
        /// Narrow the key to a permission: a catalog id (`3`), a name
        /// (`keys:read`) or a grant on one resource (`datasets:edit@datasets/42`).
        /// Repeatable.
        #[arg(long = "permission", value_name = "PERMISSION", value_parser = parse_permission)]
        permissions: Vec<Value>,
        /// Expiry, RFC 3339 (`2030-01-01T00:00:00Z`).
        #[arg(long, value_parser = parse_rfc3339)]
        expires_at: Option<String>,
        /// A JSON object stored with the key, opaque to keyward.
        #[arg(long, value_parser = parse_metadata)]
        metadata: Option<Value>,
        /// The team a `team` key belongs to.
        #[arg(long)]
        team_id: Option<String>,
        /// The service account a `service_account` key belongs to.
        #[arg(long)]
        service_account_id: Option<String>,
    },
    /// List keys, masked, one page at a time.
    List {
        #[arg(long)]
        org: String,
        /// Page size.
        #[arg(long)]
        limit: Option<u32>,
        /// The `next_cursor` of the previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Show one key, masked.
    Get {
        #[arg(long)]
        org: String,
        id: String,
    },
    /// Revoke a key, for good.
    Revoke {
        #[arg(long)]
        org: String,
        id: String,
    },
}

impl KeysCommand {
    pub async fn run(self, client: &Client) -> anyhow::Result<()> {
        match self {
            KeysCommand::Create {
                org,
                name,
                scope,
                read_only,
                permissions,
                expires_at,
                metadata,
                team_id,
                service_account_id,
            } => {
                let key = NewKey {
                    name,
                    scope,
                    read_only: read_only.then_some(true),
                    permissions: (!permissions.is_empty()).then_some(permissions),
                    expires_at,
                    metadata,
                    team_id,
                    service_account_id,
                };
                print_json(&client.create_key(&org, &key).await?)
            }
            KeysCommand::List { org, limit, cursor } => {
                print_json(&client.list_keys(&org, limit, cursor.as_deref()).await?)
            }
            KeysCommand::Get { org, id } => print_json(&client.get_key(&org, &id).await?),
            KeysCommand::Revoke { org, id } => {
                client.revoke_key(&org, &id).await?;
                // DELETE answers 204 with no body; say what happened instead.
                print_json(&json!({ "id": id, "revoked": true }))
            }
        }
    }
}

/// `3` → a catalog id, `keys:read` → a name, `name@resource` → a grant.
fn parse_permission(raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    if let Some((name, resource)) = raw.split_once('@') {
        if name.is_empty() || resource.is_empty() {
            return Err(format!(
                "{raw:?}: expected PERMISSION@RESOURCE, e.g. datasets:edit@datasets/42"
            ));
        }
        return Ok(json!({ "permission": name, "resource": resource }));
    }
    if raw.is_empty() {
        return Err("a permission can't be empty".to_owned());
    }
    Ok(match raw.parse::<i64>() {
        Ok(id) => json!(id),
        Err(_) => json!(raw),
    })
}

fn parse_rfc3339(raw: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| format!("{raw:?} is not an RFC 3339 time such as 2030-01-01T00:00:00Z: {e}"))
}

fn parse_metadata(raw: &str) -> Result<Value, String> {
    match serde_json::from_str(raw) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("metadata must be a JSON object".to_owned()),
        Err(e) => Err(format!("metadata is not valid JSON: {e}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn permissions_by_id_name_or_grant() {
        assert_eq!(parse_permission("3").unwrap(), json!(3));
        assert_eq!(parse_permission("keys:read").unwrap(), json!("keys:read"));
        assert_eq!(
            parse_permission("datasets:edit@teams/7/*").unwrap(),
            json!({"permission": "datasets:edit", "resource": "teams/7/*"})
        );
        assert!(parse_permission("@datasets/1").is_err());
        assert!(parse_permission("datasets:edit@").is_err());
        assert!(parse_permission("").is_err());
    }

    #[test]
    fn expiry_must_be_rfc3339() {
        assert!(parse_rfc3339("2030-01-01T00:00:00Z").is_ok());
        assert!(parse_rfc3339("2030-01-01T00:00:00+02:00").is_ok());
        assert!(parse_rfc3339("tomorrow").is_err());
    }

    #[test]
    fn metadata_must_be_an_object() {
        assert!(parse_metadata(r#"{"env": "prod"}"#).is_ok());
        assert!(parse_metadata("[1]").is_err());
        assert!(parse_metadata("{").is_err());
    }
}
