//! `/api/v1/orgs/{org}/webhooks`: endpoints receiving signed events, their
//! deliveries and retries; `/api/v1/orgs/{org}/webhook-settings`: when
//! `key.expiring` goes. Everything needs `webhooks:write`: an endpoint's
//! URL and its deliveries are for those who manage them.

use crate::auth::{OrgAccess, WebhooksWrite};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::openapi::REFUSED;
use crate::ops::webhooks::{self, WebhookInput};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use keyward_core::webhook::{Delivery, SigningSecret, Webhook};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const PAGE_DEFAULT: u32 = 50;
const PAGE_MAX: u32 = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// `https://…`, reaching a public address.
    #[schema(pattern = "^https://[^/?#@]+([/?#].*)?$", max_length = 2048)]
    pub url: String,
    /// Event types or patterns: `key.revoked`, `key.*`, `*`.
    pub events: Vec<String>,
    pub description: Option<String>,
    /// `true` if absent.
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    /// `https://…`, reaching a public address.
    #[schema(pattern = "^https://[^/?#@]+([/?#].*)?$", max_length = 2048)]
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// Enabling an endpoint again forgets that it was failing.
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettingsBody {
    /// Days before a key's expiry that `key.expiring` goes, 1 to 365.
    #[schema(minimum = 1, maximum = 365)]
    pub expiring_days: u32,
}

/// An endpoint, as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    #[schema(value_type = Vec<String>)]
    pub events: Vec<String>,
    pub description: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Since when every attempt failed, while they do.
    pub failing_since: Option<DateTime<Utc>>,
    /// Set when keyward disabled it after 5 days of failures.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Until when deliveries carry the rolled secret's signature too.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// `whsec_…`: only when created or rolled, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookView {
    fn new(webhook: Webhook, secret: Option<SigningSecret>) -> Self {
        Self {
            id: webhook.id,
            url: webhook.url,
            events: webhook.events.iter().map(ToString::to_string).collect(),
            description: webhook.description,
            enabled: webhook.enabled,
            created_at: webhook.created_at,
            updated_at: webhook.updated_at,
            failing_since: webhook.failing_since,
            disabled_at: webhook.disabled_at,
            previous_secret_until: webhook.previous_secret_until,
            secret: secret.map(|s| s.expose().to_owned()),
        }
    }
}

/// One delivery: its status, attempts, last answer and next attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub webhook_id: Uuid,
    pub message_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub response_status: Option<i32>,
    pub latency_ms: Option<i64>,
    pub last_error: Option<String>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            message_id: d.message_id,
            event_type: d.event_type,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            created_at: d.created_at,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            response_status: d.response_status,
            latency_ms: d.latency_ms,
            last_error: d.last_error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    /// Pass as `cursor` for older deliveries; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestQueued {
    /// The test message's delivery, in the delivery log.
    pub delivery_id: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^(-?[0-9]{1,18})?$")]
    pub cursor: Option<String>,
}

fn input(
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    enabled: Option<bool>,
) -> WebhookInput {
    WebhookInput {
        url,
        events,
        description,
        enabled,
    }
}

/// The organization's webhooks (without their secrets).
#[utoipa::path(get, operation_id = "listWebhooks", path = "/api/v1/orgs/{org}/webhooks", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id or slug")),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = Vec<WebhookView>, description = "The organization's webhooks"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn list(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
) -> ApiResult<ApiJson<Vec<WebhookView>>> {
    let found = state.store.webhooks(access.org.id).await?;
    Ok(ApiJson(
        found
            .into_iter()
            .map(|w| WebhookView::new(w, None))
            .collect(),
    ))
}

/// Create a webhook; its signing secret (`whsec_…`) is in this answer only.
#[utoipa::path(post, operation_id = "createWebhook", path = "/api/v1/orgs/{org}/webhooks", tag = "webhooks",
    params(("org" = String, Path, description = "Organization id or slug")),
    request_body = CreateWebhookRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 201, body = WebhookView, description = "The new webhook, its signing secret shown this once"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn create(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
    ApiJson(body): ApiJson<CreateWebhookRequest>,
) -> ApiResult<(StatusCode, ApiJson<WebhookView>)> {
    let asked = input(
        Some(body.url),
        Some(body.events),
        body.description,
        body.enabled,
    );
    let (webhook, secret) = webhooks::create(&state, &access, asked).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(WebhookView::new(webhook, Some(secret))),
    ))
}

/// Read a webhook (without its secret).
#[utoipa::path(get, operation_id = "getWebhook", path = "/api/v1/orgs/{org}/webhooks/{webhook}", tag = "webhooks",
    params(("org" = String, Path), ("webhook" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = WebhookView, description = "The webhook"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn get(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<WebhookView>> {
    let webhook = webhooks::find(&state, access.org.id, &path.1).await?;
    Ok(ApiJson(WebhookView::new(webhook, None)))
}

/// Change a webhook's URL, events, description or whether it is enabled.
#[utoipa::path(patch, operation_id = "updateWebhook", path = "/api/v1/orgs/{org}/webhooks/{webhook}", tag = "webhooks",
    params(("org" = String, Path), ("webhook" = Uuid, Path)),
    request_body = UpdateWebhookRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = WebhookView, description = "The changed webhook"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn update(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateWebhookRequest>,
) -> ApiResult<ApiJson<WebhookView>> {
    let webhook = webhooks::find(&state, access.org.id, &path.1).await?;
    let asked = input(body.url, body.events, body.description, body.enabled);
    let updated = webhooks::update(&state, &access, &webhook, asked).await?;
    Ok(ApiJson(WebhookView::new(updated, None)))
}

/// Delete a webhook and its deliveries.
#[utoipa::path(delete, operation_id = "deleteWebhook", path = "/api/v1/orgs/{org}/webhooks/{webhook}", tag = "webhooks",
    params(("org" = String, Path), ("webhook" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 204, description = "The webhook is deleted"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn delete(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let webhook = webhooks::find(&state, access.org.id, &path.1).await?;
    webhooks::delete(&state, &access, &webhook).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a `webhook.test` event to the webhook.
#[utoipa::path(post, operation_id = "testWebhook", path = "/api/v1/orgs/{org}/webhooks/{webhook}/test", tag = "webhooks",
    params(("org" = String, Path), ("webhook" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 202, body = TestQueued, description = "A test delivery is queued"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn test(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<(StatusCode, ApiJson<TestQueued>)> {
    let webhook = webhooks::find(&state, access.org.id, &path.1).await?;
    let delivery_id = webhooks::test(&state, &access, &webhook).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(TestQueued { delivery_id })))
}

/// Roll the signing secret: the new one is in this answer only; the old
/// one signs too for 24 hours.
#[utoipa::path(post, operation_id = "rollWebhookSecret", path = "/api/v1/orgs/{org}/webhooks/{webhook}/roll-secret", tag = "webhooks",
    params(("org" = String, Path), ("webhook" = Uuid, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = WebhookView, description = "The webhook with its new signing secret, shown this once"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn roll_secret(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
    Path(path): Path<(String, String)>,
) -> ApiResult<ApiJson<WebhookView>> {
    let webhook = webhooks::find(&state, access.org.id, &path.1).await?;
    let (rolled, secret) = webhooks::roll_secret(&state, &access, &webhook).await?;
    Ok(ApiJson(WebhookView::new(rolled, Some(secret))))
}

/// The webhook's deliveries, newest first.
#[utoipa::path(get, operation_id = "listWebhookDeliveries", path = "/api/v1/orgs/{org}/webhooks/{webhook}/deliveries", tag = "webhooks",
    params(("org" = String, Path), ("webhook" = Uuid, Path), DeliveryParams),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = DeliveryPage, description = "One page of the webhook's deliveries, newest first"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn deliveries(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
    Path(path): Path<(String, String)>,
    ApiQuery(params): ApiQuery<DeliveryParams>,
) -> ApiResult<ApiJson<DeliveryPage>> {
    let webhook = webhooks::find(&state, access.org.id, &path.1).await?;
    let limit = params.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::validation(format!(
            "limit must be between 1 and {PAGE_MAX}"
        )));
    }
    let before = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| ApiError::validation("cursor is not one this server gave out"))?,
        ),
    };
    let found = state
        .store
        .deliveries(access.org.id, webhook.id, before, limit)
        .await?;
    let next_cursor = (found.len() == limit as usize)
        .then(|| found.last().map(|d| d.id.to_string()))
        .flatten();
    Ok(ApiJson(DeliveryPage {
        items: found.into_iter().map(DeliveryView::from).collect(),
        next_cursor,
    }))
}

/// Send a delivery again (with a new 24-hour retry window).
#[utoipa::path(post, operation_id = "retryWebhookDelivery", path = "/api/v1/orgs/{org}/webhooks/{webhook}/deliveries/{delivery}/retry",
    tag = "webhooks",
    params(("org" = String, Path), ("webhook" = Uuid, Path), ("delivery" = i64, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 202, body = DeliveryView, description = "The delivery is queued again"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn retry(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<(StatusCode, ApiJson<DeliveryView>)> {
    let webhook = webhooks::find(&state, access.org.id, &path.1).await?;
    let retried = webhooks::retry(&state, &access, &webhook, &path.2).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(retried.into())))
}

/// When `key.expiring` goes for the organization's keys.
#[utoipa::path(get, operation_id = "getWebhookSettings", path = "/api/v1/orgs/{org}/webhook-settings", tag = "webhooks",
    params(("org" = String, Path)),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = WebhookSettingsBody, description = "The organization's webhook settings"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn settings(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
) -> ApiResult<ApiJson<WebhookSettingsBody>> {
    let days = state.store.expiring_days(access.org.id).await?;
    Ok(ApiJson(WebhookSettingsBody {
        expiring_days: days.unwrap_or(state.settings.webhooks.expiring_days),
    }))
}

/// Set how many days before a key's expiry `key.expiring` goes.
#[utoipa::path(put, operation_id = "updateWebhookSettings", path = "/api/v1/orgs/{org}/webhook-settings", tag = "webhooks",
    params(("org" = String, Path)),
    request_body = WebhookSettingsBody,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = WebhookSettingsBody, description = "The changed webhook settings"), (status = "4XX", body = ErrorBody, description = REFUSED)))]
pub async fn update_settings(
    State(state): State<AppState>,
    access: OrgAccess<WebhooksWrite>,
    ApiJson(body): ApiJson<WebhookSettingsBody>,
) -> ApiResult<ApiJson<WebhookSettingsBody>> {
    let expiring_days = webhooks::set_expiring_days(&state, &access, body.expiring_days).await?;
    Ok(ApiJson(WebhookSettingsBody { expiring_days }))
}
