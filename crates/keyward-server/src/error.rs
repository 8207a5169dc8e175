//! One error table and one `ApiError`: every failure leaves the server as
//! `{statusCode, error, code, message, details?}` with a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyward_core::model::KeyState;
use keyward_store::StoreError;
use serde::Serialize;

/// Stable error codes, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    BadRequest,
    MalformedJson,
    UnsupportedMediaType,
    PayloadTooLarge,
    ValidationFailed,
    InvalidPermission,
    InvalidQuery,
    Unauthenticated,
    /// A key that was revoked, used on keyward's own API or forward-auth.
    KeyRevoked,
    /// A key past its expiry.
    KeyExpired,
    /// A key its owner disabled.
    KeyDisabled,
    Forbidden,
    ReadOnlyKey,
    PermissionNotHeld,
    NotFound,
    MethodNotAllowed,
    OrgNotFound,
    KeyNotFound,
    Conflict,
    KeyLimitReached,
    KeyAlreadyRolled,
    KeyPolicyViolation,
    WebhookUrlNotAllowed,
    WebhookNotFound,
    DeliveryNotFound,
    Internal,
    Unavailable,
    StoreUnavailable,
    TooManyRequests,
    /// A key used from an address outside its allow-list.
    IpNotAllowed,
    /// A key over one of its rate limits.
    RateLimited,
    /// A key without the credits a request costs.
    UsageExceeded,
}

impl Code {
    pub fn status(self) -> StatusCode {
        match self {
            Code::BadRequest | Code::MalformedJson | Code::InvalidQuery => StatusCode::BAD_REQUEST,
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::ValidationFailed
            | Code::InvalidPermission
            | Code::KeyPolicyViolation
            | Code::WebhookUrlNotAllowed => StatusCode::UNPROCESSABLE_ENTITY,
            Code::Unauthenticated | Code::KeyRevoked | Code::KeyExpired | Code::KeyDisabled => {
                StatusCode::UNAUTHORIZED
            }
            Code::Forbidden | Code::ReadOnlyKey | Code::PermissionNotHeld | Code::IpNotAllowed => {
                StatusCode::FORBIDDEN
            }
            Code::NotFound
            | Code::OrgNotFound
            | Code::KeyNotFound
            | Code::WebhookNotFound
            | Code::DeliveryNotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::Conflict | Code::KeyLimitReached | Code::KeyAlreadyRolled => StatusCode::CONFLICT,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::Unavailable | Code::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::TooManyRequests | Code::RateLimited | Code::UsageExceeded => {
                StatusCode::TOO_MANY_REQUESTS
            }
        }
    }
}

/// The common error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    pub error: String,
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    pub details: Option<serde_json::Value>,
    /// Replaces the HTTP reason phrase in `error` (the Dadosfera contract).
    pub error: Option<&'static str>,
    /// Sent as `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    /// The RFC 6750 `error` of the `WWW-Authenticate` challenge, for a
    /// refused credential.
    pub bearer_error: Option<BearerError>,
}

/// Why a credential was refused, in RFC 6750's words (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// Unknown, malformed, expired, revoked, disabled or otherwise unusable.
    InvalidToken,
    /// Known and usable, but not for this request.
    InsufficientScope,
}

impl BearerError {
    fn as_str(self) -> &'static str {
        match self {
            BearerError::InvalidToken => "invalid_token",
            BearerError::InsufficientScope => "insufficient_scope",
        }
    }
}

/// `WWW-Authenticate` naming the schemes keyward takes and, for a
/// credential that was sent, why it was refused (RFC 6750 §3). The
/// description is the error's message, kept to the characters a quoted
/// `error_description` may hold.
fn challenge(error: Option<BearerError>, message: &str) -> HeaderValue {
    const SCHEMES: &str = r#"Api-Key realm="keyward", Bearer realm="keyward""#;
    let Some(error) = error else {
        return HeaderValue::from_static(SCHEMES);
    };
    let description: String = message
        .chars()
        .filter(|c| matches!(c, ' '..='~') && !matches!(c, '"' | '\\'))
        .collect();
    let value = format!(
        r#"{SCHEMES}, error="{}", error_description="{description}""#,
        error.as_str()
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(SCHEMES))
}

pub type ApiResult<T> = Result<T, ApiError>;

/// `Retry-After` while the store can't be reached: about the time the
/// node takes to notice it is back.
const STORE_RETRY_AFTER_SECS: u64 = 5;

impl ApiError {
    /// An error; a 401 challenges with `error="invalid_token"`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
            error: None,
            retry_after: None,
            bearer_error: (code.status() == StatusCode::UNAUTHORIZED)
                .then_some(BearerError::InvalidToken),
        }
    }

    /// Sets the RFC 6750 `error` the `WWW-Authenticate` challenge carries.
    pub fn with_bearer_error(mut self, error: BearerError) -> Self {
        self.bearer_error = Some(error);
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_message(mut self, message: String) -> Self {
        self.message = message;
        self
    }

    pub fn with_error(mut self, error: &'static str) -> Self {
        self.error = Some(error);
        self
    }

    /// Generic on purpose: the cause is logged, not told to the caller.
    pub fn unauthenticated() -> Self {
        Self::new(
            Code::Unauthenticated,
            "a valid API key or session token is required",
        )
    }

    /// 401 for a request that sent no credential at all: its challenge
    /// names no error (RFC 6750 §3.1).
    pub fn no_credential() -> Self {
        let mut error = Self::unauthenticated();
        error.bearer_error = None;
        error
    }

    /// 401 for a key the caller holds but can no longer use: the holder is
    /// told which state it is in (they have the secret; nobody else learns
    /// anything).
    pub fn key_refused(state: KeyState) -> Self {
        match state {
            KeyState::Revoked => Self::new(Code::KeyRevoked, "this API key has been revoked"),
            KeyState::Expired => Self::new(Code::KeyExpired, "this API key has expired"),
            KeyState::Disabled => Self::new(Code::KeyDisabled, "this API key is disabled"),
            KeyState::Valid => Self::unauthenticated(),
        }
    }

    /// The code as it is written in the body and `X-Keyward-Code`.
    pub fn code_name(&self) -> String {
        match serde_json::to_value(self.code) {
            Ok(serde_json::Value::String(name)) => name,
            _ => String::new(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Code::Forbidden, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(Code::ValidationFailed, message)
    }

    pub fn org_not_found(org: &str) -> Self {
        Self::new(
            Code::OrgNotFound,
            format!("organization {org} was not found"),
        )
    }

    pub fn key_not_found(id: impl std::fmt::Display) -> Self {
        Self::new(Code::KeyNotFound, format!("API key {id} was not found"))
    }

    /// 429; `wait` is rounded up to whole seconds for `Retry-After`.
    pub fn too_many_requests(what: &str, wait: std::time::Duration) -> Self {
        let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let mut error = Self::new(
            Code::TooManyRequests,
            format!("too many {what}; try again in {seconds} s"),
        );
        error.retry_after = Some(seconds);
        error
    }

    /// 403: the key may not be used from the client's address.
    pub fn ip_not_allowed() -> Self {
        Self::new(
            Code::IpNotAllowed,
            "this key may not be used from this address",
        )
    }

    /// 503: the store can't be reached; worth retrying shortly.
    pub fn store_unavailable() -> Self {
        let mut error = Self::new(
            Code::StoreUnavailable,
            "the store can't be reached; try again shortly",
        );
        error.retry_after = Some(STORE_RETRY_AFTER_SECS);
        error
    }

    pub fn internal() -> Self {
        Self::new(
            Code::Internal,
            "an internal error occurred; it has been logged",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => {
                ApiError::new(Code::Conflict, format!("{what} already exists"))
            }
            StoreError::KeyLimitReached => ApiError::new(
                Code::KeyLimitReached,
                "the organization has reached its limit of live API keys; revoke one first",
            ),
            StoreError::MissingReference => ApiError::new(
                Code::NotFound,
                "a record this request refers to no longer exists",
            ),
            // Logged once per outage by the store watch, not per request.
            StoreError::Unavailable(_) => ApiError::store_unavailable(),
            StoreError::Unstorable(what) => {
                tracing::warn!(what, "the store refused input that passed validation");
                ApiError::validation(format!("the store can't take {what}"))
            }
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let challenge = (status == StatusCode::UNAUTHORIZED || self.bearer_error.is_some())
            .then(|| challenge(self.bearer_error, &self.message));
        let body = ErrorBody {
            status_code: status.as_u16(),
            error: self
                .error
                .map(str::to_owned)
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned()),
            code: self.code,
            message: self.message,
            details: self.details,
        };
        let mut response = (status, axum::Json(body)).into_response();
        // For the layers that count answers by code.
        response.extensions_mut().insert(self.code);
        if let Some(challenge) = challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_store_is_a_503_with_retry_after() {
        let error = ApiError::from(StoreError::Unavailable(sqlx::Error::PoolTimedOut));
        assert_eq!(error.code, Code::StoreUnavailable);
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(header::RETRY_AFTER));
    }

    fn challenge_of(error: ApiError) -> Option<String> {
        let response = error.into_response();
        let value = response.headers().get(header::WWW_AUTHENTICATE)?;
        Some(value.to_str().unwrap().to_owned())
    }

    #[test]
    fn refusals_challenge_in_rfc_6750_terms() {
        let none = challenge_of(ApiError::no_credential()).unwrap();
        assert_eq!(none, r#"Api-Key realm="keyward", Bearer realm="keyward""#);
        let revoked = challenge_of(ApiError::key_refused(KeyState::Revoked)).unwrap();
        assert!(
            revoked.ends_with(
                r#"error="invalid_token", error_description="this API key has been revoked""#
            ),
            "{revoked}"
        );
        let scope = ApiError::forbidden("no").with_bearer_error(BearerError::InsufficientScope);
        assert!(
            challenge_of(scope)
                .unwrap()
                .contains(r#"error="insufficient_scope""#)
        );
        // Other refusals don't challenge; a description can't break out of its quotes.
        assert_eq!(challenge_of(ApiError::forbidden("no")), None);
        let quoted = ApiError::new(Code::Unauthenticated, "a \"quoted\" \\ é word");
        assert!(
            challenge_of(quoted)
                .unwrap()
                .ends_with(r#"error_description="a quoted   word""#)
        );
    }
}
