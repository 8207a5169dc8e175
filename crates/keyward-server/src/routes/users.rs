//! `/api/v1/users/{user}`: enabling and disabling users (admin key).

use super::parse_id;
use crate::auth::AdminOnly;
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::eviction::Evict;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::{Path, State};
use keyward_core::access::User;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// A disabled user can't sign in, their sessions end for good (enabling
    /// them again revives none), and their personal keys stop working.
    pub enabled: bool,
}

/// Enable or disable a user everywhere.
#[utoipa::path(patch, path = "/api/v1/users/{user}", tag = "members",
    params(("user" = uuid::Uuid, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = Object), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    _: AdminOnly,
    Path(user): Path<String>,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<ApiJson<User>> {
    let updated = match parse_id(&user) {
        Some(id) => state.store.set_user_enabled(id, body.enabled).await?,
        None => None,
    }
    .ok_or_else(|| ApiError::new(Code::NotFound, format!("user {user} was not found")))?;
    state.cache.retire(Evict::Principal(updated.id));
    Ok(ApiJson(updated))
}
