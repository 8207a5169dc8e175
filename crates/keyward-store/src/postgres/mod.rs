//! PostgreSQL, for several keyward nodes sharing one database.

mod access;
mod audit;
mod passwords;
mod webhooks;

use crate::rows::LimitColumns;
use crate::rows::{self, GrantsByKey};
use crate::write::{Changed, Write};
use crate::{
    CreditUse, Heard, KeyFilter, KeyUsage, NewPermission, OrgPatch, Result, Store, StoreError,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::KeyHash;
use keyward_core::audit::AuditEvent;
use keyward_core::model::{
    Catalog, KeyGrant, KeyPatch, KeyRecord, NewKey, Organization, Permission, RollEnd,
};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions, PgRow};
use sqlx::types::Json;
use sqlx::{ConnectOptions, Connection, PgPool, Postgres, Row};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const KEY_COLUMNS: &str = "id, organization_id, name, scope, read_only, owner_id, created_by, \
     created_at, expires_at, last_used_at, usage_count, enabled, revoked_at, key_mask, metadata, \
     rolled_from, rolled_to, ratelimits, allowed_ips, credits_remaining, credits_refill, \
     credits_refilled_at, credits_generation";

/// The longest one statement runs before the server cancels it.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The channel on which nodes announce changes that may alter cached answers.
const CHANGES_CHANNEL: &str = "keyward_changes";

#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The events the next write records (see [`Store::audited`]).
    audit: Arc<[AuditEvent]>,
}

impl PostgresStore {
    /// Connects to a `postgres://` URL and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(PgConnectOptions::from_str(url)?).await
    }

    /// Requests never wait on the database longer than [`crate::ACQUIRE_TIMEOUT`]
    /// for a connection and [`STATEMENT_TIMEOUT`] for a statement.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self> {
        let statement_timeout = format!("{}ms", STATEMENT_TIMEOUT.as_millis());
        // One connection first: a database that can't be reached is told by
        // its own error (refused, unknown host, wrong password), where the
        // pool would only time out.
        let first = tokio::time::timeout(crate::ACQUIRE_TIMEOUT, options.connect())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        first.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(crate::ACQUIRE_TIMEOUT)
            .connect_with(options.options([("statement_timeout", statement_timeout.as_str())]))
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            pool,
            audit: Arc::new([]),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Begins a write of several statements: a transaction.
    async fn transaction(&self) -> Result<Write<Postgres>> {
        Ok(Write::Tx(self.pool.begin().await?))
    }

    /// Begins a write of one statement, in a transaction only when it has
    /// events to record.
    async fn statement(&self) -> Result<Write<Postgres>> {
        if self.audit.is_empty() {
            Ok(Write::Alone(self.pool.acquire().await?))
        } else {
            self.transaction().await
        }
    }

    /// Finishes a write that answered `outcome`: records the pending events
    /// if it changed something, and commits.
    async fn finish<T: Changed>(&self, mut write: Write<Postgres>, outcome: T) -> Result<T> {
        if outcome.changed() {
            audit::append_in_tx(&mut write, &self.audit).await?;
        }
        write.commit().await?;
        Ok(outcome)
    }

    fn org_from_row(row: &PgRow) -> Result<Organization> {
        Ok(Organization {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            slug: rows::slug(row.try_get("slug")?)?,
            key_prefix: rows::prefix(row.try_get("key_prefix")?)?,
            created_at: row.try_get("created_at")?,
            key_policy: rows::key_policy(
                row.try_get::<Option<i32>, _>("key_max_lifetime_days")?
                    .map(i64::from),
                row.try_get("key_require_expiry")?,
            )?,
            leak_policy: rows::leak_policy(row.try_get("leak_policy")?)?,
        })
    }

    fn key_from_row(row: &PgRow, grants: &mut GrantsByKey) -> Result<KeyRecord> {
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
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            last_used_at: row.try_get("last_used_at")?,
            usage_count: row.try_get("usage_count")?,
            enabled: row.try_get("enabled")?,
            revoked_at: row.try_get("revoked_at")?,
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
                row.try_get("credits_refilled_at")?,
                row.try_get("credits_generation")?,
            )?,
        })
    }

    async fn keys_from_rows(&self, found: Vec<PgRow>) -> Result<Vec<KeyRecord>> {
        let ids = found
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        let mut grants = GrantsByKey::new();
        if !ids.is_empty() {
            let found_grants = sqlx::query(
                "SELECT kp.key_id, kp.permission_id, p.name, kp.resource \
                 FROM api_key_permissions kp JOIN permissions p ON p.id = kp.permission_id \
                 WHERE kp.key_id = ANY($1) ORDER BY kp.key_id, kp.position",
            )
            .bind(&ids)
            .fetch_all(&self.pool)
            .await?;
            for row in found_grants {
                let grant = rows::key_grant(row.try_get(1)?, row.try_get(2)?, row.try_get(3)?)?;
                grants.entry(row.try_get(0)?).or_default().push(grant);
            }
        }
        found
            .iter()
            .map(|row| Self::key_from_row(row, &mut grants))
            .collect()
    }

    async fn one_key(&self, row: Option<PgRow>) -> Result<Option<KeyRecord>> {
        Ok(self.keys_from_rows(row.into_iter().collect()).await?.pop())
    }
}

/// A policy's lifetime as its column holds it.
fn lifetime_days(days: Option<u32>) -> Option<i32> {
    days.and_then(|d| i32::try_from(d).ok())
}

/// Inserts a key and its grants in `tx` unless the organization already
/// has `limit` live keys. Locking the organization's row serializes
/// creations within it, so the count can't be raced past.
async fn insert_key_in(
    tx: &mut Write<Postgres>,
    key: &NewKey,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    let k = &key.record;
    let limits = LimitColumns::of(&k.limits);
    let org: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1 FOR UPDATE")
            .bind(k.organization_id)
            .fetch_optional(&mut **tx)
            .await?;
    if org.is_none() {
        return Err(StoreError::MissingReference);
    }
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE organization_id = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(k.organization_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    if live >= i64::from(limit) {
        return Err(StoreError::KeyLimitReached);
    }
    sqlx::query(
        "INSERT INTO api_keys (id, organization_id, name, scope, read_only, owner_id, created_by, \
           created_at, expires_at, enabled, key_hash, key_mask, metadata, rolled_from, \
           ratelimits, allowed_ips, credits_remaining, credits_refill, credits_refilled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(k.id)
    .bind(k.organization_id)
    .bind(&k.name)
    .bind(k.scope.as_str())
    .bind(k.read_only)
    .bind(k.owner_id)
    .bind(&k.created_by)
    .bind(k.created_at)
    .bind(k.expires_at)
    .bind(k.enabled)
    .bind(key.hash.as_bytes().as_slice())
    .bind(&k.key_mask)
    .bind(sqlx::types::Json(&k.metadata))
    .bind(k.rolled_from)
    .bind(Json(limits.ratelimits))
    .bind(Json(limits.allowed_ips))
    .bind(limits.credits_remaining)
    .bind(limits.credits_refill.map(Json))
    .bind(limits.credits_refilled_at)
    .execute(&mut **tx)
    .await?;
    insert_grants(tx, k.id, &k.permissions).await
}

/// Inserts a key's explicit grants, in order.
async fn insert_grants(tx: &mut Write<Postgres>, key: Uuid, grants: &[KeyGrant]) -> Result<()> {
    for (position, grant) in grants.iter().enumerate() {
        sqlx::query(
            "INSERT INTO api_key_permissions (key_id, position, permission_id, resource) VALUES ($1, $2, $3, $4)",
        )
        .bind(key)
        .bind(position as i32)
        .bind(grant.id)
        .bind(grant.resource.to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
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
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_setting_once(&self, name: &str, value: &[u8]) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_org(&self, org: &Organization) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(
            "INSERT INTO organizations (id, name, slug, key_prefix, created_at, \
               key_max_lifetime_days, key_require_expiry, leak_policy) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(org.id)
        .bind(&org.name)
        .bind(org.slug.as_str())
        .bind(org.key_prefix.as_str())
        .bind(org.created_at)
        .bind(lifetime_days(org.key_policy.max_lifetime_days))
        .bind(org.key_policy.require_expiry)
        .bind(org.leak_policy.as_str())
        .execute(&mut *write)
        .await?;
        self.finish(write, ()).await
    }

    async fn list_orgs(&self) -> Result<Vec<Organization>> {
        sqlx::query("SELECT * FROM organizations ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Self::org_from_row)
            .collect()
    }

    async fn find_org(&self, id_or_slug: &str) -> Result<Option<Organization>> {
        match Uuid::parse_str(id_or_slug) {
            Ok(id) => self.org_by_id(id).await,
            Err(_) => sqlx::query("SELECT * FROM organizations WHERE slug = $1")
                .bind(id_or_slug)
                .fetch_optional(&self.pool)
                .await?
                .as_ref()
                .map(Self::org_from_row)
                .transpose(),
        }
    }

    async fn org_by_id(&self, id: Uuid) -> Result<Option<Organization>> {
        sqlx::query("SELECT * FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(Self::org_from_row)
            .transpose()
    }

    async fn update_org(&self, id: Uuid, patch: &OrgPatch) -> Result<Option<Organization>> {
        let mut write = self.statement().await?;
        let updated = sqlx::query(
            "UPDATE organizations SET name = COALESCE($1, name), key_prefix = COALESCE($2, key_prefix), \
               key_max_lifetime_days = CASE WHEN $3 THEN $4 ELSE key_max_lifetime_days END, \
               key_require_expiry = COALESCE($5, key_require_expiry), \
               leak_policy = COALESCE($6, leak_policy) \
             WHERE id = $7 RETURNING *",
        )
        .bind(patch.name.as_deref())
        .bind(patch.key_prefix.as_ref().map(|p| p.as_str()))
        .bind(patch.key_policy.is_some())
        .bind(lifetime_days(
            patch.key_policy.and_then(|p| p.max_lifetime_days),
        ))
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
        // Keys go first: PostgreSQL checks that no key grant names one of the
        // organization's permissions before the cascade through the keys has
        // removed those grants. The lock keeps new keys out in between.
        sqlx::query("SELECT id FROM organizations WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM api_keys WHERE organization_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // Roles too, for the same reason: their grants name permissions.
        sqlx::query("DELETE FROM roles WHERE organization_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM organizations WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.finish(tx, done.rows_affected() == 1).await
    }

    async fn catalog(&self, org: Uuid) -> Result<Catalog> {
        let found = sqlx::query(
            "SELECT id, name, description, read_only FROM permissions \
             WHERE organization_id IS NULL OR organization_id = $1 ORDER BY id",
        )
        .bind(org)
        .fetch_all(&self.pool)
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
             VALUES ($1, $2, $3, $4) RETURNING id",
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
        let mut tx = self.transaction().await?;
        insert_key_in(&mut tx, key, limit, now).await?;
        self.finish(tx, ()).await
    }

    async fn list_keys_where(
        &self,
        org: Uuid,
        before: Option<Uuid>,
        limit: u32,
        filter: &KeyFilter,
    ) -> Result<Vec<KeyRecord>> {
        let found = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE organization_id = $1 AND revoked_at IS NULL \
             AND ($2::uuid IS NULL OR id < $2) \
             AND (NOT $3 OR (expires_at > $4::timestamptz AND expires_at <= $5::timestamptz)) \
             AND (NOT $6 OR expires_at IS NULL OR expires_at > $7::timestamptz) \
             ORDER BY id DESC LIMIT $8"
        ))
        .bind(org)
        .bind(before)
        .bind(filter.expiring.is_some())
        .bind(filter.expiring.map(|(after, _)| after))
        .bind(filter.expiring.map(|(_, by)| by))
        .bind(filter.unbounded_after.is_some())
        .bind(filter.unbounded_after.flatten())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.keys_from_rows(found).await
    }

    async fn key(&self, org: Uuid, id: Uuid) -> Result<Option<KeyRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        self.one_key(row).await
    }

    async fn key_by_hash(&self, hash: &KeyHash) -> Result<Option<KeyRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1"
        ))
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(&self.pool)
        .await?;
        self.one_key(row).await
    }

    async fn update_key(&self, org: Uuid, id: Uuid, patch: &KeyPatch) -> Result<Option<KeyRecord>> {
        let mut write = match patch.permissions {
            Some(_) => self.transaction().await?,
            None => self.statement().await?,
        };
        let row = sqlx::query(&format!(
            "UPDATE api_keys SET name = COALESCE($1, name), enabled = COALESCE($2, enabled), \
               expires_at = CASE WHEN $3 THEN $4 ELSE expires_at END, \
               metadata = COALESCE($5, metadata), read_only = COALESCE($6, read_only), \
               ratelimits = COALESCE($9, ratelimits), allowed_ips = COALESCE($10, allowed_ips), \
               credits_remaining = CASE WHEN $11 THEN $12 ELSE credits_remaining END, \
               credits_refill = CASE WHEN $11 THEN $13 ELSE credits_refill END, \
               credits_refilled_at = CASE WHEN $11 THEN $14 ELSE credits_refilled_at END, \
               credits_generation = credits_generation + (CASE WHEN $11 THEN 1 ELSE 0 END) \
             WHERE organization_id = $7 AND id = $8 AND revoked_at IS NULL RETURNING {KEY_COLUMNS}"
        ))
        .bind(patch.name.as_deref())
        .bind(patch.enabled)
        .bind(patch.expires_at.is_some())
        .bind(patch.expires_at.flatten())
        .bind(patch.metadata.as_ref().map(sqlx::types::Json))
        .bind(patch.read_only)
        .bind(org)
        .bind(id)
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
        .bind(
            patch
                .credits
                .as_ref()
                .and_then(|c| c.as_ref().and_then(rows::refill_json))
                .map(Json),
        )
        .bind(
            patch
                .credits
                .as_ref()
                .and_then(|c| c.as_ref().map(|c| c.refilled_at)),
        )
        .fetch_optional(&mut *write)
        .await?;
        if let (Some(grants), Some(_)) = (&patch.permissions, &row) {
            sqlx::query("DELETE FROM api_key_permissions WHERE key_id = $1")
                .bind(id)
                .execute(&mut *write)
                .await?;
            insert_grants(&mut write, id, grants).await?;
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
            RollEnd::RevokedAt(at) => (Some(at), None),
            RollEnd::ExpiresBy(at) => (None, Some(at)),
        };
        let mut tx = self.transaction().await?;
        // The old key first: revoked at once, it no longer counts against
        // the limit the new key is inserted under.
        let marked = sqlx::query(
            "UPDATE api_keys SET rolled_to = $1, revoked_at = $2, \
               expires_at = CASE WHEN $3::timestamptz IS NULL OR expires_at < $3 \
                 THEN expires_at ELSE $3 END \
             WHERE organization_id = $4 AND id = $5 AND revoked_at IS NULL AND rolled_to IS NULL",
        )
        .bind(k.id)
        .bind(revoked_at)
        .bind(expires_by)
        .bind(k.organization_id)
        .bind(old)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() != 1 {
            return self.finish(tx, false).await;
        }
        insert_key_in(&mut tx, new, limit, now).await?;
        self.finish(tx, true).await
    }

    async fn revoke_key(&self, org: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let mut write = self.statement().await?;
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE organization_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(org)
        .bind(id)
        .execute(&mut *write)
        .await?;
        self.finish(write, done.rows_affected() == 1).await
    }

    async fn record_usage(&self, usage: &[KeyUsage]) -> Result<()> {
        let ids: Vec<Uuid> = usage.iter().map(|u| u.key_id).collect();
        let counts: Vec<i64> = usage.iter().map(|u| u.count).collect();
        let used: Vec<DateTime<Utc>> = usage.iter().map(|u| u.last_used_at).collect();
        sqlx::query(
            "UPDATE api_keys k SET usage_count = k.usage_count + u.count, \
               last_used_at = GREATEST(k.last_used_at, u.used) \
             FROM (SELECT id, SUM(count)::bigint AS count, MAX(used) AS used \
                   FROM UNNEST($1::uuid[], $2::bigint[], $3::timestamptz[]) AS b(id, count, used) \
                   GROUP BY id) AS u \
             WHERE k.id = u.id",
        )
        .bind(&ids)
        .bind(&counts)
        .bind(&used)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_credits(&self, balances: &[CreditUse]) -> Result<()> {
        let ids: Vec<Uuid> = balances.iter().map(|b| b.key_id).collect();
        let generations: Vec<i64> = balances.iter().map(|b| b.generation).collect();
        let remaining: Vec<i64> = balances.iter().map(|b| b.remaining).collect();
        let refilled: Vec<DateTime<Utc>> = balances.iter().map(|b| b.refilled_at).collect();
        sqlx::query(
            "UPDATE api_keys k SET credits_remaining = b.remaining, credits_refilled_at = b.refilled \
             FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::timestamptz[]) \
               AS b(id, generation, remaining, refilled) \
             WHERE k.id = b.id AND k.credits_generation = b.generation \
               AND k.credits_remaining IS NOT NULL",
        )
        .bind(&ids)
        .bind(&generations)
        .bind(&remaining)
        .bind(&refilled)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn announce_change(&self, payload: &str) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANGES_CHANNEL)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn watch_changes(
        &self,
        on_heard: Box<dyn for<'a> Fn(Heard<'a>) + Send + Sync>,
    ) -> StoreError {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(listener) => listener,
            Err(error) => return error.into(),
        };
        if let Err(error) = listener.listen(CHANGES_CHANNEL).await {
            return error.into();
        }
        on_heard(Heard::Listening);
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => on_heard(Heard::Change(notification.payload())),
                // The connection closed; the listener would reconnect on
                // its own, but what was announced meanwhile is lost.
                Ok(None) => {
                    let closed = std::io::Error::from(std::io::ErrorKind::ConnectionAborted);
                    return sqlx::Error::Io(closed).into();
                }
                Err(error) => return error.into(),
            }
        }
    }
}
