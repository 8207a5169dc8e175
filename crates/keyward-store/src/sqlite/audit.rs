//! The audit log on SQLite. Every write goes through the one writer
//! connection, so reading a chain's head and moving it can't interleave
//! with another append.

use super::{SqliteStore, from_ms, ms};
use crate::audit::{self, AuditQuery, AuditStore, ChainCheck, Head, Link, StoredEvent, chain_key};
use crate::error::corrupt;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::ready;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use keyward_core::audit::{AuditEvent, GENESIS};
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use uuid::Uuid;

/// Appends to `batch` the statements recording `events` in their chains,
/// in order, each ending with the condition `guard` pushes (at least
/// `WHERE true`) so a batch can record them only if its write happened.
/// Reads each chain's head on `conn`, the writer connection, through which
/// every write goes: the heads can't move before the batch runs on it.
pub(crate) async fn push_appends<'q>(
    conn: &mut SqliteConnection,
    batch: &mut QueryBuilder<'q, Sqlite>,
    events: &[AuditEvent],
    guard: impl Fn(&mut QueryBuilder<'q, Sqlite>),
) -> Result<()> {
    let mut heads: HashMap<Uuid, Head> = HashMap::new();
    for event in events {
        let chain = chain_key(event.organization_id);
        let head = match heads.entry(chain) {
            Entry::Occupied(head) => head.into_mut(),
            Entry::Vacant(slot) => {
                let head: Option<Head> = sqlx::query_as(audit::HEAD)
                    .bind(chain)
                    .fetch_optional(&mut *conn)
                    .await?;
                slot.insert(head.unwrap_or_else(Head::genesis))
            }
        };
        let (seq, hash) = head.next(event)?;
        head.last_seq = seq;
        head.last_hash = hash.to_vec();
        audit::push_insert(batch, seq, hash, event, ms(event.at))?;
        guard(batch);
        batch.push(
            "; INSERT INTO audit_chains (chain_key, last_seq, last_hash, anchor_seq, anchor_hash) \
             SELECT ",
        );
        batch
            .separated(", ")
            .push_bind(chain)
            .push_bind(seq)
            .push_bind(hash.to_vec())
            .push("0")
            .push_bind(GENESIS.to_vec());
        guard(batch);
        batch.push(
            " ON CONFLICT (chain_key) DO UPDATE \
             SET last_seq = excluded.last_seq, last_hash = excluded.last_hash; ",
        );
    }
    Ok(())
}

/// Records `events` in their chains on `conn`, the writer connection, in
/// the transaction it is in: call it last, after the write itself.
pub(crate) async fn append_in_tx(conn: &mut SqliteConnection, events: &[AuditEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut batch = QueryBuilder::new("");
    push_appends(conn, &mut batch, events, |batch| {
        batch.push(" WHERE true");
    })
    .await?;
    batch.build().execute(&mut *conn).await?;
    Ok(())
}

fn link(row: SqliteRow) -> Result<Link> {
    Ok(StoredEvent::<i64>::from_row(&row)?.into_link(from_ms))
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        append_in_tx(&mut tx, std::slice::from_ref(event)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>> {
        let mut page = QueryBuilder::new("");
        audit::push_page(&mut page, query, ms);
        page.build()
            .fetch_all(&self.reader)
            .await?
            .into_iter()
            .map(|row| link(row)?.event)
            .collect()
    }

    fn audit_export(
        &self,
        org: Option<Uuid>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> BoxStream<'_, Result<AuditEvent>> {
        sqlx::query(audit::EXPORT)
            .bind(chain_key(org))
            .bind(since.map(ms))
            .bind(until.map(ms))
            .fetch(&self.reader)
            .map_err(StoreError::from)
            .and_then(|row| ready(link(row).and_then(|link| link.event)))
            .boxed()
    }

    async fn verify_audit_chain(&self, org: Option<Uuid>) -> Result<ChainCheck> {
        let chain = chain_key(org);
        // The head and the events from one snapshot, whatever is appended
        // or pruned meanwhile.
        let mut tx = self.reader.begin().await?;
        let head = sqlx::query_as(audit::HEAD)
            .bind(chain)
            .fetch_optional(&mut *tx)
            .await?;
        let links = sqlx::query(audit::CHAIN_EVENTS)
            .bind(chain)
            .fetch(&mut *tx)
            .map_err(StoreError::from)
            .and_then(|row| ready(link(row)));
        let check = audit::walk(head, links).await?;
        tx.commit().await?;
        Ok(check)
    }

    async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64> {
        let chains: Vec<Uuid> = sqlx::query_scalar(audit::CHAINS)
            .fetch_all(&self.reader)
            .await?;
        let mut pruned = 0;
        for chain in chains {
            let mut tx = self.writer.begin().await?;
            let head: Head = sqlx::query_as(audit::HEAD)
                .bind(chain)
                .fetch_one(&mut *tx)
                .await?;
            let first_kept: Option<i64> = sqlx::query_scalar(audit::FIRST_KEPT)
                .bind(chain)
                .bind(head.anchor_seq)
                .bind(ms(before))
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(last_pruned) = head.prune_to(first_kept) {
                let anchor: Vec<u8> = sqlx::query_scalar(audit::EVENT_HASH)
                    .bind(chain)
                    .bind(last_pruned)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| corrupt(format!("audit chain {chain} lacks {last_pruned}")))?;
                pruned += sqlx::query(audit::DELETE_UP_TO)
                    .bind(chain)
                    .bind(last_pruned)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query(audit::MOVE_ANCHOR)
                    .bind(chain)
                    .bind(last_pruned)
                    .bind(anchor)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(pruned)
    }
}
