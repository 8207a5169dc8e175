//! Who is calling, and may they? Credentials come from `x-api-key`,
//! `Authorization: Api-Key …` or `Authorization: Bearer …`. Route
//! permissions are declared in handler signatures: `OrgAccess<KeysWrite>`.

use crate::cache::ResolvedKey;
use crate::error::{ApiError, ApiResult, Code};
use crate::state::AppState;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use keyward_core::model::{KeyState, Organization};
use keyward_core::{ApiKey, GrantSet, Resource};
use std::marker::PhantomData;
use std::sync::Arc;
use uuid::Uuid;

pub const ORG_HEADER: &str = "x-keyward-org";

/// An authenticated caller.
#[derive(Clone, Debug)]
pub enum Caller {
    /// The global admin key: every right in every organization.
    Admin,
    Key(Arc<ResolvedKey>),
}

impl Caller {
    pub fn org_id(&self) -> Option<Uuid> {
        match self {
            Caller::Admin => None,
            Caller::Key(key) => Some(key.org.id),
        }
    }

    pub fn read_only(&self) -> bool {
        matches!(self, Caller::Key(key) if key.record.read_only)
    }

    /// The caller's grants; `None` for the admin key, which holds everything.
    pub fn grants(&self) -> Option<&GrantSet> {
        match self {
            Caller::Admin => None,
            Caller::Key(key) => Some(&key.grants),
        }
    }

    pub fn allows(&self, permission: &str, resource: &Resource) -> bool {
        self.grants()
            .is_none_or(|grants| grants.allows(permission, resource))
    }

    /// How the caller is named in `created_by`.
    pub fn id(&self) -> String {
        match self {
            Caller::Admin => "admin".to_owned(),
            Caller::Key(key) => key.record.id.to_string(),
        }
    }
}

/// The credential text a request carries, if any.
pub fn credential(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get("x-api-key") {
        return value.to_str().ok().map(str::trim);
    }
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("api-key") || scheme.eq_ignore_ascii_case("bearer"))
        .then(|| rest.trim())
}

/// Authenticates a credential; failures answer generically and log the cause.
pub async fn authenticate(state: &AppState, text: Option<&str>) -> ApiResult<Caller> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        tracing::debug!("no credential");
        return Err(ApiError::unauthenticated());
    };
    let hash = state.hasher.hash(text);
    if state.admin.ct_eq(&hash) {
        return Ok(Caller::Admin);
    }
    if let Err(reason) = ApiKey::parse(text) {
        tracing::debug!(%reason, "malformed credential");
        return Err(ApiError::unauthenticated());
    }
    let Some(key) = state.resolve_key(&hash).await? else {
        tracing::debug!("unknown key");
        return Err(ApiError::unauthenticated());
    };
    let now = state.clock.now();
    match key.state(now) {
        KeyState::Valid => {
            state.usage.record(key.record.id, now);
            Ok(Caller::Key(key))
        }
        refused => {
            tracing::info!(key_id = %key.record.id, state = ?refused, "key refused");
            Err(ApiError::unauthenticated())
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller = authenticate(state, credential(&parts.headers)).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// A permission a route requires.
pub trait Action: Send + Sync + 'static {
    const PERMISSION: &'static str;
}

macro_rules! actions {
    ($($name:ident => $permission:literal),* $(,)?) => {
        $(
            #[doc = concat!("Requires `", $permission, "`.")]
            pub struct $name;
            impl Action for $name {
                const PERMISSION: &'static str = $permission;
            }
        )*
    };
}

actions! {
    KeysRead => "keys:read",
    KeysWrite => "keys:write",
    KeysVerify => "keys:verify",
    OrgRead => "org:read",
    OrgWrite => "org:write",
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Access to one organization with the permission `A` on all of it. The
/// organization is the `{org}` path segment, or else the caller's own (the
/// admin key names one with `X-Keyward-Org`).
pub struct OrgAccess<A> {
    pub caller: Caller,
    pub org: Organization,
    action: PhantomData<A>,
}

async fn named_org(parts: &mut Parts, state: &AppState) -> ApiResult<Option<String>> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::internal())?;
    if let Some((_, org)) = params.iter().find(|(name, _)| *name == "org") {
        return Ok(Some(org.to_owned()));
    }
    match parts.headers.get(ORG_HEADER) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(|v| Some(v.trim().to_owned()))
            .map_err(|_| {
                ApiError::new(
                    Code::BadRequest,
                    "X-Keyward-Org must be an organization id or slug",
                )
            }),
    }
}

impl<A: Action> FromRequestParts<AppState> for OrgAccess<A> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let named = named_org(parts, state).await?;
        let org = match (&caller, named) {
            (Caller::Admin, None) => {
                return Err(ApiError::new(
                    Code::BadRequest,
                    "the admin key must name an organization with the X-Keyward-Org header",
                ));
            }
            (Caller::Admin, Some(named)) => state
                .store
                .find_org(&named)
                .await?
                .ok_or_else(|| ApiError::org_not_found(&named))?,
            (Caller::Key(key), None) => key.org.clone(),
            (Caller::Key(key), Some(named)) => {
                // Another tenant's name gets 403 whether or not it exists.
                if named != key.org.slug.as_str() && named != key.org.id.to_string() {
                    return Err(ApiError::forbidden(
                        "this credential belongs to another organization",
                    ));
                }
                key.org.clone()
            }
        };
        if caller.read_only() && !is_safe(&parts.method) {
            return Err(ApiError::new(
                Code::ReadOnlyKey,
                "a read-only key can't change anything",
            ));
        }
        if !caller.allows(A::PERMISSION, &Resource::Any) {
            return Err(ApiError::forbidden(format!(
                "this credential lacks the permission {}",
                A::PERMISSION
            )));
        }
        Ok(Self {
            caller,
            org,
            action: PhantomData,
        })
    }
}

/// The admin key, and only it.
pub struct AdminOnly;

impl FromRequestParts<AppState> for AdminOnly {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Admin => Ok(AdminOnly),
            Caller::Key(_) => Err(ApiError::forbidden("only the admin key may do this")),
        }
    }
}
