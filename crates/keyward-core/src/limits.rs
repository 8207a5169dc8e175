//! Every bound keyward puts on what a caller sends, in one place; README's
//! API reference lists them. Past a bound a request is refused (a query with
//! 400 `INVALID_QUERY`, anything else with 422 `VALIDATION_FAILED`) before it
//! costs memory, stack or a database statement.

/// Longest permission query, in bytes.
pub const QUERY_MAX_BYTES: usize = 1024;
/// Deepest nesting of parentheses in a permission query.
pub const QUERY_MAX_DEPTH: usize = 32;
/// Entries in a key's `permissions` (JSON API, Dadosfera and portal).
pub const KEY_PERMISSIONS_MAX: usize = 256;
/// Entries in a role's `grants`.
pub const ROLE_GRANTS_MAX: usize = 256;
/// Entries in a group's `roles` or `members` when it is created.
pub const GROUP_LIST_MAX: usize = 256;
/// A key's `metadata`, serialized as JSON, in bytes.
pub const METADATA_MAX_BYTES: usize = 4096;
/// Nesting of objects and arrays in a key's `metadata`, the top object
/// counting as one.
pub const METADATA_MAX_DEPTH: usize = 8;
/// Values sent under one name in a portal form (a list of checkboxes).
pub const FORM_LIST_MAX: usize = 256;
