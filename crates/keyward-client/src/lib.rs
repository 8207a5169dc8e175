//! An HTTP client for keyward's API.
//!
//! The CLI uses the typed methods ([`Client::create_key`], …), which turn any
//! non-2xx answer into [`ClientError::Api`]. The server's integration tests
//! also use the raw ones ([`Client::send`], [`Client::send_bytes`]), which
//! hand back whatever the server said, status and headers included, so a test
//! can assert on a 401 as easily as on a 200.

mod audit;
mod error;
#[cfg(feature = "tower")]
mod layer;
mod path;
mod types;

pub use audit::AuditLines;
pub use error::ClientError;
#[cfg(feature = "tower")]
pub use layer::{KeywardLayer, KeywardService};
pub use path::encode as encode_segment;
pub use reqwest::Method;
pub use reqwest::header::HeaderMap;
pub use types::{
    AuditFilter, AuditPage, ChainCheck, CreatedKey, ErrorBody, Key, KeyChanges, KeyGrant, KeyPage,
    KeyRoll, NewKey, NewOrg, NewPermission, Org, Permission, RolledKey, Verification,
    VerifyRequest,
};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A keyward client: a base URL, optional credentials and extra headers.
///
/// Cloning is cheap (the connection pool is shared), so a test can derive a
/// client per principal: `admin.clone().with_api_key(&key)`.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    api_key: Option<String>,
    headers: Vec<(String, String)>,
}

// The API key stays out of logs and test failure output.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("headers", &self.headers)
            .finish()
    }
}

/// Whatever the server answered, error statuses included.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    /// The JSON body; `Value::Null` when empty, `Value::String` when not JSON.
    pub body: Value,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value, when present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Decodes the body as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_value(self.body.clone())
            .map_err(|e| ClientError::Decode(format!("status {}: {e}", self.status)))
    }
}

impl Client {
    /// A client for the server at `base_url` (`http://127.0.0.1:8080`), without
    /// credentials.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_http_client(reqwest::Client::new(), base_url)
    }

    /// Like [`Client::new`], over a configured `reqwest::Client` (timeouts, …).
    pub fn with_http_client(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self {
            http,
            base_url,
            api_key: None,
            headers: Vec::new(),
        }
    }

    /// Sends `key` as `x-api-key` on every request.
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Adds a header to every request (`X-Keyward-Org`, `Authorization`, …).
    /// An invalid name or value surfaces as [`ClientError::Transport`] when
    /// a request is sent.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    // ---- raw --------------------------------------------------------------

    /// Sends a request with an optional JSON body. `path` starts at the
    /// server's root (`/api/v1/orgs`) and may carry a query string. Any status
    /// is a response, not an error.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<RawResponse, ClientError> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::execute(request).await
    }

    /// Sends `bytes` as the body, verbatim, for tests of malformed input.
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<RawResponse, ClientError> {
        let mut request = self.request(method, path).body(bytes);
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        Self::execute(request).await
    }

    pub async fn get(&self, path: &str) -> Result<RawResponse, ClientError> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<RawResponse, ClientError> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Result<RawResponse, ClientError> {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Result<RawResponse, ClientError> {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<RawResponse, ClientError> {
        self.send(Method::DELETE, path, None).await
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let separator = if path.starts_with('/') { "" } else { "/" };
        let url = format!("{}{separator}{path}", self.base_url);
        let mut request = self.http.request(method, url);
        if let Some(key) = &self.api_key {
            request = request.header("x-api-key", key.as_str());
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        request
    }

    async fn execute(request: reqwest::RequestBuilder) -> Result<RawResponse, ClientError> {
        Self::read(request.send().await?).await
    }

    async fn read(response: reqwest::Response) -> Result<RawResponse, ClientError> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    // ---- typed ------------------------------------------------------------

    pub async fn create_org(&self, org: &NewOrg) -> Result<Org, ClientError> {
        self.call(Method::POST, &path::orgs(), Some(encode(org)?))
            .await?
            .json()
    }

    pub async fn list_orgs(&self) -> Result<Vec<Org>, ClientError> {
        self.call(Method::GET, &path::orgs(), None).await?.json()
    }

    /// `org` is the organization's id or slug.
    pub async fn get_org(&self, org: &str) -> Result<Org, ClientError> {
        self.call(Method::GET, &path::org(org), None).await?.json()
    }

    pub async fn delete_org(&self, org: &str) -> Result<(), ClientError> {
        self.call(Method::DELETE, &path::org(org), None).await?;
        Ok(())
    }

    pub async fn list_permissions(&self, org: &str) -> Result<Vec<Permission>, ClientError> {
        self.call(Method::GET, &path::permissions(org), None)
            .await?
            .json()
    }

    /// Registers a platform permission in the organization's catalog.
    pub async fn create_permission(
        &self,
        org: &str,
        permission: &NewPermission,
    ) -> Result<Permission, ClientError> {
        self.call(
            Method::POST,
            &path::permissions(org),
            Some(encode(permission)?),
        )
        .await?
        .json()
    }

    pub async fn create_key(&self, org: &str, key: &NewKey) -> Result<CreatedKey, ClientError> {
        self.call(Method::POST, &path::keys(org), Some(encode(key)?))
            .await?
            .json()
    }

    pub async fn list_keys(
        &self,
        org: &str,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<KeyPage, ClientError> {
        self.call(Method::GET, &path::key_page(org, limit, cursor), None)
            .await?
            .json()
    }

    pub async fn get_key(&self, org: &str, id: &str) -> Result<Key, ClientError> {
        self.call(Method::GET, &path::key(org, id), None)
            .await?
            .json()
    }

    /// Changes the fields `changes` gives (name, enabled, expiry, metadata,
    /// permissions, read-only).
    pub async fn update_key(
        &self,
        org: &str,
        id: &str,
        changes: &KeyChanges,
    ) -> Result<Key, ClientError> {
        self.call(Method::PATCH, &path::key(org, id), Some(encode(changes)?))
            .await?
            .json()
    }

    /// Replaces a key with a new one (its secret in the answer, this once);
    /// the old key keeps working for the grace period.
    pub async fn roll_key(
        &self,
        org: &str,
        id: &str,
        roll: &KeyRoll,
    ) -> Result<RolledKey, ClientError> {
        self.call(Method::POST, &path::key_roll(org, id), Some(encode(roll)?))
            .await?
            .json()
    }

    /// Checks a key as a protected service would (the admin key or a key
    /// with `keys:verify`). A key that is not valid is an answer, not an
    /// error: see [`Verification::code`].
    pub async fn verify_key(&self, request: &VerifyRequest) -> Result<Verification, ClientError> {
        self.call(Method::POST, &path::verify(), Some(encode(request)?))
            .await?
            .json()
    }

    /// Revokes a key for good (DELETE → 204).
    pub async fn revoke_key(&self, org: &str, id: &str) -> Result<(), ClientError> {
        self.call(Method::DELETE, &path::key(org, id), None).await?;
        Ok(())
    }

    /// [`Client::send`], with any non-2xx answer turned into [`ClientError::Api`].
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<RawResponse, ClientError> {
        let response = self.send(method, path, body).await?;
        if response.is_success() {
            return Ok(response);
        }
        Err(api_error(response.status, response))
    }
}

/// A non-2xx answer as [`ClientError::Api`], with keyward's error body or
/// a stand-in for a foreign one.
fn api_error(status: u16, response: RawResponse) -> ClientError {
    let body = serde_json::from_value::<ErrorBody>(response.body.clone())
        .unwrap_or_else(|_| ErrorBody::unexpected(status, response.body));
    ClientError::Api { status, body }
}

fn encode(value: &impl Serialize) -> Result<Value, ClientError> {
    serde_json::to_value(value).map_err(|e| ClientError::Decode(format!("encoding request: {e}")))
}
