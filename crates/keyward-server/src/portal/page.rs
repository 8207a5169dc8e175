//! What every page shares: the signed-in user (from the session cookie
//! only), the layout's navigation and organization switcher, the CSRF
//! token, notices after a redirect, and rendering.

use super::assets;
use super::errors::{PageResult, PortalError};
use crate::auth::{Action, AuditRead, authenticate};
use crate::csrf;
use crate::ctx::{Caller, Ctx, Grants, Session, client_address};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use keyward_core::Resource;
use keyward_core::model::Organization;
use std::sync::Arc;

/// Messages shown once after a redirect, by the code in `?notice=`.
const NOTICES: &[(&str, &str)] = &[
    ("signed-out", "You are signed out."),
    (
        "password-changed",
        "Your password is changed; your other sessions ended.",
    ),
    (
        "password-reset",
        "Your new password is set: sign in with it.",
    ),
    (
        "invitation-accepted",
        "Welcome! Your invitation is accepted: sign in with your email and password.",
    ),
    ("invitation-joined", "Welcome! You joined the organization."),
    (
        "key-revoked",
        "The key is revoked. It stopped working at once.",
    ),
    (
        "key-disabled",
        "The key is disabled until you enable it again.",
    ),
    ("key-enabled", "The key is enabled."),
    ("policy-saved", "The key policy is saved."),
    ("leak-policy-saved", "The leak policy is saved."),
    (
        "leak-reported",
        "Thank you. If that was a live key, it is now handled as its organization decided.",
    ),
    (
        "key-updated",
        "The key is saved. The change applies to its very next use.",
    ),
    ("member-updated", "The member's role is changed."),
    (
        "member-removed",
        "The member is removed; their personal keys here stopped working.",
    ),
    ("invitation-withdrawn", "The invitation is withdrawn."),
    (
        "team-created",
        "The team is created, with you as its owner.",
    ),
    ("team-deleted", "The team is deleted and its keys revoked."),
    ("team-member-saved", "The team member is saved."),
    ("team-member-removed", "The member left the team."),
    ("permission-registered", "The permission is in the catalog."),
    ("role-created", "The role is created."),
    ("role-deleted", "The role is deleted."),
    ("group-created", "The group is created."),
    ("group-updated", "The group is saved."),
    (
        "role-updated",
        "The role is saved; whoever holds it holds the change at once.",
    ),
    ("group-deleted", "The group is deleted."),
    (
        "account-created",
        "The service account is created. Generate a key for it below.",
    ),
    ("account-updated", "The service account is updated."),
    (
        "account-deleted",
        "The service account is deleted and its keys revoked.",
    ),
];

/// A redirect after a successful form post, with a notice to show.
pub fn done(path: &str, notice: &str) -> Response {
    Redirect::to(&format!("{path}?notice={notice}")).into_response()
}

/// An HTML page, or a logged 500 if the template fails.
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "a portal template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

/// [`render`] with a status other than 200.
pub fn render_with<T: Template>(status: StatusCode, page: &T) -> Response {
    (status, render(page)).into_response()
}

pub struct UserNav {
    pub name: String,
    pub email: String,
}

pub struct OrgLink {
    pub slug: String,
    pub name: String,
    pub current: bool,
}

pub struct OrgNav {
    pub slug: String,
    pub name: String,
    pub admin: bool,
    /// Holds `audit:read`: the audit log is linked.
    pub audit: bool,
}

/// What the shared layout shows around every page.
pub struct Layout {
    pub title: String,
    pub css: &'static str,
    pub js: &'static str,
    pub user: Option<UserNav>,
    pub orgs: Vec<OrgLink>,
    pub org: Option<OrgNav>,
    pub csrf: String,
    /// The active navigation item.
    pub nav: &'static str,
    pub notice: Option<&'static str>,
}

impl Layout {
    /// A page without a signed-in user.
    pub fn bare(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            css: assets::css_path(),
            js: assets::js_path(),
            user: None,
            orgs: Vec::new(),
            org: None,
            csrf: String::new(),
            nav: "",
            notice: None,
        }
    }
}

/// The signed-in user of a portal request. Only the session cookie counts:
/// API keys and bearer tokens don't sign anyone in to the portal.
pub struct SignedIn {
    pub session: Arc<Session>,
    pub notice: Option<&'static str>,
}

impl SignedIn {
    /// The layout for a page about `org` (or about no organization).
    pub async fn layout(
        &self,
        state: &AppState,
        title: &str,
        nav: &'static str,
        org: Option<(&Organization, &Grants)>,
    ) -> PageResult<Layout> {
        let orgs = state.store.user_orgs(self.session.user.id).await?;
        let current = org.map(|(o, _)| o.id);
        Ok(Layout {
            user: Some(UserNav {
                name: self.session.user.name.clone(),
                email: self.session.user.email.clone(),
            }),
            orgs: orgs
                .into_iter()
                .map(|(o, _)| OrgLink {
                    current: Some(o.id) == current,
                    slug: o.slug.as_str().to_owned(),
                    name: o.name,
                })
                .collect(),
            org: org.map(|(o, grants)| OrgNav {
                slug: o.slug.as_str().to_owned(),
                name: o.name.clone(),
                admin: grants.is_org_admin(),
                audit: grants.allows(AuditRead::PERMISSION, &Resource::Any),
            }),
            csrf: csrf::token(state, &self.session.token),
            nav,
            notice: self.notice,
            ..Layout::bare(title)
        })
    }
}

/// The notice a query string names, if it names a known one.
pub fn notice_in(query: Option<&str>) -> Option<&'static str> {
    let code = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("notice="))?;
    NOTICES.iter().find(|(c, _)| *c == code).map(|(_, m)| *m)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> PageResult<Self> {
        let session = match parts.extensions.get::<Caller>() {
            Some(Caller::User(session)) => session.clone(),
            _ => {
                let cookie = crate::cookies::session_cookie(&parts.headers);
                match authenticate(state, cookie, client_address(parts)).await {
                    Ok(Caller::User(session)) => session,
                    _ => return Err(PortalError::SignIn),
                }
            }
        };
        // The API's extractors that run next find this caller and use it.
        parts.extensions.insert(Caller::User(session.clone()));
        Ok(Self {
            session,
            notice: notice_in(parts.uri.query()),
        })
    }
}

/// What an organization-scoped extractor knows: its operation context.
pub trait InOrg {
    fn ctx(&self) -> &Ctx;
    fn org(&self) -> &Organization {
        &self.ctx().org
    }
    fn grants(&self) -> &Grants {
        &self.ctx().grants
    }
}

impl<T: std::ops::Deref<Target = Ctx>> InOrg for T {
    fn ctx(&self) -> &Ctx {
        self
    }
}

/// A signed-in user's request about the `{org}` of the path, through one of
/// the API's own extractors (`OrgMember`, `OrgAccess<KeysRead>`, …), so the
/// portal requires exactly what the API requires.
pub struct Portal<T> {
    pub user: SignedIn,
    pub access: T,
}

impl<T: InOrg> Portal<T> {
    pub async fn layout(
        &self,
        state: &AppState,
        title: &str,
        nav: &'static str,
    ) -> PageResult<Layout> {
        let org = (self.access.org(), self.access.grants());
        self.user.layout(state, title, nav, Some(org)).await
    }

    /// `/orgs/{slug}` followed by `rest`.
    pub fn org_path(&self, rest: &str) -> String {
        format!("/orgs/{}{rest}", self.access.org().slug.as_str())
    }
}

impl<T> FromRequestParts<AppState> for Portal<T>
where
    T: FromRequestParts<AppState, Rejection = ApiError> + Send,
{
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> PageResult<Self> {
        let user = SignedIn::from_request_parts(parts, state).await?;
        let access = T::from_request_parts(parts, state).await?;
        Ok(Self { user, access })
    }
}
