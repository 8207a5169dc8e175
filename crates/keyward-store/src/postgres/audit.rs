//! The audit log on PostgreSQL. Appends to a chain, from any node, queue
//! on a row lock on the chain's head, so each reads the head the previous
//! one left and the chain stays contiguous.

use super::PostgresStore;
use crate::audit::{self, AuditQuery, AuditStore, ChainCheck, Head, Link, StoredEvent, chain_key};
use crate::error::corrupt;
use crate::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use futures::future::ready;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use keyward_core::audit::{AuditEvent, GENESIS};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection, QueryBuilder};
use uuid::Uuid;

/// Creates the chain's head unless it exists, then locks it until the
/// transaction ends. The insert waits for a concurrent one that created the
/// row first, so the `SELECT … FOR UPDATE` always finds it.
async fn lock_head(conn: &mut PgConnection, chain: Uuid) -> Result<Head> {
    sqlx::query(audit::OPEN_CHAIN)
        .bind(chain)
        .bind(GENESIS.as_slice())
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as(&format!("{} FOR UPDATE", audit::HEAD))
        .bind(chain)
        .fetch_one(&mut *conn)
        .await?)
}

/// Records `events` in their chains on `conn`, inside the transaction it
/// is in, so a write and its events commit together or not at all. Each
/// chain's head stays locked until the transaction ends: call it last in
/// the transaction, after the write's own row locks, so the locks are held
/// briefly and always taken in the same order. Several chains are locked in
/// the order of their keys, so writers recording events in the same chains
/// can't deadlock; each chain's events keep their order.
pub(crate) async fn append_in_tx(conn: &mut PgConnection, events: &[AuditEvent]) -> Result<()> {
    let mut ordered: Vec<&AuditEvent> = events.iter().collect();
    ordered.sort_by_key(|event| chain_key(event.organization_id));
    for event in ordered {
        let chain = chain_key(event.organization_id);
        let head = lock_head(conn, chain).await?;
        let (seq, hash) = head.next(event)?;
        let mut insert = QueryBuilder::new("");
        // The store keeps milliseconds, as SQLite does and as the hash covers.
        audit::push_insert(&mut insert, seq, hash, event, event.at.trunc_subsecs(3))?;
        insert.build().execute(&mut *conn).await?;
        sqlx::query(audit::MOVE_HEAD)
            .bind(chain)
            .bind(seq)
            .bind(hash.as_slice())
            .execute(&mut *conn)
            .await?;
        super::webhooks::insert_outbox(conn, event).await?;
    }
    Ok(())
}

fn link(row: PgRow) -> Result<Link> {
    Ok(StoredEvent::<DateTime<Utc>>::from_row(&row)?.into_link(Ok))
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        append_in_tx(&mut tx, std::slice::from_ref(event)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>> {
        let mut page = QueryBuilder::new("");
        audit::push_page(&mut page, query, |at| at);
        page.build()
            .fetch_all(&self.pool)
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
            .bind(since)
            .bind(until)
            .fetch(&self.pool)
            .map_err(StoreError::from)
            .and_then(|row| ready(link(row).and_then(|link| link.event)))
            .boxed()
    }

    async fn verify_audit_chain(&self, org: Option<Uuid>) -> Result<ChainCheck> {
        let chain = chain_key(org);
        // The head and the events from one snapshot, whatever is appended
        // or pruned meanwhile.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
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
            .fetch_all(&self.pool)
            .await?;
        let mut pruned = 0;
        for chain in chains {
            let mut tx = self.pool.begin().await?;
            let head = lock_head(&mut tx, chain).await?;
            let first_kept: Option<i64> = sqlx::query_scalar(audit::FIRST_KEPT)
                .bind(chain)
                .bind(head.anchor_seq)
                .bind(before)
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
