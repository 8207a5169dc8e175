//! Administration for owners and admins: members and invitations, teams,
//! roles, groups, service accounts and the permission catalog. Each page
//! requires what the matching API route requires.

mod groups;
mod members;
mod permissions;
mod roles;
mod service_accounts;
mod teams;

use crate::state::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(members::routes())
        .merge(teams::routes())
        .merge(roles::routes())
        .merge(groups::routes())
        .merge(service_accounts::routes())
        .merge(permissions::routes())
}
