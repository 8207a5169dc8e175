//! The audit log on SQLite. Every write goes through the one writer
//! connection, so reading a chain's head and moving it can't interleave
//! with another append, and the store can remember each chain's head.

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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use uuid::Uuid;

/// The heads a batch moves chains to, by chain.
pub(crate) type Moved = HashMap<Uuid, Head>;

/// Each chain's head as this store last committed it. Every append goes
/// through the one writer connection, so once a chain's head is known an
/// audited write needn't read it again: a key and its event are one round
/// trip. The batch still checks the head it links to (see `push_appends`)
/// and fails rather than extend a chain from a stale head; a failure
/// forgets every head, which are read again.
#[derive(Debug, Default)]
pub(crate) struct Heads(Mutex<Moved>);

impl Heads {
    fn lock(&self) -> MutexGuard<'_, Moved> {
        // A panic elsewhere can't leave the map half-written.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the heads a batch moved chains to, while its write still
    /// holds the writer connection; after a batch or a commit that failed,
    /// forgets them all.
    pub(crate) fn settle(&self, committed: Result<Moved>) -> Result<()> {
        let mut heads = self.lock();
        match committed {
            Ok(moved) => {
                heads.extend(moved);
                Ok(())
            }
            Err(error) => {
                heads.clear();
                Err(error)
            }
        }
    }
}

/// Appends to `batch` the statements recording `events` in their chains,
/// in order, each ending with the condition `guard` pushes (at least
/// `WHERE true`) so a batch can record them only if its write happened.
/// Takes each chain's head from `heads`, or reads it on `conn`, the writer
/// connection. Moving a head checks that it is still the one the event
/// links to: a head left NULL fails the batch. Says where the heads go.
pub(crate) async fn push_appends<'q>(
    conn: &mut SqliteConnection,
    heads: &Heads,
    batch: &mut QueryBuilder<'q, Sqlite>,
    events: &[AuditEvent],
    guard: impl Fn(&mut QueryBuilder<'q, Sqlite>),
) -> Result<Moved> {
    let mut moved = Moved::new();
    for event in events {
        let chain = chain_key(event.organization_id);
        let known = heads.lock().get(&chain).cloned();
        let head = match moved.entry(chain) {
            Entry::Occupied(head) => head.into_mut(),
            Entry::Vacant(slot) => slot.insert(match known {
                Some(head) => head,
                None => sqlx::query_as(audit::HEAD)
                    .bind(chain)
                    .fetch_optional(&mut *conn)
                    .await?
                    .unwrap_or_else(Head::genesis),
            }),
        };
        let (seq, hash) = head.next(event)?;
        audit::push_insert(batch, seq, hash, event, ms(event.at))?;
        guard(batch);
        // A new chain's row, or the head moved on from the one the event
        // links to, which it must still be.
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
        batch
            .push(" ON CONFLICT (chain_key) DO UPDATE SET last_seq = CASE WHEN last_seq = ")
            .push_bind(head.last_seq)
            .push(" AND last_hash = ")
            .push_bind(head.last_hash.clone())
            .push(" THEN excluded.last_seq END, last_hash = excluded.last_hash; ");
        super::webhooks::push_outbox(batch, event, &guard);
        head.last_seq = seq;
        head.last_hash = hash.to_vec();
    }
    Ok(moved)
}

/// Records `events` in their chains on `conn`, the writer connection, in
/// the transaction it is in: call it last, after the write itself. Says
/// where the heads go once the transaction commits.
pub(crate) async fn append_in_tx(
    conn: &mut SqliteConnection,
    heads: &Heads,
    events: &[AuditEvent],
) -> Result<Moved> {
    let mut batch = QueryBuilder::new("");
    let moved = push_appends(conn, heads, &mut batch, events, |batch| {
        batch.push(" WHERE true");
    })
    .await?;
    batch.build().execute(&mut *conn).await?;
    Ok(moved)
}

fn link(row: SqliteRow) -> Result<Link> {
    Ok(StoredEvent::<i64>::from_row(&row)?.into_link(from_ms))
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()> {
        // A write of nothing, recording the event.
        let store = Self {
            audit: Arc::new([event.clone()]),
            ..self.clone()
        };
        let write = store.transaction().await?;
        store.finish(write, ()).await
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
