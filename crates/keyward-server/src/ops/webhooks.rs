//! Webhooks: an organization's endpoints, their signing secrets (shown
//! once), test messages and retries; and the changes keyward makes itself
//! (disabling an endpoint that failed for 5 days, noting expiring keys).

use super::actions::{
    KEY_EXPIRED, KEY_EXPIRING, WEBHOOK_CREATED, WEBHOOK_DELETED, WEBHOOK_DELIVERY_RETRIED,
    WEBHOOK_DISABLED, WEBHOOK_SECRET_ROLLED, WEBHOOK_SETTINGS_UPDATED, WEBHOOK_TESTED,
    WEBHOOK_UPDATED,
};
use super::commit::{By, Change, commit};
use super::rules::{check_description, parse_id, truncate};
use crate::ctx::{Ctx, RequestMeta};
use crate::error::{ApiError, ApiResult, Code};
use crate::state::AppState;
use crate::webhooks::settings::MAX_EXPIRING_DAYS;
use crate::webhooks::targets::{self, Refused};
use futures::FutureExt;
use keyward_core::audit::{ActorKind, Party};
use keyward_core::webhook::{
    self, Delivery, EventPattern, MAX_EVENTS, SigningSecret, WEBHOOK_TEST, Webhook,
};
use keyward_store::{ExpiryNotice, NewMessage, StoreError, WebhookPatch};
use serde_json::json;
use uuid::Uuid;

/// How long a rolled secret keeps signing beside the new one.
pub const ROLL_OVERLAP_HOURS: i64 = 24;

/// What a caller asks for when creating or changing an endpoint.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// The endpoint the path names, in the caller's organization.
pub async fn find(state: &AppState, org: Uuid, raw: &str) -> ApiResult<Webhook> {
    let missing = || {
        ApiError::new(
            Code::WebhookNotFound,
            format!("webhook {raw} was not found"),
        )
    };
    let id = parse_id(raw).ok_or_else(missing)?;
    state.store.webhook(org, id).await?.ok_or_else(missing)
}

/// 422 `WEBHOOK_URL_NOT_ALLOWED` unless `raw` may be an endpoint's URL.
async fn check_url(state: &AppState, raw: &str) -> ApiResult<String> {
    let allow_private = state.settings.webhooks.allow_private_targets;
    crate::extract::check_line("url", raw)?;
    match targets::check(raw.trim(), allow_private).await {
        Ok(target) => Ok(target.url.to_string()),
        Err(refused) => {
            let rule = match refused {
                Refused::Malformed | Refused::TooLong => "url",
                Refused::NotHttps => "https",
                Refused::Unresolved(_) => "resolvable",
                Refused::Private(_) => "public_address",
            };
            Err(
                ApiError::new(Code::WebhookUrlNotAllowed, format!("url: {refused}"))
                    .with_details(json!({ "rule": rule })),
            )
        }
    }
}

fn check_events(raw: &[String]) -> ApiResult<Vec<EventPattern>> {
    if raw.is_empty() || raw.len() > MAX_EVENTS {
        return Err(ApiError::validation(format!(
            "events must list 1 to {MAX_EVENTS} event types or patterns (`*`, `key.*`, `member.removed`)"
        )));
    }
    let mut patterns: Vec<EventPattern> = Vec::with_capacity(raw.len());
    for text in raw {
        let pattern = EventPattern::parse(text).map_err(|e| {
            ApiError::validation(e.to_string()).with_details(json!({ "event": text }))
        })?;
        if !patterns.contains(&pattern) {
            patterns.push(pattern);
        }
    }
    Ok(patterns)
}

fn check_text(description: Option<String>) -> ApiResult<Option<String>> {
    if let Some(text) = &description {
        crate::extract::check_text("description", text)?;
    }
    check_description(description)
}

/// How the audit log names an endpoint: its description, or its URL
/// without what may be secret in it.
fn label(webhook: &Webhook) -> String {
    if webhook.description.is_empty() {
        targets::redacted(&webhook.url)
    } else {
        webhook.description.clone()
    }
}

fn event_names(events: &[EventPattern]) -> Vec<String> {
    events.iter().map(ToString::to_string).collect()
}

fn change(action: keyward_core::audit::Action, webhook: &Webhook) -> Change {
    Change::new(action, Some(webhook.organization_id)).target("webhook", webhook.id, label(webhook))
}

/// Creates an endpoint; its secret is returned this once.
pub async fn create(
    state: &AppState,
    ctx: &Ctx,
    input: WebhookInput,
) -> ApiResult<(Webhook, SigningSecret)> {
    let url = match &input.url {
        Some(url) => check_url(state, url).await?,
        None => return Err(ApiError::validation("url is required")),
    };
    let events = check_events(input.events.as_deref().unwrap_or_default())?;
    let now = truncate(state.clock.now());
    let webhook = Webhook {
        id: Uuid::now_v7(),
        organization_id: ctx.org.id,
        url,
        description: check_text(input.description)?.unwrap_or_default(),
        events,
        enabled: input.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
        failing_since: None,
        disabled_at: None,
        previous_secret_until: None,
    };
    let secret = SigningSecret::generate();
    let change = change(WEBHOOK_CREATED, &webhook)
        .detail("url", targets::redacted(&webhook.url))
        .detail("events", event_names(&webhook.events));
    let (stored, stored_secret) = (webhook.clone(), secret.clone());
    commit(state, ctx.by(), change, |store| {
        async move { store.create_webhook(&stored, &stored_secret).await }.boxed()
    })
    .await?;
    Ok((webhook, secret))
}

/// Changes an endpoint's URL, events, description or whether it is enabled.
pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    webhook: &Webhook,
    input: WebhookInput,
) -> ApiResult<Webhook> {
    let url = match &input.url {
        Some(url) => Some(check_url(state, url).await?),
        None => None,
    };
    let events = input.events.as_deref().map(check_events).transpose()?;
    let patch = WebhookPatch {
        url,
        description: check_text(input.description)?,
        events,
        enabled: input.enabled,
    };
    let redacted_new = patch.url.as_deref().map(targets::redacted);
    let change = change(WEBHOOK_UPDATED, webhook)
        .changed(
            "url",
            &targets::redacted(&webhook.url),
            redacted_new.as_ref(),
        )
        .changed(
            "events",
            &event_names(&webhook.events),
            patch.events.as_deref().map(event_names).as_ref(),
        )
        .changed(
            "description",
            &webhook.description,
            patch.description.as_ref(),
        )
        .changed("enabled", &webhook.enabled, patch.enabled.as_ref());
    let (org, id) = (webhook.organization_id, webhook.id);
    let at = truncate(state.clock.now());
    let updated = commit(state, ctx.by(), change, |store| {
        async move { store.update_webhook(org, id, &patch, at).await }.boxed()
    })
    .await?;
    updated
        .ok_or_else(|| ApiError::new(Code::WebhookNotFound, format!("webhook {id} was not found")))
}

/// Deletes an endpoint and its deliveries.
pub async fn delete(state: &AppState, ctx: &Ctx, webhook: &Webhook) -> ApiResult<()> {
    let (org, id) = (webhook.organization_id, webhook.id);
    let done = commit(state, ctx.by(), change(WEBHOOK_DELETED, webhook), |store| {
        async move { store.delete_webhook(org, id).await }.boxed()
    })
    .await?;
    if done {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::WebhookNotFound,
            format!("webhook {id} was not found"),
        ))
    }
}

/// A new secret, returned this once; the old one signs too for 24 hours.
pub async fn roll_secret(
    state: &AppState,
    ctx: &Ctx,
    webhook: &Webhook,
) -> ApiResult<(Webhook, SigningSecret)> {
    let (org, id) = (webhook.organization_id, webhook.id);
    let at = truncate(state.clock.now());
    let until = at + chrono::Duration::hours(ROLL_OVERLAP_HOURS);
    let secret = SigningSecret::generate();
    let stored = secret.clone();
    let change = change(WEBHOOK_SECRET_ROLLED, webhook).detail("previous_secret_until", until);
    let rolled = commit(state, ctx.by(), change, |store| {
        async move { store.roll_webhook_secret(org, id, &stored, until, at).await }.boxed()
    })
    .await?
    .ok_or_else(|| ApiError::new(Code::WebhookNotFound, format!("webhook {id} was not found")))?;
    Ok((rolled, secret))
}

/// Queues a `webhook.test` message to the endpoint; its delivery's id.
pub async fn test(state: &AppState, ctx: &Ctx, webhook: &Webhook) -> ApiResult<i64> {
    let (org, id) = (webhook.organization_id, webhook.id);
    let at = truncate(state.clock.now());
    let message_id = webhook::message_id(Uuid::now_v7());
    let body = webhook::body(
        WEBHOOK_TEST,
        at,
        json!({ "webhook_id": id, "organization_id": org, "message": "a test event from keyward" }),
    );
    let message = NewMessage {
        message_id,
        event_type: WEBHOOK_TEST.to_owned(),
        body,
    };
    let queued = commit(state, ctx.by(), change(WEBHOOK_TESTED, webhook), |store| {
        async move { store.enqueue_message(org, id, &message, at).await }.boxed()
    })
    .await?;
    state.outbox.poke();
    queued
        .ok_or_else(|| ApiError::new(Code::WebhookNotFound, format!("webhook {id} was not found")))
}

/// Sends a delivery again, with a new 24-hour retry window.
pub async fn retry(
    state: &AppState,
    ctx: &Ctx,
    webhook: &Webhook,
    raw: &str,
) -> ApiResult<Delivery> {
    let missing = || {
        ApiError::new(
            Code::DeliveryNotFound,
            format!("delivery {raw} was not found"),
        )
    };
    let delivery: i64 = raw.parse().map_err(|_| missing())?;
    let (org, id) = (webhook.organization_id, webhook.id);
    let at = truncate(state.clock.now());
    let change = change(WEBHOOK_DELIVERY_RETRIED, webhook).detail("delivery", delivery);
    let retried = commit(state, ctx.by(), change, |store| {
        async move { store.retry_delivery(org, id, delivery, at).await }.boxed()
    })
    .await?;
    state.outbox.poke();
    retried.ok_or_else(missing)
}

/// Sets how many days before a key's expiry `key.expiring` goes.
pub async fn set_expiring_days(state: &AppState, ctx: &Ctx, days: u32) -> ApiResult<u32> {
    if !(1..=MAX_EXPIRING_DAYS).contains(&days) {
        return Err(ApiError::validation(format!(
            "expiring_days must be 1 to {MAX_EXPIRING_DAYS}"
        )));
    }
    let org = ctx.org.id;
    let change = Change::new(WEBHOOK_SETTINGS_UPDATED, Some(org))
        .target("org", org, &ctx.org.name)
        .detail("expiring_days", days);
    commit(state, ctx.by(), change, |store| {
        async move { store.set_expiring_days(org, days).await }.boxed()
    })
    .await?;
    Ok(days)
}

/// keyward itself, as the actor of what it does on its own.
fn system() -> By<'static> {
    static NO_REQUEST: RequestMeta = RequestMeta {
        request_id: None,
        ip: None,
        user_agent: None,
    };
    By {
        actor: Party {
            kind: ActorKind::System,
            id: "keyward".to_owned(),
            name: "keyward".to_owned(),
        },
        meta: &NO_REQUEST,
    }
}

/// Disables an endpoint that failed for 5 days; its owners see it in the
/// portal. Logged, not returned: the sender carries on.
pub async fn disable_failing(state: &AppState, org: Uuid, id: Uuid) {
    let webhook = match state.store.webhook(org, id).await {
        Ok(Some(webhook)) => webhook,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(%error, %id, "a failing webhook could not be read");
            return;
        }
    };
    let at = truncate(state.clock.now());
    let change = change(WEBHOOK_DISABLED, &webhook).detail("failing_since", webhook.failing_since);
    let done = commit(state, system(), change, |store| {
        async move { store.disable_failing_webhook(org, id, at).await }.boxed()
    })
    .await;
    match done {
        Ok(true) => tracing::warn!(%id, %org, "a webhook failing for 5 days was disabled"),
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, %id, "a failing webhook could not be disabled"),
    }
}

/// Which notice a key gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryKind {
    Expiring,
    Expired,
}

/// Records `key.expiring` or `key.expired` for a key, once; whether it did.
pub async fn note_expiry(
    state: &AppState,
    notice: &ExpiryNotice,
    kind: ExpiryKind,
) -> Result<bool, StoreError> {
    let (action, name) = match kind {
        ExpiryKind::Expiring => (KEY_EXPIRING, "expiring"),
        ExpiryKind::Expired => (KEY_EXPIRED, "expired"),
    };
    let change = Change::new(action, Some(notice.organization_id))
        .target("key", notice.key_id, &notice.name)
        .detail("expires_at", notice.expires_at);
    let (key, at) = (notice.key_id, truncate(state.clock.now()));
    let noted = commit(state, system(), change, |store| {
        async move { store.note_key_expiry(key, name, at).await }.boxed()
    })
    .await?;
    Ok(noted)
}
