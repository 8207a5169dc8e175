//! The access log: one event per request under the target
//! `keyward::access` (one JSON line with `--log-format json`): method, route
//! template, status, latency, the id of the key that authenticated the
//! request, and the request id. Never a secret nor the `Authorization`
//! header: the key is named by its id, which authentication hands over
//! through [`KeySeen`]. `KEYWARD_LOG=info,keyward::access=off` silences it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;
use uuid::Uuid;

/// The key that authenticated a request, once authentication knows it:
/// placed in the request by the access-log middleware, filled in by the
/// `Caller` extractor and by forward-auth.
#[derive(Clone, Default)]
pub struct KeySeen(Arc<OnceLock<Uuid>>);

impl KeySeen {
    pub fn get(&self) -> Option<Uuid> {
        self.0.get().copied()
    }

    pub fn set(&self, id: Uuid) {
        let _ = self.0.set(id);
    }
}

/// Authentication's hook: `caller` authenticated the request of `parts`.
pub fn authenticated(parts: &axum::http::request::Parts, caller: &crate::ctx::Caller) {
    if let (crate::ctx::Caller::Key(key), Some(seen)) = (caller, parts.extensions.get::<KeySeen>())
    {
        seen.set(key.record.id);
    }
}

/// One request, as logged.
pub struct Entry<'a> {
    pub method: &'static str,
    /// The route template, or `unmatched`.
    pub route: &'a str,
    pub status: u16,
    pub took: Duration,
    pub key_id: Option<Uuid>,
    pub request_id: Option<&'a str>,
}

pub fn write(entry: &Entry<'_>) {
    tracing::info!(
        target: "keyward::access",
        method = entry.method,
        route = entry.route,
        status = entry.status,
        latency_ms = entry.took.as_secs_f64() * 1000.0,
        key_id = entry.key_id.map(tracing::field::display),
        request_id = entry.request_id,
        "request"
    );
}
