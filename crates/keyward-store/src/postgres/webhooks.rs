//! Webhooks on PostgreSQL. Nodes share the outbox: an endpoint's lease,
//! claimed by one atomic UPDATE, lets one node at a time send its deliveries.

use super::PostgresStore;
use crate::Result;
use crate::error::corrupt;
use crate::webhooks::{
    Attempt, AttemptOutcome, Due, ExpiryNotice, NewMessage, WebhookPatch, WebhookStore,
};
use crate::write::Write;
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use keyward_core::audit::{AuditEvent, Outcome};
use keyward_core::webhook::{
    Delivery, DeliveryStatus, EventPattern, Secrets, SigningSecret, Webhook, event_body, message_id,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use std::collections::HashMap;
use uuid::Uuid;

const WEBHOOK_COLUMNS: &str = "id, organization_id, url, description, enabled, created_at, \
     updated_at, failing_since, disabled_at, previous_secret_until";
const DELIVERY_COLUMNS: &str = "id, webhook_id, message_id, event_type, status, attempts, \
     created_at, next_attempt_at, last_attempt_at, response_status, latency_ms, last_error";

/// Inserts, on `conn` in its transaction, the outbox rows `event` makes:
/// one per enabled endpoint of its organization that wants it. Denied
/// attempts and events outside an organization make none. Called under
/// the organization's chain lock, so ids follow the commit order.
pub(crate) async fn insert_outbox(conn: &mut PgConnection, event: &AuditEvent) -> Result<()> {
    let Some(org) = event.organization_id else {
        return Ok(());
    };
    if event.outcome != Outcome::Success {
        return Ok(());
    }
    let kind = event.action.to_string();
    let at = event.at.trunc_subsecs(3);
    sqlx::query(
        "INSERT INTO webhook_deliveries (webhook_id, message_id, event_type, body, status, \
           attempts, created_at, window_start, next_attempt_at) \
         SELECT w.id, $1, $2, $3, 'pending', 0, $4, $4, NULL FROM webhooks w \
         WHERE w.organization_id = $5 AND w.enabled AND EXISTS (SELECT 1 FROM webhook_events e \
           WHERE e.webhook_id = w.id AND (e.pattern = $2 \
             OR (e.is_prefix AND substr($2, 1, length(e.pattern)) = e.pattern))) \
         ORDER BY w.id",
    )
    .bind(message_id(event.id))
    .bind(&kind)
    .bind(event_body(event))
    .bind(at)
    .bind(org)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn webhook_from_row(row: &PgRow, events: &mut HashMap<Uuid, Vec<EventPattern>>) -> Result<Webhook> {
    let id: Uuid = row.try_get("id")?;
    Ok(Webhook {
        id,
        organization_id: row.try_get("organization_id")?,
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        events: events.remove(&id).unwrap_or_default(),
        enabled: row.try_get("enabled")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        failing_since: row.try_get("failing_since")?,
        disabled_at: row.try_get("disabled_at")?,
        previous_secret_until: row.try_get("previous_secret_until")?,
    })
}

fn delivery_from_row(row: &PgRow) -> Result<Delivery> {
    let status: String = row.try_get("status")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        message_id: row.try_get("message_id")?,
        event_type: row.try_get("event_type")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("delivery status {status:?}")))?,
        attempts: row.try_get("attempts")?,
        created_at: row.try_get("created_at")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        response_status: row.try_get("response_status")?,
        latency_ms: row.try_get("latency_ms")?,
        last_error: row.try_get("last_error")?,
    })
}

fn secret(text: String) -> Result<SigningSecret> {
    SigningSecret::parse(&text).map_err(|_| corrupt("a webhook's secret is malformed"))
}

fn notice_from_row(row: &PgRow) -> Result<ExpiryNotice> {
    Ok(ExpiryNotice {
        key_id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        expires_at: row.try_get("expires_at")?,
    })
}

impl PostgresStore {
    async fn events_of(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<EventPattern>>> {
        let mut out: HashMap<Uuid, Vec<EventPattern>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut query = QueryBuilder::<Postgres>::new(
            "SELECT webhook_id, pattern, is_prefix FROM webhook_events WHERE webhook_id IN (",
        );
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(") ORDER BY webhook_id, position");
        for row in query.build().fetch_all(&self.pool).await? {
            let pattern: String = row.try_get(1)?;
            let parsed = EventPattern::from_stored(&pattern, row.try_get(2)?)
                .map_err(|e| corrupt(e.to_string()))?;
            out.entry(row.try_get(0)?).or_default().push(parsed);
        }
        Ok(out)
    }

    async fn webhooks_from_rows(&self, rows: Vec<PgRow>) -> Result<Vec<Webhook>> {
        let ids = rows
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        let mut events = self.events_of(&ids).await?;
        rows.iter()
            .map(|row| webhook_from_row(row, &mut events))
            .collect()
    }

    async fn one_webhook(&self, org: Uuid, id: Uuid) -> Result<Option<Webhook>> {
        let row = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(self
            .webhooks_from_rows(row.into_iter().collect())
            .await?
            .pop())
    }
}

async fn replace_events(
    write: &mut Write<Postgres>,
    id: Uuid,
    events: &[EventPattern],
) -> Result<()> {
    sqlx::query("DELETE FROM webhook_events WHERE webhook_id = $1")
        .bind(id)
        .execute(&mut **write)
        .await?;
    if events.is_empty() {
        return Ok(());
    }
    let mut query = QueryBuilder::<Postgres>::new(
        "INSERT INTO webhook_events (webhook_id, position, pattern, is_prefix) ",
    );
    query.push_values(events.iter().enumerate(), |mut row, (position, pattern)| {
        let (text, prefix) = pattern.stored();
        row.push_bind(id)
            .push_bind(position as i64)
            .push_bind(text)
            .push_bind(prefix);
    });
    query.build().execute(&mut **write).await?;
    Ok(())
}

#[async_trait]
impl WebhookStore for PostgresStore {
    async fn create_webhook(&self, webhook: &Webhook, secret: &SigningSecret) -> Result<()> {
        let mut tx = self.transaction().await?;
        sqlx::query(
            "INSERT INTO webhooks (id, organization_id, url, description, secret, enabled, \
               created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(webhook.id)
        .bind(webhook.organization_id)
        .bind(&webhook.url)
        .bind(&webhook.description)
        .bind(secret.expose())
        .bind(webhook.enabled)
        .bind(webhook.created_at)
        .bind(webhook.updated_at)
        .execute(&mut *tx)
        .await?;
        replace_events(&mut tx, webhook.id, &webhook.events).await?;
        self.finish(tx, ()).await
    }

    async fn webhooks(&self, org: Uuid) -> Result<Vec<Webhook>> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = $1 ORDER BY id"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        self.webhooks_from_rows(rows).await
    }

    async fn webhook(&self, org: Uuid, id: Uuid) -> Result<Option<Webhook>> {
        self.one_webhook(org, id).await
    }

    async fn update_webhook(
        &self,
        org: Uuid,
        id: Uuid,
        patch: &WebhookPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<Webhook>> {
        let mut tx = self.transaction().await?;
        let updated = sqlx::query(
            "UPDATE webhooks SET url = COALESCE($1, url), description = COALESCE($2, description), \
               enabled = COALESCE($3, enabled), updated_at = $4, \
               failing_since = CASE WHEN $5 THEN NULL ELSE failing_since END, \
               disabled_at = CASE WHEN $6 THEN NULL ELSE disabled_at END \
             WHERE organization_id = $7 AND id = $8",
        )
        .bind(patch.url.as_deref())
        .bind(patch.description.as_deref())
        .bind(patch.enabled)
        .bind(at)
        .bind(patch.enabled == Some(true))
        .bind(patch.enabled == Some(true))
        .bind(org)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if let (true, Some(events)) = (updated, &patch.events) {
            replace_events(&mut tx, id, events).await?;
        }
        if !self.finish(tx, updated).await? {
            return Ok(None);
        }
        self.one_webhook(org, id).await
    }

    async fn delete_webhook(&self, org: Uuid, id: Uuid) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query("DELETE FROM webhooks WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .execute(&mut *write)
            .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn roll_webhook_secret(
        &self,
        org: Uuid,
        id: Uuid,
        secret: &SigningSecret,
        previous_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Option<Webhook>> {
        let mut write = self.statement().await?;
        let done = sqlx::query(
            "UPDATE webhooks SET previous_secret = secret, previous_secret_until = $1, secret = $2, \
               updated_at = $3 WHERE organization_id = $4 AND id = $5",
        )
        .bind(previous_until)
        .bind(secret.expose())
        .bind(at)
        .bind(org)
        .bind(id)
        .execute(&mut *write)
        .await?;
        if !self.finish(write, done.rows_affected() == 1).await? {
            return Ok(None);
        }
        self.one_webhook(org, id).await
    }

    async fn disable_failing_webhook(
        &self,
        org: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query(
            "UPDATE webhooks SET enabled = false, disabled_at = $1, updated_at = $2 \
             WHERE organization_id = $3 AND id = $4 AND enabled",
        )
        .bind(at)
        .bind(at)
        .bind(org)
        .bind(id)
        .execute(&mut *write)
        .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn enqueue_message(
        &self,
        org: Uuid,
        webhook: Uuid,
        message: &NewMessage,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let mut write = self.transaction().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO webhook_deliveries (webhook_id, message_id, event_type, body, status, \
               attempts, created_at, window_start, next_attempt_at) \
             SELECT id, $1, $2, $3, 'pending', 0, $4, $5, NULL FROM webhooks \
             WHERE organization_id = $6 AND id = $7 RETURNING id",
        )
        .bind(&message.message_id)
        .bind(&message.event_type)
        .bind(&message.body)
        .bind(at)
        .bind(at)
        .bind(org)
        .bind(webhook)
        .fetch_optional(&mut *write)
        .await?;
        self.finish(write, id).await
    }

    async fn deliveries(
        &self,
        org: Uuid,
        webhook: Uuid,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE webhook_id = $1 \
               AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.organization_id = $2) \
               AND ($3 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
        ))
        .bind(webhook)
        .bind(org)
        .bind(before)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect()
    }

    async fn retry_delivery(
        &self,
        org: Uuid,
        webhook: Uuid,
        delivery: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<Delivery>> {
        let mut write = self.statement().await?;
        let row = sqlx::query(&format!(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = NULL, \
               window_start = $1 WHERE id = $2 AND webhook_id = $3 \
               AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = $4 AND w.organization_id = $5) \
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(at)
        .bind(delivery)
        .bind(webhook)
        .bind(webhook)
        .bind(org)
        .fetch_optional(&mut *write)
        .await?;
        let row = self.finish(write, row).await?;
        row.as_ref().map(delivery_from_row).transpose()
    }

    async fn claim_webhooks(
        &self,
        node: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Uuid>> {
        let ids = sqlx::query_scalar(
            "UPDATE webhooks SET lease_owner = $1, lease_until = $2 \
             WHERE id IN (SELECT w.id FROM webhooks w WHERE w.enabled \
                 AND (w.lease_until IS NULL OR w.lease_until < $3) \
                 AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id \
                   AND d.status = 'pending' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $4)) \
               ORDER BY w.lease_until NULLS FIRST LIMIT $5 FOR UPDATE SKIP LOCKED) \
             RETURNING id",
        )
        .bind(node)
        .bind(until)
        .bind(now)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    async fn next_due(&self, webhook: Uuid, now: DateTime<Utc>) -> Result<Option<Due>> {
        let row = sqlx::query(&format!(
            "SELECT d.{}, d.body, d.window_start, w.url, w.secret, w.previous_secret, \
               w.previous_secret_until, w.organization_id, w.failing_since \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.webhook_id = $1 AND d.status = 'pending' ORDER BY d.id LIMIT 1",
            DELIVERY_COLUMNS.replace(", ", ", d.")
        ))
        .bind(webhook)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let delivery = delivery_from_row(&row)?;
        if delivery.next_attempt_at.is_some_and(|at| at > now) {
            return Ok(None);
        }
        let previous = match (
            row.try_get::<Option<String>, _>("previous_secret")?,
            row.try_get("previous_secret_until")?,
        ) {
            (Some(text), Some(until)) => Some((secret(text)?, until)),
            _ => None,
        };
        Ok(Some(Due {
            delivery,
            body: row.try_get("body")?,
            window_start: row.try_get("window_start")?,
            url: row.try_get("url")?,
            secrets: Secrets {
                current: secret(row.try_get("secret")?)?,
                previous,
            },
            organization_id: row.try_get("organization_id")?,
            failing_since: row.try_get("failing_since")?,
        }))
    }

    async fn record_attempt(&self, delivery: i64, attempt: &Attempt) -> Result<()> {
        let (status, next) = match attempt.outcome {
            AttemptOutcome::Delivered => (DeliveryStatus::Delivered, None),
            AttemptOutcome::RetryAt(at) => (DeliveryStatus::Pending, Some(at)),
            AttemptOutcome::GiveUp => (DeliveryStatus::Failed, None),
        };
        let delivered = attempt.outcome == AttemptOutcome::Delivered;
        let mut tx = self.pool.begin().await?;
        let webhook: Option<Uuid> = sqlx::query_scalar(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
               next_attempt_at = $2, last_attempt_at = $3, response_status = $4, latency_ms = $5, \
               last_error = $6 WHERE id = $7 RETURNING webhook_id",
        )
        .bind(status.as_str())
        .bind(next)
        .bind(attempt.at)
        .bind(attempt.response_status)
        .bind(attempt.latency_ms)
        .bind(attempt.error.as_deref())
        .bind(delivery)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(webhook) = webhook {
            sqlx::query(
                "UPDATE webhooks SET failing_since = CASE WHEN $1 THEN NULL \
                   ELSE COALESCE(failing_since, $2) END WHERE id = $3",
            )
            .bind(delivered)
            .bind(attempt.at)
            .bind(webhook)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn release_webhook(&self, webhook: Uuid, node: Uuid) -> Result<()> {
        sqlx::query(
            "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(webhook)
        .bind(node)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') \
             AND created_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn expiring_days(&self, org: Uuid) -> Result<Option<u32>> {
        let days: Option<i32> = sqlx::query_scalar(
            "SELECT expiring_days FROM webhook_settings WHERE organization_id = $1",
        )
        .bind(org)
        .fetch_optional(&self.pool)
        .await?;
        days.map(|d| u32::try_from(d).map_err(|_| corrupt("expiring_days out of range")))
            .transpose()
    }

    async fn set_expiring_days(&self, org: Uuid, days: u32) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(
            "INSERT INTO webhook_settings (organization_id, expiring_days) VALUES ($1, $2) \
             ON CONFLICT (organization_id) DO UPDATE SET expiring_days = excluded.expiring_days",
        )
        .bind(org)
        .bind(i32::try_from(days).unwrap_or(i32::MAX))
        .execute(&mut *write)
        .await?;
        self.finish(write, ()).await
    }

    async fn keys_expiring(
        &self,
        now: DateTime<Utc>,
        default_days: u32,
        limit: u32,
    ) -> Result<Vec<ExpiryNotice>> {
        sqlx::query(
            "SELECT k.id, k.organization_id, k.name, k.expires_at FROM api_keys k \
               LEFT JOIN webhook_settings s ON s.organization_id = k.organization_id \
             WHERE k.revoked_at IS NULL AND k.expires_at > $1 \
               AND k.expires_at <= $2 + make_interval(days => COALESCE(s.expiring_days, $3)) \
               AND NOT EXISTS (SELECT 1 FROM key_expiry_notices n \
                 WHERE n.key_id = k.id AND n.kind = 'expiring') \
             ORDER BY k.expires_at LIMIT $4",
        )
        .bind(now)
        .bind(now)
        .bind(i32::try_from(default_days).unwrap_or(i32::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(notice_from_row)
        .collect()
    }

    async fn keys_expired(
        &self,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ExpiryNotice>> {
        sqlx::query(
            "SELECT k.id, k.organization_id, k.name, k.expires_at FROM api_keys k \
             WHERE k.revoked_at IS NULL AND k.expires_at <= $1 AND k.expires_at > $2 \
               AND NOT EXISTS (SELECT 1 FROM key_expiry_notices n \
                 WHERE n.key_id = k.id AND n.kind = 'expired') \
             ORDER BY k.expires_at LIMIT $3",
        )
        .bind(now)
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(notice_from_row)
        .collect()
    }

    async fn note_key_expiry(&self, key: Uuid, kind: &str, at: DateTime<Utc>) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query(
            "INSERT INTO key_expiry_notices (key_id, kind, at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(kind)
        .bind(at)
        .execute(&mut *write)
        .await?;
        self.finish(write, done.rows_affected() == 1).await
    }
}
