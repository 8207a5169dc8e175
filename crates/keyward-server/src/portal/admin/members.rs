//! Members and invitations: who belongs, with what role; invite someone and
//! hand them the link; change roles; remove; withdraw invitations; hand a
//! member who lost their password a reset link.

use crate::auth::{MembersRead, MembersWrite, OrgAccess};
use crate::ops::{invitations, members, passwords};
use crate::portal::errors::{FieldErrors, PageResult};
use crate::portal::form::PostForm;
use crate::portal::page::{Layout, Portal, done, render_with};
use crate::portal::session::secure;
use crate::portal::views::when;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use keyward_core::Resource;
use keyward_core::access::OrgRole;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/admin/members", get(page))
        .route("/orgs/{org}/admin/members/{user}/role", post(set_role))
        .route("/orgs/{org}/admin/members/{user}/remove", post(remove))
        .route(
            "/orgs/{org}/admin/members/{user}/password-reset",
            post(reset_password),
        )
        .route("/orgs/{org}/admin/invitations", post(invite))
        .route(
            "/orgs/{org}/admin/invitations/{id}/withdraw",
            post(withdraw_invitation),
        )
}

pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub joined: String,
    pub me: bool,
}

pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub role: String,
    pub expires: String,
    pub expired: bool,
}

#[derive(Template)]
#[template(path = "admin/members.html")]
struct Members {
    layout: Layout,
    base: String,
    can_write: bool,
    roles: &'static [OrgRole],
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    email: String,
    role: String,
    errors: FieldErrors,
    /// The link of the invitation just created, shown this once.
    link: Option<String>,
    /// The password reset link just issued and whose it is, shown this once.
    reset: Option<(String, String)>,
}

/// Renders the page; `view` fills in what a form post left.
async fn show<A>(
    state: &AppState,
    page: &Portal<OrgAccess<A>>,
    status: StatusCode,
    view: impl FnOnce(&mut Members),
) -> PageResult {
    let org = &page.access.org;
    let me = page.user.session.user.id;
    let now = state.clock.now();
    let mut members = Members {
        layout: page.layout(state, "Members", "members").await?,
        base: page.org_path("/admin"),
        can_write: page.access.grants.allows("members:write", &Resource::Any),
        roles: OrgRole::ALL,
        members: state
            .store
            .members(org.id)
            .await?
            .into_iter()
            .map(|m| MemberRow {
                id: m.user.id.to_string(),
                me: m.user.id == me,
                name: m.user.name,
                email: m.user.email,
                role: m.role.to_string(),
                joined: when(m.joined_at),
            })
            .collect(),
        invitations: state
            .store
            .invitations(org.id)
            .await?
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id.to_string(),
                email: i.email,
                role: i.role.to_string(),
                expires: when(i.expires_at),
                expired: i.expires_at <= now,
            })
            .collect(),
        email: String::new(),
        role: OrgRole::Member.to_string(),
        errors: FieldErrors::default(),
        link: None,
        reset: None,
    };
    view(&mut members);
    Ok(render_with(status, &members))
}

async fn page(State(state): State<AppState>, page: Portal<OrgAccess<MembersRead>>) -> PageResult {
    show(&state, &page, StatusCode::OK, |_| {}).await
}

fn members_path(page: &Portal<OrgAccess<MembersWrite>>) -> String {
    page.org_path("/admin/members")
}

/// A row action that the domain refused: the page again, with why.
async fn refused(
    state: &AppState,
    page: &Portal<OrgAccess<MembersWrite>>,
    e: crate::error::ApiError,
) -> PageResult {
    let errors = FieldErrors::whole(e)?;
    show(state, page, StatusCode::UNPROCESSABLE_ENTITY, |m| {
        m.errors = errors
    })
    .await
}

async fn set_role(
    State(state): State<AppState>,
    page: Portal<OrgAccess<MembersWrite>>,
    Path((_, user)): Path<(String, String)>,
    PostForm(form): PostForm,
) -> PageResult {
    let access = &page.access;
    let Ok(role) = form.get("role").parse::<OrgRole>() else {
        let e = crate::error::ApiError::validation("choose owner, admin or member");
        return refused(&state, &page, e).await;
    };
    match members::change_role(&state, access, &user, role).await {
        Ok(_) => Ok(done(&members_path(&page), "member-updated")),
        Err(e) => refused(&state, &page, e).await,
    }
}

async fn remove(
    State(state): State<AppState>,
    page: Portal<OrgAccess<MembersWrite>>,
    Path((_, user)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    let access = &page.access;
    match members::remove(&state, access, &user).await {
        Ok(()) => Ok(done(&members_path(&page), "member-removed")),
        Err(e) => refused(&state, &page, e).await,
    }
}

/// A link to this portal, as the browser reached it.
fn absolute(state: &AppState, headers: &HeaderMap, path: &str) -> String {
    let scheme = if secure(state, headers) {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}{path}")
}

/// Issues a password reset link, then shows it once, on this response only.
async fn reset_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Portal<OrgAccess<MembersWrite>>,
    Path((_, user)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    match passwords::issue(&state, &page.access, &user).await {
        Ok(issued) => {
            let link = absolute(&state, &headers, &issued.url());
            let name = state
                .store
                .user_by_id(issued.reset.user_id)
                .await?
                .map(|u| u.name)
                .unwrap_or_default();
            show(&state, &page, StatusCode::CREATED, |m| {
                m.reset = Some((name, link))
            })
            .await
        }
        Err(e) => refused(&state, &page, e).await,
    }
}

/// Invites, then shows the link once, on this response only.
async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Portal<OrgAccess<MembersWrite>>,
    PostForm(form): PostForm,
) -> PageResult {
    let access = &page.access;
    let email = form.get("email").to_owned();
    let role_text = form.get("role").to_owned();
    let result = match role_text.parse::<OrgRole>() {
        Ok(role) => invitations::invite(&state, access, &email, role).await,
        Err(e) => Err(crate::error::ApiError::validation(format!("role {e}"))),
    };
    match result {
        Ok(created) => {
            let link = absolute(&state, &headers, &created.accept_url());
            show(&state, &page, StatusCode::CREATED, |m| m.link = Some(link)).await
        }
        Err(e) => {
            let errors = FieldErrors::from_api(e, &[("email", "email"), ("role", "role")])?;
            show(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, |m| {
                m.email = email;
                m.role = role_text;
                m.errors = errors;
            })
            .await
        }
    }
}

async fn withdraw_invitation(
    State(state): State<AppState>,
    page: Portal<OrgAccess<MembersWrite>>,
    Path((_, id)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    match invitations::withdraw(&state, &page.access, &id).await {
        Ok(()) => Ok(done(&members_path(&page), "invitation-withdrawn")),
        Err(e) => refused(&state, &page, e).await,
    }
}
