//! `keyward keys …`

use super::parse::parse_permission;
use super::request::Request;
use super::{Run, print_json};
use keyward_client::{Client, Method, NewKey};
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
    /// Check a key as a protected service would (needs the admin key or a key
    /// with `keys:verify`); `valid` and `code` say how it went.
    Verify {
        /// The key's secret.
        key: String,
        /// A permission, or a query: `a:read AND (b:edit OR b:admin)`.
        #[arg(long)]
        permission: Option<String>,
        /// The resource the permission is asked about (`datasets/42`); `*` by default.
        #[arg(long)]
        resource: Option<String>,
    },
}

impl Run for KeysCommand {
    async fn run(self, client: &Client) -> anyhow::Result<()> {
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
            KeysCommand::Verify {
                key,
                permission,
                resource,
            } => {
                let body = json!({ "key": key, "permission": permission, "resource": resource });
                let verify = Request::new(Method::POST, &["keys", "verify"]).json(body);
                verify.send(client).await
            }
        }
    }
}

pub(super) fn parse_rfc3339(raw: &str) -> Result<String, String> {
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
    use crate::commands::testing::parse;

    #[test]
    fn verify_takes_the_key_and_an_optional_query() {
        let line = "verify kw_secret --permission a:read --resource datasets/42";
        let KeysCommand::Verify {
            key,
            permission,
            resource,
        } = parse::<KeysCommand>(line).unwrap()
        else {
            panic!("{line:?} is not verify")
        };
        assert_eq!(key, "kw_secret");
        assert_eq!(permission.as_deref(), Some("a:read"));
        assert_eq!(resource.as_deref(), Some("datasets/42"));
        assert!(parse::<KeysCommand>("verify").is_err());
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
