//! `/api/v1/users/{user}`: enabling and disabling users (admin key).

use crate::auth::AdminOnly;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::openapi::REFUSED;
use crate::ops::users;
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
#[utoipa::path(patch, operation_id = "updateUser", path = "/api/v1/users/{user}", tag = "members",
    params(("user" = uuid::Uuid, Path)),
    request_body = UpdateUserRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = User, description = "The changed user"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn update(
    State(state): State<AppState>,
    admin: AdminOnly,
    Path(user): Path<String>,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<ApiJson<User>> {
    let updated = users::set_enabled(&state, &admin.meta, &user, body.enabled).await?;
    Ok(ApiJson(updated))
}
