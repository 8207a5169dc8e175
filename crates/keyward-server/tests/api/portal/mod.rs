//! The web portal: its security with plain HTTP (CSRF, headers, cookies,
//! sessions), and its flows in a real headless Chromium.

mod accessibility;
mod admin;
mod api_writes;
mod browser;
mod http;
mod invitations;
mod key_form;
mod keys;
mod leak_report;
mod lifecycle;
mod passwords;
mod people;
mod screenshots;
mod security;
mod webhooks;

use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use chrono::Utc;
use keyward_core::access::{OrgRole, User};
use uuid::Uuid;

pub const ORG: &str = "acme";
pub const OWNER: &str = "owner@acme.test";
pub const MEMBER: &str = "member@acme.test";
pub const PASSWORD: &str = "correct horse battery staple";

/// An app with the organization `acme`, its owner and a plain member.
pub async fn portal_app() -> TestApp {
    let app = spawn_app(&Backend::Sqlite).await;
    app.create_org("Acme").await;
    add_user(&app, OWNER, "Olivia Owner", OrgRole::Owner).await;
    add_user(&app, MEMBER, "Max Member", OrgRole::Member).await;
    app
}

/// A user of `acme` with [`PASSWORD`].
pub async fn add_user(app: &TestApp, email: &str, name: &str, role: OrgRole) -> Uuid {
    let store = &app.state.store;
    let org = store.find_org(ORG).await.unwrap().expect("the org");
    let user = User {
        id: Uuid::now_v7(),
        email: email.to_owned(),
        name: name.to_owned(),
        enabled: true,
        created_at: Utc::now(),
    };
    let hash = keyward_server::passwords::hash(PASSWORD, &mut Default::default()).unwrap();
    store.create_user(&user, &hash).await.unwrap();
    store
        .add_member(org.id, user.id, role, Utc::now())
        .await
        .unwrap();
    user.id
}

/// `/orgs/acme` followed by `rest`.
pub fn org_path(rest: &str) -> String {
    format!("/orgs/{ORG}{rest}")
}
