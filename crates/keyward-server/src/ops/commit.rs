//! The one commit point: every change keyward makes ends here.

use crate::ctx::{Ctx, RequestMeta};
use crate::eviction::Evict;
use crate::state::AppState;
use futures::future::BoxFuture;
use keyward_core::KeyHash;
use keyward_core::audit::{Action, Actor, AuditEvent, Outcome, Party};
use keyward_store::{Store, StoreError};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt::Display;
use uuid::Uuid;

/// A change about to be made: what happens, to what, in which
/// organization, what it changed, and which cached answers it can alter.
#[derive(Debug, Clone)]
pub struct Change {
    action: Action,
    /// The chains the change is recorded in: its organization's (`None`
    /// for the organization-less chain), or each organization of a user
    /// whose account changed.
    orgs: Vec<Option<Uuid>>,
    target: Option<Party<String>>,
    details: Map<String, Value>,
    evicts: Vec<Evict>,
    /// A key this change creates: a node may remember its hash as unknown.
    created_key: Option<KeyHash>,
}

impl Change {
    /// A change in one organization, or outside any (`None`).
    pub fn new(action: Action, org: Option<Uuid>) -> Self {
        Self::in_orgs(action, [org])
    }

    /// A change recorded in each of these organizations' logs.
    pub fn in_orgs(action: Action, orgs: impl IntoIterator<Item = Option<Uuid>>) -> Self {
        Self {
            action,
            orgs: orgs.into_iter().collect(),
            target: None,
            details: Map::new(),
            evicts: Vec::new(),
            created_key: None,
        }
    }

    /// What the change is about: its kind (`key`, `team`, ...), id and
    /// current name.
    pub fn target(mut self, kind: &str, id: impl Display, name: impl Into<String>) -> Self {
        self.target = Some(Party {
            kind: kind.to_owned(),
            id: id.to_string(),
            name: name.into(),
        });
        self
    }

    /// One fact about the change: a new value, what was granted. Never a
    /// secret.
    pub fn detail(mut self, name: &str, value: impl Serialize) -> Self {
        if let Ok(value) = serde_json::to_value(value) {
            self.details.insert(name.to_owned(), value);
        }
        self
    }

    /// The old and new value of a field that a change set, skipping fields
    /// it left alone or set to what they were.
    pub fn changed<T: Serialize + PartialEq>(self, name: &str, old: &T, new: Option<&T>) -> Self {
        match new {
            Some(new) if new != old => self.detail(name, ChangedValue { old, new }),
            _ => self,
        }
    }

    /// Cached answers the change can alter.
    pub fn evicts(mut self, evict: Evict) -> Self {
        self.evicts.push(evict);
        self
    }

    /// The change creates the key stored under `hash`.
    pub fn created_key(mut self, hash: KeyHash) -> Self {
        self.created_key = Some(hash);
        self
    }

    fn events(
        &self,
        actor: &Actor,
        meta: &RequestMeta,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Vec<AuditEvent> {
        self.orgs
            .iter()
            .map(|org| {
                let mut event = AuditEvent::new(
                    at,
                    *org,
                    self.action.clone(),
                    Outcome::Success,
                    actor.clone(),
                );
                event.target = self.target.clone();
                event.request_id = meta.request_id.clone();
                event.ip = meta.ip;
                event.user_agent = meta.user_agent.clone();
                event.details = self.details.clone();
                event
            })
            .collect()
    }
}

#[derive(Serialize)]
struct ChangedValue<'a, T> {
    old: &'a T,
    new: &'a T,
}

/// Who makes a change, and from where.
pub struct By<'a> {
    pub actor: Actor,
    pub meta: &'a RequestMeta,
}

impl Ctx {
    pub fn by(&self) -> By<'_> {
        By {
            actor: self.caller.actor(),
            meta: &self.meta,
        }
    }
}

/// Commits `change`: runs `write` against a store handle that records the
/// change's audit events, and the webhook deliveries they make, in the
/// write's own transaction (so an
/// acknowledged change always has its events and a change that didn't
/// commit has none), then retires the cached answers the change can alter
/// on this node and has the other nodes do the same.
///
/// `write` gets the handle and makes exactly one store write with it.
pub async fn commit<'a, T>(
    state: &AppState,
    by: By<'_>,
    change: Change,
    write: impl FnOnce(Box<dyn Store>) -> BoxFuture<'a, Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let events = change.events(&by.actor, by.meta, state.clock.now());
    let written = write(state.store.audited(events)).await?;
    // The write may have queued webhook deliveries with its events.
    state.outbox.poke();
    for evict in change.evicts {
        state.cache.retire(evict);
    }
    if let Some(hash) = &change.created_key {
        state.cache.created(hash);
    }
    Ok(written)
}

/// The logs a change to a user's account goes in: each organization the
/// user belongs to, or the organization-less log for a user in none.
pub async fn user_logs(state: &AppState, user: Uuid) -> Result<Vec<Option<Uuid>>, StoreError> {
    let orgs: Vec<Option<Uuid>> = state
        .store
        .user_orgs(user)
        .await?
        .into_iter()
        .map(|(org, _)| Some(org.id))
        .collect();
    Ok(if orgs.is_empty() { vec![None] } else { orgs })
}

/// Records an attempt that changed nothing (a refused call, a failed
/// sign-in) in the logs `change` names, with `outcome`.
pub async fn record(
    state: &AppState,
    by: By<'_>,
    change: Change,
    outcome: Outcome,
) -> Result<(), StoreError> {
    for mut event in change.events(&by.actor, by.meta, state.clock.now()) {
        event.outcome = outcome;
        state.store.append_audit(&event).await?;
    }
    Ok(())
}
