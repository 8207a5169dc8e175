//! The embedded default: one SQLite file in WAL mode. Writes go through a
//! single connection, so they queue in the pool instead of fighting over
//! the database lock; reads use a pool of their own.

mod access;
mod audit;
mod passwords;
mod webhooks;

use crate::error::corrupt;
use crate::rows::LimitColumns;
use crate::rows::{self, GrantsByKey};
use crate::write::{Changed, Write};
use crate::{CreditUse, KeyFilter, KeyUsage, NewPermission, OrgPatch, Result, Store, StoreError};
use async_trait::async_trait;
use audit::Heads;
use chrono::{DateTime, Utc};
use keyward_core::KeyHash;
use keyward_core::audit::AuditEvent;
use keyward_core::model::{
    Catalog, KeyGrant, KeyPatch, KeyRecord, NewKey, Organization, Permission, RollEnd,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Usage rows per UPDATE: three bound values each.
const USAGE_CHUNK: usize = 5_000;

const KEY_COLUMNS: &str = "id, organization_id, name, scope, read_only, owner_id, created_by, \
     created_at, expires_at, last_used_at, usage_count, enabled, revoked_at, key_mask, metadata, \
     rolled_from, rolled_to, ratelimits, allowed_ips, credits_remaining, credits_refill, \
     credits_refilled_at, credits_generation";

#[derive(Debug, Clone)]
pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
    /// The events the next write records (see [`Store::audited`]).
    audit: Arc<[AuditEvent]>,
    /// The chains' heads, shared by every handle on this database.
    heads: Arc<Heads>,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| corrupt(format!("timestamp {ms} out of range")))
}

fn opt_from_ms(ms: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    ms.map(from_ms).transpose()
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub async fn open(path: &Path) -> Result<Self> {
        Self::with_options(SqliteConnectOptions::new().filename(path)).await
    }

    /// Opens a `sqlite://path` URL.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::with_options(SqliteConnectOptions::from_str(url)?).await
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Checkpoint the WAL every 8,000 pages (about 32 MiB) instead
            // of every 1,000: a write and its audit event touch about twice
            // the pages a bare write did, and checkpoints four times as
            // often cost key creation about a fifth of its throughput
            // (BENCHMARKS.md).
            .pragma("wal_autocheckpoint", "8000");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(crate::ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(crate::ACQUIRE_TIMEOUT)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            reader,
            writer,
            audit: Arc::new([]),
            heads: Arc::default(),
        })
    }

    /// Begins a write of several statements: a transaction on the writer
    /// connection.
    async fn transaction(&self) -> Result<Write<Sqlite>> {
        Ok(Write::Tx(self.writer.begin().await?))
    }

    /// Begins a write of one statement, in a transaction only when it has
    /// events to record.
    async fn statement(&self) -> Result<Write<Sqlite>> {
        if self.audit.is_empty() {
            Ok(Write::Alone(self.writer.acquire().await?))
        } else {
            self.transaction().await
        }
    }

    /// Finishes a write that answered `outcome`: records the pending events
    /// if it changed something, and commits.
    async fn finish<T: Changed>(&self, mut write: Write<Sqlite>, outcome: T) -> Result<T> {
        if !outcome.changed() || self.audit.is_empty() {
            write.commit().await?;
            return Ok(outcome);
        }
        let appended = audit::append_in_tx(&mut write, &self.heads, &self.audit).await;
        // Kept while this write still holds the writer connection, so the
        // next write reads them; a failed commit forgets them again.
        self.heads.settle(appended)?;
        self.heads
            .settle(write.commit().await.map(|()| audit::Moved::new()))?;
        Ok(outcome)
    }

    fn org_from_row(row: &SqliteRow) -> Result<Organization> {
        Ok(Organization {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            slug: rows::slug(row.try_get("slug")?)?,
            key_prefix: rows::prefix(row.try_get("key_prefix")?)?,
            created_at: from_ms(row.try_get("created_at")?)?,
            key_policy: rows::key_policy(
                row.try_get("key_max_lifetime_days")?,
                row.try_get("key_require_expiry")?,
            )?,
            leak_policy: rows::leak_policy(row.try_get("leak_policy")?)?,
        })
    }

    fn key_from_row(row: &SqliteRow, grants: &mut GrantsByKey) -> Result<KeyRecord> {
        let id: Uuid = row.try_get("id")?;
        let metadata: sqlx::types::Json<serde_json::Value> = row.try_get("metadata")?;
        Ok(KeyRecord {
            id,
            organization_id: row.try_get("organization_id")?,
            name: row.try_get("name")?,
            scope: rows::scope(row.try_get("scope")?)?,
            read_only: row.try_get("read_only")?,
            owner_id: row.try_get("owner_id")?,
            permissions: grants.remove(&id).unwrap_or_default(),
            created_by: row.try_get("created_by")?,
            created_at: from_ms(row.try_get("created_at")?)?,
            expires_at: opt_from_ms(row.try_get("expires_at")?)?,
            last_used_at: opt_from_ms(row.try_get("last_used_at")?)?,
            usage_count: row.try_get("usage_count")?,
            enabled: row.try_get("enabled")?,
            revoked_at: opt_from_ms(row.try_get("revoked_at")?)?,
            key_mask: row.try_get("key_mask")?,
            metadata: rows::metadata(metadata.0)?,
            rolled_from: row.try_get("rolled_from")?,
            rolled_to: row.try_get("rolled_to")?,
            limits: rows::key_limits(
                row.try_get::<Json<serde_json::Value>, _>("ratelimits")?.0,
                row.try_get::<Json<serde_json::Value>, _>("allowed_ips")?.0,
                row.try_get("credits_remaining")?,
                row.try_get::<Option<Json<serde_json::Value>>, _>("credits_refill")?
                    .map(|json| json.0),
                opt_from_ms(row.try_get("credits_refilled_at")?)?,
                row.try_get("credits_generation")?,
            )?,
        })
    }

    async fn grants_of(&self, ids: &[Uuid]) -> Result<GrantsByKey> {
        let mut out = GrantsByKey::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT kp.key_id, kp.permission_id, p.name, kp.resource \
             FROM api_key_permissions kp JOIN permissions p ON p.id = kp.permission_id \
             WHERE kp.key_id IN (",
        );
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(") ORDER BY kp.key_id, kp.position");
        for row in query.build().fetch_all(&self.reader).await? {
            let grant = rows::key_grant(row.try_get(1)?, row.try_get(2)?, row.try_get(3)?)?;
            out.entry(row.try_get(0)?).or_default().push(grant);
        }
        Ok(out)
    }

    async fn keys_from_rows(&self, found: Vec<SqliteRow>) -> Result<Vec<KeyRecord>> {
        let ids = found
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        let mut grants = self.grants_of(&ids).await?;
        found
            .iter()
            .map(|row| Self::key_from_row(row, &mut grants))
            .collect()
    }

    async fn one_key(&self, row: Option<SqliteRow>) -> Result<Option<KeyRecord>> {
        Ok(self.keys_from_rows(row.into_iter().collect()).await?.pop())
    }
}

/// Appends the INSERT of the key's row, which inserts nothing when the
/// organization is at `limit` live keys and returns the key's id when it
/// inserts it. The INSERT takes the write lock before it counts, so the
/// limit can't be raced past.
fn push_key_row(
    query: &mut QueryBuilder<'_, Sqlite>,
    key: &NewKey,
    limit: u32,
    now: DateTime<Utc>,
) {
    let k = &key.record;
    query.push(
        "INSERT INTO api_keys (id, organization_id, name, scope, read_only, owner_id, created_by, \
           created_at, expires_at, enabled, key_hash, key_mask, metadata, rolled_from, \
           ratelimits, allowed_ips, credits_remaining, credits_refill, credits_refilled_at) SELECT ",
    );
    let limits = LimitColumns::of(&k.limits);
    let mut values = query.separated(", ");
    values
        .push_bind(k.id)
        .push_bind(k.organization_id)
        .push_bind(k.name.clone())
        .push_bind(k.scope.as_str())
        .push_bind(k.read_only)
        .push_bind(k.owner_id)
        .push_bind(k.created_by.clone())
        .push_bind(ms(k.created_at))
        .push_bind(k.expires_at.map(ms))
        .push_bind(k.enabled)
        .push_bind(key.hash.as_bytes().to_vec())
        .push_bind(k.key_mask.clone())
        .push_bind(sqlx::types::Json(k.metadata.clone()))
        .push_bind(k.rolled_from)
        .push_bind(Json(limits.ratelimits))
        .push_bind(Json(limits.allowed_ips))
        .push_bind(limits.credits_remaining)
        .push_bind(limits.credits_refill.map(Json))
        .push_bind(limits.credits_refilled_at.map(ms));
    query.push(" WHERE (SELECT COUNT(*) FROM api_keys WHERE organization_id = ");
    query.push_bind(k.organization_id);
    query.push(" AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ");
    query.push_bind(ms(now));
    query.push(")) < ");
    query.push_bind(i64::from(limit));
    query.push(" RETURNING id");
}

/// Sets a key's explicit grants to `grants`, in order.
async fn replace_grants(write: &mut Write<Sqlite>, key: Uuid, grants: &[KeyGrant]) -> Result<()> {
    sqlx::query("DELETE FROM api_key_permissions WHERE key_id = ?")
        .bind(key)
        .execute(&mut **write)
        .await?;
    if grants.is_empty() {
        return Ok(());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "INSERT INTO api_key_permissions (key_id, position, permission_id, resource) ",
    );
    query.push_values(grants.iter().enumerate(), |mut row, (position, grant)| {
        row.push_bind(key)
            .push_bind(position as i64)
            .push_bind(grant.id)
            .push_bind(grant.resource.to_string());
    });
    query.build().execute(&mut **write).await?;
    Ok(())
}

/// Appends the condition that the key `id` was inserted.
fn push_if_key(query: &mut QueryBuilder<'_, Sqlite>, id: Uuid) {
    query
        .push(" WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ")
        .push_bind(id)
        .push(")");
}

/// No key returned means the limit was reached. (A count of changed rows
/// can't tell: SQLite reports the last change's count for `BEGIN` and
/// `COMMIT`, which may be an earlier write's.)
fn key_inserted(returned: &[SqliteRow]) -> Result<()> {
    if returned.is_empty() {
        Err(StoreError::KeyLimitReached)
    } else {
        Ok(())
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn audited(&self, events: Vec<AuditEvent>) -> Box<dyn Store> {
        Box::new(Self {
            audit: events.into(),
            ..self.clone()
        })
    }

    async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn set_setting_once(&self, name: &str, value: &[u8]) -> Result<bool> {
        let done =
            sqlx::query("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING")
                .bind(name)
                .bind(value)
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_org(&self, org: &Organization) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(
            "INSERT INTO organizations (id, name, slug, key_prefix, created_at, \
               key_max_lifetime_days, key_require_expiry, leak_policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(org.id)
        .bind(&org.name)
        .bind(org.slug.as_str())
        .bind(org.key_prefix.as_str())
        .bind(ms(org.created_at))
        .bind(org.key_policy.max_lifetime_days)
        .bind(org.key_policy.require_expiry)
        .bind(org.leak_policy.as_str())
        .execute(&mut *write)
        .await?;
        self.finish(write, ()).await
    }

    async fn list_orgs(&self) -> Result<Vec<Organization>> {
        sqlx::query("SELECT * FROM organizations ORDER BY created_at, id")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(Self::org_from_row)
            .collect()
    }

    async fn find_org(&self, id_or_slug: &str) -> Result<Option<Organization>> {
        match Uuid::parse_str(id_or_slug) {
            Ok(id) => self.org_by_id(id).await,
            Err(_) => sqlx::query("SELECT * FROM organizations WHERE slug = ?")
                .bind(id_or_slug)
                .fetch_optional(&self.reader)
                .await?
                .as_ref()
                .map(Self::org_from_row)
                .transpose(),
        }
    }

    async fn org_by_id(&self, id: Uuid) -> Result<Option<Organization>> {
        sqlx::query("SELECT * FROM organizations WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(Self::org_from_row)
            .transpose()
    }

    async fn update_org(&self, id: Uuid, patch: &OrgPatch) -> Result<Option<Organization>> {
        let mut write = self.statement().await?;
        let updated = sqlx::query(
            "UPDATE organizations SET name = COALESCE(?, name), key_prefix = COALESCE(?, key_prefix), \
               key_max_lifetime_days = CASE WHEN ? THEN ? ELSE key_max_lifetime_days END, \
               key_require_expiry = COALESCE(?, key_require_expiry), \
               leak_policy = COALESCE(?, leak_policy) \
             WHERE id = ? RETURNING *",
        )
        .bind(patch.name.as_deref())
        .bind(patch.key_prefix.as_ref().map(|p| p.as_str()))
        .bind(patch.key_policy.is_some())
        .bind(patch.key_policy.and_then(|p| p.max_lifetime_days))
        .bind(patch.key_policy.map(|p| p.require_expiry))
        .bind(patch.leak_policy.map(|p| p.as_str()))
        .bind(id)
        .fetch_optional(&mut *write)
        .await?
        .as_ref()
        .map(Self::org_from_row)
        .transpose()?;
        self.finish(write, updated).await
    }

    async fn delete_org(&self, id: Uuid) -> Result<bool> {
        let mut tx = self.transaction().await?;
        // Roles go first, as on PostgreSQL, where a role grant naming one of
        // the organization's permissions would otherwise block the delete.
        sqlx::query("DELETE FROM roles WHERE organization_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM organizations WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.finish(tx, done.rows_affected() == 1).await
    }

    async fn catalog(&self, org: Uuid) -> Result<Catalog> {
        let found = sqlx::query(
            "SELECT id, name, description, read_only FROM permissions \
             WHERE organization_id IS NULL OR organization_id = ? ORDER BY id",
        )
        .bind(org)
        .fetch_all(&self.reader)
        .await?;
        found
            .iter()
            .map(|r| rows::permission(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
            .collect::<Result<_>>()
            .map(Catalog)
    }

    async fn create_permission(&self, org: Uuid, new: &NewPermission) -> Result<Permission> {
        let mut write = self.statement().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO permissions (organization_id, name, description, read_only) \
             VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(org)
        .bind(new.name.as_str())
        .bind(&new.description)
        .bind(new.read_only)
        .fetch_one(&mut *write)
        .await?;
        let permission = Permission {
            id,
            name: new.name.clone(),
            description: new.description.clone(),
            read_only: new.read_only,
        };
        self.finish(write, permission).await
    }

    async fn insert_key(&self, key: &NewKey, limit: u32, now: DateTime<Utc>) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        let grants = &key.record.permissions;
        if grants.is_empty() && self.audit.is_empty() {
            // One statement is a transaction of its own.
            let mut query = QueryBuilder::<Sqlite>::new("");
            push_key_row(&mut query, key, limit, now);
            return key_inserted(&query.build().fetch_all(&mut *conn).await?);
        }
        // The key, its grants and its events in one round trip and one
        // transaction; the grants and events go in only if the key did.
        let mut query = QueryBuilder::<Sqlite>::new("BEGIN IMMEDIATE; ");
        push_key_row(&mut query, key, limit, now);
        query.push("; ");
        if !grants.is_empty() {
            query.push(
                "INSERT INTO api_key_permissions (key_id, position, permission_id, resource) \
                 SELECT column1, column2, column3, column4 FROM (",
            );
            query.push_values(grants.iter().enumerate(), |mut row, (position, grant)| {
                row.push_bind(key.record.id)
                    .push_bind(position as i64)
                    .push_bind(grant.id)
                    .push_bind(grant.resource.to_string());
            });
            query.push(")");
            push_if_key(&mut query, key.record.id);
            query.push("; ");
        }
        let moved = audit::push_appends(&mut conn, &self.heads, &mut query, &self.audit, |query| {
            push_if_key(query, key.record.id);
        })
        .await?;
        query.push("COMMIT");
        // Only the key's INSERT returns a row; `fetch_all` runs the batch
        // to its end.
        match query.build().fetch_all(&mut *conn).await {
            Ok(returned) => {
                // At the limit, no event went in and no head moved.
                key_inserted(&returned)?;
                self.heads.settle(Ok(moved))
            }
            Err(error) => {
                // Leave no transaction open on the shared writer connection.
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                self.heads.settle(Err(error.into()))
            }
        }
    }

    async fn list_keys_where(
        &self,
        org: Uuid,
        before: Option<Uuid>,
        limit: u32,
        filter: &KeyFilter,
    ) -> Result<Vec<KeyRecord>> {
        let expiring = filter.expiring.map(|(after, by)| (ms(after), ms(by)));
        let unbounded_after = filter.unbounded_after.map(|after| after.map(ms));
        let found = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE organization_id = ? AND revoked_at IS NULL \
             AND (? IS NULL OR id < ?) \
             AND (NOT ? OR (expires_at > ? AND expires_at <= ?)) \
             AND (NOT ? OR expires_at IS NULL OR expires_at > ?) \
             ORDER BY id DESC LIMIT ?"
        ))
        .bind(org)
        .bind(before)
        .bind(before)
        .bind(expiring.is_some())
        .bind(expiring.map(|(after, _)| after))
        .bind(expiring.map(|(_, by)| by))
        .bind(unbounded_after.is_some())
        .bind(unbounded_after.flatten())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        self.keys_from_rows(found).await
    }

    async fn key(&self, org: Uuid, id: Uuid) -> Result<Option<KeyRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE organization_id = ? AND id = ?"
        ))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        self.one_key(row).await
    }

    async fn key_by_hash(&self, hash: &KeyHash) -> Result<Option<KeyRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = ?"
        ))
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(&self.reader)
        .await?;
        self.one_key(row).await
    }

    async fn update_key(&self, org: Uuid, id: Uuid, patch: &KeyPatch) -> Result<Option<KeyRecord>> {
        let mut write = match patch.permissions {
            Some(_) => self.transaction().await?,
            None => self.statement().await?,
        };
        let row = sqlx::query(&format!(
            "UPDATE api_keys SET name = COALESCE(?, name), enabled = COALESCE(?, enabled), \
               expires_at = CASE WHEN ? THEN ? ELSE expires_at END, \
               metadata = COALESCE(?, metadata), read_only = COALESCE(?, read_only), \
               ratelimits = COALESCE(?, ratelimits), allowed_ips = COALESCE(?, allowed_ips), \
               credits_remaining = CASE WHEN ? THEN ? ELSE credits_remaining END, \
               credits_refill = CASE WHEN ? THEN ? ELSE credits_refill END, \
               credits_refilled_at = CASE WHEN ? THEN ? ELSE credits_refilled_at END, \
               credits_generation = credits_generation + ? \
             WHERE organization_id = ? AND id = ? AND revoked_at IS NULL RETURNING {KEY_COLUMNS}"
        ))
        .bind(patch.name.as_deref())
        .bind(patch.enabled)
        .bind(patch.expires_at.is_some())
        .bind(patch.expires_at.flatten().map(ms))
        .bind(patch.metadata.as_ref().map(sqlx::types::Json))
        .bind(patch.read_only)
        .bind(
            patch
                .ratelimits
                .as_deref()
                .map(|l| Json(rows::ratelimits_json(l))),
        )
        .bind(
            patch
                .allowed_ips
                .as_ref()
                .map(|ips| Json(rows::allowed_ips_json(ips))),
        )
        .bind(patch.credits.is_some())
        .bind(
            patch
                .credits
                .as_ref()
                .and_then(|c| c.as_ref().map(|c| c.credits.remaining)),
        )
        .bind(patch.credits.is_some())
        .bind(
            patch
                .credits
                .as_ref()
                .and_then(|c| c.as_ref().and_then(rows::refill_json))
                .map(Json),
        )
        .bind(patch.credits.is_some())
        .bind(
            patch
                .credits
                .as_ref()
                .and_then(|c| c.as_ref().map(|c| ms(c.refilled_at))),
        )
        .bind(i64::from(patch.credits.is_some()))
        .bind(org)
        .bind(id)
        .fetch_optional(&mut *write)
        .await?;
        if let (Some(grants), Some(_)) = (&patch.permissions, &row) {
            replace_grants(&mut write, id, grants).await?;
        }
        let row = self.finish(write, row).await?;
        self.one_key(row).await
    }

    async fn roll_key(
        &self,
        new: &NewKey,
        end: RollEnd,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let k = &new.record;
        let Some(old) = k.rolled_from else {
            return Ok(false);
        };
        let (revoked_at, expires_by) = match end {
            RollEnd::RevokedAt(at) => (Some(ms(at)), None),
            RollEnd::ExpiresBy(at) => (None, Some(ms(at))),
        };
        let mut tx = self.transaction().await?;
        // The old key first: revoked at once, it no longer counts against
        // the limit the new key is inserted under.
        let marked = sqlx::query(
            "UPDATE api_keys SET rolled_to = ?, revoked_at = ?, \
               expires_at = CASE WHEN ? IS NULL OR (expires_at IS NOT NULL AND expires_at < ?) \
                 THEN expires_at ELSE ? END \
             WHERE organization_id = ? AND id = ? AND revoked_at IS NULL AND rolled_to IS NULL",
        )
        .bind(k.id)
        .bind(revoked_at)
        .bind(expires_by)
        .bind(expires_by)
        .bind(expires_by)
        .bind(k.organization_id)
        .bind(old)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() != 1 {
            return self.finish(tx, false).await;
        }
        let mut query = QueryBuilder::<Sqlite>::new("");
        push_key_row(&mut query, new, limit, now);
        key_inserted(&query.build().fetch_all(&mut *tx).await?)?;
        replace_grants(&mut tx, k.id, &k.permissions).await?;
        self.finish(tx, true).await
    }

    async fn revoke_key(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = ? WHERE organization_id = ? AND id = ? AND revoked_at IS NULL",
        )
        .bind(ms(at))
        .bind(org)
        .bind(id)
        .execute(&mut *write)
        .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn record_usage(&self, usage: &[KeyUsage]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        // One statement per chunk (SQLite binds at most 32,766 values);
        // a key listed twice has its uses summed.
        for chunk in usage.chunks(USAGE_CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "UPDATE api_keys SET usage_count = usage_count + u.uses, \
                   last_used_at = MAX(COALESCE(last_used_at, 0), u.used) \
                 FROM (SELECT column1 AS id, SUM(column2) AS uses, MAX(column3) AS used FROM (",
            );
            query.push_values(chunk, |mut row, u| {
                row.push_bind(u.key_id)
                    .push_bind(u.count)
                    .push_bind(ms(u.last_used_at));
            });
            query.push(") GROUP BY column1) AS u WHERE api_keys.id = u.id");
            query.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_credits(&self, balances: &[CreditUse]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for balance in balances {
            sqlx::query(
                "UPDATE api_keys SET credits_remaining = ?, credits_refilled_at = ? \
                 WHERE id = ? AND credits_generation = ? AND credits_remaining IS NOT NULL",
            )
            .bind(balance.remaining)
            .bind(ms(balance.refilled_at))
            .bind(balance.key_id)
            .bind(balance.generation)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
