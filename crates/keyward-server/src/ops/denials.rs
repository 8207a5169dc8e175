//! Refused management calls in the audit log: every 403, and 401s made
//! with a key keyward knows (expired, revoked, disabled), recorded as
//! `auth.denied` in the credential's organization, at most once per
//! credential, operation and minute, so a misbehaving client can't flood
//! the log.

use super::actions::AUTH_DENIED;
use super::commit::{By, Change, record};
use crate::ctx::RequestMeta;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use keyward_core::audit::{Actor, Outcome};
use std::sync::{Arc, Mutex, PoisonError};
use uuid::Uuid;

/// Paths whose refusals are answers about other keys, not denied calls.
const VERIFICATION_PATHS: [&str; 2] = ["/api/v1/keys/verify", "/api/v1/auth/forward"];

/// Who made a call, as authentication learned it: filled in by the
/// extractors, read by [`record_denials`] once the answer is known.
#[derive(Clone, Default)]
pub struct Credential(Arc<Mutex<Option<Seen>>>);

#[derive(Clone)]
struct Seen {
    actor: Actor,
    org: Option<Uuid>,
}

impl Credential {
    /// The credential and the organization it belongs to, when known.
    pub fn seen(&self, actor: Actor, org: Option<Uuid>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(Seen { actor, org });
    }

    /// The organization the call is about, once resolved.
    pub fn in_org(&self, org: Uuid) {
        if let Some(seen) = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            seen.org = Some(org);
        }
    }

    fn take(&self) -> Option<Seen> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Middleware: after each management call answered 401 or 403, records the
/// refusal if authentication saw whose it was.
pub async fn record_denials(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if VERIFICATION_PATHS.iter().any(|p| path.starts_with(p)) {
        return next.run(request).await;
    }
    let operation = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or(path, MatchedPath::as_str)
    );
    let (parts, body) = request.into_parts();
    let meta = RequestMeta::of(&parts);
    request = Request::from_parts(parts, body);
    let credential = Credential::default();
    request.extensions_mut().insert(credential.clone());
    let response = next.run(request).await;
    let status = response.status();
    if status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED {
        return response;
    }
    let Some(seen) = credential.take() else {
        return response;
    };
    let Some(org) = seen.org else {
        return response;
    };
    let now = state.clock.now();
    if state
        .denials
        .first(&seen.actor.id, &operation, now.timestamp() / 60)
    {
        let change = Change::new(AUTH_DENIED, Some(org))
            .detail("operation", &operation)
            .detail("status", status.as_u16());
        let by = By {
            actor: seen.actor,
            meta: &meta,
        };
        if let Err(error) = record(&state, by, change, Outcome::Denied).await {
            tracing::warn!(%error, "a denied call could not be recorded");
        }
    }
    response
}
