//! What goes wrong on a page: not signed in (to the sign-in page), a bad
//! CSRF token (403), or a domain error; and domain errors placed next to
//! the form field they concern.

use super::page::{Layout, render};
use crate::error::{ApiError, Code};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug)]
pub enum PortalError {
    /// No valid session: go and sign in.
    SignIn,
    /// The form's CSRF token is missing or wrong.
    Csrf,
    Api(ApiError),
}

impl From<ApiError> for PortalError {
    fn from(e: ApiError) -> Self {
        match e.code {
            Code::Unauthenticated => PortalError::SignIn,
            _ => PortalError::Api(e),
        }
    }
}

impl From<keyward_store::StoreError> for PortalError {
    fn from(e: keyward_store::StoreError) -> Self {
        PortalError::Api(e.into())
    }
}

pub type PageResult<T = Response> = Result<T, PortalError>;

/// An address the portal doesn't have.
pub fn not_found() -> PortalError {
    PortalError::Api(ApiError::new(
        Code::NotFound,
        "There is no page at this address.",
    ))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            PortalError::Api(e) => e.retry_after,
            _ => None,
        };
        let (status, heading, message) = match self {
            PortalError::SignIn => return Redirect::to("/login").into_response(),
            PortalError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form can't be accepted",
                "It has expired or did not come from this site. Go back, reload the page and try again."
                    .to_owned(),
            ),
            PortalError::Api(e) => {
                let heading = match e.code.status() {
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
                    s if s.is_server_error() => "Something went wrong",
                    _ => "That didn't work",
                };
                (e.code.status(), heading, e.message)
            }
        };
        let page = ErrorPage {
            layout: Layout::bare(heading),
            heading,
            message,
        };
        let mut response = (status, render(&page)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Errors of one form: by field, and one for the form as a whole.
#[derive(Debug, Default)]
pub struct FieldErrors {
    pub general: Option<String>,
    fields: Vec<(&'static str, String)>,
}

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// An error about the whole form.
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            general: Some(message.into()),
            fields: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.general.is_none() && self.fields.is_empty()
    }

    /// The status of a form page showing these errors: 422 if any.
    pub fn status(&self) -> StatusCode {
        if self.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.fields.push((field, message.into()));
    }

    /// A domain error about a whole form or a row action; server errors are
    /// not a form's business.
    pub fn whole(e: ApiError) -> Result<Self, PortalError> {
        if e.code.status().is_server_error() || e.code == Code::Unauthenticated {
            return Err(e.into());
        }
        Ok(Self::general(e.message))
    }

    /// Places a domain error: permission errors go to `permissions` on
    /// forms that have it (else to the whole form), others
    /// to the first field whose needle the message mentions, else to the
    /// whole form.
    pub fn from_api(e: ApiError, needles: &[(&str, &'static str)]) -> Result<Self, PortalError> {
        let code = e.code;
        let mut errors = Self::whole(e)?;
        let lower = errors.general.as_deref().unwrap_or_default().to_lowercase();
        let field = match code {
            Code::PermissionNotHeld | Code::InvalidPermission => needles
                .iter()
                .any(|(_, field)| *field == "permissions")
                .then_some("permissions"),
            _ => needles
                .iter()
                .find(|(needle, _)| lower.contains(needle))
                .map(|(_, field)| *field),
        };
        if let (Some(field), Some(message)) = (field, errors.general.take()) {
            errors.add(field, message);
        }
        Ok(errors)
    }
}
