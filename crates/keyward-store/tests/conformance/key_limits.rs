//! Keys' rate limits, allowed addresses and credits: stored as given,
//! changed by a patch, and credit balances written by generation, so a
//! balance set by hand is never overwritten by consumption counted before.

use crate::fixtures::{create_org, insert, now};
use chrono::Duration;
use keyward_core::key_limits::{
    AllowedIps, CreditBalance, Credits, KeyLimits, RateLimit, Refill, RefillInterval,
};
use keyward_core::model::KeyPatch;
use keyward_store::{CreditUse, Store};
use std::sync::Arc;

fn limits() -> KeyLimits {
    KeyLimits {
        ratelimits: vec![RateLimit {
            name: "api".into(),
            limit: 50,
            duration_ms: 10_000,
        }],
        credits: Some(CreditBalance {
            credits: Credits {
                remaining: 100,
                refill: Some(Refill {
                    interval: RefillInterval::Monthly,
                    amount: 500,
                    refill_day: Some(15),
                }),
            },
            refilled_at: now() - Duration::days(1),
            generation: 0,
        }),
        allowed_ips: AllowedIps::parse(&["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"]).unwrap(),
    }
}

pub async fn key_limits_are_stored_and_patched(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let key = insert(&*store, &acme, |k| k.limits = limits()).await.record;
    let read = store.key(acme.id, key.id).await.unwrap().unwrap();
    assert_eq!(read.limits, key.limits);
    let plain = insert(&*store, &acme, |_| {}).await.record;
    let read = store.key(acme.id, plain.id).await.unwrap().unwrap();
    assert!(read.limits.is_empty());

    // Setting credits starts a new generation; leaving them alone doesn't.
    let reset = CreditBalance {
        credits: Credits {
            remaining: 7,
            refill: None,
        },
        refilled_at: now(),
        generation: 0,
    };
    let patch = KeyPatch {
        ratelimits: Some(Vec::new()),
        credits: Some(Some(reset.clone())),
        ..KeyPatch::default()
    };
    let updated = store
        .update_key(acme.id, key.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert!(updated.limits.ratelimits.is_empty());
    assert_eq!(updated.limits.allowed_ips, key.limits.allowed_ips);
    assert_eq!(
        updated.limits.credits,
        Some(CreditBalance {
            generation: 1,
            ..reset
        })
    );
    let renamed = KeyPatch {
        name: Some("renamed".into()),
        ..KeyPatch::default()
    };
    let updated = store
        .update_key(acme.id, key.id, &renamed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.limits.credits.map(|c| c.generation), Some(1));

    let removed = KeyPatch {
        credits: Some(None),
        allowed_ips: Some(AllowedIps::default()),
        ..KeyPatch::default()
    };
    let updated = store
        .update_key(acme.id, key.id, &removed)
        .await
        .unwrap()
        .unwrap();
    assert!(updated.limits.is_empty());
}

pub async fn credit_balances_are_written_by_generation(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let key = insert(&*store, &acme, |k| k.limits = limits()).await.record;
    let at = now();
    let spent = |generation, remaining| CreditUse {
        key_id: key.id,
        generation,
        remaining,
        refilled_at: at,
    };
    store.record_credits(&[spent(0, 60)]).await.unwrap();
    let read = store.key(acme.id, key.id).await.unwrap().unwrap();
    let balance = read.limits.credits.unwrap();
    assert_eq!((balance.credits.remaining, balance.refilled_at), (60, at));

    // A person sets the balance: what was counted before is not written.
    let patch = KeyPatch {
        credits: Some(Some(CreditBalance {
            credits: Credits {
                remaining: 1_000,
                refill: None,
            },
            refilled_at: at,
            generation: 0,
        })),
        ..KeyPatch::default()
    };
    store.update_key(acme.id, key.id, &patch).await.unwrap();
    store.record_credits(&[spent(0, 10)]).await.unwrap();
    let read = store.key(acme.id, key.id).await.unwrap().unwrap();
    assert_eq!(read.limits.credits.unwrap().credits.remaining, 1_000);
    store.record_credits(&[spent(1, 990)]).await.unwrap();
    let read = store.key(acme.id, key.id).await.unwrap().unwrap();
    assert_eq!(read.limits.credits.unwrap().credits.remaining, 990);

    // A key without credits gets none from a stray balance.
    let plain = insert(&*store, &acme, |_| {}).await.record;
    let stray = CreditUse {
        key_id: plain.id,
        ..spent(0, 5)
    };
    store.record_credits(&[stray]).await.unwrap();
    let read = store.key(acme.id, plain.id).await.unwrap().unwrap();
    assert!(read.limits.credits.is_none());
}
