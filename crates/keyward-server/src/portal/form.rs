//! Form posts: the body as name/value pairs, accepted only with the
//! request's CSRF token.

use super::csrf;
use super::errors::PortalError;
use crate::state::AppState;
use axum::Form;
use axum::extract::{FromRequest, Request};

/// A urlencoded form, in order, repeated names included (checkbox lists).
#[derive(Debug, Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a checkbox `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.all(name).next().is_some()
    }
}

/// A POST form whose CSRF token matched; anything else is refused with 403
/// before the handler runs.
pub struct PostForm(pub FormData);

impl FromRequest<AppState> for PostForm {
    type Rejection = PortalError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PortalError> {
        let bound = csrf::binding(state, req.headers()).ok_or(PortalError::Csrf)?;
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(|_| PortalError::Csrf)?;
        let form = FormData(pairs);
        if !csrf::verify(state, &bound, form.get(csrf::FIELD)) {
            return Err(PortalError::Csrf);
        }
        Ok(Self(form))
    }
}
