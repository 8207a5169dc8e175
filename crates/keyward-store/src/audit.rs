//! The audit log's part of the store: appending events to their chain,
//! listing and exporting them, checking a chain, and pruning old events.
//!
//! Each chain (an organization's, or the organization-less one, keyed by
//! the nil UUID) numbers its events 1, 2, 3, … (`seq`) and links each to the
//! one before by [`chain_hash`]. `audit_chains` holds each chain's head,
//! where the next event links, and its anchor, the last pruned event, where
//! verification starts. The SQL and row mapping below are shared by both
//! dialects; each dialect's `audit.rs` holds only what differs (time
//! columns, row locks) and `append_in_tx`, which a write calls inside its
//! own transaction.

use crate::Result;
use crate::error::corrupt;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, Stream, TryStreamExt};
use keyward_core::audit::{Action, ActionFilter, AuditEvent, GENESIS, Party, chain_hash};
use sqlx::{Database, Encode, QueryBuilder, Type};
use uuid::Uuid;

/// Which events of one chain a listing returns, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// `None` for the organization-less chain.
    pub organization: Option<Uuid>,
    pub action: Option<ActionFilter>,
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    /// Events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Events before this time.
    pub until: Option<DateTime<Utc>>,
    /// The cursor: events older than this one, the last of the previous
    /// page. An id the chain doesn't hold (pruned, or another chain's)
    /// gives an empty page.
    pub before: Option<Uuid>,
    /// Page size; the store keeps it within 1 to [`AuditQuery::MAX_LIMIT`].
    pub limit: u32,
}

impl AuditQuery {
    pub const MAX_LIMIT: u32 = 100;

    /// The newest page of a chain, unfiltered.
    pub fn new(organization: Option<Uuid>) -> Self {
        Self {
            organization,
            action: None,
            actor_id: None,
            target_id: None,
            since: None,
            until: None,
            before: None,
            limit: Self::MAX_LIMIT,
        }
    }
}

/// What checking a chain found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCheck {
    pub ok: bool,
    /// Events whose hash and place were confirmed, from the anchor on.
    pub checked: u64,
    /// The first event whose stored hash isn't its recomputation, whose
    /// fields don't parse, or that is out of sequence. `None` with `ok`
    /// false when the chain ends short of its head (its newest events are
    /// gone).
    pub first_broken: Option<Uuid>,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an event to its chain in a transaction of its own, for
    /// events that aren't part of another write (denied attempts, sign-ins).
    /// A write's own events go in that write's transaction instead: see
    /// [`Store::audited`](crate::Store::audited).
    async fn append_audit(&self, event: &AuditEvent) -> Result<()>;

    /// A page of one chain, newest first.
    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>>;

    /// One chain's events at or after `since` and before `until`, oldest
    /// first, streamed from the store rather than loaded at once.
    fn audit_export(
        &self,
        org: Option<Uuid>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> BoxStream<'_, Result<AuditEvent>>;

    /// Recomputes one chain from its anchor to its head, in order, over a
    /// consistent snapshot.
    async fn verify_audit_chain(&self, org: Option<Uuid>) -> Result<ChainCheck>;

    /// Deletes every chain's events older than `before`, up to the first
    /// that isn't (a chain is only ever cut at its start), and moves the
    /// chain's anchor to the last deleted event, so the rest still
    /// verifies. One transaction per chain. Says how many events went.
    async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64>;
}

/// The chain an event belongs to.
pub(crate) fn chain_key(org: Option<Uuid>) -> Uuid {
    org.unwrap_or(Uuid::nil())
}

macro_rules! event_columns {
    () => {
        "seq, id, chain_key, at, action, outcome, actor_type, actor_id, actor_name, \
         target_type, target_id, target_name, request_id, ip, user_agent, details, hash"
    };
}

/// Creates a chain's row unless it exists: head and anchor at the genesis.
pub(crate) const OPEN_CHAIN: &str = "INSERT INTO audit_chains \
     (chain_key, last_seq, last_hash, anchor_seq, anchor_hash) VALUES ($1, 0, $2, 0, $2) \
     ON CONFLICT DO NOTHING";
pub(crate) const HEAD: &str = "SELECT last_seq, last_hash, anchor_seq, anchor_hash \
     FROM audit_chains WHERE chain_key = $1";
pub(crate) const MOVE_HEAD: &str =
    "UPDATE audit_chains SET last_seq = $2, last_hash = $3 WHERE chain_key = $1";
pub(crate) const CHAIN_EVENTS: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM audit_events WHERE chain_key = $1 ORDER BY seq"
);
pub(crate) const EXPORT: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM audit_events WHERE chain_key = $1 AND ($2 IS NULL OR at >= $2) \
     AND ($3 IS NULL OR at < $3) ORDER BY seq"
);
pub(crate) const CHAINS: &str = "SELECT chain_key FROM audit_chains ORDER BY chain_key";
/// The oldest event past the anchor that pruning keeps.
pub(crate) const FIRST_KEPT: &str = "SELECT seq FROM audit_events \
     WHERE chain_key = $1 AND seq > $2 AND at >= $3 ORDER BY seq LIMIT 1";
pub(crate) const EVENT_HASH: &str =
    "SELECT hash FROM audit_events WHERE chain_key = $1 AND seq = $2";
pub(crate) const DELETE_UP_TO: &str = "DELETE FROM audit_events WHERE chain_key = $1 AND seq <= $2";
pub(crate) const MOVE_ANCHOR: &str =
    "UPDATE audit_chains SET anchor_seq = $2, anchor_hash = $3 WHERE chain_key = $1";

/// A value both dialects bind.
pub(crate) trait Bind<'q, DB: Database>: 'q + Encode<'q, DB> + Type<DB> {}
impl<'q, DB: Database, T: 'q + Encode<'q, DB> + Type<DB>> Bind<'q, DB> for T {}

/// A chain's row in `audit_chains`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Head {
    pub last_seq: i64,
    pub last_hash: Vec<u8>,
    pub anchor_seq: i64,
    pub anchor_hash: Vec<u8>,
}

impl Head {
    /// A chain with no events yet.
    pub(crate) fn genesis() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS.to_vec(),
            anchor_seq: 0,
            anchor_hash: GENESIS.to_vec(),
        }
    }

    /// Where the event after this head goes, and the hash it gets.
    pub(crate) fn next(&self, event: &AuditEvent) -> Result<(i64, [u8; 32])> {
        let last = hash32(&self.last_hash).ok_or_else(|| {
            let chain = chain_key(event.organization_id);
            corrupt(format!(
                "the head of audit chain {chain} is not a SHA-256 hash"
            ))
        })?;
        Ok((self.last_seq + 1, chain_hash(&last, event)))
    }

    /// The last event pruning deletes, given the first it keeps (`None`
    /// when it keeps none); `None` when nothing goes.
    pub(crate) fn prune_to(&self, first_kept: Option<i64>) -> Option<i64> {
        let last = first_kept.map_or(self.last_seq, |seq| seq - 1);
        (last > self.anchor_seq).then_some(last)
    }
}

fn hash32(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes.try_into().ok()
}

/// A stored event's row, its time as the dialect keeps it.
#[derive(sqlx::FromRow)]
pub(crate) struct StoredEvent<At> {
    seq: i64,
    id: Uuid,
    chain_key: Uuid,
    at: At,
    action: String,
    outcome: String,
    actor_type: String,
    actor_id: String,
    actor_name: String,
    target_type: Option<String>,
    target_id: Option<String>,
    target_name: Option<String>,
    request_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    details: String,
    hash: Vec<u8>,
}

/// A stored event in its chain: its place, stored hash, and the event, if
/// its fields parse.
pub(crate) struct Link {
    seq: i64,
    id: Uuid,
    hash: Vec<u8>,
    pub(crate) event: Result<AuditEvent>,
}

impl<At> StoredEvent<At> {
    pub(crate) fn into_link(mut self, at: impl FnOnce(At) -> Result<DateTime<Utc>>) -> Link {
        let hash = std::mem::take(&mut self.hash);
        Link {
            seq: self.seq,
            id: self.id,
            hash,
            event: self.into_event(at),
        }
    }

    fn into_event(self, at: impl FnOnce(At) -> Result<DateTime<Utc>>) -> Result<AuditEvent> {
        let target = match (self.target_type, self.target_id, self.target_name) {
            (Some(kind), Some(id), Some(name)) => Some(Party { kind, id, name }),
            (None, None, None) => None,
            _ => {
                return Err(corrupt(format!(
                    "audit event {} has half a target",
                    self.id
                )));
            }
        };
        Ok(AuditEvent {
            id: self.id,
            at: at(self.at)?,
            organization_id: Some(self.chain_key).filter(|key| !key.is_nil()),
            action: Action::parse(&self.action).map_err(corrupt)?,
            outcome: self.outcome.parse().map_err(corrupt)?,
            actor: Party {
                kind: self.actor_type.parse().map_err(corrupt)?,
                id: self.actor_id,
                name: self.actor_name,
            },
            target,
            request_id: self.request_id,
            ip: self.ip.map(|ip| ip.parse()).transpose().map_err(corrupt)?,
            user_agent: self.user_agent,
            details: serde_json::from_str(&self.details).map_err(corrupt)?,
        })
    }
}

/// Appends the INSERT of an event at `seq` in its chain, ending with its
/// values.
pub(crate) fn push_insert<'q, DB, At>(
    sql: &mut QueryBuilder<'q, DB>,
    seq: i64,
    hash: [u8; 32],
    event: &AuditEvent,
    at: At,
) -> Result<()>
where
    DB: Database,
    Uuid: Bind<'q, DB>,
    i64: Bind<'q, DB>,
    String: Bind<'q, DB>,
    Option<String>: Bind<'q, DB>,
    Vec<u8>: Bind<'q, DB>,
    At: Bind<'q, DB>,
{
    let target = event.target.as_ref();
    // `SELECT` rather than `VALUES`, so a caller may add a `WHERE` clause.
    sql.push(concat!(
        "INSERT INTO audit_events (",
        event_columns!(),
        ") SELECT "
    ));
    sql.separated(", ")
        .push_bind(seq)
        .push_bind(event.id)
        .push_bind(chain_key(event.organization_id))
        .push_bind(at)
        .push_bind(event.action.to_string())
        .push_bind(event.outcome.to_string())
        .push_bind(event.actor.kind.to_string())
        .push_bind(event.actor.id.clone())
        .push_bind(event.actor.name.clone())
        .push_bind(target.map(|t| t.kind.clone()))
        .push_bind(target.map(|t| t.id.clone()))
        .push_bind(target.map(|t| t.name.clone()))
        .push_bind(event.request_id.clone())
        .push_bind(event.ip.map(|ip| ip.to_string()))
        .push_bind(event.user_agent.clone())
        .push_bind(serde_json::to_string(&event.details).map_err(corrupt)?)
        .push_bind(hash.to_vec());
    Ok(())
}

/// Appends the SELECT of a page of the audit log, `at` turning times into
/// the dialect's time column.
pub(crate) fn push_page<'q, DB, At>(
    sql: &mut QueryBuilder<'q, DB>,
    query: &AuditQuery,
    at: impl Fn(DateTime<Utc>) -> At,
) where
    DB: Database,
    Uuid: Bind<'q, DB>,
    i64: Bind<'q, DB>,
    String: Bind<'q, DB>,
    At: Bind<'q, DB>,
{
    let chain = chain_key(query.organization);
    sql.push(concat!(
        "SELECT ",
        event_columns!(),
        " FROM audit_events WHERE chain_key = "
    ));
    sql.push_bind(chain);
    match &query.action {
        Some(ActionFilter::Exact(action)) => {
            sql.push(" AND action = ").push_bind(action.to_string());
        }
        // Actions are lowercase words joined by a dot, and `/` follows `.`:
        // a resource's actions are exactly this range, which the index serves.
        Some(ActionFilter::Resource(resource)) => {
            sql.push(" AND action >= ")
                .push_bind(format!("{resource}."));
            sql.push(" AND action < ").push_bind(format!("{resource}/"));
        }
        None => {}
    }
    if let Some(actor) = &query.actor_id {
        sql.push(" AND actor_id = ").push_bind(actor.clone());
    }
    if let Some(target) = &query.target_id {
        sql.push(" AND target_id = ").push_bind(target.clone());
    }
    if let Some(since) = query.since {
        sql.push(" AND at >= ").push_bind(at(since));
    }
    if let Some(until) = query.until {
        sql.push(" AND at < ").push_bind(at(until));
    }
    if let Some(before) = query.before {
        sql.push(" AND seq < (SELECT seq FROM audit_events WHERE chain_key = ")
            .push_bind(chain)
            .push(" AND id = ")
            .push_bind(before)
            .push(")");
    }
    sql.push(" ORDER BY seq DESC LIMIT ")
        .push_bind(i64::from(query.limit.clamp(1, AuditQuery::MAX_LIMIT)));
}

/// Walks a chain's events in `seq` order from its anchor, recomputing each
/// hash, and checks that the walk ends at the head.
pub(crate) async fn walk(
    head: Option<Head>,
    links: impl Stream<Item = Result<Link>>,
) -> Result<ChainCheck> {
    let head = head.unwrap_or_else(Head::genesis);
    let mut seq = head.anchor_seq;
    let mut previous = hash32(&head.anchor_hash);
    let mut checked = 0;
    let mut links = std::pin::pin!(links);
    while let Some(link) = links.try_next().await? {
        let recomputed = match (&previous, &link.event) {
            (Some(previous), Ok(event)) => Some(chain_hash(previous, event)),
            _ => None,
        };
        let intact = link.seq == seq + 1
            && link.seq <= head.last_seq
            && recomputed.is_some_and(|hash| hash.as_slice() == link.hash);
        if !intact {
            return Ok(ChainCheck {
                ok: false,
                checked,
                first_broken: Some(link.id),
            });
        }
        seq = link.seq;
        previous = recomputed;
        checked += 1;
    }
    Ok(ChainCheck {
        ok: seq == head.last_seq && previous.is_some_and(|hash| hash.as_slice() == head.last_hash),
        checked,
        first_broken: None,
    })
}
