//! Which cached answers a change retires, and how a node tells the others.
//!
//! Every change takes the next tick of a clock and is remembered against
//! the id it concerns (a key, a principal or an organization). A cached
//! answer carries the tick read before its loading started, and is current
//! while nothing it depends on changed after that tick: retiring is O(1),
//! and a load that raced a change is never taken for current.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use uuid::Uuid;

/// What a change can alter. Ids are unique across kinds and organizations,
/// so an id alone names what to retire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Evict {
    /// One key: its own settings changed, or it was revoked.
    Key(Uuid),
    /// A user or service account: its membership, role, groups, teams or
    /// enabled flag changed. A user's keys in every organization.
    Principal(Uuid),
    /// An organization: its record, catalog, roles, groups or teams; every
    /// key of it.
    Org(Uuid),
    /// Anything: changes may have been missed.
    All,
}

/// Payloads stay well under PostgreSQL's 8000-byte `NOTIFY` limit.
pub const MAX_PAYLOAD: usize = 7000;

impl fmt::Display for Evict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Evict::Key(id) => write!(f, "k:{id}"),
            Evict::Principal(id) => write!(f, "p:{id}"),
            Evict::Org(id) => write!(f, "o:{id}"),
            Evict::All => f.write_str("*"),
        }
    }
}

impl Evict {
    /// One word of an announcement; anything unreadable retires everything,
    /// as a node that can't tell what changed must assume anything did.
    fn parse(word: &str) -> Evict {
        let id = |rest: &str| Uuid::parse_str(rest).ok();
        match word.split_once(':') {
            Some(("k", rest)) => id(rest).map_or(Evict::All, Evict::Key),
            Some(("p", rest)) => id(rest).map_or(Evict::All, Evict::Principal),
            Some(("o", rest)) => id(rest).map_or(Evict::All, Evict::Org),
            _ => Evict::All,
        }
    }

    /// What an announcement names. `None` (announcements were missed) and
    /// an empty payload (a node that names nothing) are `All`.
    pub fn parse_payload(payload: Option<&str>) -> Vec<Evict> {
        match payload {
            Some(text) if !text.trim().is_empty() => {
                text.split_whitespace().map(Evict::parse).collect()
            }
            _ => vec![Evict::All],
        }
    }

    /// Announcements for `changes`, each at most [`MAX_PAYLOAD`] bytes.
    pub fn payloads(changes: &[Evict]) -> Vec<String> {
        if changes.contains(&Evict::All) {
            return vec![Evict::All.to_string()];
        }
        let mut payloads = vec![String::new()];
        for change in changes {
            let word = change.to_string();
            let last = payloads
                .last_mut()
                .filter(|p| p.len() + word.len() < MAX_PAYLOAD);
            match last {
                Some(payload) if payload.is_empty() => payload.push_str(&word),
                Some(payload) => {
                    payload.push(' ');
                    payload.push_str(&word);
                }
                None => payloads.push(word),
            }
        }
        payloads.retain(|p| !p.is_empty());
        payloads
    }
}

/// Changes remembered by id before the oldest are forgotten by retiring
/// everything once: bounds memory whatever the churn.
const TRACKED: usize = 100_000;

/// When each id last changed, on a clock that ticks once per change.
#[derive(Default)]
pub struct Changes {
    clock: AtomicU64,
    /// The tick of the last change to everything.
    everything: AtomicU64,
    by_id: RwLock<HashMap<Uuid, u64>>,
    /// Changes may be going unheard: nothing is current until everything
    /// is retired, but answers that were current stay usable as stale ones.
    doubting: AtomicBool,
}

impl Changes {
    /// The tick to stamp on something whose loading starts now.
    pub fn now(&self) -> u64 {
        self.clock.load(Ordering::Acquire)
    }

    /// Records a change; answers stamped before it are no longer current.
    /// Retiring everything ends a doubt.
    pub fn record(&self, change: Evict) {
        let at = self.clock.fetch_add(1, Ordering::AcqRel) + 1;
        let id = match change {
            Evict::Key(id) | Evict::Principal(id) | Evict::Org(id) => id,
            Evict::All => {
                self.everything.fetch_max(at, Ordering::AcqRel);
                self.doubting.store(false, Ordering::Release);
                return;
            }
        };
        let mut by_id = self.by_id.write().unwrap_or_else(PoisonError::into_inner);
        if by_id.len() >= TRACKED {
            self.everything.fetch_max(at, Ordering::AcqRel);
            by_id.clear();
        }
        let last = by_id.entry(id).or_default();
        *last = (*last).max(at);
    }

    /// Changes may go unheard from now on (the connection that hears them
    /// is lost): until [`Evict::All`] is recorded, no answer is current.
    pub fn doubt(&self) {
        self.doubting.store(true, Ordering::Release);
    }

    /// Whether each `(stamp, id)`'s id is unchanged since its stamp, and
    /// no change can have gone unheard.
    pub fn unchanged(&self, since: &[(u64, Uuid)]) -> bool {
        !self.doubting.load(Ordering::Acquire) && self.unchanged_as_heard(since)
    }

    /// Whether each `(stamp, id)`'s id is unchanged since its stamp as far
    /// as this node heard: what a stale answer needs. A load stamped with
    /// the tick of a change started after that change was stored, so saw it.
    pub fn unchanged_as_heard(&self, since: &[(u64, Uuid)]) -> bool {
        let everything = self.everything.load(Ordering::Acquire);
        if since.iter().any(|&(stamp, _)| everything > stamp) {
            return false;
        }
        let by_id = self.by_id.read().unwrap_or_else(PoisonError::into_inner);
        since
            .iter()
            .all(|(stamp, id)| by_id.get(id).is_none_or(|at| at <= stamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_retires_only_what_names_it() {
        let changes = Changes::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let stamp = changes.now();
        changes.record(Evict::Org(a));
        assert!(!changes.unchanged(&[(stamp, a)]));
        assert!(changes.unchanged(&[(stamp, b)]));
        assert!(changes.unchanged(&[(changes.now(), a), (stamp, b)]));
        assert!(!changes.unchanged(&[(changes.now(), b), (stamp, a)]));
        changes.record(Evict::All);
        assert!(!changes.unchanged(&[(stamp, b)]));
    }

    #[test]
    fn a_doubt_makes_nothing_current_until_everything_is_retired() {
        let changes = Changes::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let stamp = changes.now();
        changes.record(Evict::Key(a));
        changes.doubt();
        assert!(!changes.unchanged(&[(stamp, b)]));
        assert!(changes.unchanged_as_heard(&[(stamp, b)]));
        assert!(!changes.unchanged_as_heard(&[(stamp, a)]));
        changes.record(Evict::All);
        assert!(!changes.unchanged_as_heard(&[(stamp, b)]));
        assert!(changes.unchanged(&[(changes.now(), b)]));
    }

    #[test]
    fn too_many_tracked_changes_retire_everything_once() {
        let changes = Changes::default();
        let kept = Uuid::now_v7();
        let stamp = changes.now();
        for _ in 0..TRACKED {
            changes.record(Evict::Key(Uuid::now_v7()));
        }
        assert!(changes.unchanged(&[(stamp, kept)]));
        changes.record(Evict::Key(Uuid::now_v7()));
        assert!(!changes.unchanged(&[(stamp, kept)]));
        assert!(changes.unchanged(&[(changes.now(), kept)]));
    }

    #[test]
    fn payloads_round_trip_and_stay_small() {
        let changes: Vec<Evict> = (0..300)
            .map(|i| match i % 3 {
                0 => Evict::Key(Uuid::now_v7()),
                1 => Evict::Principal(Uuid::now_v7()),
                _ => Evict::Org(Uuid::now_v7()),
            })
            .collect();
        let payloads = Evict::payloads(&changes);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() <= MAX_PAYLOAD));
        let parsed: Vec<Evict> = payloads
            .iter()
            .flat_map(|p| Evict::parse_payload(Some(p)))
            .collect();
        assert_eq!(parsed, changes);
        assert_eq!(Evict::parse_payload(Some("x:junk")), vec![Evict::All]);
        assert_eq!(Evict::parse_payload(None), vec![Evict::All]);
        assert_eq!(Evict::parse_payload(Some("")), vec![Evict::All]);
        assert_eq!(Evict::payloads(&[changes[0], Evict::All]), vec!["*"]);
    }
}
