//! One error table and one `ApiError`: every failure leaves the server as
//! `{statusCode, error, code, message, details?}` with a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
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
}

pub type ApiResult<T> = Result<T, ApiError>;

/// `Retry-After` while the store can't be reached: about the time the
/// node takes to notice it is back.
const STORE_RETRY_AFTER_SECS: u64 = 5;

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
            error: None,
            retry_after: None,
        }
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
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Api-Key realm="keyward", Bearer realm="keyward""#),
            );
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
}
