//! `keyward keys …`

use super::Run;
use super::exit::Verdict;
use super::output::Output;
use super::parse::{
    credits as balance, parse_grace, parse_metadata, parse_permission, parse_ratelimit,
    parse_refill, parse_rfc3339,
};
use super::secret_input::read_secret;
use keyward_client::{Client, KeyChanges, KeyRoll, NewKey, VerifyRequest};
use serde_json::{Value, json};

/// A listing's columns in a table.
const LIST_COLUMNS: &[&str] = &[
    "id",
    "name",
    "key_mask",
    "scope",
    "enabled",
    "expires_at",
    "last_used_at",
    "usage_count",
    "permissions",
];

/// One key's fields in a table, in this order; the secret follows on its
/// own line.
const KEY_FIELDS: &[&str] = &[
    "id",
    "name",
    "key_mask",
    "scope",
    "read_only",
    "permissions",
    "enabled",
    "expires_at",
    "rolled_from",
    "rolled_to",
    "created_at",
    "created_by",
    "last_used_at",
    "usage_count",
    "metadata",
    "organization_id",
];

/// `keys verify -`: the key is read from stdin.
const FROM_STDIN: &str = "-";

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
        /// A rate limit, `NAME=LIMIT/DURATION` (`burst=50/10s`); repeatable, at most 5.
        #[arg(long = "ratelimit", value_name = "NAME=LIMIT/DURATION", value_parser = parse_ratelimit)]
        ratelimits: Vec<Value>,
        /// Usage credits: each verification costs 1 (or its cost).
        #[arg(long)]
        credits: Option<i64>,
        /// How credits are refilled: `daily:AMOUNT`, `monthly:AMOUNT[@DAY]`.
        #[arg(long, requires = "credits", value_parser = parse_refill)]
        refill: Option<Value>,
        /// An address or CIDR the key may be used from; repeatable.
        #[arg(long = "allowed-ip", value_name = "ADDRESS|CIDR")]
        allowed_ips: Vec<String>,
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
    /// Change a key's name, expiry, metadata, permissions or read-only
    /// flag; what isn't given stays as it is.
    #[command(group(
        clap::ArgGroup::new("change")
            .required(true)
            .multiple(true)
            .args(["name", "expires_at", "no_expiry", "metadata", "permissions", "all_rights", "read_only",
                "ratelimits", "no_ratelimits", "credits", "no_credits", "allowed_ips", "no_allowed_ips"])
    ))]
    Update {
        #[arg(long)]
        org: String,
        id: String,
        /// A new label.
        #[arg(long)]
        name: Option<String>,
        /// A new expiry, RFC 3339 (`2030-01-01T00:00:00Z`).
        #[arg(long, value_parser = parse_rfc3339, conflicts_with = "no_expiry")]
        expires_at: Option<String>,
        /// Remove the expiry.
        #[arg(long)]
        no_expiry: bool,
        /// A JSON object replacing the key's metadata.
        #[arg(long, value_parser = parse_metadata)]
        metadata: Option<Value>,
        /// The key's new explicit permissions, comma-separated, in the forms
        /// `create --permission` takes: `keys:read,datasets:edit@datasets/42`.
        #[arg(long, value_delimiter = ',', value_parser = parse_permission, conflicts_with = "all_rights")]
        permissions: Option<Vec<Value>>,
        /// Drop the explicit permissions: the key gets all of its scope's rights.
        #[arg(long)]
        all_rights: bool,
        /// `true` keeps only read-only permissions.
        #[arg(long, value_name = "true|false")]
        read_only: Option<bool>,
        /// The key's new rate limits, `NAME=LIMIT/DURATION`; repeatable.
        #[arg(long = "ratelimit", value_name = "NAME=LIMIT/DURATION", value_parser = parse_ratelimit, conflicts_with = "no_ratelimits")]
        ratelimits: Vec<Value>,
        /// Take the key's rate limits away.
        #[arg(long)]
        no_ratelimits: bool,
        /// A new credit balance.
        #[arg(long, conflicts_with = "no_credits")]
        credits: Option<i64>,
        /// How the new balance is refilled: `daily:AMOUNT`, `monthly:AMOUNT[@DAY]`.
        #[arg(long, requires = "credits", value_parser = parse_refill)]
        refill: Option<Value>,
        /// Take the key's credits away.
        #[arg(long)]
        no_credits: bool,
        /// The key's new allowed addresses or CIDRs; repeatable.
        #[arg(
            long = "allowed-ip",
            value_name = "ADDRESS|CIDR",
            conflicts_with = "no_allowed_ips"
        )]
        allowed_ips: Vec<String>,
        /// Let the key be used from any address.
        #[arg(long)]
        no_allowed_ips: bool,
    },
    /// Disable a key: it answers `DISABLED` until enabled again.
    Disable {
        #[arg(long)]
        org: String,
        id: String,
    },
    /// Enable a disabled key.
    Enable {
        #[arg(long)]
        org: String,
        id: String,
    },
    /// Replace a key with a new one (same name, owner, permissions and
    /// metadata) whose secret is printed once; the old key keeps working
    /// for the grace period, then answers `EXPIRED`.
    Roll {
        #[arg(long)]
        org: String,
        id: String,
        /// How long the old key keeps working: `0` (revoke it now), `30s`,
        /// `15m`, `1h`, `24h`, `7d` (at most 30 days). The server's default,
        /// 24 hours, when not given.
        #[arg(long, value_name = "DURATION", value_parser = parse_grace)]
        grace: Option<u64>,
        /// The new key's expiry, RFC 3339; none when not given (the
        /// organization's key policy may set one).
        #[arg(long, value_parser = parse_rfc3339)]
        expires_at: Option<String>,
    },
    /// Revoke a key, for good.
    Revoke {
        #[arg(long)]
        org: String,
        id: String,
    },
    /// Check a key as a protected service would (needs the admin key or a key
    /// with `keys:verify`) and print the answer; exits with 1 when the key
    /// is not `VALID`, 2 when it could not be checked.
    Verify {
        /// The key's secret, or `-` to read it from stdin (one line), which
        /// keeps it out of the shell's history and the process list.
        key: String,
        /// A permission, or a query: `a:read AND (b:edit OR b:admin)`.
        #[arg(long)]
        permission: Option<String>,
        /// The resource the permission is asked about (`datasets/42`); `*` by default.
        #[arg(long)]
        resource: Option<String>,
        /// The client's address, for a key with allowed addresses.
        #[arg(long)]
        ip: Option<String>,
        /// Credits the verification costs a key with credits (0 checks
        /// without consuming); 1 by default.
        #[arg(long)]
        cost: Option<u64>,
    },
}

impl Run for KeysCommand {
    async fn run(self, client: &Client, out: Output) -> anyhow::Result<()> {
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
                ratelimits,
                credits,
                refill,
                allowed_ips,
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
                    ratelimits: (!ratelimits.is_empty()).then_some(ratelimits),
                    credits: credits.map(|remaining| balance(remaining, refill)),
                    allowed_ips: (!allowed_ips.is_empty()).then_some(allowed_ips),
                };
                let created = client.create_key(&org, &key).await?;
                out.print_columns(&created, Some(KEY_FIELDS))?;
                out.secret(&created.key)
            }
            KeysCommand::List { org, limit, cursor } => {
                let page = client.list_keys(&org, limit, cursor.as_deref()).await?;
                out.print_columns(&page, Some(LIST_COLUMNS))
            }
            KeysCommand::Get { org, id } => {
                out.print_columns(&client.get_key(&org, &id).await?, Some(KEY_FIELDS))
            }
            KeysCommand::Update {
                org,
                id,
                name,
                expires_at,
                no_expiry,
                metadata,
                permissions,
                all_rights,
                read_only,
                ratelimits,
                no_ratelimits,
                credits,
                refill,
                no_credits,
                allowed_ips,
                no_allowed_ips,
            } => {
                let changes = KeyChanges {
                    name,
                    expires_at: if no_expiry {
                        Some(None)
                    } else {
                        expires_at.map(Some)
                    },
                    metadata,
                    permissions: if all_rights {
                        Some(None)
                    } else {
                        permissions.map(Some)
                    },
                    read_only,
                    ratelimits: replacing(ratelimits, no_ratelimits),
                    credits: match (credits, no_credits) {
                        (_, true) => Some(None),
                        (Some(remaining), false) => Some(Some(balance(remaining, refill))),
                        (None, false) => None,
                    },
                    allowed_ips: replacing(allowed_ips, no_allowed_ips),
                    ..KeyChanges::default()
                };
                update(client, out, &org, &id, &changes).await
            }
            KeysCommand::Disable { org, id } => {
                update(client, out, &org, &id, &enabled(false)).await
            }
            KeysCommand::Enable { org, id } => update(client, out, &org, &id, &enabled(true)).await,
            KeysCommand::Roll {
                org,
                id,
                grace,
                expires_at,
            } => {
                let roll = KeyRoll {
                    grace_seconds: grace,
                    expires_at,
                };
                let rolled = client.roll_key(&org, &id, &roll).await?;
                out.print_columns(&rolled, Some(KEY_FIELDS))?;
                out.secret(&rolled.created.key)
            }
            KeysCommand::Revoke { org, id } => {
                client.revoke_key(&org, &id).await?;
                // DELETE answers 204 with no body; say what happened instead.
                out.print(&json!({ "id": id, "revoked": true }))
            }
            KeysCommand::Verify {
                key,
                permission,
                resource,
                ip,
                cost,
            } => {
                let key = match key.as_str() {
                    FROM_STDIN => read_secret(std::io::stdin().lock())?,
                    _ => key,
                };
                let request = VerifyRequest {
                    key,
                    permission,
                    resource,
                    ip,
                    cost,
                };
                let verification = client.verify_key(&request).await?;
                out.print(&verification)?;
                match verification.valid {
                    true => Ok(()),
                    false => {
                        Err(Verdict(format!("the key is not valid: {}", verification.code)).into())
                    }
                }
            }
        }
    }
}

/// A list that replaces the key's (`clear`: with none), or `None` to leave it.
fn replacing<T>(items: Vec<T>, clear: bool) -> Option<Vec<T>> {
    match (items.is_empty(), clear) {
        (_, true) => Some(Vec::new()),
        (false, false) => Some(items),
        (true, false) => None,
    }
}

fn enabled(enabled: bool) -> KeyChanges {
    KeyChanges {
        enabled: Some(enabled),
        ..KeyChanges::default()
    }
}

async fn update(
    client: &Client,
    out: Output,
    org: &str,
    id: &str,
    changes: &KeyChanges,
) -> anyhow::Result<()> {
    let updated = client.update_key(org, id, changes).await?;
    out.print_columns(&updated, Some(KEY_FIELDS))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::parse;

    #[test]
    fn verify_takes_the_key_and_an_optional_query() {
        let line =
            "verify kw_secret --permission a:read --resource datasets/42 --ip 10.0.0.1 --cost 0";
        let KeysCommand::Verify {
            key,
            permission,
            resource,
            ip,
            cost,
        } = parse::<KeysCommand>(line).unwrap()
        else {
            panic!("{line:?} is not verify")
        };
        assert_eq!(key, "kw_secret");
        assert_eq!(permission.as_deref(), Some("a:read"));
        assert_eq!(resource.as_deref(), Some("datasets/42"));
        assert_eq!((ip.as_deref(), cost), (Some("10.0.0.1"), Some(0)));
        assert!(parse::<KeysCommand>("verify").is_err());
        let stdin = parse::<KeysCommand>("verify -").unwrap();
        assert!(matches!(stdin, KeysCommand::Verify { key, .. } if key == FROM_STDIN));
    }

    #[test]
    fn update_needs_a_change_and_takes_permissions_comma_separated() {
        let line = "update --org acme k1 --permissions keys:read,3,d:edit@d/1 --read-only true";
        let KeysCommand::Update {
            permissions,
            read_only,
            ..
        } = parse::<KeysCommand>(line).unwrap()
        else {
            panic!("{line:?} is not update")
        };
        let expected = vec![
            json!("keys:read"),
            json!(3),
            json!({"permission": "d:edit", "resource": "d/1"}),
        ];
        assert_eq!(permissions, Some(expected));
        assert_eq!(read_only, Some(true));
        assert!(parse::<KeysCommand>("update --org acme k1").is_err());
        assert!(parse::<KeysCommand>("update --org acme k1 --read-only maybe").is_err());
        let both = "update --org acme k1 --no-expiry --expires-at 2030-01-01T00:00:00Z";
        assert!(parse::<KeysCommand>(both).is_err());
        assert!(parse::<KeysCommand>("update --org acme k1 --no-expiry").is_ok());
    }

    #[test]
    fn roll_parses_the_grace_period() {
        let line = "roll --org acme k1 --grace 7d";
        let KeysCommand::Roll { grace, .. } = parse::<KeysCommand>(line).unwrap() else {
            panic!("{line:?} is not roll")
        };
        assert_eq!(grace, Some(7 * 86_400));
        let KeysCommand::Roll { grace, .. } = parse::<KeysCommand>("roll --org a k1").unwrap()
        else {
            panic!("not roll")
        };
        assert_eq!(grace, None);
        assert!(parse::<KeysCommand>("roll --org acme k1 --grace soon").is_err());
    }
}
