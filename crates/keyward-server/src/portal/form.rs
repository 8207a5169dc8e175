//! Form posts: the body as name/value pairs, accepted only with the
//! request's CSRF token.

use super::errors::PortalError;
use crate::csrf;
use crate::error::{ApiError, ApiResult};
use crate::extract::check_text;
use crate::state::AppState;
use axum::Form;
use axum::extract::{FromRequest, Request};
use keyward_core::limits::FORM_LIST_MAX;
use std::collections::HashMap;

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

    /// Refuses control characters (as JSON bodies do) and a name sent more
    /// than [`FORM_LIST_MAX`] times: every list a form carries is bounded.
    fn check(&self) -> ApiResult<()> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (name, value) in &self.0 {
            check_text("the form", name)?;
            check_text(&format!("field {name}"), value)?;
            let count = counts.entry(name).or_default();
            *count += 1;
            if *count > FORM_LIST_MAX {
                return Err(ApiError::validation(format!(
                    "field {name} may be sent at most {FORM_LIST_MAX} times"
                )));
            }
        }
        Ok(())
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
        form.check()?;
        Ok(Self(form))
    }
}
