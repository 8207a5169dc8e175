//! "Organization » Webhooks": create an endpoint (its signing secret shown
//! in the answer to the creating POST, once, and never stored in the
//! browser), pick its events, see which endpoints fail or were disabled,
//! read an endpoint's delivery log and retry a delivery.

use super::errors::{FieldErrors, PageResult};
use super::form::PostForm;
use super::page::{Layout, Portal, done, render_with};
use crate::auth::{OrgAccess, WebhooksWrite};
use crate::ops::actions;
use crate::ops::webhooks::{self, WebhookInput};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use keyward_core::webhook::{KEY_EXPIRED, KEY_EXPIRING, Webhook};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/webhooks", get(list).post(create))
        .route("/orgs/{org}/webhooks/{webhook}", get(deliveries))
        .route("/orgs/{org}/webhooks/{webhook}/delete", post(delete))
        .route(
            "/orgs/{org}/webhooks/{webhook}/deliveries/{delivery}/retry",
            post(retry),
        )
}

/// The events the picker offers; more can be typed in.
fn offered() -> Vec<String> {
    let mut events: Vec<String> = vec!["*".into(), "key.*".into(), "member.*".into()];
    for action in [
        actions::KEY_CREATED,
        actions::KEY_UPDATED,
        actions::KEY_DISABLED,
        actions::KEY_ENABLED,
        actions::KEY_REVOKED,
        actions::KEY_ROLLED,
        KEY_EXPIRING,
        KEY_EXPIRED,
        actions::MEMBER_JOINED,
        actions::MEMBER_REMOVED,
        actions::MEMBER_ROLE_CHANGED,
    ] {
        events.push(action.to_string());
    }
    events
}

pub struct Row {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: String,
    pub state: String,
}

fn row(webhook: &Webhook) -> Row {
    let state = match (webhook.enabled, webhook.disabled_at, webhook.failing_since) {
        (false, Some(at), _) => format!(
            "disabled on {} after failing for 5 days",
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        (false, None, _) => "disabled".to_owned(),
        (true, _, Some(since)) => format!("failing since {}", since.format("%Y-%m-%d %H:%M UTC")),
        (true, _, None) => "active".to_owned(),
    };
    Row {
        id: webhook.id.to_string(),
        url: webhook.url.clone(),
        description: webhook.description.clone(),
        events: webhook
            .events
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        state,
    }
}

pub struct Choice {
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct Webhooks {
    layout: Layout,
    base: String,
    rows: Vec<Row>,
    /// Endpoints keyward disabled, for the notice at the top.
    disabled: Vec<String>,
    choices: Vec<Choice>,
    url: String,
    description: String,
    other_events: String,
    /// The new endpoint and its secret, right after creation only.
    created: Option<(String, String)>,
    errors: FieldErrors,
}

async fn show(
    state: &AppState,
    page: &Portal<OrgAccess<WebhooksWrite>>,
    form: Option<&super::form::FormData>,
    created: Option<(String, String)>,
    errors: FieldErrors,
) -> PageResult {
    let found = state.store.webhooks(page.access.org.id).await?;
    let picked: Vec<&str> = form.map(|f| f.all("events").collect()).unwrap_or_default();
    let view = Webhooks {
        layout: page.layout(state, "Webhooks", "webhooks").await?,
        base: page.org_path("/webhooks"),
        disabled: found
            .iter()
            .filter(|w| w.disabled_at.is_some() && !w.enabled)
            .map(|w| w.url.clone())
            .collect(),
        rows: found.iter().map(row).collect(),
        choices: offered()
            .into_iter()
            .map(|name| Choice {
                checked: picked.contains(&name.as_str()),
                name,
            })
            .collect(),
        url: form.map(|f| f.get("url").to_owned()).unwrap_or_default(),
        description: form
            .map(|f| f.get("description").to_owned())
            .unwrap_or_default(),
        other_events: form
            .map(|f| f.get("other_events").to_owned())
            .unwrap_or_default(),
        created,
        errors,
    };
    let status = view.errors.status();
    Ok(render_with(status, &view))
}

async fn list(State(state): State<AppState>, page: Portal<OrgAccess<WebhooksWrite>>) -> PageResult {
    show(&state, &page, None, None, FieldErrors::default()).await
}

/// Creates the endpoint and answers with its secret, this once.
async fn create(
    State(state): State<AppState>,
    page: Portal<OrgAccess<WebhooksWrite>>,
    PostForm(form): PostForm,
) -> PageResult {
    let mut events: Vec<String> = form.all("events").map(str::to_owned).collect();
    events.extend(
        form.get("other_events")
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned),
    );
    let description = form.get("description").trim();
    let input = WebhookInput {
        url: Some(form.get("url").trim().to_owned()),
        events: Some(events),
        description: (!description.is_empty()).then(|| description.to_owned()),
        enabled: None,
    };
    match webhooks::create(&state, &page.access, input).await {
        Ok((webhook, secret)) => {
            let created = Some((webhook.url.clone(), secret.expose().to_owned()));
            show(&state, &page, None, created, FieldErrors::default()).await
        }
        Err(e) => {
            let errors = FieldErrors::from_api(e, &[("url", "url"), ("event", "events")])?;
            show(&state, &page, Some(&form), None, errors).await
        }
    }
}

async fn delete(
    State(state): State<AppState>,
    page: Portal<OrgAccess<WebhooksWrite>>,
    Path((_, id)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    let webhook = webhooks::find(&state, page.access.org.id, &id).await?;
    webhooks::delete(&state, &page.access, &webhook).await?;
    Ok(done(&page.org_path("/webhooks"), "webhook-deleted"))
}

pub struct DeliveryRow {
    pub id: i64,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub response: String,
    pub latency: String,
    pub next_attempt: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "webhook_deliveries.html")]
struct Deliveries {
    layout: Layout,
    base: String,
    webhook: Row,
    deliveries: Vec<DeliveryRow>,
}

async fn deliveries(
    State(state): State<AppState>,
    page: Portal<OrgAccess<WebhooksWrite>>,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let org = page.access.org.id;
    let webhook = webhooks::find(&state, org, &id).await?;
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let deliveries = state
        .store
        .deliveries(org, webhook.id, None, 100)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.id,
            event_type: d.event_type,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            response: match (d.response_status, d.last_error) {
                (Some(code), _) => code.to_string(),
                (None, Some(error)) => error,
                (None, None) => "—".to_owned(),
            },
            latency: d
                .latency_ms
                .map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms")),
            next_attempt: match (d.status.as_str(), d.next_attempt_at) {
                ("pending", Some(at)) => time(at),
                ("pending", None) => "now".to_owned(),
                _ => "—".to_owned(),
            },
            created: time(d.created_at),
        })
        .collect();
    let view = Deliveries {
        layout: page
            .layout(&state, "Webhook deliveries", "webhooks")
            .await?,
        base: page.org_path(&format!("/webhooks/{}", webhook.id)),
        webhook: row(&webhook),
        deliveries,
    };
    Ok(render_with(StatusCode::OK, &view))
}

async fn retry(
    State(state): State<AppState>,
    page: Portal<OrgAccess<WebhooksWrite>>,
    Path((_, id, delivery)): Path<(String, String, String)>,
    PostForm(_): PostForm,
) -> PageResult {
    let webhook = webhooks::find(&state, page.access.org.id, &id).await?;
    webhooks::retry(&state, &page.access, &webhook, &delivery).await?;
    Ok(done(
        &page.org_path(&format!("/webhooks/{}", webhook.id)),
        "delivery-retried",
    ))
}
