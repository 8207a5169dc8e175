//! Response shapes of the API.

use crate::limiter::CreditReport;
use chrono::{DateTime, Utc};
use keyward_core::key_limits::{RateLimit, Refill};
use keyward_core::key_policy::KeyPolicy;
use keyward_core::leak_policy::LeakPolicy;
use keyward_core::model::{KeyGrant, KeyRecord, Organization, Permission};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

/// A permission as a request names it: its catalog id, its name, or
/// `{"permission": id or name, "resource": "…"}` (resource `*` when absent).
/// Requests carry it as JSON and the catalog resolves it, so it exists
/// only as a schema.
pub struct PermissionRef;

fn id_or_name() -> OneOfBuilder {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("The permission's catalog id")),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("The permission's name, such as `datasets:read`")),
        )
}

impl PartialSchema for PermissionRef {
    fn schema() -> RefOr<Schema> {
        let on_resource = ObjectBuilder::new()
            .property("permission", id_or_name())
            .required("permission")
            .property("resource", crate::openapi::ResourceSchema::schema())
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(crate::openapi::FREE_TEXT)),
            ))
            .additional_properties(Some(Ref::from_schema_name("JsonValue")))
            .description(Some("A permission on a resource"));
        id_or_name()
            .item(on_resource)
            .description(Some(
                "A permission: its catalog id, its name, or `{permission, resource}`",
            ))
            .into()
    }
}

impl ToSchema for PermissionRef {}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub key_prefix: String,
    pub created_at: DateTime<Utc>,
    pub key_policy: KeyPolicyView,
    /// What a secret scanner's report of one of its keys does: `revoke`,
    /// `disable` or `notify` (only recorded).
    #[schema(value_type = String)]
    pub leak_policy: LeakPolicy,
}

/// An organization's rule for its keys' expiry.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPolicyView {
    /// Keys expire within this many days (1 to 3650); `null` for no limit.
    pub max_lifetime_days: Option<u32>,
    /// Keys must have an expiry.
    pub require_expiry: bool,
}

impl From<KeyPolicy> for KeyPolicyView {
    fn from(p: KeyPolicy) -> Self {
        Self {
            max_lifetime_days: p.max_lifetime_days,
            require_expiry: p.require_expiry,
        }
    }
}

impl From<Organization> for OrgView {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id,
            name: o.name,
            slug: o.slug.as_str().to_owned(),
            key_prefix: o.key_prefix.as_str().to_owned(),
            created_at: o.created_at,
            key_policy: o.key_policy.into(),
            leak_policy: o.leak_policy,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub read_only: bool,
}

impl From<Permission> for PermissionView {
    fn from(p: Permission) -> Self {
        Self {
            id: p.id,
            name: p.name.into(),
            description: p.description,
            read_only: p.read_only,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub id: i64,
    pub name: String,
    pub resource: String,
}

impl From<&KeyGrant> for GrantView {
    fn from(g: &KeyGrant) -> Self {
        Self {
            id: g.id,
            name: g.name.to_string(),
            resource: g.resource.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Uuid,
}

/// A key as the API shows it: `key` only in the creation response.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub key_mask: String,
    pub name: String,
    #[schema(value_type = String, example = "organization")]
    pub scope: keyward_core::Scope,
    pub read_only: bool,
    pub owner: OwnerView,
    pub permissions: Vec<GrantView>,
    pub organization_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub usage_count: i64,
    pub enabled: bool,
    /// Free-form JSON the key was given at creation or update.
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// The key this one replaced, when it was made by rolling.
    pub rolled_from: Option<Uuid>,
    /// The key that replaced this one, when it was rolled.
    pub rolled_to: Option<Uuid>,
    /// Every verification counts against each; empty for none.
    pub ratelimits: Vec<RateLimit>,
    /// `null` for a key without credits.
    pub credits: Option<CreditsView>,
    /// Addresses and CIDRs the key may be used from; empty for any.
    pub allowed_ips: Vec<String>,
}

/// A key's credits: what is left now, and how they are refilled.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsView {
    pub remaining: i64,
    pub refill: Option<Refill>,
    /// The next refill; `null` without one.
    pub refill_at: Option<DateTime<Utc>>,
}

impl KeyView {
    /// `credits`: the balance as the node knows it now.
    pub fn new(k: KeyRecord, key: Option<String>, credits: Option<CreditReport>) -> Self {
        let refill = k
            .limits
            .credits
            .as_ref()
            .and_then(|b| b.credits.refill.clone());
        Self {
            id: k.id,
            key,
            key_mask: k.key_mask,
            name: k.name,
            scope: k.scope,
            read_only: k.read_only,
            owner: OwnerView {
                kind: k.scope.as_str(),
                id: k.owner_id,
            },
            permissions: k.permissions.iter().map(GrantView::from).collect(),
            organization_id: k.organization_id,
            created_at: k.created_at,
            created_by: k.created_by,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            usage_count: k.usage_count,
            enabled: k.enabled,
            metadata: k.metadata,
            rolled_from: k.rolled_from,
            rolled_to: k.rolled_to,
            allowed_ips: k.limits.allowed_ips.to_strings(),
            ratelimits: k.limits.ratelimits,
            credits: credits.map(|now| CreditsView {
                remaining: now.remaining,
                refill,
                refill_at: now.refill_at,
            }),
        }
    }
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct KeyPage {
    pub items: Vec<KeyView>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}
