//! The HTTP API, one module per resource.

pub mod audit;
pub mod dadosfera;
pub mod forward;
pub mod groups;
pub mod health;
pub mod invitations;
pub mod keys;
pub mod leaks;
pub mod members;
pub mod metrics;
pub mod orgs;
pub mod passwords;
pub mod permissions;
pub mod roles;
pub mod service_accounts;
pub mod session;
pub mod teams;
pub mod users;
pub mod verify;
pub mod views;
pub mod webhooks;

use crate::error::{ApiError, Code};

/// Whether a path is the API's (answered in JSON) rather than the portal's:
/// `/api/…`, the Dadosfera contract, health and metrics.
pub fn is_api(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    matches!(
        first,
        "api" | "api-key" | "permissions" | "healthz" | "readyz" | "metrics"
    )
}

pub async fn not_found() -> ApiError {
    ApiError::new(Code::NotFound, "no such route")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        Code::MethodNotAllowed,
        "this route does not take that method",
    )
}

/// Path ids that are not UUIDs can't name anything.
pub fn parse_id(raw: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).ok()
}
