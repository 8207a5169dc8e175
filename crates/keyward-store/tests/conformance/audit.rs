//! The audit log: appending, listing with filters and paging, export,
//! hash-chain verification against tampering, concurrent appends, separate
//! chains, and pruning.

use crate::fixtures::now;
use crate::harness::Raw;
use chrono::{DateTime, Duration, Utc};
use futures::TryStreamExt;
use keyward_core::audit::{Action, ActorKind, AuditEvent, Outcome, Party};
use keyward_store::{AuditQuery, ChainCheck, Store};
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::sync::Arc;
use uuid::Uuid;

/// An event with every field set; `n` varies the actor, target and details.
fn event(org: Option<Uuid>, action: &str, at: DateTime<Utc>, n: usize) -> AuditEvent {
    let mut event = AuditEvent::new(
        at,
        org,
        Action::parse(action).unwrap(),
        if n % 3 == 2 {
            Outcome::Denied
        } else {
            Outcome::Success
        },
        Party {
            kind: [ActorKind::User, ActorKind::Key, ActorKind::Admin][n % 3],
            id: format!("actor-{}", n % 2),
            name: format!("Ünïcode 'actor' {n}"),
        },
    );
    event.target = Some(Party {
        kind: "key".to_owned(),
        id: format!("target-{}", n % 4),
        name: format!("key {n}"),
    });
    event.request_id = Some(format!("req-{n}"));
    event.ip = Some(if n.is_multiple_of(2) {
        "203.0.113.7".parse().unwrap()
    } else {
        "2001:db8::1".parse().unwrap()
    });
    event.user_agent = Some("curl/8.5".to_owned());
    event.details = match json!({"n": n, "changed": {"name": ["old", "new"]}, "ratio": 0.25}) {
        serde_json::Value::Object(map) => map,
        _ => unreachable!(),
    };
    event
}

/// Appends `count` events to the chain, one second apart from `start`.
async fn append(
    store: &dyn Store,
    org: Option<Uuid>,
    start: DateTime<Utc>,
    count: usize,
) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    for n in 0..count {
        let event = event(org, "key.created", start + Duration::seconds(n as i64), n);
        store.append_audit(&event).await.unwrap();
        events.push(event);
    }
    events
}

fn ids(events: &[AuditEvent]) -> Vec<Uuid> {
    events.iter().map(|e| e.id).collect()
}

fn newest_first(events: &[AuditEvent]) -> Vec<Uuid> {
    events.iter().rev().map(|e| e.id).collect()
}

fn intact(checked: u64) -> ChainCheck {
    ChainCheck {
        ok: true,
        checked,
        first_broken: None,
    }
}

async fn list(store: &dyn Store, query: AuditQuery) -> Vec<Uuid> {
    ids(&store.audit_events(&query).await.unwrap())
}

/// Follows the cursor from the newest page to the end.
async fn pages(store: &dyn Store, mut query: AuditQuery) -> Vec<Vec<Uuid>> {
    let mut pages = Vec::new();
    loop {
        let page = store.audit_events(&query).await.unwrap();
        let Some(last) = page.last() else {
            return pages;
        };
        query.before = Some(last.id);
        pages.push(ids(&page));
    }
}

pub async fn audit_events_round_trip_newest_first_with_filters_and_paging(store: Arc<dyn Store>) {
    let acme = Some(Uuid::now_v7());
    let start = now() - Duration::hours(1);
    let actions = [
        "key.created",
        "key.revoked",
        "member.role_changed",
        "keyring.added",
        "key_x.added",
        "auth.denied",
    ];
    let mut events = Vec::new();
    for n in 0..12 {
        let mut e = event(acme, actions[n % 6], start + Duration::seconds(n as i64), n);
        if n == 5 {
            // Optional fields empty, and an empty object.
            e.target = None;
            e.request_id = None;
            e.ip = None;
            e.user_agent = None;
            e.details = serde_json::Map::new();
        }
        store.append_audit(&e).await.unwrap();
        events.push(e);
    }
    // Another chain's events never show.
    append(&*store, Some(Uuid::now_v7()), start, 3).await;

    let all = store.audit_events(&AuditQuery::new(acme)).await.unwrap();
    assert_eq!(all, events.iter().rev().cloned().collect::<Vec<_>>());

    let query = |change: fn(&mut AuditQuery)| {
        let mut query = AuditQuery::new(acme);
        change(&mut query);
        query
    };
    let expect = |keep: fn(usize) -> bool| {
        (0..12)
            .rev()
            .filter(|n| keep(*n))
            .map(|n| events[n].id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list(
            &*store,
            query(|q| q.action = Some("key.revoked".parse().unwrap()))
        )
        .await,
        expect(|n| n % 6 == 1)
    );
    assert_eq!(
        list(
            &*store,
            query(|q| q.action = Some("key.*".parse().unwrap()))
        )
        .await,
        expect(|n| n % 6 < 2),
        "`key.*` is the key resource's actions only, not keyring's or key_x's"
    );
    assert_eq!(
        list(&*store, query(|q| q.actor_id = Some("actor-1".to_owned()))).await,
        expect(|n| n % 2 == 1)
    );
    assert_eq!(
        list(
            &*store,
            query(|q| q.target_id = Some("target-2".to_owned()))
        )
        .await,
        expect(|n| n % 4 == 2 && n != 5)
    );
    let (since, until) = (events[3].at, events[7].at);
    assert_eq!(
        list(
            &*store,
            AuditQuery {
                since: Some(since),
                until: Some(until),
                ..AuditQuery::new(acme)
            }
        )
        .await,
        expect(|n| (3..7).contains(&n)),
        "since is inclusive, until exclusive"
    );
    assert_eq!(
        list(
            &*store,
            query(|q| {
                q.action = Some("key.*".parse().unwrap());
                q.actor_id = Some("actor-0".to_owned());
            })
        )
        .await,
        expect(|n| n % 6 == 0)
    );
    assert_eq!(
        list(&*store, query(|q| q.actor_id = Some("nobody".to_owned()))).await,
        Vec::<Uuid>::new()
    );

    // Paging: pages of 5 follow each other without gaps or repeats.
    assert_eq!(
        pages(&*store, query(|q| q.limit = 5)).await,
        vec![
            expect(|n| n >= 7),
            expect(|n| (2..7).contains(&n)),
            expect(|n| n < 2)
        ]
    );
    assert_eq!(
        pages(
            &*store,
            query(|q| {
                q.limit = 2;
                q.actor_id = Some("actor-1".to_owned());
            })
        )
        .await
        .concat(),
        expect(|n| n % 2 == 1)
    );
    assert_eq!(
        list(&*store, query(|q| q.limit = 0)).await,
        expect(|n| n == 11),
        "a limit of 0 is 1"
    );
    assert_eq!(
        list(&*store, query(|q| q.before = Some(Uuid::now_v7()))).await,
        Vec::<Uuid>::new(),
        "an unknown cursor gives an empty page"
    );
}

pub async fn audit_export_streams_oldest_first_within_the_window(store: Arc<dyn Store>) {
    let acme = Some(Uuid::now_v7());
    let start = now() - Duration::hours(1);
    let events = append(&*store, acme, start, 8).await;
    append(&*store, Some(Uuid::now_v7()), start, 3).await;
    append(&*store, None, start, 2).await;

    let store = &*store;
    let export = |since, until| async move {
        store
            .audit_export(acme, since, until)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
    };
    assert_eq!(export(None, None).await, events);
    assert_eq!(
        ids(&export(Some(events[2].at), Some(events[6].at)).await),
        ids(&events[2..6])
    );
    assert_eq!(
        ids(&export(Some(events[5].at), None).await),
        ids(&events[5..])
    );
    assert_eq!(
        ids(&export(None, Some(events[1].at)).await),
        ids(&events[..1])
    );
}

pub async fn audit_chain_verifies_when_intact(store: Arc<dyn Store>) {
    let acme = Some(Uuid::now_v7());
    assert_eq!(store.verify_audit_chain(acme).await.unwrap(), intact(0));
    append(&*store, acme, now(), 25).await;
    assert_eq!(store.verify_audit_chain(acme).await.unwrap(), intact(25));
}

/// Runs one statement on the backend's own storage, SQLite's or
/// PostgreSQL's, with `$1` bound to an event id.
async fn tamper(raw: &Raw, sqlite: &str, postgres: &str, id: Uuid) {
    match raw {
        Raw::Sqlite(path) => {
            let mut conn = SqliteConnectOptions::new()
                .filename(path)
                .connect()
                .await
                .unwrap();
            let done = sqlx::query(sqlite).bind(id).execute(&mut conn).await;
            assert_eq!(done.unwrap().rows_affected(), 1, "{sqlite}");
            conn.close().await.unwrap();
        }
        Raw::Postgres(pool) => {
            let done = sqlx::query(postgres).bind(id).execute(pool).await;
            assert_eq!(done.unwrap().rows_affected(), 1, "{postgres}");
        }
    }
}

pub async fn audit_chain_tampering_names_the_changed_event(store: Arc<dyn Store>, raw: Raw) {
    // Each change, to the fourth of six events of a chain of its own.
    let same = |set: &str| (set.to_owned(), set.to_owned());
    let changes = [
        (
            "at = at + 1".to_owned(),
            "at = at + interval '1 millisecond'".to_owned(),
        ),
        same("action = 'key.revoked'"),
        same("outcome = 'denied'"),
        same("actor_type = 'system'"),
        same("actor_id = actor_id || 'x'"),
        same("actor_name = actor_name || 'x'"),
        same("target_type = 'member'"),
        same("target_id = target_id || 'x'"),
        same("target_name = target_name || 'x'"),
        same("request_id = request_id || 'x'"),
        same("ip = '203.0.113.99'"),
        same("user_agent = user_agent || 'x'"),
        same("target_type = NULL, target_id = NULL, target_name = NULL"),
        same("details = '{\"n\": 4}'"),
        same("ip = 'not an address'"),
        same("action = 'Not An Action'"),
        same("details = '[1, 2]'"),
        (
            "hash = zeroblob(32)".to_owned(),
            "hash = decode(repeat('00', 32), 'hex')".to_owned(),
        ),
    ];
    let untouched = Some(Uuid::now_v7());
    append(&*store, untouched, now(), 6).await;
    for (sqlite, postgres) in changes {
        let org = Some(Uuid::now_v7());
        let events = append(&*store, org, now(), 6).await;
        let victim = events[3].id;
        tamper(
            &raw,
            &format!("UPDATE audit_events SET {sqlite} WHERE id = $1"),
            &format!("UPDATE audit_events SET {postgres} WHERE id = $1"),
            victim,
        )
        .await;
        assert_eq!(
            store.verify_audit_chain(org).await.unwrap(),
            ChainCheck {
                ok: false,
                checked: 3,
                first_broken: Some(victim),
            },
            "{sqlite}"
        );
    }

    // The id itself: the event now goes by its new id.
    let org = Some(Uuid::now_v7());
    let events = append(&*store, org, now(), 6).await;
    let forged = Uuid::now_v7();
    tamper(
        &raw,
        &format!(
            "UPDATE audit_events SET id = X'{}' WHERE id = $1",
            forged.simple()
        ),
        &format!("UPDATE audit_events SET id = '{forged}' WHERE id = $1"),
        events[3].id,
    )
    .await;
    assert_eq!(
        store.verify_audit_chain(org).await.unwrap().first_broken,
        Some(forged)
    );

    // A dropped event breaks the chain at the one after it; dropped newest
    // events leave it short of its head.
    let org = Some(Uuid::now_v7());
    let events = append(&*store, org, now(), 6).await;
    let delete = "DELETE FROM audit_events WHERE id = $1";
    tamper(&raw, delete, delete, events[2].id).await;
    assert_eq!(
        store.verify_audit_chain(org).await.unwrap(),
        ChainCheck {
            ok: false,
            checked: 2,
            first_broken: Some(events[3].id),
        }
    );
    let org = Some(Uuid::now_v7());
    let events = append(&*store, org, now(), 6).await;
    tamper(&raw, delete, delete, events[5].id).await;
    assert_eq!(
        store.verify_audit_chain(org).await.unwrap(),
        ChainCheck {
            ok: false,
            checked: 5,
            first_broken: None,
        }
    );

    // Swapping two events' places breaks the chain at the first of them.
    let org = Some(Uuid::now_v7());
    let events = append(&*store, org, now(), 6).await;
    for (shift, event) in [(100, &events[1]), (-1, &events[2]), (-99, &events[1])] {
        let sql = format!("UPDATE audit_events SET seq = seq + {shift} WHERE id = $1");
        tamper(&raw, &sql, &sql, event.id).await;
    }
    assert_eq!(
        store.verify_audit_chain(org).await.unwrap(),
        ChainCheck {
            ok: false,
            checked: 1,
            first_broken: Some(events[2].id),
        }
    );

    assert_eq!(
        store.verify_audit_chain(untouched).await.unwrap(),
        intact(6),
        "other chains are untouched"
    );
}

pub async fn audit_concurrent_appends_keep_one_contiguous_chain(store: Arc<dyn Store>) {
    let acme = Some(Uuid::now_v7());
    let other = Some(Uuid::now_v7());
    let appends = (0..100).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            // Every tenth goes to another chain, interleaved with the rest.
            let org = if n % 10 == 9 { other } else { acme };
            store
                .append_audit(&event(org, "key.created", now(), n))
                .await
                .unwrap();
        })
    });
    for append in futures::future::join_all(appends).await {
        append.unwrap();
    }
    assert_eq!(store.verify_audit_chain(acme).await.unwrap(), intact(90));
    assert_eq!(store.verify_audit_chain(other).await.unwrap(), intact(10));
    let listed = pages(&*store, AuditQuery::new(acme)).await.concat();
    assert_eq!(listed.len(), 90);
}

pub async fn audit_chains_are_independent(store: Arc<dyn Store>) {
    let (acme, globex) = (Some(Uuid::now_v7()), Some(Uuid::now_v7()));
    let mut mine = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..9 {
        let (org, list) = match n % 3 {
            0 => (acme, &mut mine.0),
            1 => (globex, &mut mine.1),
            _ => (None, &mut mine.2),
        };
        let event = event(org, "org.updated", now(), n);
        store.append_audit(&event).await.unwrap();
        list.push(event);
    }
    for (org, events) in [(acme, &mine.0), (globex, &mine.1), (None, &mine.2)] {
        assert_eq!(
            list(&*store, AuditQuery::new(org)).await,
            newest_first(events)
        );
        assert_eq!(store.verify_audit_chain(org).await.unwrap(), intact(3));
    }
}

pub async fn audit_organization_less_events_have_their_own_chain(store: Arc<dyn Store>) {
    let acme = Uuid::now_v7();
    let mut created = event(None, "org.created", now(), 0);
    created.actor.kind = ActorKind::Admin;
    created.target = Some(Party {
        kind: "organization".to_owned(),
        id: acme.to_string(),
        name: "Acme".to_owned(),
    });
    store.append_audit(&created).await.unwrap();
    append(&*store, Some(acme), now(), 2).await;
    let deleted = event(None, "org.deleted", now(), 1);
    store.append_audit(&deleted).await.unwrap();

    let listed = store.audit_events(&AuditQuery::new(None)).await.unwrap();
    assert_eq!(listed, vec![deleted, created]);
    assert!(listed.iter().all(|e| e.organization_id.is_none()));
    assert_eq!(store.verify_audit_chain(None).await.unwrap(), intact(2));
    assert_eq!(
        store.verify_audit_chain(Some(acme)).await.unwrap(),
        intact(2)
    );
}

pub async fn audit_pruning_removes_older_events_and_keeps_chains_verifiable(store: Arc<dyn Store>) {
    let (acme, globex) = (Some(Uuid::now_v7()), Some(Uuid::now_v7()));
    let cutoff = now() - Duration::days(30);
    let old = cutoff - Duration::days(10);
    let mut kept = Vec::new();
    for org in [acme, globex, None] {
        append(&*store, org, old, 4).await;
        kept.push(append(&*store, org, cutoff, 3).await);
    }

    assert_eq!(store.prune_audit(cutoff).await.unwrap(), 12);
    for (org, kept) in [acme, globex, None].into_iter().zip(&kept) {
        assert_eq!(
            list(&*store, AuditQuery::new(org)).await,
            newest_first(kept)
        );
        assert_eq!(store.verify_audit_chain(org).await.unwrap(), intact(3));
    }
    assert_eq!(
        store.prune_audit(cutoff).await.unwrap(),
        0,
        "nothing left to prune"
    );

    // The chain goes on from its head after pruning.
    append(&*store, acme, now(), 2).await;
    assert_eq!(store.verify_audit_chain(acme).await.unwrap(), intact(5));

    // Pruning everything leaves an empty chain that still verifies and
    // still grows from where it was.
    assert_eq!(
        store.prune_audit(now() + Duration::days(1)).await.unwrap(),
        5 + 3 + 3
    );
    assert_eq!(store.verify_audit_chain(acme).await.unwrap(), intact(0));
    assert_eq!(
        list(&*store, AuditQuery::new(acme)).await,
        Vec::<Uuid>::new()
    );
    let after = append(&*store, acme, now(), 1).await;
    assert_eq!(store.verify_audit_chain(acme).await.unwrap(), intact(1));
    assert_eq!(list(&*store, AuditQuery::new(acme)).await, ids(&after));
}
