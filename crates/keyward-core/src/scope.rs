//! Key scopes: whose rights a key acts with.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A personal access token: the owner user's live grants.
    User,
    /// Owner-level grants on one team and its resources.
    Team,
    /// Owner-level grants on the whole organization.
    Organization,
    /// The service account's live grants.
    ServiceAccount,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::User,
        Scope::Team,
        Scope::Organization,
        Scope::ServiceAccount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Team => "team",
            Scope::Organization => "organization",
            Scope::ServiceAccount => "service_account",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown scope {0:?}: expected one of user, team, organization, service_account")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}
