//! Permission names (`resource:action`) and keyward's built-in catalog.

use serde::{Deserialize, Serialize};
use std::fmt;

const PART_MAX: usize = 64;

/// A validated permission name: `resource:action`, each part 1 to 64 of
/// lowercase letters, digits, `_`, `-` and `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PermissionName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "permission {0:?} is not of the form `resource:action` \
     (lowercase letters, digits, `_`, `-`, `.`; at most 64 each)"
)]
pub struct BadPermissionName(pub String);

impl PermissionName {
    pub fn parse(s: &str) -> Result<Self, BadPermissionName> {
        let part_ok = |p: &str| {
            !p.is_empty()
                && p.len() <= PART_MAX
                && p.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
                })
        };
        match s.split_once(':') {
            Some((resource, action)) if part_ok(resource) && part_ok(action) => {
                Ok(Self(s.to_owned()))
            }
            _ => Err(BadPermissionName(s.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PermissionName {
    type Error = BadPermissionName;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PermissionName> for String {
    fn from(p: PermissionName) -> Self {
        p.0
    }
}

impl fmt::Display for PermissionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A built-in permission of keyward's own API, with its stable id.
pub struct Builtin {
    pub id: i64,
    pub name: &'static str,
    pub description: &'static str,
    pub read_only: bool,
}

/// Ids below this are reserved for built-ins; platform permissions start here.
pub const FIRST_PLATFORM_PERMISSION_ID: i64 = 1000;

pub const BUILTIN_PERMISSIONS: &[Builtin] = &[
    Builtin {
        id: 1,
        name: "keys:read",
        description: "List and read API keys",
        read_only: true,
    },
    Builtin {
        id: 2,
        name: "keys:write",
        description: "Create, update and revoke API keys",
        read_only: false,
    },
    Builtin {
        id: 3,
        name: "keys:verify",
        description: "Verify API keys for other services",
        read_only: true,
    },
    Builtin {
        id: 4,
        name: "members:read",
        description: "List members, invitations and service accounts",
        read_only: true,
    },
    Builtin {
        id: 5,
        name: "members:write",
        description: "Invite, change and remove members and service accounts",
        read_only: false,
    },
    Builtin {
        id: 6,
        name: "teams:read",
        description: "List teams and their members",
        read_only: true,
    },
    Builtin {
        id: 7,
        name: "teams:write",
        description: "Create, change and delete teams",
        read_only: false,
    },
    Builtin {
        id: 8,
        name: "roles:read",
        description: "List roles and groups",
        read_only: true,
    },
    Builtin {
        id: 9,
        name: "roles:write",
        description: "Create, change and delete roles and groups",
        read_only: false,
    },
    Builtin {
        id: 10,
        name: "audit:read",
        description: "Read the audit log",
        read_only: true,
    },
    Builtin {
        id: 11,
        name: "org:read",
        description: "Read the organization and its permission catalog",
        read_only: true,
    },
    Builtin {
        id: 12,
        name: "org:write",
        description: "Change the organization and register permissions",
        read_only: false,
    },
    Builtin {
        id: 13,
        name: "webhooks:write",
        description: "Create, change, test and delete webhooks and read their deliveries",
        read_only: false,
    },
];

pub fn is_builtin(name: &str) -> bool {
    BUILTIN_PERMISSIONS.iter().any(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(PermissionName::parse("dataproducts:read").is_ok());
        assert!(PermissionName::parse("data-products.v2:re_ad").is_ok());
        for bad in [
            "",
            "read",
            ":read",
            "keys:",
            "Keys:read",
            "keys:read:x",
            "keys: read",
        ] {
            assert!(PermissionName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn builtins_are_valid_and_ids_are_unique() {
        let mut ids: Vec<i64> = BUILTIN_PERMISSIONS.iter().map(|b| b.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), BUILTIN_PERMISSIONS.len());
        for b in BUILTIN_PERMISSIONS {
            assert!(PermissionName::parse(b.name).is_ok());
            assert!(b.id < FIRST_PLATFORM_PERMISSION_ID);
        }
    }
}
