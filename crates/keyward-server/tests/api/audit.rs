//! Reading the audit log: filtered pages and their cursor, the JSON Lines
//! export, the chain check, who may read which chain, retention, and the
//! portal's page. Events are seeded straight into the store, an hour after
//! anything the setup itself may have logged, and queries start there.

use crate::access::{acme, join};
use crate::api::{ORGS, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use keyward_core::Clock;
use keyward_core::audit::{Action, ActorKind, AuditEvent, Outcome, Party};
use keyward_server::audit_retention::prune_once;
use serde_json::{Value, json};
use uuid::Uuid;

const ADA: &str = "0192f0c4-0000-7000-8000-00000000ada0";
const GRACE: &str = "0192f0c4-0000-7000-8000-0000000064ce";
const NIGHTLY: &str = "0192f0c4-0000-7000-8000-0000000000k1";

/// `(action, actor id, actor name, target (kind, id, name), denied)`.
type Seed = (
    &'static str,
    &'static str,
    &'static str,
    Option<(&'static str, &'static str, &'static str)>,
    bool,
);

/// Acme's seven events, oldest first.
const ACME: &[Seed] = &[
    (
        "key.created",
        ADA,
        "Ada Lovelace",
        Some(("key", NIGHTLY, "nightly export")),
        false,
    ),
    (
        "key.revoked",
        ADA,
        "Ada Lovelace",
        Some(("key", NIGHTLY, "nightly export")),
        false,
    ),
    (
        "member.invited",
        GRACE,
        "Grace Hopper",
        Some(("invitation", "i1", "bob@acme.test")),
        false,
    ),
    (
        "key.created",
        GRACE,
        "Grace Hopper",
        Some(("key", "k2", "<script>alert(1)</script>")),
        false,
    ),
    (
        "team.created",
        ADA,
        "Ada Lovelace",
        Some(("team", "t1", "Data")),
        false,
    ),
    (
        "key.disabled",
        ADA,
        "Ada Lovelace",
        Some(("key", "k2", "<script>alert(1)</script>")),
        false,
    ),
    (
        "auth.login_failed",
        "",
        "",
        Some(("user", "u9", "ada@example.com")),
        true,
    ),
];

fn event(at: DateTime<Utc>, org: Option<Uuid>, seed: &Seed) -> AuditEvent {
    let (action, actor_id, actor_name, target, denied) = *seed;
    let outcome = if denied {
        Outcome::Denied
    } else {
        Outcome::Success
    };
    let actor = Party {
        kind: ActorKind::User,
        id: actor_id.to_owned(),
        name: actor_name.to_owned(),
    };
    let mut event = AuditEvent::new(at, org, Action::parse(action).unwrap(), outcome, actor);
    event.target = target.map(|(kind, id, name)| Party {
        kind: kind.to_owned(),
        id: id.to_owned(),
        name: name.to_owned(),
    });
    event.ip = Some("203.0.113.7".parse().unwrap());
    event
}

/// The events seeded into one chain, oldest first, and when they start.
struct Seeded {
    since: DateTime<Utc>,
    ids: Vec<String>,
}

impl Seeded {
    fn since(&self) -> String {
        self.since.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    fn newest_first(&self) -> Vec<String> {
        self.ids.iter().rev().cloned().collect()
    }
}

/// Appends `seeds` to `org`'s chain, a minute apart, from an hour ahead of
/// the clock.
async fn seed(app: &TestApp, org: Option<Uuid>, seeds: &[Seed]) -> Seeded {
    let since = app.clock.now() + Duration::hours(1);
    let mut ids = Vec::new();
    for (i, seed) in seeds.iter().enumerate() {
        let event = event(since + Duration::minutes(i as i64), org, seed);
        app.state.store.append_audit(&event).await.unwrap();
        ids.push(event.id.to_string());
    }
    Seeded { since, ids }
}

async fn org_id(app: &TestApp, slug: &str) -> Uuid {
    app.state.store.find_org(slug).await.unwrap().unwrap().id
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|e| text(e, "id").to_owned())
        .collect()
}

fn audit_path(org: &str) -> String {
    format!("{ORGS}/{org}/audit")
}

/// Two organizations and the organization-less chain, seeded.
struct World {
    app: TestApp,
    acme: Seeded,
    beta: Seeded,
    org_less: Seeded,
}

async fn world(backend: &Backend) -> World {
    let app = spawn_app(backend).await;
    app.create_org("Acme").await;
    app.create_org("Beta").await;
    let acme = seed(&app, Some(org_id(&app, "acme").await), ACME).await;
    let beta = seed(&app, Some(org_id(&app, "beta").await), &ACME[..2]).await;
    let created = (
        "org.created",
        "admin",
        "admin",
        Some(("organization", "o1", "Gamma")),
        false,
    );
    let org_less = seed(&app, None, &[created, created]).await;
    World {
        app,
        acme,
        beta,
        org_less,
    }
}

/// `GET path?since=…&query` with the admin key: its 200 body.
async fn listed(app: &TestApp, path: &str, seeded: &Seeded, query: &str) -> Value {
    let response = app
        .admin
        .get(&format!("{path}?since={}&{query}", seeded.since()))
        .await;
    assert_status(&response, 200);
    response.body
}

pub async fn audit_lists_newest_first_with_filters(backend: Backend) {
    let World {
        app,
        acme,
        beta,
        org_less,
    } = world(&backend).await;
    let path = audit_path("acme");
    let all = listed(&app, &path, &acme, "").await;
    assert_eq!(ids(&all), acme.newest_first());
    assert!(all["next_cursor"].is_null(), "{all}");
    let first = &all["items"][6];
    assert_eq!(first["action"], "key.created");
    assert_eq!(first["actor"]["type"], "user");
    assert_eq!(first["actor"]["name"], "Ada Lovelace");
    assert_eq!(first["target"]["name"], "nightly export");
    assert_eq!(first["ip"], "203.0.113.7");
    assert_eq!(all["items"][0]["outcome"], "denied");
    let pick = |indexes: &[usize]| -> Vec<String> {
        indexes.iter().rev().map(|i| acme.ids[*i].clone()).collect()
    };
    let cases = [
        ("action=key.*".to_owned(), pick(&[0, 1, 3, 5])),
        ("action=key.revoked".to_owned(), pick(&[1])),
        ("action=member.*".to_owned(), pick(&[2])),
        (format!("actor_id={ADA}"), pick(&[0, 1, 4, 5])),
        (format!("target_id={NIGHTLY}"), pick(&[0, 1])),
        (format!("actor_id={GRACE}&action=key.*"), pick(&[3])),
        ("action=org.*".to_owned(), Vec::new()),
    ];
    for (query, expected) in cases {
        assert_eq!(
            ids(&listed(&app, &path, &acme, &query).await),
            expected,
            "{query}"
        );
    }
    let until = (acme.since + Duration::minutes(2)).to_rfc3339_opts(SecondsFormat::Millis, true);
    let early = listed(&app, &path, &acme, &format!("until={until}")).await;
    assert_eq!(ids(&early), pick(&[0, 1]));
    // Another organization's events never appear, and the reverse.
    let theirs = listed(&app, &audit_path("beta"), &beta, "").await;
    assert_eq!(ids(&theirs), beta.newest_first());
    assert!(ids(&all).iter().all(|id| !beta.ids.contains(id)));
    // The organization-less chain has its own.
    let org_less_page = listed(&app, "/api/v1/audit", &org_less, "").await;
    assert_eq!(ids(&org_less_page), org_less.newest_first());
    assert!(org_less_page["items"][0]["organization_id"].is_null());
}

pub async fn audit_cursor_walks_every_event_once(backend: Backend) {
    let World { app, acme, .. } = world(&backend).await;
    let path = audit_path("acme");
    let mut walked = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let page = listed(&app, &path, &acme, &format!("limit=3&cursor={cursor}")).await;
        pages += 1;
        walked.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(pages, 3);
    assert_eq!(walked, acme.newest_first());
    // A page that ends exactly at the last event says there is no other.
    let exact = listed(&app, &path, &acme, "limit=7").await;
    assert_eq!(ids(&exact).len(), 7);
    assert!(exact["next_cursor"].is_null(), "{exact}");
    let filtered = listed(&app, &path, &acme, "limit=1&action=key.revoked").await;
    assert!(filtered["next_cursor"].is_null(), "{filtered}");
}

pub async fn bad_audit_queries_are_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    for path in [audit_path("acme"), "/api/v1/audit".to_owned()] {
        for query in [
            "limit=0",
            "limit=101",
            "since=yesterday",
            "until=2025-01-01",
            "until=",
            "since=",
            "action=key.*.*",
            "action=Key.revoked",
            "cursor=not-a-cursor",
        ] {
            let response = app.admin.get(&format!("{path}?{query}")).await;
            assert_error(&response, 422, "VALIDATION_FAILED");
        }
        for query in ["limit=many", "colour=blue"] {
            let response = app.admin.get(&format!("{path}?{query}")).await;
            assert_error(&response, 400, "BAD_REQUEST");
        }
        for query in ["since=soon", "until="] {
            let export = app.admin.get(&format!("{path}/export?{query}")).await;
            assert_error(&export, 422, "VALIDATION_FAILED");
        }
    }
}

pub async fn audit_export_is_json_lines_oldest_first(backend: Backend) {
    let World {
        app,
        acme,
        org_less,
        ..
    } = world(&backend).await;
    let path = format!("{}/export?since={}", audit_path("acme"), acme.since());
    let raw = app.admin.get(&path).await;
    assert_status(&raw, 200);
    assert_eq!(raw.header("content-type"), Some("application/x-ndjson"));
    let body = raw
        .body
        .as_str()
        .unwrap_or_else(|| panic!("not lines: {}", raw.body));
    assert!(body.ends_with('\n'));
    let lines: Vec<Value> = body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let exported: Vec<String> = lines.iter().map(|e| text(e, "id").to_owned()).collect();
    assert_eq!(exported, acme.ids);
    // The typed client reads the same lines as they arrive.
    for (org, seeded) in [(Some("acme"), &acme), (None, &org_less)] {
        let since = seeded.since();
        let until =
            (seeded.since + Duration::minutes(1)).to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut stream = app
            .typed_admin()
            .export_audit(org, Some(&since), Some(&until))
            .await
            .unwrap();
        let mut read = Vec::new();
        while let Some(line) = stream.next_line().await.unwrap() {
            read.push(text(&serde_json::from_str(&line).unwrap(), "id").to_owned());
        }
        assert_eq!(read, seeded.ids[..1], "{org:?}");
    }
}

pub async fn audit_chains_verify(backend: Backend) {
    let World { app, acme, .. } = world(&backend).await;
    for path in [
        format!("{}/verify", audit_path("acme")),
        "/api/v1/audit/verify".to_owned(),
    ] {
        let check = app.admin.get(&path).await;
        assert_status(&check, 200);
        assert_eq!(check.body["ok"], true, "{path}: {}", check.body);
        assert!(check.body["first_broken"].is_null());
    }
    let typed = app.typed_admin().verify_audit(Some("acme")).await.unwrap();
    assert!(typed.ok);
    assert!(typed.checked >= acme.ids.len() as u64, "{typed:?}");
}

pub async fn audit_needs_audit_read(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    let seeded = seed(&app, Some(org_id(&app, "acme").await), ACME).await;
    let base = audit_path("acme");
    let routes = [
        format!("{base}?since={}", seeded.since()),
        format!("{base}/export"),
        format!("{base}/verify"),
    ];
    // Owners and admins hold audit:read; members don't, nor does a key
    // narrowed to keys:read.
    let narrow = people
        .owner
        .create_key(
            "acme",
            json!({ "name": "narrow", "scope": "organization", "permissions": ["keys:read"] }),
        )
        .await;
    let narrow = app.client_with_key(text(&narrow, "key"));
    for route in &routes {
        for (who, api) in [("owner", &people.owner.api), ("admin", &people.admin.api)] {
            let read = api.get(route).await;
            assert_eq!(read.status, 200, "{who} {route}: {}", read.body);
        }
        assert_error(&people.member.api.get(route).await, 403, "FORBIDDEN");
        assert_error(&narrow.get(route).await, 403, "FORBIDDEN");
    }
    let owner_page = people.owner.api.get(&routes[0]).await;
    assert_eq!(ids(&owner_page.body), seeded.newest_first());
    // Another organization's log is refused, even to its owner elsewhere.
    app.create_org("Beta").await;
    let other = people.owner.api.get(&audit_path("beta")).await;
    assert_error(&other, 403, "FORBIDDEN");
    // The organization-less chain is the admin key's alone.
    let key = app.org_key("acme", "ops").await;
    let org_key = app.client_with_key(text(&key, "key"));
    for path in [
        "/api/v1/audit",
        "/api/v1/audit/export",
        "/api/v1/audit/verify",
    ] {
        for api in [&people.owner.api, &org_key] {
            assert_error(&api.get(path).await, 403, "FORBIDDEN");
        }
        assert_error(&app.anonymous().get(path).await, 401, "UNAUTHENTICATED");
        assert_status(&app.admin.get(path).await, 200);
    }
}

pub async fn retention_prunes_old_events_and_the_chain_still_verifies(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let org = Some(org_id(&app, "acme").await);
    let old = seed(&app, org, &ACME[..3]).await;
    app.clock.advance(Duration::days(i64::from(
        keyward_server::config::DEFAULT_AUDIT_RETENTION_DAYS,
    )));
    // Still within the retention: nothing goes.
    prune_once(&app.state).await.unwrap();
    let kept = listed(&app, &audit_path("acme"), &old, "").await;
    assert_eq!(ids(&kept), old.newest_first());
    app.clock.advance(Duration::days(2));
    let new = seed(&app, org, &ACME[3..]).await;
    let pruned = prune_once(&app.state).await.unwrap();
    assert!(pruned >= 3, "pruned {pruned}");
    let left = listed(&app, &audit_path("acme"), &old, "").await;
    assert_eq!(ids(&left), new.newest_first());
    let check = app
        .admin
        .get(&format!("{}/verify", audit_path("acme")))
        .await;
    assert_status(&check, 200);
    assert_eq!(check.body["ok"], true, "{}", check.body);
    assert_eq!(check.body["checked"], new.ids.len(), "{}", check.body);
}

pub async fn audit_page_reads_as_sentences(backend: Backend) {
    let app = spawn_app(&backend).await;
    let people = acme(&app).await;
    seed(&app, Some(org_id(&app, "acme").await), ACME).await;
    let portal = |token: &str| {
        app.anonymous()
            .with_header("Cookie", &format!("keyward_session={token}"))
    };
    let owner = portal(&people.owner.token);
    let page = owner.get("/orgs/acme/audit").await;
    assert_status(&page, 200);
    let html = page.body.as_str().unwrap().to_owned();
    for expected in [
        "Ada Lovelace revoked key nightly export",
        "Grace Hopper invited bob@acme.test",
        "Ada Lovelace created team Data",
        "Someone failed to sign in as ada@example.com",
        "badge denied",
        "203.0.113.7",
        "&#60;script&#62;",
    ] {
        assert!(html.contains(expected), "{expected:?} is not on the page");
    }
    assert!(!html.contains("<script>alert"), "a name was not escaped");
    let keys_page = owner.get("/orgs/acme/account/keys").await;
    assert!(
        keys_page
            .body
            .as_str()
            .unwrap()
            .contains("/orgs/acme/audit\"")
    );
    // Filters: one action, one actor.
    let filtered = owner.get("/orgs/acme/audit?action=key.revoked").await;
    let filtered = filtered.body.as_str().unwrap();
    assert!(filtered.contains("revoked key nightly export"));
    assert!(!filtered.contains("created team Data"));
    let by_grace = owner.get(&format!("/orgs/acme/audit?actor={GRACE}")).await;
    assert!(!by_grace.body.as_str().unwrap().contains("Ada Lovelace"));
    let bad = owner.get("/orgs/acme/audit?from=31%2F01%2F2025").await;
    assert_status(&bad, 200);
    assert!(bad.body.as_str().unwrap().contains("from must be a date"));
    // Someone without audit:read in acme gets the 403 page.
    app.create_org("Beta").await;
    let outsider = join(&app, "beta", "owner@beta.test", "owner").await;
    let refused = portal(&outsider.token).get("/orgs/acme/audit").await;
    assert_status(&refused, 403);
    assert!(refused.body.as_str().unwrap().contains("Not allowed"));
}

pub async fn audit_page_links_older_events(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let owner = join(&app, "acme", "owner@acme.test", "owner").await;
    let org = Some(org_id(&app, "acme").await);
    let many: Vec<Seed> = (0..51).map(|_| ACME[1]).collect();
    seed(&app, org, &many).await;
    let portal = app
        .anonymous()
        .with_header("Cookie", &format!("keyward_session={}", owner.token));
    let first = portal.get("/orgs/acme/audit?action=key.revoked").await;
    let html = first.body.as_str().unwrap();
    assert_eq!(html.matches("revoked key nightly export").count(), 50);
    let next = html.find("rel=\"next\"").expect("a link to older events");
    let href = html[..next].rfind("href=\"").unwrap() + "href=\"".len();
    let link = html[href..next]
        .trim()
        .trim_end_matches('"')
        .replace("&#38;", "&");
    assert!(
        link.starts_with("/orgs/acme/audit?action=key%2Erevoked&cursor="),
        "{link}"
    );
    let older = portal.get(&link).await;
    let html = older.body.as_str().unwrap();
    assert_eq!(html.matches("revoked key nightly export").count(), 1);
    assert!(html.contains("Newest events"));
    assert!(!html.contains("Older events"));
}
