//! The key lifecycle in the store: rolling a key in one transaction (the
//! old key marked and ended, the new one inserted under the limit, the
//! events recorded only when it rolled), editing a key's grants and
//! read-only flag, listing by expiry, and organizations' key policies.

use crate::fixtures::{NO_LIMIT, create_org, create_permission, grant, ids, insert, new_key, now};
use chrono::{DateTime, Duration, Utc};
use futures::TryStreamExt;
use keyward_core::audit::{Action, ActorKind, AuditEvent, Outcome, Party};
use keyward_core::key_policy::KeyPolicy;
use keyward_core::leak_policy::LeakPolicy;
use keyward_core::model::{KeyPatch, KeyRecord, NewKey, Organization, RollEnd};
use keyward_store::{KeyFilter, OrgPatch, Store, StoreError};
use std::sync::Arc;

/// The key that replaces `old`.
fn successor(org: &Organization, old: &KeyRecord) -> NewKey {
    let mut new = new_key(org);
    new.record.rolled_from = Some(old.id);
    new.record.permissions = old.permissions.clone();
    new
}

fn rolled_event(org: &Organization) -> AuditEvent {
    AuditEvent::new(
        now(),
        Some(org.id),
        Action::parse("key.rolled").unwrap(),
        Outcome::Success,
        Party {
            kind: ActorKind::Admin,
            id: "admin".to_owned(),
            name: "admin".to_owned(),
        },
    )
}

async fn events(store: &dyn Store, org: &Organization) -> usize {
    let all: Vec<AuditEvent> = store
        .audit_export(Some(org.id), None, None)
        .try_collect()
        .await
        .unwrap();
    all.len()
}

async fn reread(store: &dyn Store, key: &KeyRecord) -> KeyRecord {
    store
        .key(key.organization_id, key.id)
        .await
        .unwrap()
        .expect("the key is there")
}

pub async fn roll_key_marks_the_old_key_and_inserts_the_new(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let reports = create_permission(&*store, acme.id, "reports:read").await;
    let far = now() + Duration::days(30);
    let old = insert(&*store, &acme, |k| {
        k.expires_at = Some(far);
        k.permissions = vec![grant(reports.id, "reports:read", "*")];
    })
    .await
    .record;
    let new = successor(&acme, &old);
    let by = now() + Duration::days(1);
    let audited = store.audited(vec![rolled_event(&acme)]);
    assert!(
        audited
            .roll_key(&new, RollEnd::ExpiresBy(by), NO_LIMIT, now())
            .await
            .unwrap()
    );
    let after = reread(&*store, &old).await;
    assert_eq!(after.rolled_to, Some(new.record.id));
    assert_eq!(after.expires_at, Some(by));
    assert_eq!(after.revoked_at, None);
    assert_eq!(reread(&*store, &new.record).await, new.record);
    assert_eq!(events(&*store, &acme).await, 1);

    // Rolled once: a second roll writes nothing and records nothing.
    let again = successor(&acme, &old);
    let audited = store.audited(vec![rolled_event(&acme)]);
    assert!(
        !audited
            .roll_key(&again, RollEnd::RevokedAt(now()), NO_LIMIT, now())
            .await
            .unwrap()
    );
    assert_eq!(store.key(acme.id, again.record.id).await.unwrap(), None);
    assert_eq!(events(&*store, &acme).await, 1);
}

pub async fn roll_key_never_moves_an_expiry_later_and_revokes_at_once(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let soon = now() + Duration::hours(1);
    let short = insert(&*store, &acme, |k| k.expires_at = Some(soon))
        .await
        .record;
    let later = now() + Duration::days(1);
    let rolled = store
        .roll_key(
            &successor(&acme, &short),
            RollEnd::ExpiresBy(later),
            NO_LIMIT,
            now(),
        )
        .await
        .unwrap();
    assert!(rolled);
    assert_eq!(reread(&*store, &short).await.expires_at, Some(soon));

    let forever = insert(&*store, &acme, |_| {}).await.record;
    assert!(
        store
            .roll_key(
                &successor(&acme, &forever),
                RollEnd::ExpiresBy(later),
                NO_LIMIT,
                now()
            )
            .await
            .unwrap()
    );
    assert_eq!(reread(&*store, &forever).await.expires_at, Some(later));

    let revoked_now = insert(&*store, &acme, |_| {}).await.record;
    let at = now();
    assert!(
        store
            .roll_key(
                &successor(&acme, &revoked_now),
                RollEnd::RevokedAt(at),
                NO_LIMIT,
                now()
            )
            .await
            .unwrap()
    );
    assert_eq!(reread(&*store, &revoked_now).await.revoked_at, Some(at));
    // A revoked key rolls no more.
    assert!(
        !store
            .roll_key(
                &successor(&acme, &revoked_now),
                RollEnd::RevokedAt(at),
                NO_LIMIT,
                now()
            )
            .await
            .unwrap()
    );
}

pub async fn roll_key_respects_the_limit(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let old = insert(&*store, &acme, |_| {}).await.record;
    // At the limit, a grace period keeps the old key live: refused, and
    // nothing changed.
    let new = successor(&acme, &old);
    let refused = store
        .roll_key(
            &new,
            RollEnd::ExpiresBy(now() + Duration::hours(1)),
            1,
            now(),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::KeyLimitReached)),
        "{refused:?}"
    );
    assert_eq!(reread(&*store, &old).await, old);
    assert_eq!(store.key(acme.id, new.record.id).await.unwrap(), None);
    // Revoked at once, the old key makes room for the new.
    assert!(
        store
            .roll_key(&new, RollEnd::RevokedAt(now()), 1, now())
            .await
            .unwrap()
    );
}

pub async fn update_key_replaces_grants_and_read_only(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let reports = create_permission(&*store, acme.id, "reports:read").await;
    let sales = create_permission(&*store, acme.id, "sales:read").await;
    let key = insert(&*store, &acme, |k| {
        k.permissions = vec![grant(reports.id, "reports:read", "*")];
    })
    .await
    .record;
    let wanted = vec![
        grant(sales.id, "sales:read", "region/eu"),
        grant(reports.id, "reports:read", "*"),
    ];
    let patch = KeyPatch {
        permissions: Some(wanted.clone()),
        read_only: Some(true),
        ..KeyPatch::default()
    };
    let updated = store
        .update_key(acme.id, key.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.permissions, wanted);
    assert!(updated.read_only);
    assert_eq!(reread(&*store, &key).await, updated);
    let cleared = KeyPatch {
        permissions: Some(Vec::new()),
        ..KeyPatch::default()
    };
    let updated = store
        .update_key(acme.id, key.id, &cleared)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.permissions, vec![]);
    assert_eq!(reread(&*store, &key).await.permissions, vec![]);
}

pub async fn list_keys_where_filters_by_expiry(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let at = now();
    let expiring = |days: i64| -> Option<DateTime<Utc>> { Some(at + Duration::days(days)) };
    let expired = insert(&*store, &acme, |k| {
        k.expires_at = Some(at - Duration::days(1))
    })
    .await;
    let in_two = insert(&*store, &acme, |k| k.expires_at = expiring(2)).await;
    let in_ten = insert(&*store, &acme, |k| k.expires_at = expiring(10)).await;
    let never = insert(&*store, &acme, |_| {}).await;
    let list = |filter: KeyFilter| {
        let store = store.clone();
        async move {
            ids(&store
                .list_keys_where(acme.id, None, 100, &filter)
                .await
                .unwrap())
        }
    };
    let within = |days: i64| KeyFilter {
        expiring: Some((at, at + Duration::days(days))),
        ..KeyFilter::default()
    };
    assert_eq!(list(within(3)).await, vec![in_two.record.id]);
    assert_eq!(
        list(within(10)).await,
        vec![in_ten.record.id, in_two.record.id]
    );
    let beyond = |after: Option<DateTime<Utc>>| KeyFilter {
        unbounded_after: Some(after),
        ..KeyFilter::default()
    };
    assert_eq!(
        list(beyond(expiring(5))).await,
        vec![never.record.id, in_ten.record.id]
    );
    assert_eq!(list(beyond(None)).await, vec![never.record.id]);
    let both = KeyFilter {
        expiring: Some((at, at + Duration::days(30))),
        unbounded_after: Some(expiring(5)),
    };
    assert_eq!(list(both).await, vec![in_ten.record.id]);
    // An expired key is still live: listed without a filter, but never
    // as expiring.
    let all = list(KeyFilter::default()).await;
    assert_eq!(all.len(), 4);
    assert!(all.contains(&expired.record.id));
}

pub async fn org_key_policy_round_trips(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    assert_eq!(acme.key_policy, KeyPolicy::default());
    let policy = KeyPolicy::new(Some(90), true).unwrap();
    let patch = OrgPatch {
        key_policy: Some(policy),
        ..OrgPatch::default()
    };
    let updated = store.update_org(acme.id, &patch).await.unwrap().unwrap();
    assert_eq!(updated.key_policy, policy);
    assert_eq!(updated.name, acme.name);
    let renamed = OrgPatch {
        name: Some("Acme 2".to_owned()),
        ..OrgPatch::default()
    };
    let renamed = store.update_org(acme.id, &renamed).await.unwrap().unwrap();
    assert_eq!(renamed.key_policy, policy);
    let found = store.org_by_id(acme.id).await.unwrap().unwrap();
    assert_eq!(found.key_policy, policy);
    let cleared = OrgPatch {
        key_policy: Some(KeyPolicy::default()),
        ..OrgPatch::default()
    };
    let cleared = store.update_org(acme.id, &cleared).await.unwrap().unwrap();
    assert_eq!(cleared.key_policy, KeyPolicy::default());
}

pub async fn org_leak_policy_round_trips(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    assert_eq!(acme.leak_policy, LeakPolicy::Revoke);
    for policy in [LeakPolicy::Notify, LeakPolicy::Disable] {
        let patch = OrgPatch {
            leak_policy: Some(policy),
            ..OrgPatch::default()
        };
        let updated = store.update_org(acme.id, &patch).await.unwrap().unwrap();
        assert_eq!(updated.leak_policy, policy);
        assert_eq!(updated.key_policy, acme.key_policy);
        let renamed = OrgPatch {
            name: Some(format!("Acme {policy}")),
            ..OrgPatch::default()
        };
        let renamed = store.update_org(acme.id, &renamed).await.unwrap().unwrap();
        assert_eq!(renamed.leak_policy, policy, "a rename keeps the policy");
        let found = store.find_org("acme").await.unwrap().unwrap();
        assert_eq!(found.leak_policy, policy);
    }
    let other = create_org(&*store, "other").await;
    assert_eq!(
        store
            .org_by_id(other.id)
            .await
            .unwrap()
            .unwrap()
            .leak_policy,
        LeakPolicy::Revoke
    );
}
