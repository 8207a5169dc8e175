//! Who is calling, and may they? Credentials come from `x-api-key`,
//! `Authorization: Api-Key …`, `Authorization: Bearer …`, a bare
//! `Authorization: <key>` (keys and session tokens) or the portal's session
//! cookie; a write made with the cookie
//! must also carry the portal's CSRF token in `X-CSRF-Token`. Route
//! permissions are declared in handler signatures: `OrgAccess<KeysWrite>`,
//! `TeamAccess<TeamsWrite>`.

use crate::cookies::session_cookie;
use crate::csrf;
use crate::ctx::{Caller, Ctx, Grants, RequestMeta, Session, client_address};
use crate::error::{ApiError, ApiResult, Code};
use crate::ops::denials::Credential;
use crate::state::AppState;
use crate::verify::{self, Ask, Lookup, Outcome, SESSION_PREFIX};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use keyward_core::access::{PrincipalKind, PrincipalRef, team_resources};
use keyward_core::model::Organization;
use keyward_core::{ApiKey, KeyHash, Resource};
use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::Arc;
use uuid::Uuid;

pub const ORG_HEADER: &str = "x-keyward-org";
/// Carries the portal's CSRF token on writes authenticated by the cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The credential text a request carries, if any.
pub fn credential(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get("x-api-key") {
        return value.to_str().ok().map(str::trim);
    }
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?.trim();
        return match value.split_once(' ') {
            Some((scheme, rest)) => (scheme.eq_ignore_ascii_case("api-key")
                || scheme.eq_ignore_ascii_case("bearer"))
            .then(|| rest.trim()),
            // The Dadosfera contract sends the key bare, with no scheme:
            // taken only when it has a key's shape, so another scheme's
            // lone token is never read as a key.
            None => ApiKey::check(value).is_ok().then_some(value),
        };
    }
    session_cookie(headers)
}

/// The session cookie, when it is the credential the request relies on
/// (no `x-api-key` or `Authorization` header, which [`credential`] prefers).
fn cookie_credential(headers: &HeaderMap) -> Option<&str> {
    let header = headers.contains_key("x-api-key")
        || headers.contains_key(axum::http::header::AUTHORIZATION);
    session_cookie(headers).filter(|_| !header)
}

/// Browsers attach the session cookie to requests any site makes, so a
/// write that relies on it must prove it comes from a page of keyward's
/// own: the portal's CSRF token, which other sites can't read.
fn check_cookie_write(state: &AppState, parts: &Parts) -> ApiResult<()> {
    let Some(cookie) = cookie_credential(&parts.headers) else {
        return Ok(());
    };
    if is_safe(&parts.method) {
        return Ok(());
    }
    let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match sent {
        Some(sent) if csrf::verify(state, &state.hasher.hash(cookie), sent) => Ok(()),
        _ => Err(ApiError::forbidden(
            "a write authenticated by the session cookie needs the portal's CSRF token in X-CSRF-Token; API clients send a key or a session token instead",
        )),
    }
}

/// Authenticates a credential; failures answer generically and log the
/// cause. Invalid credentials count against the client's address (valid
/// ones cost nothing more).
pub async fn authenticate(
    state: &AppState,
    text: Option<&str>,
    client: Option<IpAddr>,
) -> ApiResult<Caller> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        tracing::debug!("no credential");
        return Err(ApiError::no_credential());
    };
    match recognise(state, text, client).await {
        Err(refused) if refused.code == Code::Unauthenticated => match client {
            Some(client) => Err(state.throttle.invalid_credential(client, refused).await),
            None => Err(refused),
        },
        outcome => outcome,
    }
}

async fn recognise(state: &AppState, text: &str, client: Option<IpAddr>) -> ApiResult<Caller> {
    let hash = state.hasher.hash(text);
    if state.admin.ct_eq(&hash) {
        return Ok(Caller::Admin);
    }
    match ApiKey::check(text) {
        Ok(prefix_len) if &text[..prefix_len] == SESSION_PREFIX => session(state, hash).await,
        Ok(_) => key(state, hash, client).await,
        Err(reason) => {
            tracing::debug!(%reason, "malformed credential");
            Err(ApiError::unauthenticated())
        }
    }
}

async fn session(state: &AppState, hash: KeyHash) -> ApiResult<Caller> {
    match state.store.session_user(&hash, state.clock.now()).await? {
        Some(user) => Ok(Caller::User(Arc::new(Session { user, token: hash }))),
        None => {
            tracing::debug!("unknown or expired session");
            Err(ApiError::unauthenticated())
        }
    }
}

/// A key, through the verification path: cache, store on a miss, state
/// checks, the key's allow-list (against the peer's address) and usage
/// counting. Rate limits and credits are for the platform's API, not
/// keyward's own.
async fn key(state: &AppState, hash: KeyHash, client: Option<IpAddr>) -> ApiResult<Caller> {
    let found = match verify::lookup_hashed(state, hash) {
        Lookup::Cached(found) => found,
        Lookup::Miss(hash) => verify::load(state, &hash).await?,
        Lookup::Junk => None,
    };
    let ask = Ask { client, ..Ask::ANY };
    match verify::conclude(state, found, &ask) {
        Outcome::Valid(key, _) => Ok(Caller::Key(key)),
        Outcome::IpNotAllowed(key) => {
            tracing::info!(key_id = %key.record.id, client = ?client, "key used from an address outside its allow-list");
            Err(ApiError::ip_not_allowed())
        }
        Outcome::Refused(refused, key) => {
            tracing::info!(key_id = %key.record.id, state = ?refused, "key refused");
            Err(ApiError::key_refused(refused))
        }
        _ => {
            tracing::debug!("unknown key");
            Err(ApiError::unauthenticated())
        }
    }
}

/// A key keyward holds in memory, whatever its state: a refused call made
/// with it is recorded in its organization's log.
fn known_key(state: &AppState, text: &str) -> Option<std::sync::Arc<crate::cache::ResolvedKey>> {
    match verify::lookup(state, text) {
        Lookup::Cached(found) => found,
        _ => None,
    }
}

/// Tells the denial recorder who is calling (a key, with its organization).
fn seen(parts: &Parts, caller: &Caller) {
    crate::access_log::authenticated(parts, caller);
    if let Some(slot) = parts.extensions.get::<Credential>() {
        let org = match caller {
            Caller::Key(key) => Some(key.org.id),
            _ => None,
        };
        slot.seen(caller.actor(), org);
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Some(caller) = parts.extensions.get::<Caller>().cloned() {
            seen(parts, &caller);
            return Ok(caller);
        }
        check_cookie_write(state, parts)?;
        let text = credential(&parts.headers);
        let slot = parts.extensions.get::<Credential>().cloned();
        let caller = match authenticate(state, text, client_address(parts)).await {
            Ok(caller) => caller,
            Err(refused) => {
                if let (Some(slot), Some(key)) = (slot, text.and_then(|t| known_key(state, t))) {
                    slot.seen(Caller::Key(key.clone()).actor(), Some(key.org.id));
                }
                return Err(refused);
            }
        };
        seen(parts, &caller);
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
    MembersRead => "members:read",
    MembersWrite => "members:write",
    TeamsRead => "teams:read",
    TeamsWrite => "teams:write",
    RolesRead => "roles:read",
    RolesWrite => "roles:write",
    OrgRead => "org:read",
    OrgWrite => "org:write",
    AuditRead => "audit:read",
    WebhooksWrite => "webhooks:write",
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Access to one organization with the permission `A` on all of it. The
/// organization is the `{org}` path segment, or else the caller's own (the
/// admin key, and users in several organizations, name one with `X-Keyward-Org`).
pub struct OrgAccess<A> {
    pub ctx: Ctx,
    action: PhantomData<A>,
}

impl<A> std::ops::Deref for OrgAccess<A> {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

async fn path_param(parts: &mut Parts, state: &AppState, name: &str) -> ApiResult<Option<String>> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::new(Code::BadRequest, "a path segment is not UTF-8 text"))?;
    Ok(params
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned()))
}

async fn named_org(parts: &mut Parts, state: &AppState) -> ApiResult<Option<String>> {
    if let Some(org) = path_param(parts, state, "org").await? {
        return Ok(Some(org));
    }
    match parts.headers.get(ORG_HEADER) {
        None => Ok(None),
        Some(value) => {
            let named = value.to_str().map_err(|_| {
                ApiError::new(
                    Code::BadRequest,
                    "X-Keyward-Org must be an organization id or slug",
                )
            })?;
            crate::extract::check_line("X-Keyward-Org", named)?;
            Ok(Some(named.trim().to_owned()))
        }
    }
}

fn names(org: &Organization, named: &str) -> bool {
    named == org.slug.as_str() || named == org.id.to_string()
}

fn another_org() -> ApiError {
    ApiError::forbidden("this credential has no access to that organization")
}

/// Resolves the organization a request is about and what the caller holds there.
async fn org_and_grants(
    parts: &mut Parts,
    state: &AppState,
    caller: &Caller,
) -> ApiResult<(Organization, Grants)> {
    let named = named_org(parts, state).await?;
    match caller {
        Caller::Admin => {
            let named = named.ok_or_else(|| {
                ApiError::new(
                    Code::BadRequest,
                    "the admin key must name an organization with the X-Keyward-Org header",
                )
            })?;
            let org = state
                .store
                .find_org(&named)
                .await?
                .ok_or_else(|| ApiError::org_not_found(&named))?;
            Ok((org, Grants::All))
        }
        Caller::Key(key) => match named {
            // Another tenant's name gets 403 whether or not it exists.
            Some(named) if !names(&key.org, &named) => Err(another_org()),
            _ => Ok((Organization::clone(&key.org), Grants::Key(key.clone()))),
        },
        Caller::User(session) => {
            let org = match named {
                Some(named) => state
                    .store
                    .find_org(&named)
                    .await?
                    .ok_or_else(another_org)?,
                None => {
                    let mut orgs = state.store.user_orgs(session.user.id).await?;
                    if orgs.len() != 1 {
                        return Err(ApiError::new(
                            Code::BadRequest,
                            "name the organization with the X-Keyward-Org header",
                        ));
                    }
                    orgs.remove(0).0
                }
            };
            let principal = PrincipalRef {
                kind: PrincipalKind::User,
                id: session.user.id,
            };
            let access = state
                .store
                .principal_access(org.id, principal)
                .await?
                .ok_or_else(another_org)?;
            let catalog = state.store.catalog(org.id).await?;
            let set = access.grants(&catalog);
            Ok((org, Grants::User(Arc::new(access), set)))
        }
    }
}

/// Authenticates, resolves the organization and refuses writes by read-only keys.
async fn org_ctx(parts: &mut Parts, state: &AppState) -> ApiResult<Ctx> {
    let caller = Caller::from_request_parts(parts, state).await?;
    let (org, grants) = org_and_grants(parts, state, &caller).await?;
    if let Some(slot) = parts.extensions.get::<Credential>() {
        slot.in_org(org.id);
    }
    if caller.read_only() && !is_safe(&parts.method) {
        return Err(ApiError::new(
            Code::ReadOnlyKey,
            "a read-only key can't change anything",
        ));
    }
    Ok(Ctx {
        caller,
        org,
        grants,
        meta: RequestMeta::of(parts),
    })
}

fn lacks(permission: &str) -> ApiError {
    ApiError::forbidden(format!("this credential lacks the permission {permission}"))
}

impl<A: Action> FromRequestParts<AppState> for OrgAccess<A> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let ctx = org_ctx(parts, state).await?;
        if !ctx.grants.allows(A::PERMISSION, &Resource::Any) {
            return Err(lacks(A::PERMISSION));
        }
        Ok(Self {
            ctx,
            action: PhantomData,
        })
    }
}

/// Membership in an organization, whatever the caller holds there (routes
/// whose rules depend on the request, like key creation, check the rest).
pub struct OrgMember(pub Ctx);

impl std::ops::Deref for OrgMember {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.0
    }
}

impl FromRequestParts<AppState> for OrgMember {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        org_ctx(parts, state).await.map(Self)
    }
}

/// Access to the `{team}` of the path with the permission `A` on the team
/// (`teams/{id}`): org-wide holders and the team's owners (for writes).
pub struct TeamAccess<A> {
    pub ctx: Ctx,
    pub team: keyward_core::access::Team,
    action: PhantomData<A>,
}

impl<A> std::ops::Deref for TeamAccess<A> {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

impl<A: Action> FromRequestParts<AppState> for TeamAccess<A> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let ctx = org_ctx(parts, state).await?;
        let raw = path_param(parts, state, "team").await?.unwrap_or_default();
        let team = match Uuid::parse_str(&raw) {
            Ok(id) => state.store.team(ctx.org.id, id).await?,
            Err(_) => None,
        }
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("team {raw} was not found")))?;
        let [own, _] = team_resources(team.id);
        if !ctx.grants.allows(A::PERMISSION, &own) {
            return Err(lacks(A::PERMISSION));
        }
        Ok(Self {
            ctx,
            team,
            action: PhantomData,
        })
    }
}

/// The admin key, and only it, with where the request came from.
pub struct AdminOnly {
    pub meta: RequestMeta,
}

impl FromRequestParts<AppState> for AdminOnly {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Admin => Ok(AdminOnly {
                meta: RequestMeta::of(parts),
            }),
            _ => Err(ApiError::forbidden("only the admin key may do this")),
        }
    }
}
