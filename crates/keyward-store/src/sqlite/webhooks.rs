//! Webhooks on SQLite.

use super::{SqliteStore, from_ms, ms, opt_from_ms};
use crate::Result;
use crate::error::corrupt;
use crate::webhooks::{
    Attempt, AttemptOutcome, Due, ExpiryNotice, NewMessage, WebhookPatch, WebhookStore,
};
use crate::write::Write;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::audit::{AuditEvent, Outcome};
use keyward_core::webhook::{
    Delivery, DeliveryStatus, EventPattern, Secrets, SigningSecret, Webhook, event_body, message_id,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;
use uuid::Uuid;

const WEBHOOK_COLUMNS: &str = "id, organization_id, url, description, enabled, created_at, \
     updated_at, failing_since, disabled_at, previous_secret_until";
const DELIVERY_COLUMNS: &str = "id, webhook_id, message_id, event_type, status, attempts, \
     created_at, next_attempt_at, last_attempt_at, response_status, latency_ms, last_error";

/// Appends to `batch` the outbox rows `event` makes: one per enabled
/// endpoint of its organization that wants it, each ending with the
/// condition `guard` pushes. Denied attempts and events outside an
/// organization make none.
pub(crate) fn push_outbox<'q>(
    batch: &mut QueryBuilder<'q, Sqlite>,
    event: &AuditEvent,
    guard: &impl Fn(&mut QueryBuilder<'q, Sqlite>),
) {
    let Some(org) = event.organization_id else {
        return;
    };
    if event.outcome != Outcome::Success {
        return;
    }
    let kind = event.action.to_string();
    let at = ms(event.at);
    batch.push(
        "INSERT INTO webhook_deliveries (webhook_id, message_id, event_type, body, status, \
           attempts, created_at, window_start, next_attempt_at) \
         SELECT * FROM (SELECT w.id, ",
    );
    batch
        .separated(", ")
        .push_bind(message_id(event.id))
        .push_bind(kind.clone())
        .push_bind(event_body(event))
        .push("'pending'")
        .push("0")
        .push_bind(at)
        .push_bind(at)
        .push("NULL");
    batch
        .push(" FROM webhooks w WHERE w.organization_id = ")
        .push_bind(org)
        .push(
            " AND w.enabled AND EXISTS (SELECT 1 FROM webhook_events e WHERE e.webhook_id = w.id \
               AND (e.pattern = ",
        )
        .push_bind(kind.clone())
        .push(" OR (e.is_prefix AND substr(")
        .push_bind(kind)
        .push(", 1, length(e.pattern)) = e.pattern))) ORDER BY w.id)");
    guard(batch);
    batch.push("; ");
}

fn webhook_from_row(
    row: &SqliteRow,
    events: &mut HashMap<Uuid, Vec<EventPattern>>,
) -> Result<Webhook> {
    let id: Uuid = row.try_get("id")?;
    Ok(Webhook {
        id,
        organization_id: row.try_get("organization_id")?,
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        events: events.remove(&id).unwrap_or_default(),
        enabled: row.try_get("enabled")?,
        created_at: from_ms(row.try_get("created_at")?)?,
        updated_at: from_ms(row.try_get("updated_at")?)?,
        failing_since: opt_from_ms(row.try_get("failing_since")?)?,
        disabled_at: opt_from_ms(row.try_get("disabled_at")?)?,
        previous_secret_until: opt_from_ms(row.try_get("previous_secret_until")?)?,
    })
}

fn delivery_from_row(row: &SqliteRow) -> Result<Delivery> {
    let status: String = row.try_get("status")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        message_id: row.try_get("message_id")?,
        event_type: row.try_get("event_type")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("delivery status {status:?}")))?,
        attempts: row.try_get("attempts")?,
        created_at: from_ms(row.try_get("created_at")?)?,
        next_attempt_at: opt_from_ms(row.try_get("next_attempt_at")?)?,
        last_attempt_at: opt_from_ms(row.try_get("last_attempt_at")?)?,
        response_status: row.try_get("response_status")?,
        latency_ms: row.try_get("latency_ms")?,
        last_error: row.try_get("last_error")?,
    })
}

fn secret(text: String) -> Result<SigningSecret> {
    SigningSecret::parse(&text).map_err(|_| corrupt("a webhook's secret is malformed"))
}

fn notice_from_row(row: &SqliteRow) -> Result<ExpiryNotice> {
    Ok(ExpiryNotice {
        key_id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        expires_at: from_ms(row.try_get("expires_at")?)?,
    })
}

impl SqliteStore {
    async fn events_of(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<EventPattern>>> {
        let mut out: HashMap<Uuid, Vec<EventPattern>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT webhook_id, pattern, is_prefix FROM webhook_events WHERE webhook_id IN (",
        );
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(") ORDER BY webhook_id, position");
        for row in query.build().fetch_all(&self.reader).await? {
            let pattern: String = row.try_get(1)?;
            let parsed = EventPattern::from_stored(&pattern, row.try_get(2)?)
                .map_err(|e| corrupt(e.to_string()))?;
            out.entry(row.try_get(0)?).or_default().push(parsed);
        }
        Ok(out)
    }

    async fn webhooks_from_rows(&self, rows: Vec<SqliteRow>) -> Result<Vec<Webhook>> {
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
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = ? AND id = ?"
        ))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.writer)
        .await?;
        Ok(self
            .webhooks_from_rows(row.into_iter().collect())
            .await?
            .pop())
    }
}

async fn replace_events(
    write: &mut Write<Sqlite>,
    id: Uuid,
    events: &[EventPattern],
) -> Result<()> {
    sqlx::query("DELETE FROM webhook_events WHERE webhook_id = ?")
        .bind(id)
        .execute(&mut **write)
        .await?;
    if events.is_empty() {
        return Ok(());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
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
impl WebhookStore for SqliteStore {
    async fn create_webhook(&self, webhook: &Webhook, secret: &SigningSecret) -> Result<()> {
        let mut tx = self.transaction().await?;
        sqlx::query(
            "INSERT INTO webhooks (id, organization_id, url, description, secret, enabled, \
               created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(webhook.id)
        .bind(webhook.organization_id)
        .bind(&webhook.url)
        .bind(&webhook.description)
        .bind(secret.expose())
        .bind(webhook.enabled)
        .bind(ms(webhook.created_at))
        .bind(ms(webhook.updated_at))
        .execute(&mut *tx)
        .await?;
        replace_events(&mut tx, webhook.id, &webhook.events).await?;
        self.finish(tx, ()).await
    }

    async fn webhooks(&self, org: Uuid) -> Result<Vec<Webhook>> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = ? ORDER BY id"
        ))
        .bind(org)
        .fetch_all(&self.reader)
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
            "UPDATE webhooks SET url = COALESCE(?, url), description = COALESCE(?, description), \
               enabled = COALESCE(?, enabled), updated_at = ?, \
               failing_since = CASE WHEN ? THEN NULL ELSE failing_since END, \
               disabled_at = CASE WHEN ? THEN NULL ELSE disabled_at END \
             WHERE organization_id = ? AND id = ?",
        )
        .bind(patch.url.as_deref())
        .bind(patch.description.as_deref())
        .bind(patch.enabled)
        .bind(ms(at))
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
        let done = sqlx::query("DELETE FROM webhooks WHERE organization_id = ? AND id = ?")
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
            "UPDATE webhooks SET previous_secret = secret, previous_secret_until = ?, secret = ?, \
               updated_at = ? WHERE organization_id = ? AND id = ?",
        )
        .bind(ms(previous_until))
        .bind(secret.expose())
        .bind(ms(at))
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
            "UPDATE webhooks SET enabled = 0, disabled_at = ?, updated_at = ? \
             WHERE organization_id = ? AND id = ? AND enabled",
        )
        .bind(ms(at))
        .bind(ms(at))
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
             SELECT id, ?, ?, ?, 'pending', 0, ?, ?, NULL FROM webhooks \
             WHERE organization_id = ? AND id = ? RETURNING id",
        )
        .bind(&message.message_id)
        .bind(&message.event_type)
        .bind(&message.body)
        .bind(ms(at))
        .bind(ms(at))
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
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE webhook_id = ? \
               AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.organization_id = ?) \
               AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?"
        ))
        .bind(webhook)
        .bind(org)
        .bind(before)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
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
               window_start = ? WHERE id = ? AND webhook_id = ? \
               AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = ? AND w.organization_id = ?) \
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(ms(at))
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
        // Most of the time nothing is due: find that out on a reader, and
        // leave the one writer connection to the writes.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' \
               AND (next_attempt_at IS NULL OR next_attempt_at <= ?) LIMIT 1",
        )
        .bind(ms(now))
        .fetch_optional(&self.reader)
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let ids = sqlx::query_scalar(
            "UPDATE webhooks SET lease_owner = ?, lease_until = ? \
             WHERE id IN (SELECT w.id FROM webhooks w WHERE w.enabled \
                 AND (w.lease_until IS NULL OR w.lease_until < ?) \
                 AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id \
                   AND d.status = 'pending' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)) \
               ORDER BY w.lease_until LIMIT ?) \
             RETURNING id",
        )
        .bind(node)
        .bind(ms(until))
        .bind(ms(now))
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        Ok(ids)
    }

    async fn next_due(&self, webhook: Uuid, now: DateTime<Utc>) -> Result<Option<Due>> {
        let row = sqlx::query(&format!(
            "SELECT d.{}, d.body, d.window_start, w.url, w.secret, w.previous_secret, \
               w.previous_secret_until, w.organization_id, w.failing_since \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.webhook_id = ? AND d.status = 'pending' ORDER BY d.id LIMIT 1",
            DELIVERY_COLUMNS.replace(", ", ", d.")
        ))
        .bind(webhook)
        .fetch_optional(&self.writer)
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
            opt_from_ms(row.try_get("previous_secret_until")?)?,
        ) {
            (Some(text), Some(until)) => Some((secret(text)?, until)),
            _ => None,
        };
        Ok(Some(Due {
            delivery,
            body: row.try_get("body")?,
            window_start: from_ms(row.try_get("window_start")?)?,
            url: row.try_get("url")?,
            secrets: Secrets {
                current: secret(row.try_get("secret")?)?,
                previous,
            },
            organization_id: row.try_get("organization_id")?,
            failing_since: opt_from_ms(row.try_get("failing_since")?)?,
        }))
    }

    async fn record_attempt(&self, delivery: i64, attempt: &Attempt) -> Result<()> {
        let (status, next) = match attempt.outcome {
            AttemptOutcome::Delivered => (DeliveryStatus::Delivered, None),
            AttemptOutcome::RetryAt(at) => (DeliveryStatus::Pending, Some(ms(at))),
            AttemptOutcome::GiveUp => (DeliveryStatus::Failed, None),
        };
        let delivered = attempt.outcome == AttemptOutcome::Delivered;
        let mut tx = self.writer.begin().await?;
        let webhook: Option<Uuid> = sqlx::query_scalar(
            "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, \
               next_attempt_at = ?, last_attempt_at = ?, response_status = ?, latency_ms = ?, \
               last_error = ? WHERE id = ? RETURNING webhook_id",
        )
        .bind(status.as_str())
        .bind(next)
        .bind(ms(attempt.at))
        .bind(attempt.response_status)
        .bind(attempt.latency_ms)
        .bind(attempt.error.as_deref())
        .bind(delivery)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(webhook) = webhook {
            sqlx::query(
                "UPDATE webhooks SET failing_since = CASE WHEN ? THEN NULL \
                   ELSE COALESCE(failing_since, ?) END WHERE id = ?",
            )
            .bind(delivered)
            .bind(ms(attempt.at))
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
             WHERE id = ? AND lease_owner = ?",
        )
        .bind(webhook)
        .bind(node)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') \
             AND created_at < ?",
        )
        .bind(ms(before))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn expiring_days(&self, org: Uuid) -> Result<Option<u32>> {
        let days: Option<i64> = sqlx::query_scalar(
            "SELECT expiring_days FROM webhook_settings WHERE organization_id = ?",
        )
        .bind(org)
        .fetch_optional(&self.reader)
        .await?;
        days.map(|d| u32::try_from(d).map_err(|_| corrupt("expiring_days out of range")))
            .transpose()
    }

    async fn set_expiring_days(&self, org: Uuid, days: u32) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(
            "INSERT INTO webhook_settings (organization_id, expiring_days) VALUES (?, ?) \
             ON CONFLICT (organization_id) DO UPDATE SET expiring_days = excluded.expiring_days",
        )
        .bind(org)
        .bind(i64::from(days))
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
        let day_ms: i64 = 86_400_000;
        sqlx::query(
            "SELECT k.id, k.organization_id, k.name, k.expires_at FROM api_keys k \
               LEFT JOIN webhook_settings s ON s.organization_id = k.organization_id \
             WHERE k.revoked_at IS NULL AND k.expires_at > ? \
               AND k.expires_at <= ? + COALESCE(s.expiring_days, ?) * ? \
               AND NOT EXISTS (SELECT 1 FROM key_expiry_notices n \
                 WHERE n.key_id = k.id AND n.kind = 'expiring') \
             ORDER BY k.expires_at LIMIT ?",
        )
        .bind(ms(now))
        .bind(ms(now))
        .bind(i64::from(default_days))
        .bind(day_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
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
             WHERE k.revoked_at IS NULL AND k.expires_at <= ? AND k.expires_at > ? \
               AND NOT EXISTS (SELECT 1 FROM key_expiry_notices n \
                 WHERE n.key_id = k.id AND n.kind = 'expired') \
             ORDER BY k.expires_at LIMIT ?",
        )
        .bind(ms(now))
        .bind(ms(since))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(notice_from_row)
        .collect()
    }

    async fn note_key_expiry(&self, key: Uuid, kind: &str, at: DateTime<Utc>) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query(
            "INSERT INTO key_expiry_notices (key_id, kind, at) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(kind)
        .bind(ms(at))
        .execute(&mut *write)
        .await?;
        self.finish(write, done.rows_affected() == 1).await
    }
}
