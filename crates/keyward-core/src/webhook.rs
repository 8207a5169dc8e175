//! Webhooks, pure: which events an endpoint asked for, its signing secret,
//! the Standard Webhooks signature, the body sent for an audit event, and
//! when a failed delivery is tried again.

use crate::audit::{Action, AuditEvent};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use std::time::Duration;
use uuid::Uuid;

/// The signing secret's prefix, as Standard Webhooks names it.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a signing secret.
const SECRET_BYTES: usize = 32;
/// Most patterns one endpoint subscribes to.
pub const MAX_EVENTS: usize = 64;
/// The events keyward sends besides its audit actions.
pub const KEY_EXPIRING: Action = Action::known("key.expiring");
pub const KEY_EXPIRED: Action = Action::known("key.expired");
/// A test delivery's type.
pub const WEBHOOK_TEST: &str = "webhook.test";

/// One pattern of the events an endpoint receives: every event (`*`),
/// every action on a resource (`key.*`), or one action (`key.revoked`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventPattern {
    All,
    Resource(String),
    Exact(Action),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {0:?} is not `*`, `resource.*` or an action name such as `key.revoked`")]
pub struct BadPattern(pub String);

impl EventPattern {
    pub fn parse(s: &str) -> Result<Self, BadPattern> {
        if s == "*" {
            return Ok(Self::All);
        }
        match s.strip_suffix(".*") {
            Some(resource)
                if !resource.is_empty()
                    && resource.len() <= 32
                    && resource
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_') =>
            {
                Ok(Self::Resource(resource.to_owned()))
            }
            Some(_) => Err(BadPattern(s.to_owned())),
            None => Action::parse(s)
                .map(Self::Exact)
                .map_err(|_| BadPattern(s.to_owned())),
        }
    }

    /// Whether an event of type `event` matches.
    pub fn matches(&self, event: &str) -> bool {
        match self {
            Self::All => true,
            Self::Resource(resource) => event
                .strip_prefix(resource.as_str())
                .is_some_and(|rest| rest.starts_with('.')),
            Self::Exact(action) => action.as_str() == event,
        }
    }

    /// The stored form: the text an event type must equal, or begin with.
    pub fn stored(&self) -> (String, bool) {
        match self {
            Self::All => (String::new(), true),
            Self::Resource(resource) => (format!("{resource}."), true),
            Self::Exact(action) => (action.to_string(), false),
        }
    }

    /// Back from [`EventPattern::stored`].
    pub fn from_stored(pattern: &str, is_prefix: bool) -> Result<Self, BadPattern> {
        match (is_prefix, pattern.strip_suffix('.')) {
            (true, _) if pattern.is_empty() => Ok(Self::All),
            (true, Some(resource)) => Self::parse(&format!("{resource}.*")),
            (true, None) => Err(BadPattern(pattern.to_owned())),
            (false, _) => Self::parse(pattern),
        }
    }
}

impl fmt::Display for EventPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Resource(resource) => write!(f, "{resource}.*"),
            Self::Exact(action) => f.write_str(action.as_str()),
        }
    }
}

impl Serialize for EventPattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventPattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A signing secret, `whsec_<base64 of 32 random bytes>`; `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a signing secret is `whsec_` and base64")]
pub struct BadSecret;

impl SigningSecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// A stored secret, checked.
    pub fn parse(text: &str) -> Result<Self, BadSecret> {
        let secret = Self(text.to_owned());
        match secret.key() {
            Some(key) if !key.is_empty() => Ok(secret),
            _ => Err(BadSecret),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the base64-decoded part after `whsec_`.
    fn key(&self) -> Option<Vec<u8>> {
        let encoded = self.0.strip_prefix(SECRET_PREFIX)?;
        STANDARD.decode(encoded).ok()
    }

    /// `v1,<base64 of HMAC-SHA256("{id}.{timestamp}.{body}")>`.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &str) -> String {
        let key = self.key().unwrap_or_default();
        // HMAC takes a key of any length.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            return String::new();
        };
        mac.update(message_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

/// An endpoint's secrets: the current one, and the one it replaced while
/// their overlap lasts. Every delivery carries a signature under each.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub current: SigningSecret,
    pub previous: Option<(SigningSecret, DateTime<Utc>)>,
}

impl Secrets {
    /// The `webhook-signature` header's value at `now`: space-separated
    /// signatures, the current secret's first.
    pub fn signature(&self, now: DateTime<Utc>, message_id: &str, ts: i64, body: &str) -> String {
        let mut header = self.current.sign(message_id, ts, body);
        if let Some((previous, until)) = &self.previous
            && now < *until
        {
            header.push(' ');
            header.push_str(&previous.sign(message_id, ts, body));
        }
        header
    }
}

/// The message id sent as `webhook-id`: the same for every attempt.
pub fn message_id(event: Uuid) -> String {
    format!("msg_{}", event.simple())
}

#[derive(Serialize)]
struct Body<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: DateTime<Utc>,
    data: T,
}

/// What an event tells its receiver: the audit event without its request
/// metadata (never a secret: the audit log holds none).
#[derive(Serialize)]
struct EventData<'a> {
    id: Uuid,
    organization_id: Option<Uuid>,
    actor: &'a crate::audit::Actor,
    target: Option<&'a crate::audit::Target>,
    details: &'a serde_json::Map<String, serde_json::Value>,
}

/// The body sent for `event`: `{type, timestamp, data}`.
pub fn event_body(event: &AuditEvent) -> String {
    let data = EventData {
        id: event.id,
        organization_id: event.organization_id,
        actor: &event.actor,
        target: event.target.as_ref(),
        details: &event.details,
    };
    body(event.action.as_str(), event.at, data)
}

/// A body of type `kind` at `at` carrying `data`.
pub fn body(kind: &str, at: DateTime<Utc>, data: impl Serialize) -> String {
    let body = Body {
        kind,
        timestamp: at,
        data,
    };
    serde_json::to_string(&body).unwrap_or_default()
}

/// An organization's endpoint. Its secret is never part of it: it is
/// shown once, when made or rolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<EventPattern>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Since when every attempt failed, while they do.
    pub failing_since: Option<DateTime<Utc>>,
    /// When keyward disabled it for failing too long.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Until when the previous secret still signs, after a roll.
    pub previous_secret_until: Option<DateTime<Utc>>,
}

impl Webhook {
    /// Whether it receives events of type `event`.
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|p| p.matches(event))
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Retried for the whole window without a 2xx.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One message to one endpoint, and how its attempts went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: Uuid,
    /// `webhook-id`: the same for every attempt.
    pub message_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub response_status: Option<i32>,
    pub latency_ms: Option<i64>,
    /// Why the last attempt failed, without the response's body.
    pub last_error: Option<String>,
}

/// How long deliveries are retried, counted from the first attempt.
pub const RETRY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// How long an endpoint may fail before it is disabled.
pub const DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 3600);
/// The waits after each failure, as multiples of the base (5 s by
/// default): about 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then
/// every 8 h until the window closes.
const BACKOFF_STEPS: [u64; 9] = [1, 6, 24, 120, 360, 720, 1440, 2880, 5760];

/// The wait after the `failures`-th failed attempt (1 for the first),
/// with `base` for the first, before jitter.
pub fn backoff(failures: u32, base: Duration) -> Duration {
    let index = (failures.max(1) as usize - 1).min(BACKOFF_STEPS.len() - 1);
    base.saturating_mul(BACKOFF_STEPS[index] as u32)
}

/// `wait` moved by up to a fifth either way, by `unit` in `[0, 1)`.
pub fn jitter(wait: Duration, unit: f64) -> Duration {
    let factor = 0.8 + 0.4 * unit.clamp(0.0, 1.0);
    wait.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_match_and_round_trip() {
        let all = EventPattern::parse("*").unwrap();
        let keys = EventPattern::parse("key.*").unwrap();
        let removed = EventPattern::parse("member.removed").unwrap();
        assert!(all.matches("team.created"));
        assert!(keys.matches("key.revoked") && !keys.matches("keys.x") && !keys.matches("key"));
        assert!(removed.matches("member.removed") && !removed.matches("member.removed_x"));
        for p in [all, keys, removed] {
            let (text, prefix) = p.stored();
            assert_eq!(EventPattern::from_stored(&text, prefix).unwrap(), p);
            assert_eq!(EventPattern::parse(&p.to_string()).unwrap(), p);
        }
        for bad in ["", "key", "*.*", "Key.*", "key.**", "key.re voked", ".*"] {
            assert!(EventPattern::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn signature_follows_standard_webhooks() {
        // The Standard Webhooks specification's own example.
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(SigningSecret::parse("whsec_!!").is_err());
        assert!(SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(SigningSecret::parse(SigningSecret::generate().expose()).is_ok());
        assert!(!format!("{secret:?}").contains("MfKQ"));
    }

    #[test]
    fn both_signatures_during_the_overlap() {
        let now = Utc::now();
        let (old, new) = (SigningSecret::generate(), SigningSecret::generate());
        let secrets = Secrets {
            current: new.clone(),
            previous: Some((old.clone(), now + chrono::Duration::hours(24))),
        };
        let header = secrets.signature(now, "msg_1", 5, "{}");
        assert_eq!(
            header,
            format!(
                "{} {}",
                new.sign("msg_1", 5, "{}"),
                old.sign("msg_1", 5, "{}")
            )
        );
        let later = now + chrono::Duration::hours(25);
        assert_eq!(
            secrets.signature(later, "msg_1", 5, "{}"),
            new.sign("msg_1", 5, "{}")
        );
    }

    #[test]
    fn backoff_starts_near_five_and_thirty_seconds() {
        let base = Duration::from_secs(5);
        assert_eq!(backoff(1, base), Duration::from_secs(5));
        assert_eq!(backoff(2, base), Duration::from_secs(30));
        assert_eq!(backoff(40, base), Duration::from_secs(8 * 3600));
        let total: Duration = (1..=12).map(|n| backoff(n, base)).sum();
        assert!(total > RETRY_WINDOW);
        let wait = jitter(Duration::from_secs(10), 0.99);
        assert!(wait >= Duration::from_secs(8) && wait <= Duration::from_secs(12));
    }
}
