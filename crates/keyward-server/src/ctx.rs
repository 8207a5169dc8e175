//! Who is asking, what they hold, and where the request came from: the
//! context every operation receives and every change records.

use crate::cache::ResolvedKey;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use keyward_core::access::{OrgRole, PrincipalAccess, TeamRole, User};
use keyward_core::audit::{Actor, ActorKind, Party};
use keyward_core::model::Organization;
use keyward_core::{GrantSet, KeyHash, Resource, Scope};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use uuid::Uuid;

/// The longest request id and user agent an audit event keeps.
const META_MAX: usize = 256;

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub token: KeyHash,
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub enum Caller {
    /// The global admin key: every right in every organization.
    Admin,
    Key(Arc<ResolvedKey>),
    User(Arc<Session>),
}

impl Caller {
    pub fn read_only(&self) -> bool {
        matches!(self, Caller::Key(key) if key.record.read_only)
    }

    /// How the caller is named in `created_by`.
    pub fn id(&self) -> String {
        match self {
            Caller::Admin => "admin".to_owned(),
            Caller::Key(key) => key.record.id.to_string(),
            Caller::User(session) => session.user.id.to_string(),
        }
    }

    /// The user the caller acts for: a session's, or a user key's owner.
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Caller::User(session) => Some(session.user.id),
            Caller::Key(key) if key.record.scope == Scope::User => Some(key.record.owner_id),
            _ => None,
        }
    }
}

impl Caller {
    /// How the audit log names the caller.
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Admin => Party {
                kind: ActorKind::Admin,
                id: "admin".to_owned(),
                name: "admin key".to_owned(),
            },
            Caller::Key(key) => Party {
                kind: ActorKind::Key,
                id: key.record.id.to_string(),
                name: key.record.name.to_string(),
            },
            Caller::User(session) => user_actor(&session.user),
        }
    }
}

/// A user as the actor of an event: named by name, or email if unnamed.
pub fn user_actor(user: &User) -> Actor {
    Party {
        kind: ActorKind::User,
        id: user.id.to_string(),
        name: if user.name.is_empty() {
            user.email.clone()
        } else {
            user.name.clone()
        },
    }
}

/// The peer address the serve loop attached to the request.
pub fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
}

/// Where a request came from, as the audit log records it.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// A header's text, if it is printable and short enough to keep.
fn header_text(parts: &Parts, name: &str) -> Option<String> {
    let text = parts.headers.get(name)?.to_str().ok()?.trim();
    (!text.is_empty()).then(|| text.chars().take(META_MAX).collect())
}

impl RequestMeta {
    /// The request id (set by the server's request-id layer, or the
    /// client's), the peer address and the user agent.
    pub fn of(parts: &Parts) -> Self {
        Self {
            request_id: header_text(parts, REQUEST_ID_HEADER),
            ip: client_address(parts),
            user_agent: header_text(parts, "user-agent"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

/// The header carrying each request's id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// An operation's context in one organization: the caller, the
/// organization, what the caller holds there right now, and the request.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub caller: Caller,
    pub org: Organization,
    pub grants: Grants,
    pub meta: RequestMeta,
}

/// What the caller holds in one organization, evaluated for this request.
#[derive(Debug, Clone)]
pub enum Grants {
    /// The admin key.
    All,
    Key(Arc<ResolvedKey>),
    /// A signed-in user's live grants.
    User(Arc<PrincipalAccess>, GrantSet),
}

impl Grants {
    /// The grant set; `None` for the admin key, which holds everything.
    pub fn set(&self) -> Option<&GrantSet> {
        match self {
            Grants::All => None,
            Grants::Key(key) => Some(key.grants.as_ref()),
            Grants::User(_, set) => Some(set),
        }
    }

    pub fn allows(&self, permission: &str, resource: &Resource) -> bool {
        self.set()
            .is_none_or(|set| set.allows(permission, resource))
    }

    /// The acting user's membership facts, for sessions and user keys.
    fn user_access(&self) -> Option<&PrincipalAccess> {
        match self {
            Grants::User(access, _) => Some(access),
            Grants::Key(key) if key.record.scope == Scope::User => key.owner.as_deref(),
            _ => None,
        }
    }

    /// Owner-level over the organization: the admin key, organization keys
    /// and owners (by session or their user keys).
    pub fn is_org_owner(&self) -> bool {
        match self {
            Grants::All => true,
            Grants::Key(key) if key.record.scope == Scope::Organization => !key.record.read_only,
            _ => self
                .user_access()
                .is_some_and(|a| a.org_role == Some(OrgRole::Owner)),
        }
    }

    pub fn is_org_admin(&self) -> bool {
        self.is_org_owner()
            || self
                .user_access()
                .is_some_and(|a| a.org_role == Some(OrgRole::Admin))
    }

    /// Owner-level over one team: org owners and admins, the team's owners,
    /// and that team's keys.
    pub fn is_team_owner(&self, team: Uuid) -> bool {
        match self {
            Grants::Key(key) if key.record.scope == Scope::Team => {
                key.record.owner_id == team && !key.record.read_only
            }
            _ => {
                self.is_org_admin()
                    || self
                        .user_access()
                        .is_some_and(|a| a.teams.contains(&(team, TeamRole::Owner)))
            }
        }
    }
}
