//! The audit log's records: who did what to which target, with what
//! outcome, and the hash chain that makes a changed, dropped or reordered
//! event detectable. Each organization has its own chain; events without
//! an organization (organizations created or deleted with the admin key)
//! form one more.
//!
//! An event never holds a secret: `details` says what changed, never a key,
//! token or password.

use crate::access::string_enum;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use uuid::Uuid;

/// Longest action name, dot included.
const ACTION_MAX: usize = 64;

/// The hash a chain's first event links to.
pub const GENESIS: [u8; 32] = [0; 32];

/// Bumped if the canonical form ever changes, so old and new forms can't
/// be confused.
const CANONICAL_VERSION: u8 = 1;

/// A validated action name, `resource.verb` (`key.revoked`,
/// `member.role_changed`): two words of lowercase letters and `_` joined by
/// one dot, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Action(Cow<'static, str>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "action {0:?} is not of the form `resource.verb` \
     (lowercase letters and `_`, at most {ACTION_MAX} characters)"
)]
pub struct BadAction(pub String);

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// [`Action::parse`]'s rule, in a form a constant can be checked with.
const fn is_action(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (mut i, mut dot) = (0, None);
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'.' {
            if dot.is_some() {
                return false;
            }
            dot = Some(i);
        } else if !(b.is_ascii_lowercase() || b == b'_') {
            return false;
        }
        i += 1;
    }
    match dot {
        Some(at) => at > 0 && at + 1 < bytes.len() && bytes.len() <= ACTION_MAX,
        None => false,
    }
}

impl Action {
    pub fn parse(s: &str) -> Result<Self, BadAction> {
        match s.split_once('.') {
            Some((resource, verb))
                if s.len() <= ACTION_MAX && is_word(resource) && is_word(verb) =>
            {
                Ok(Self(Cow::Owned(s.to_owned())))
            }
            _ => Err(BadAction(s.to_owned())),
        }
    }

    /// An action keyward itself records, checked when the constant is
    /// compiled: `const KEY_REVOKED: Action = Action::known("key.revoked")`.
    pub const fn known(name: &'static str) -> Self {
        assert!(is_action(name), "not an action name");
        Self(Cow::Borrowed(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Action {
    type Error = BadAction;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Action> for String {
    fn from(a: Action) -> Self {
        a.0.into_owned()
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which actions a listing keeps: one (`key.revoked`), or every action on
/// a resource (`key.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFilter {
    Exact(Action),
    /// The resource word, without the `.*`.
    Resource(String),
}

impl FromStr for ActionFilter {
    type Err = BadAction;
    fn from_str(s: &str) -> Result<Self, BadAction> {
        match s.strip_suffix(".*") {
            Some(resource) if s.len() <= ACTION_MAX && is_word(resource) => {
                Ok(Self::Resource(resource.to_owned()))
            }
            Some(_) => Err(BadAction(s.to_owned())),
            None => Action::parse(s).map(Self::Exact),
        }
    }
}

string_enum! {
    /// Whether the attempt was carried out or refused.
    Outcome { Success => "success", Denied => "denied" }
}

string_enum! {
    /// Who acted: a signed-in user, an API key acting on keyward's API, the
    /// admin key, keyward itself (expiry, pruning), or the holder of a key
    /// being verified.
    ActorKind {
        User => "user",
        Key => "key",
        Admin => "admin",
        System => "system",
        KeyHolder => "key_holder",
    }
}

/// One side of an event: `{type, id, name}`. `name` is the label at the
/// time of the event, so the log still reads after a rename or deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Party<K> {
    /// For an actor `user`, `key`, `admin`, `system` or `key_holder`; for a
    /// target the kind of record (`key`, `member`, `organization`, …).
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: K,
    pub id: String,
    pub name: String,
}

/// Who acted.
pub type Actor = Party<ActorKind>;

/// What was acted on: `type` names the kind of record (`key`, `member`,
/// `organization`, ...).
pub type Target = Party<String>;

/// One entry of the audit log: a committed change or a denied attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: Uuid,
    /// Kept to the millisecond, as the stores keep it and the hash covers it.
    pub at: DateTime<Utc>,
    /// `None` for events outside any organization (creating or deleting
    /// one with the admin key); they form a chain of their own.
    pub organization_id: Option<Uuid>,
    /// `<resource>.<verb>`, such as `key.revoked`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "key.revoked"))]
    pub action: Action,
    pub outcome: Outcome,
    pub actor: Actor,
    pub target: Option<Target>,
    pub request_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// What changed, as a JSON object whose fields depend on the action.
    /// Never a secret.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// The canonical form's fields, in a fixed order. `at` is Unix
/// milliseconds, so the form doesn't depend on how a store spells time,
/// and `details` serializes with sorted keys (serde_json's `Map` is a
/// `BTreeMap` while its `preserve_order` feature is off; a test below fails
/// if anything turns it on).
#[derive(Serialize)]
struct Canonical<'a> {
    v: u8,
    id: Uuid,
    at: i64,
    organization_id: Option<Uuid>,
    action: &'a str,
    outcome: Outcome,
    actor: &'a Actor,
    target: Option<&'a Target>,
    request_id: Option<&'a str>,
    ip: Option<IpAddr>,
    user_agent: Option<&'a str>,
    details: &'a serde_json::Map<String, serde_json::Value>,
}

impl AuditEvent {
    /// A new event with a fresh (time-ordered) id, `at` cut to the
    /// millisecond, no target, request metadata or details.
    pub fn new(
        at: DateTime<Utc>,
        organization_id: Option<Uuid>,
        action: Action,
        outcome: Outcome,
        actor: Actor,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            at: at.trunc_subsecs(3),
            organization_id,
            action,
            outcome,
            actor,
            target: None,
            request_id: None,
            ip: None,
            user_agent: None,
            details: serde_json::Map::new(),
        }
    }

    /// Every field, as deterministic bytes (compact JSON with a fixed field
    /// order): what the chain hash covers.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let form = Canonical {
            v: CANONICAL_VERSION,
            id: self.id,
            at: self.at.timestamp_millis(),
            organization_id: self.organization_id,
            action: self.action.as_str(),
            outcome: self.outcome,
            actor: &self.actor,
            target: self.target.as_ref(),
            request_id: self.request_id.as_deref(),
            ip: self.ip,
            user_agent: self.user_agent.as_deref(),
            details: &self.details,
        };
        let mut bytes = Vec::new();
        // serde_json fails only on an I/O error (a Vec has none) or a map
        // key that isn't a string (every map here has string keys).
        let _ = serde_json::to_writer(&mut bytes, &form);
        bytes
    }
}

/// The hash of an event in its chain: SHA-256 of the previous event's hash
/// ([`GENESIS`] for the first) followed by the event's canonical bytes.
pub fn chain_hash(previous: &[u8; 32], event: &AuditEvent) -> [u8; 32] {
    Sha256::new()
        .chain_update(previous)
        .chain_update(event.canonical_bytes())
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixed() -> AuditEvent {
        let mut event = AuditEvent::new(
            DateTime::from_timestamp_millis(1_764_633_600_123).unwrap(),
            Some(Uuid::from_u128(0x0192f0c4_0000_7000_8000_000000000001)),
            Action::parse("key.revoked").unwrap(),
            Outcome::Success,
            Party {
                kind: ActorKind::User,
                id: "0192f0c4-0000-7000-8000-000000000002".to_owned(),
                name: "Ada".to_owned(),
            },
        );
        event.id = Uuid::from_u128(0x0192f0c4_0000_7000_8000_000000000003);
        event.target = Some(Party {
            kind: "key".to_owned(),
            id: "0192f0c4-0000-7000-8000-000000000004".to_owned(),
            name: "ci deploys".to_owned(),
        });
        event.request_id = Some("req-1".to_owned());
        event.ip = Some("203.0.113.7".parse().unwrap());
        event.user_agent = Some("curl/8".to_owned());
        event.details = match json!({"reason": "leaked", "count": 2}) {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        event
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn action_names_are_validated() {
        for good in ["org.created", "member.role_changed", "auth.login_failed"] {
            assert_eq!(Action::parse(good).unwrap().as_str(), good);
        }
        let long = format!("{}.x", "a".repeat(ACTION_MAX));
        for bad in [
            "",
            "org",
            ".created",
            "org.",
            "org..created",
            "org.created.again",
            "Org.created",
            "org.created2",
            "org-x.created",
            "org. created",
            long.as_str(),
        ] {
            assert!(Action::parse(bad).is_err(), "{bad:?} was accepted");
            assert!(!is_action(bad), "{bad:?} passes the constant check");
        }
        const REVOKED: Action = Action::known("key.revoked");
        assert_eq!(REVOKED, Action::parse("key.revoked").unwrap());
    }

    #[test]
    fn action_filters_are_exact_or_a_resource() {
        assert_eq!(
            "key.revoked".parse(),
            Ok(ActionFilter::Exact(Action::parse("key.revoked").unwrap()))
        );
        assert_eq!(
            "key.*".parse(),
            Ok(ActionFilter::Resource("key".to_owned()))
        );
        for bad in ["*", ".*", "key.*.*", "Key.*", "key*", "key.re*", "a.b.*"] {
            assert!(bad.parse::<ActionFilter>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn serializes_as_the_api_shows_it() {
        let value = serde_json::to_value(fixed()).unwrap();
        assert_eq!(value["actor"]["type"], "user");
        assert_eq!(value["target"]["type"], "key");
        assert_eq!(value["outcome"], "success");
        assert_eq!(value["action"], "key.revoked");
        let back: AuditEvent = serde_json::from_value(value).unwrap();
        assert_eq!(back, fixed());
    }

    #[test]
    fn canonical_form_is_stable() {
        // Stored chains were hashed over this exact form: changing it
        // breaks their verification.
        let expected = concat!(
            r#"{"v":1,"id":"0192f0c4-0000-7000-8000-000000000003","at":1764633600123,"#,
            r#""organization_id":"0192f0c4-0000-7000-8000-000000000001","#,
            r#""action":"key.revoked","outcome":"success","#,
            r#""actor":{"type":"user","id":"0192f0c4-0000-7000-8000-000000000002","name":"Ada"},"#,
            r#""target":{"type":"key","id":"0192f0c4-0000-7000-8000-000000000004","name":"ci deploys"},"#,
            r#""request_id":"req-1","ip":"203.0.113.7","user_agent":"curl/8","#,
            r#""details":{"count":2,"reason":"leaked"}}"#,
        );
        assert_eq!(
            String::from_utf8(fixed().canonical_bytes()).unwrap(),
            expected
        );
        let mut previous = Sha256::new();
        previous.update(GENESIS);
        previous.update(expected.as_bytes());
        assert_eq!(
            hex(&chain_hash(&GENESIS, &fixed())),
            hex(&previous.finalize())
        );
    }

    #[test]
    fn details_key_order_does_not_matter() {
        let mut a = fixed();
        let mut b = fixed();
        a.details = serde_json::Map::new();
        b.details = serde_json::Map::new();
        a.details.insert("zeta".to_owned(), json!(1));
        a.details
            .insert("alpha".to_owned(), json!({"y": 1, "x": 2}));
        b.details
            .insert("alpha".to_owned(), json!({"x": 2, "y": 1}));
        b.details.insert("zeta".to_owned(), json!(1));
        assert_eq!(a.canonical_bytes(), b.canonical_bytes());
        assert_eq!(chain_hash(&GENESIS, &a), chain_hash(&GENESIS, &b));
    }

    #[test]
    fn every_field_and_the_previous_hash_change_the_hash() {
        let base = chain_hash(&GENESIS, &fixed());
        type Change = (&'static str, fn(&mut AuditEvent));
        let changes: Vec<Change> = vec![
            ("id", |e| e.id = Uuid::from_u128(9)),
            ("at", |e| e.at += chrono::Duration::milliseconds(1)),
            ("organization_id", |e| e.organization_id = None),
            ("action", |e| {
                e.action = Action::parse("key.created").unwrap()
            }),
            ("outcome", |e| e.outcome = Outcome::Denied),
            ("actor.type", |e| e.actor.kind = ActorKind::Key),
            ("actor.id", |e| e.actor.id.push('x')),
            ("actor.name", |e| e.actor.name.push('x')),
            ("target", |e| e.target = None),
            ("target.type", |e| {
                if let Some(t) = &mut e.target {
                    t.kind.push('x')
                }
            }),
            ("target.id", |e| {
                if let Some(t) = &mut e.target {
                    t.id.push('x')
                }
            }),
            ("target.name", |e| {
                if let Some(t) = &mut e.target {
                    t.name.push('x')
                }
            }),
            ("request_id", |e| e.request_id = None),
            ("ip", |e| e.ip = Some("203.0.113.8".parse().unwrap())),
            ("user_agent", |e| e.user_agent = Some(String::new())),
            ("details", |e| {
                e.details.insert("count".to_owned(), json!(3));
            }),
        ];
        for (field, change) in changes {
            let mut event = fixed();
            change(&mut event);
            assert_ne!(chain_hash(&GENESIS, &event), base, "{field} is not covered");
        }
        assert_ne!(
            chain_hash(&[1; 32], &fixed()),
            base,
            "previous hash is not covered"
        );
    }

    #[test]
    fn new_cuts_time_to_the_millisecond() {
        let at = DateTime::from_timestamp(1_764_633_600, 123_456_789).unwrap();
        let event = AuditEvent::new(
            at,
            None,
            Action::parse("org.created").unwrap(),
            Outcome::Success,
            Party {
                kind: ActorKind::Admin,
                id: String::new(),
                name: "admin".to_owned(),
            },
        );
        assert_eq!(event.at.timestamp_subsec_nanos(), 123_000_000);
    }
}
