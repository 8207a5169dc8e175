//! A `tower` layer for axum (or any tower HTTP) services: it verifies the
//! request's key (`Authorization: Bearer <key>`) with keyward, optionally
//! against a permission on a resource, and puts the [`Verification`] in the
//! request's extensions; a key that doesn't pass is answered 401, 403 or 429
//! in keyward's common error body, and the service is not called.
//!
//! ```ignore
//! let keyward = Client::new(url).with_api_key(service_key);
//! let app = Router::new()
//!     .route("/datasets/{id}", get(dataset))
//!     .route_layer(KeywardLayer::new(keyward)
//!         .permission("datasets:read")
//!         .resource_from(|parts| dataset_resource(parts.uri.path())));
//! async fn dataset(Extension(key): Extension<Verification>) -> String { key.code }
//! ```

use crate::types::{ErrorBody, Verification, VerifyRequest};
use crate::{Client, ClientError};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{Request, Response, StatusCode};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

type FromParts<T> = Arc<dyn Fn(&Parts) -> Option<T> + Send + Sync>;

/// Verifies each request's key before the service sees it.
#[derive(Clone)]
pub struct KeywardLayer {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    client: Client,
    permission: Option<String>,
    resource: Option<FromParts<String>>,
    cost: Option<u64>,
    client_ip: Option<FromParts<String>>,
    cache: Option<Arc<Cache>>,
}

impl KeywardLayer {
    /// `client` asks keyward; its credential must hold `keys:verify`.
    pub fn new(client: Client) -> Self {
        Self {
            config: Arc::new(Config {
                client,
                permission: None,
                resource: None,
                cost: None,
                client_ip: None,
                cache: None,
            }),
        }
    }

    fn edit(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(Arc::make_mut(&mut self.config));
        self
    }

    /// A permission or query the key must hold (`datasets:read`).
    pub fn permission(self, permission: impl Into<String>) -> Self {
        let permission = permission.into();
        self.edit(|c| c.permission = Some(permission))
    }

    /// The resource the permission is asked about, the same for every request.
    pub fn resource(self, resource: impl Into<String>) -> Self {
        let resource = resource.into();
        self.resource_from(move |_| Some(resource.clone()))
    }

    /// The resource built from the request (its path, say); `None` asks about `*`.
    pub fn resource_from(
        self,
        resource: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.edit(|c| c.resource = Some(Arc::new(resource)))
    }

    /// Credits each request consumes, for keys with credits.
    pub fn cost(self, cost: u64) -> Self {
        self.edit(|c| c.cost = Some(cost))
    }

    /// Passes the client's address as `ip` (for keys with allowed IPs); with
    /// axum, read it from `ConnectInfo` in the extensions.
    pub fn client_ip(self, ip: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static) -> Self {
        self.edit(|c| c.client_ip = Some(Arc::new(ip)))
    }

    /// Reuses a VALID answer for `ttl` without asking keyward (off by
    /// default). A key revoked, disabled or narrowed in keyward keeps
    /// working here for up to `ttl`: that is the revocation delay it costs.
    /// Answers carrying rate limits or credits are never reused.
    pub fn cache_ttl(self, ttl: Duration) -> Self {
        self.edit(|c| c.cache = (!ttl.is_zero()).then(|| Arc::new(Cache::new(ttl, 10_000))))
    }
}

impl<S> tower::Layer<S> for KeywardLayer {
    type Service = KeywardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        KeywardService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service [`KeywardLayer`] wraps around yours.
#[derive(Clone)]
pub struct KeywardService<S> {
    inner: S,
    config: Arc<Config>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for KeywardService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The clone that was polled ready serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match config.decide(&parts).await {
                Ok(verification) => {
                    parts.extensions.insert(verification);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(refusal) => Ok(refusal.into_response()),
            }
        })
    }
}

impl Config {
    async fn decide(&self, parts: &Parts) -> Result<Verification, Refusal> {
        let key = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or_else(|| {
                Refusal::new(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHENTICATED",
                    "an API key is required: Authorization: Bearer <key>",
                )
            })?;
        let request = VerifyRequest {
            key: key.to_owned(),
            permission: self.permission.clone(),
            resource: self.resource.as_ref().and_then(|f| f(parts)),
            ip: self.client_ip.as_ref().and_then(|f| f(parts)),
            cost: self.cost,
        };
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(&request)) {
            return Ok(hit);
        }
        let verification = self
            .client
            .verify_key(&request)
            .await
            .map_err(|e| Refusal::unreachable(&e))?;
        if verification.valid && verification.code == "VALID" {
            if let Some(cache) = &self.cache {
                cache.put(request, &verification);
            }
            return Ok(verification);
        }
        Err(Refusal::from_verification(&verification))
    }
}

/// `Bearer <key>`, the scheme in any case.
fn bearer(header: &str) -> Option<&str> {
    let (scheme, key) = header.split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty() && !key.contains(' ')).then_some(key)
}

/// The answer a request that doesn't pass gets.
#[derive(Debug)]
struct Refusal {
    body: ErrorBody,
    retry_after: Option<u64>,
}

impl Refusal {
    fn new(status: StatusCode, code: &str, message: &str) -> Self {
        Self {
            body: ErrorBody {
                status_code: status.as_u16(),
                error: status.canonical_reason().unwrap_or("Error").to_owned(),
                code: code.to_owned(),
                message: message.to_owned(),
                details: None,
            },
            retry_after: None,
        }
    }

    fn from_verification(v: &Verification) -> Self {
        let (status, code, message) = match v.code.as_str() {
            "NOT_FOUND" => (401, "UNAUTHENTICATED", "the API key is not valid"),
            "EXPIRED" => (401, "KEY_EXPIRED", "the API key has expired"),
            "REVOKED" => (401, "KEY_REVOKED", "the API key has been revoked"),
            "DISABLED" => (401, "KEY_DISABLED", "the API key is disabled"),
            "INSUFFICIENT_PERMISSIONS" => (
                403,
                "INSUFFICIENT_PERMISSIONS",
                "the API key may not do this",
            ),
            "IP_NOT_ALLOWED" => (
                403,
                "IP_NOT_ALLOWED",
                "the API key may not be used from this client's address",
            ),
            "RATE_LIMITED" => (
                429,
                "RATE_LIMITED",
                "the API key has made too many requests; try again later",
            ),
            "USAGE_EXCEEDED" => (429, "USAGE_EXCEEDED", "the API key has used up its credits"),
            // A code this crate does not know yet: a "no" all the same.
            _ => (403, "FORBIDDEN", "the API key may not be used here"),
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
        Self::new(status, code, message)
    }

    fn unreachable(error: &ClientError) -> Self {
        match error.status() {
            // The permission or resource asked about is malformed.
            Some(400 | 422) => {
                let mut refusal = Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", "");
                refusal.body.message = match error {
                    ClientError::Api { body, .. } => body.message.clone(),
                    _ => "bad request".to_owned(),
                };
                refusal
            }
            Some(status) if status < 500 && status != 429 => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "the API key could not be checked",
            ),
            _ => {
                let mut refusal = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "UNAVAILABLE",
                    "the API key could not be checked; try again shortly",
                );
                refusal.retry_after = Some(5);
                refusal
            }
        }
    }

    fn into_response<B: From<String>>(self) -> Response<B> {
        let status = StatusCode::from_u16(self.body.status_code)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self.body).unwrap_or_default();
        let mut response = Response::new(B::from(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"keyward\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// VALID answers by the whole request, for a fixed time.
struct Cache {
    ttl: Duration,
    max_entries: usize,
    entries: Mutex<HashMap<CacheId, (Instant, Verification)>>,
}

type CacheId = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u64>,
);

impl Cache {
    fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn id(request: &VerifyRequest) -> CacheId {
        (
            request.key.clone(),
            request.permission.clone(),
            request.resource.clone(),
            request.ip.clone(),
            request.cost,
        )
    }

    fn get(&self, request: &VerifyRequest) -> Option<Verification> {
        let entries = self.entries.lock().ok()?;
        let (until, answer) = entries.get(&Self::id(request))?;
        (*until > Instant::now()).then(|| answer.clone())
    }

    fn put(&self, request: VerifyRequest, answer: &Verification) {
        let metered = ["ratelimits", "credits"]
            .iter()
            .any(|field| answer.details.get(*field).is_some_and(|v| !v.is_null()));
        if metered {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.max_entries {
            let now = Instant::now();
            entries.retain(|_, (until, _)| *until > now);
            if entries.len() >= self.max_entries {
                entries.clear();
            }
        }
        entries.insert(
            Self::id(&request),
            (Instant::now() + self.ttl, answer.clone()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bearer_reads_the_key_only() {
        assert_eq!(bearer("Bearer kw_abc"), Some("kw_abc"));
        assert_eq!(bearer("bearer kw_abc "), Some("kw_abc"));
        assert_eq!(bearer("Basic kw_abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearer a b"), None);
    }

    fn verification(code: &str) -> Verification {
        serde_json::from_value(json!({"valid": false, "code": code})).unwrap()
    }

    #[test]
    fn codes_map_to_statuses() {
        for (code, status, answer) in [
            ("NOT_FOUND", 401, "UNAUTHENTICATED"),
            ("REVOKED", 401, "KEY_REVOKED"),
            ("EXPIRED", 401, "KEY_EXPIRED"),
            ("DISABLED", 401, "KEY_DISABLED"),
            ("INSUFFICIENT_PERMISSIONS", 403, "INSUFFICIENT_PERMISSIONS"),
            ("IP_NOT_ALLOWED", 403, "IP_NOT_ALLOWED"),
            ("RATE_LIMITED", 429, "RATE_LIMITED"),
            ("USAGE_EXCEEDED", 429, "USAGE_EXCEEDED"),
            ("SOMETHING_NEW", 403, "FORBIDDEN"),
        ] {
            let refusal = Refusal::from_verification(&verification(code));
            assert_eq!(refusal.body.status_code, status, "{code}");
            assert_eq!(refusal.body.code, answer, "{code}");
        }
    }

    #[test]
    fn metered_answers_are_not_cached() {
        let cache = Cache::new(Duration::from_secs(60), 10);
        let request = VerifyRequest {
            key: "kw_x".into(),
            ..Default::default()
        };
        let metered: Verification = serde_json::from_value(
            json!({"valid": true, "code": "VALID", "credits": {"remaining": 3}}),
        )
        .unwrap();
        cache.put(request.clone(), &metered);
        assert!(cache.get(&request).is_none());
        let plain: Verification =
            serde_json::from_value(json!({"valid": true, "code": "VALID"})).unwrap();
        cache.put(request.clone(), &plain);
        assert_eq!(cache.get(&request), Some(plain));
    }
}
