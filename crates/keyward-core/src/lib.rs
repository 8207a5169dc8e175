//! keyward's domain, pure: the key format (mint, parse, checksum, mask, hash),
//! permission names, resources and grants, scopes and their evaluation, the
//! records the store keeps, and forward-auth's canonical paths and rules. No
//! I/O lives here.

pub mod access;
pub mod audit;
mod base62;
pub mod clock;
pub mod forward_path;
pub mod forward_rules;
pub mod grant;
pub mod handout;
pub mod key;
pub mod key_limits;
pub mod key_policy;
pub mod leak_policy;
pub mod limit_decision;
pub mod limits;
pub mod model;
pub mod permission;
pub mod query;
pub mod scope;
pub mod webhook;

pub use clock::{Clock, SystemClock};
pub use grant::{Grant, GrantSet, Resource};
pub use key::{ApiKey, KeyHash, KeyHasher, KeyParseError, Prefix, ServerSecret};
pub use permission::{BUILTIN_PERMISSIONS, PermissionName};
pub use query::PermissionQuery;
pub use scope::Scope;
