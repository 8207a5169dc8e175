//! What verification answered, by answer and organization. The label set
//! stays bounded: the first organizations seen (`metrics.org_labels`, 100
//! by default) each get their own series, every later one counts as
//! `org="other"`, and answers about no key at all as `org="none"`.
//!
//! Counting costs one relaxed atomic add: an organization's slot is chosen
//! once, when its record is loaded into the verification cache, and travels
//! with its cached keys.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use uuid::Uuid;

/// How many organizations get their own label unless configured.
pub const DEFAULT_ORG_LABELS: u16 = 100;

/// The answers, in the order of [`Verdict`].
const CODES: [&str; 9] = [
    "VALID",
    "NOT_FOUND",
    "EXPIRED",
    "REVOKED",
    "DISABLED",
    "INSUFFICIENT_PERMISSIONS",
    "IP_NOT_ALLOWED",
    "RATE_LIMITED",
    "USAGE_EXCEEDED",
];

/// What a verification answered, in the order of `CODES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    NotFound,
    Expired,
    Revoked,
    Disabled,
    Insufficient,
    IpNotAllowed,
    RateLimited,
    UsageExceeded,
}

/// Where an organization's verifications are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgSlot(u16);

impl OrgSlot {
    /// No key was found: there is no organization to name.
    pub const NONE: OrgSlot = OrgSlot(0);
    /// An organization seen after the labelled ones.
    pub const OTHER: OrgSlot = OrgSlot(1);
    const FIRST_ORG: u16 = 2;
}

impl Default for OrgSlot {
    fn default() -> Self {
        Self::OTHER
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    code: &'static str,
    org: String,
}

pub struct Verifications {
    /// By slot, then by answer.
    counts: Box<[[AtomicU64; CODES.len()]]>,
    /// The organizations given a slot of their own, in slot order.
    named: Mutex<Named>,
    limit: usize,
}

#[derive(Default)]
struct Named {
    slots: HashMap<Uuid, OrgSlot>,
    orgs: Vec<Uuid>,
}

impl Verifications {
    /// Counters with a label of their own for the first `org_labels`
    /// organizations seen.
    pub fn new(org_labels: u16) -> Self {
        let slots = usize::from(org_labels) + usize::from(OrgSlot::FIRST_ORG);
        Self {
            counts: (0..slots).map(|_| Default::default()).collect(),
            named: Mutex::default(),
            limit: usize::from(org_labels),
        }
    }

    /// The slot of `org`: its own while there is room, else `OTHER`.
    /// Called when an organization is loaded, not per verification.
    pub fn slot_of(&self, org: Uuid) -> OrgSlot {
        let mut named = self.named.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = named.slots.get(&org) {
            return *slot;
        }
        if named.orgs.len() >= self.limit {
            return OrgSlot::OTHER;
        }
        let Ok(index) = u16::try_from(named.orgs.len()) else {
            return OrgSlot::OTHER;
        };
        let slot = OrgSlot(OrgSlot::FIRST_ORG + index);
        named.orgs.push(org);
        named.slots.insert(org, slot);
        slot
    }

    /// Counts one answer.
    pub fn count(&self, slot: OrgSlot, verdict: Verdict) {
        if let Some(counts) = self.counts.get(usize::from(slot.0)) {
            counts[verdict as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Registers the counts as they are now as `keyward_verifications_total`:
    /// every answer for `other` (so each code has a series from the start),
    /// `NOT_FOUND` for `none`, and the answers given for each named
    /// organization.
    pub fn register(&self, registry: &mut Registry) {
        let family = Family::<Labels, Counter>::default();
        let orgs = self
            .named
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .orgs
            .clone();
        let labelled = [("none", OrgSlot::NONE), ("other", OrgSlot::OTHER)]
            .into_iter()
            .map(|(name, slot)| (name.to_owned(), slot))
            .chain(
                orgs.iter()
                    .zip(OrgSlot::FIRST_ORG..)
                    .map(|(org, index)| (org.to_string(), OrgSlot(index))),
            );
        for (org, slot) in labelled {
            let Some(counts) = self.counts.get(usize::from(slot.0)) else {
                continue;
            };
            for (code, count) in CODES.iter().zip(counts) {
                let count = count.load(Ordering::Relaxed);
                let always = match slot {
                    OrgSlot::OTHER => true,
                    OrgSlot::NONE => *code == "NOT_FOUND",
                    _ => false,
                };
                if count > 0 || always {
                    let labels = Labels {
                        code,
                        org: org.clone(),
                    };
                    family.get_or_create(&labels).inc_by(count);
                }
            }
        }
        registry.register(
            "keyward_verifications",
            "Verifications (verify endpoint and forward-auth) by answer and organization; \
             organizations past the labelled ones count as \"other\", answers about no key as \"none\"",
            family,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizations_past_the_limit_share_other() {
        let counts = Verifications::new(2);
        let orgs: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let slots: Vec<OrgSlot> = orgs.iter().map(|org| counts.slot_of(*org)).collect();
        assert_eq!(slots[0], OrgSlot(2));
        assert_eq!(slots[1], OrgSlot(3));
        assert_eq!(slots[2], OrgSlot::OTHER);
        assert_eq!(counts.slot_of(orgs[0]), OrgSlot(2), "a slot is kept");
        counts.count(slots[2], Verdict::Valid);
        counts.count(slots[0], Verdict::Revoked);
        counts.count(OrgSlot::NONE, Verdict::NotFound);
        let mut registry = Registry::default();
        counts.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode_registry(&mut text, &registry).unwrap();
        assert!(text.contains("code=\"VALID\",org=\"other\"} 1"), "{text}");
        assert!(text.contains(&format!("code=\"REVOKED\",org=\"{}\"}} 1", orgs[0])));
        assert!(
            text.contains("code=\"NOT_FOUND\",org=\"none\"} 1"),
            "{text}"
        );
        assert!(!text.contains(&orgs[2].to_string()), "{text}");
    }

    #[test]
    fn no_labelled_organizations_at_zero() {
        let counts = Verifications::new(0);
        assert_eq!(counts.slot_of(Uuid::now_v7()), OrgSlot::OTHER);
    }
}
