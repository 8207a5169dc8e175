//! How long a revocation on one node takes to reach another node sharing
//! the PostgreSQL database (target: p99 ≤ 100 ms). Two nodes run in
//! this process; node B caches a key, node A revokes it, and B verifies
//! every millisecond until it answers `REVOKED`.
//!
//! `KEYWARD_BENCH_DATABASE_URL=postgres://… cargo run --release -p keyward-server --example revocation [ROUNDS]`
#![allow(clippy::expect_used)]

use keyward_core::Scope;
use keyward_core::model::KeyState;
use keyward_server::ctx::{Caller, Ctx, Grants, RequestMeta};
use keyward_server::ops::keys::{self, KeySpec};
use keyward_server::state::AppState;
use keyward_server::verify::{self, Ask, Outcome};
use keyward_server::{Application, Config};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";

async fn node(url: &str) -> (AppState, tokio::sync::oneshot::Sender<()>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = Config {
        listen: Some("127.0.0.1:0".parse().expect("address")),
        data_dir: Some(dir.keep()),
        database_url: Some(url.parse().expect("url")),
        secret: Some(SECRET.parse().expect("secret")),
        no_bootstrap_user: true,
        ..Config::default()
    };
    let app = Application::build(config.resolve().expect("configuration"))
        .await
        .expect("node");
    let state = app.state();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        stopped.await.ok();
    }));
    (state, stop)
}

#[tokio::main]
async fn main() {
    let url = std::env::var("KEYWARD_BENCH_DATABASE_URL")
        .expect("KEYWARD_BENCH_DATABASE_URL names a PostgreSQL database");
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(200, |r| r.parse().expect("ROUNDS is a number"));
    let (a, stop_a) = node(&url).await;
    let (b, stop_b) = node(&url).await;
    let org = keyward_core::model::Organization {
        id: uuid::Uuid::now_v7(),
        name: "Revocation bench".into(),
        slug: keyward_core::model::Slug::parse(&format!("rev-{}", uuid::Uuid::now_v7().simple()))
            .expect("slug"),
        key_prefix: keyward_core::Prefix::default(),
        created_at: chrono::Utc::now(),
        key_policy: Default::default(),
        leak_policy: Default::default(),
    };
    a.store.create_org(&org).await.expect("organization");
    let ctx = Ctx {
        caller: Caller::Admin,
        org: org.clone(),
        grants: Grants::All,
        meta: RequestMeta::default(),
    };
    let mut seen = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let spec = KeySpec {
            name: "revoke me".into(),
            scope: Scope::Organization,
            read_only: false,
            permissions: None,
            expires_at: None,
            metadata: Default::default(),
            team_id: None,
            service_account_id: None,
            limits: Default::default(),
        };
        let (record, key) = keys::create(&a, &ctx, spec).await.expect("key");
        // B caches the key.
        let cached = verify::verify(&b, key.expose(), &Ask::ANY)
            .await
            .expect("verify");
        assert!(matches!(cached, Outcome::Valid(..)));
        keys::revoke(&a, &ctx, &record.id.to_string())
            .await
            .expect("revoke");
        let revoked_at = Instant::now();
        loop {
            let outcome = verify::verify(&b, key.expose(), &Ask::ANY)
                .await
                .expect("verify");
            if matches!(outcome, Outcome::Refused(KeyState::Revoked, _)) {
                seen.push(revoked_at.elapsed());
                break;
            }
            assert!(
                revoked_at.elapsed() < Duration::from_secs(5),
                "node B never saw the revocation"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    a.store.delete_org(org.id).await.expect("cleanup");
    seen.sort();
    let at = |q: f64| seen[((seen.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    println!(
        "revocation seen by the second node, {rounds} rounds: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        seen[seen.len() - 1].as_secs_f64() * 1e3
    );
    stop_a.send(()).ok();
    stop_b.send(()).ok();
}
