//! Webhooks in the store: endpoints round-trip without their secret; an
//! audited write queues one delivery per enabled endpoint that wants its
//! event, in its transaction, in order; a write that changes nothing
//! queues none; one lease per endpoint at a time; attempts, retries and
//! expiry notices.

use crate::fixtures::{create_org, insert, now};
use chrono::Duration;
use keyward_core::audit::{Action, ActorKind, AuditEvent, Outcome, Party};
use keyward_core::webhook::{DeliveryStatus, EventPattern, SigningSecret, Webhook};
use keyward_store::{Attempt, AttemptOutcome, NewMessage, Store, WebhookPatch};
use std::sync::Arc;
use uuid::Uuid;

const NONE: Vec<Uuid> = Vec::new();

fn webhook(org: Uuid, events: &[&str]) -> Webhook {
    Webhook {
        id: Uuid::now_v7(),
        organization_id: org,
        url: "https://example.com/hook".to_owned(),
        description: String::new(),
        events: events
            .iter()
            .map(|e| EventPattern::parse(e).unwrap())
            .collect(),
        enabled: true,
        created_at: now(),
        updated_at: now(),
        failing_since: None,
        disabled_at: None,
        previous_secret_until: None,
    }
}

fn event(org: Uuid, action: &str, outcome: Outcome) -> AuditEvent {
    AuditEvent::new(
        now(),
        Some(org),
        Action::parse(action).unwrap(),
        outcome,
        Party {
            kind: ActorKind::Admin,
            id: "admin".to_owned(),
            name: "admin key".to_owned(),
        },
    )
}

/// An audited write of nothing in particular: the organization's expiry
/// notice, set to what it was.
async fn audited(store: &dyn Store, events: Vec<AuditEvent>) -> bool {
    let org = events[0].organization_id.unwrap();
    store
        .audited(events)
        .set_expiring_days(org, 7)
        .await
        .is_ok()
}

pub async fn webhooks_round_trip_without_their_secret(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let hook = webhook(acme.id, &["key.*", "member.removed", "*"]);
    store
        .create_webhook(&hook, &SigningSecret::generate())
        .await
        .unwrap();
    assert_eq!(
        store.webhook(acme.id, hook.id).await.unwrap(),
        Some(hook.clone())
    );
    assert_eq!(store.webhooks(acme.id).await.unwrap(), vec![hook.clone()]);
    assert_eq!(store.webhook(Uuid::now_v7(), hook.id).await.unwrap(), None);
    let patch = WebhookPatch {
        events: Some(vec![EventPattern::parse("team.created").unwrap()]),
        enabled: Some(false),
        ..WebhookPatch::default()
    };
    let changed = store
        .update_webhook(acme.id, hook.id, &patch, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.url, hook.url);
    assert!(!changed.enabled);
    assert_eq!(changed.events, patch.events.clone().unwrap());
    let until = now() + Duration::hours(24);
    let rolled = store
        .roll_webhook_secret(acme.id, hook.id, &SigningSecret::generate(), until, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rolled.previous_secret_until, Some(until));
    assert!(store.delete_webhook(acme.id, hook.id).await.unwrap());
    assert!(!store.delete_webhook(acme.id, hook.id).await.unwrap());
    assert!(store.webhooks(acme.id).await.unwrap().is_empty());
}

pub async fn audited_writes_fill_the_outbox_in_their_transaction(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let keys = webhook(acme.id, &["key.*"]);
    let all = webhook(acme.id, &["*"]);
    let mut off = webhook(acme.id, &["*"]);
    off.enabled = false;
    let theirs = webhook(other.id, &["*"]);
    for hook in [&keys, &all, &off, &theirs] {
        store
            .create_webhook(hook, &SigningSecret::generate())
            .await
            .unwrap();
    }
    assert!(
        audited(
            &*store,
            vec![event(acme.id, "key.revoked", Outcome::Success)]
        )
        .await
    );
    assert!(
        audited(
            &*store,
            vec![event(acme.id, "team.created", Outcome::Success)]
        )
        .await
    );
    assert!(
        audited(
            &*store,
            vec![event(acme.id, "keys.created", Outcome::Success)]
        )
        .await
    );
    // Denied attempts go to the log only.
    store
        .append_audit(&event(acme.id, "key.created", Outcome::Denied))
        .await
        .unwrap();
    let kinds = |list: Vec<keyward_core::webhook::Delivery>| {
        list.into_iter()
            .rev()
            .map(|d| d.event_type)
            .collect::<Vec<_>>()
    };
    let to_keys = store.deliveries(acme.id, keys.id, None, 100).await.unwrap();
    assert_eq!(kinds(to_keys), ["key.revoked"]);
    let to_all = store.deliveries(acme.id, all.id, None, 100).await.unwrap();
    assert_eq!(
        kinds(to_all.clone()),
        ["key.revoked", "team.created", "keys.created"]
    );
    assert!(
        to_all
            .iter()
            .all(|d| d.status == DeliveryStatus::Pending && d.attempts == 0)
    );
    assert!(to_all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(
        store
            .deliveries(acme.id, off.id, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .deliveries(other.id, theirs.id, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    // Another organization can't read them.
    assert!(
        store
            .deliveries(other.id, all.id, None, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // A write that changes nothing queues nothing.
    let key = insert(&*store, &acme, |_| {}).await.record.id;
    assert!(store.note_key_expiry(key, "x", now()).await.unwrap());
    let again = store
        .audited(vec![event(acme.id, "key.expired", Outcome::Success)])
        .note_key_expiry(key, "x", now())
        .await
        .unwrap();
    assert!(!again);
    assert_eq!(
        store
            .deliveries(acme.id, all.id, None, 100)
            .await
            .unwrap()
            .len(),
        3
    );
}

pub async fn one_node_at_a_time_sends_an_endpoints_deliveries(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let hook = webhook(acme.id, &["*"]);
    store
        .create_webhook(&hook, &SigningSecret::generate())
        .await
        .unwrap();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let t = now();
    assert_eq!(
        store
            .claim_webhooks(a, t, t + Duration::seconds(30), 10)
            .await
            .unwrap(),
        NONE
    );
    assert!(
        audited(
            &*store,
            vec![event(acme.id, "team.created", Outcome::Success)]
        )
        .await
    );
    assert!(
        audited(
            &*store,
            vec![event(acme.id, "team.deleted", Outcome::Success)]
        )
        .await
    );
    let lease = t + Duration::seconds(30);
    assert_eq!(
        store.claim_webhooks(a, t, lease, 10).await.unwrap(),
        vec![hook.id]
    );
    assert_eq!(store.claim_webhooks(b, t, lease, 10).await.unwrap(), NONE);
    let due = store.next_due(hook.id, t).await.unwrap().unwrap();
    assert_eq!(due.delivery.event_type, "team.created");
    assert_eq!(due.organization_id, acme.id);
    let retry_at = t + Duration::seconds(5);
    let failed = Attempt {
        at: t,
        response_status: Some(500),
        latency_ms: 12,
        outcome: AttemptOutcome::RetryAt(retry_at),
        error: Some("answered 500".to_owned()),
    };
    store
        .record_attempt(due.delivery.id, &failed)
        .await
        .unwrap();
    // In order: the second waits while the first is not due.
    assert!(store.next_due(hook.id, t).await.unwrap().is_none());
    let failing = store.webhook(acme.id, hook.id).await.unwrap().unwrap();
    assert_eq!(failing.failing_since, Some(t));
    store.release_webhook(hook.id, b).await.unwrap();
    assert_eq!(
        store.claim_webhooks(b, t, lease, 10).await.unwrap(),
        NONE,
        "not b's lease"
    );
    store.release_webhook(hook.id, a).await.unwrap();
    let later = retry_at + Duration::seconds(1);
    assert_eq!(
        store
            .claim_webhooks(b, later, later + Duration::seconds(30), 10)
            .await
            .unwrap(),
        vec![hook.id]
    );
    let due = store.next_due(hook.id, later).await.unwrap().unwrap();
    assert_eq!(due.delivery.attempts, 1);
    let delivered = Attempt {
        at: later,
        response_status: Some(204),
        latency_ms: 3,
        outcome: AttemptOutcome::Delivered,
        error: None,
    };
    store
        .record_attempt(due.delivery.id, &delivered)
        .await
        .unwrap();
    let next = store.next_due(hook.id, later).await.unwrap().unwrap();
    assert_eq!(next.delivery.event_type, "team.deleted");
    let healthy = store.webhook(acme.id, hook.id).await.unwrap().unwrap();
    assert_eq!(healthy.failing_since, None);
    let first = store
        .deliveries(acme.id, hook.id, None, 100)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(first.status, DeliveryStatus::Delivered);
    assert_eq!((first.attempts, first.response_status), (2, Some(204)));

    // A retry on request queues it again; a test message queues one more.
    let retried = store
        .retry_delivery(acme.id, hook.id, first.id, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.status, DeliveryStatus::Pending);
    assert!(
        store
            .retry_delivery(acme.id, hook.id, 9_999_999, later)
            .await
            .unwrap()
            .is_none()
    );
    let message = NewMessage {
        message_id: "msg_test".to_owned(),
        event_type: "webhook.test".to_owned(),
        body: "{}".to_owned(),
    };
    assert!(
        store
            .enqueue_message(acme.id, hook.id, &message, later)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .enqueue_message(acme.id, Uuid::now_v7(), &message, later)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .disable_failing_webhook(acme.id, hook.id, later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .disable_failing_webhook(acme.id, hook.id, later)
            .await
            .unwrap()
    );
    let disabled = store.webhook(acme.id, hook.id).await.unwrap().unwrap();
    assert!(!disabled.enabled && disabled.disabled_at == Some(later));
    assert_eq!(
        store
            .claim_webhooks(
                a,
                later + Duration::minutes(5),
                later + Duration::minutes(6),
                10
            )
            .await
            .unwrap(),
        NONE
    );
}

pub async fn expiring_keys_are_found_until_noted(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let t = now();
    let soon = insert(&*store, &acme, |k| {
        k.expires_at = Some(t + Duration::days(3))
    })
    .await;
    let later = insert(&*store, &acme, |k| {
        k.expires_at = Some(t + Duration::days(20))
    })
    .await;
    insert(&*store, &acme, |_| {}).await;
    let found = store.keys_expiring(t, 7, 100).await.unwrap();
    assert_eq!(
        found.iter().map(|n| n.key_id).collect::<Vec<_>>(),
        vec![soon.record.id]
    );
    store.set_expiring_days(acme.id, 30).await.unwrap();
    assert_eq!(store.expiring_days(acme.id).await.unwrap(), Some(30));
    assert_eq!(store.keys_expiring(t, 7, 100).await.unwrap().len(), 2);
    assert!(
        store
            .note_key_expiry(soon.record.id, "expiring", t)
            .await
            .unwrap()
    );
    let left = store.keys_expiring(t, 7, 100).await.unwrap();
    assert_eq!(
        left.iter().map(|n| n.key_id).collect::<Vec<_>>(),
        vec![later.record.id]
    );
    let after = t + Duration::days(4);
    let expired = store.keys_expired(after, t, 100).await.unwrap();
    assert_eq!(
        expired.iter().map(|n| n.key_id).collect::<Vec<_>>(),
        vec![soon.record.id]
    );
    assert!(
        store
            .note_key_expiry(soon.record.id, "expired", after)
            .await
            .unwrap()
    );
    assert!(store.keys_expired(after, t, 100).await.unwrap().is_empty());
}
