//! The records keyward keeps: organizations, the permission catalog and keys.

use crate::grant::{Grant, GrantSet, Resource};
use crate::key::{KeyHash, Prefix};
use crate::key_limits::{AllowedIps, CreditBalance, KeyLimits, RateLimit};
use crate::key_policy::KeyPolicy;
use crate::leak_policy::LeakPolicy;
use crate::permission::PermissionName;
use crate::scope::Scope;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Longest label of anything named by people.
pub const NAME_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {NAME_MAX} characters")]
    TooLong,
    #[error("must be one line without control characters")]
    Control,
}

/// Trims and checks a human label (key names, organization names).
pub fn parse_name(raw: &str) -> Result<String, NameError> {
    let name = raw.trim();
    if name.is_empty() {
        Err(NameError::Empty)
    } else if name.chars().count() > NAME_MAX {
        Err(NameError::TooLong)
    } else if name.chars().any(char::is_control) {
        Err(NameError::Control)
    } else {
        Ok(name.to_owned())
    }
}

/// A validated organization slug: 1 to 63 of lowercase letters, digits and
/// inner `-`; never a UUID, so `{org}` in a path can be either.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("slug {0:?} must be 1 to 63 lowercase letters, digits or inner dashes, and not a UUID")]
pub struct BadSlug(pub String);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, BadSlug> {
        let ok = (1..=63).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && Uuid::parse_str(s).is_err();
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(BadSlug(s.to_owned()))
        }
    }

    /// Derives a slug from a display name: `Acme Data, Inc.` → `acme-data-inc`.
    pub fn from_name(name: &str) -> Result<Self, BadSlug> {
        let mut slug = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug: String = slug.trim_end_matches('-').chars().take(63).collect();
        Self::parse(slug.trim_end_matches('-'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub slug: Slug,
    pub key_prefix: Prefix,
    pub created_at: DateTime<Utc>,
    /// The rule for its keys' expiry.
    pub key_policy: KeyPolicy,
    /// What a leak report does to its keys.
    pub leak_policy: LeakPolicy,
}

/// An entry of an organization's permission catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permission {
    pub id: i64,
    pub name: PermissionName,
    pub description: String,
    pub read_only: bool,
}

/// An organization's catalog: keyward's built-ins and the platform's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog(pub Vec<Permission>);

impl Catalog {
    pub fn by_id(&self, id: i64) -> Option<&Permission> {
        self.0.iter().find(|p| p.id == id)
    }

    pub fn by_name(&self, name: &str) -> Option<&Permission> {
        self.0.iter().find(|p| p.name.as_str() == name)
    }

    pub fn is_read_only(&self, name: &PermissionName) -> bool {
        self.by_name(name.as_str()).is_some_and(|p| p.read_only)
    }

    /// Every catalog permission on each of `resources`: owner-level grants.
    pub fn everything_on(&self, resources: &[Resource]) -> GrantSet {
        GrantSet::new(
            self.0
                .iter()
                .flat_map(|p| {
                    resources
                        .iter()
                        .map(|r| Grant::new(p.name.clone(), r.clone()))
                })
                .collect(),
        )
    }
}

/// A key's explicit grant, with the catalog id of its permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyGrant {
    pub id: i64,
    /// The permission's name, such as `datasets:read`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub name: PermissionName,
    /// `*`, an exact path (`datasets/42`) or a prefix (`teams/7/*`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub resource: Resource,
}

impl KeyGrant {
    pub fn grant(&self) -> Grant {
        Grant::new(self.name.clone(), self.resource.clone())
    }
}

/// Why a key can't be used, or that it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyState {
    Valid,
    Expired,
    Revoked,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyRecord {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub scope: Scope,
    pub read_only: bool,
    /// The user, team, organization or service account the key belongs to.
    pub owner_id: Uuid,
    /// Explicit grants narrowing the key; empty when it has none.
    pub permissions: Vec<KeyGrant>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub usage_count: i64,
    pub enabled: bool,
    pub revoked_at: Option<DateTime<Utc>>,
    pub key_mask: String,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The key this one replaced when it was rolled.
    pub rolled_from: Option<Uuid>,
    /// The key that replaced this one when it was rolled.
    pub rolled_to: Option<Uuid>,
    /// Rate limits, credits and allowed addresses.
    #[serde(skip)]
    pub limits: KeyLimits,
}

impl KeyState {
    /// What decides a key's state, in order: revocation, its enabled flag,
    /// its expiry.
    pub fn of(
        revoked: bool,
        enabled: bool,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        if revoked {
            KeyState::Revoked
        } else if !enabled {
            KeyState::Disabled
        } else if expires_at.is_some_and(|at| at <= now) {
            KeyState::Expired
        } else {
            KeyState::Valid
        }
    }
}

impl KeyRecord {
    pub fn state(&self, now: DateTime<Utc>) -> KeyState {
        KeyState::of(
            self.revoked_at.is_some(),
            self.enabled,
            self.expires_at,
            now,
        )
    }

    pub fn explicit_grants(&self) -> Option<Vec<Grant>> {
        (!self.permissions.is_empty())
            .then(|| self.permissions.iter().map(KeyGrant::grant).collect())
    }

    /// The first explicit grant a read-only key can't hold: one whose
    /// permission changes things.
    pub fn writing_grant(&self, catalog: &Catalog) -> Option<&KeyGrant> {
        if !self.read_only {
            return None;
        }
        self.permissions
            .iter()
            .find(|g| !catalog.is_read_only(&g.name))
    }

    /// The key's effective grants, given what its scope holds right now.
    pub fn effective_grants(&self, scope_grants: &GrantSet, catalog: &Catalog) -> GrantSet {
        let narrowed = match self.explicit_grants() {
            Some(explicit) => scope_grants.narrow_to(&explicit),
            None => scope_grants.clone(),
        };
        if self.read_only {
            narrowed.read_only(|p| catalog.is_read_only(p))
        } else {
            narrowed
        }
    }
}

/// A key to insert: everything but what the store fills in.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub record: KeyRecord,
    pub hash: KeyHash,
}

/// A change to a key: only the fields that are `Some` change.
#[derive(Debug, Clone, Default)]
pub struct KeyPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub read_only: Option<bool>,
    /// New explicit grants; an empty list takes the narrowing away.
    pub permissions: Option<Vec<KeyGrant>>,
    /// New rate limits; an empty list takes them away.
    pub ratelimits: Option<Vec<RateLimit>>,
    /// New allowed addresses; an empty list allows every address.
    pub allowed_ips: Option<AllowedIps>,
    /// A new balance (its generation is the store's to count), or
    /// `Some(None)` to take credits away.
    pub credits: Option<Option<CreditBalance>>,
}

/// How a rolled key ends: revoked at once, or expiring at the end of its
/// grace period (never later than it already did).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollEnd {
    RevokedAt(DateTime<Utc>),
    ExpiresBy(DateTime<Utc>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_derive_from_names() {
        assert_eq!(
            Slug::from_name("Acme Data, Inc.").unwrap().as_str(),
            "acme-data-inc"
        );
        assert!(Slug::from_name("!!!").is_err());
        assert!(Slug::parse("0192f0c4-7d4e-7c3a-9a1b-1c2d3e4f5a6b").is_err());
        assert!(Slug::parse("-a").is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  ci  ").unwrap(), "ci");
        assert_eq!(parse_name(" "), Err(NameError::Empty));
        assert_eq!(parse_name(&"x".repeat(201)), Err(NameError::TooLong));
        assert!(parse_name(&"é".repeat(200)).is_ok());
    }
}
