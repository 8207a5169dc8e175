//! What the examples timing a change across two nodes share (`revocation`,
//! `leak_revocation`): two nodes on one PostgreSQL database, an
//! organization, keys node B holds in memory, the wait for B to answer
//! `REVOKED`, and the percentiles of that wait.

use keyward_core::model::{KeyState, Organization, Slug};
use keyward_core::{ApiKey, Scope};
use keyward_server::ctx::{Caller, Ctx, Grants, RequestMeta};
use keyward_server::ops::keys::{self, KeySpec};
use keyward_server::state::AppState;
use keyward_server::verify::{self, Ask, Outcome};
use keyward_server::{Application, Config};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use uuid::Uuid;

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";

/// A node serving in this process.
pub struct Node {
    pub state: AppState,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    stop: oneshot::Sender<()>,
}

impl Node {
    /// A node on the database at `url`, configured further by `configure`.
    pub async fn start(url: &str, configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut config = Config {
            listen: Some("127.0.0.1:0".parse().expect("address")),
            data_dir: Some(dir.keep()),
            database_url: Some(url.parse().expect("url")),
            secret: Some(SECRET.parse().expect("secret")),
            no_bootstrap_user: true,
            ..Config::default()
        };
        configure(&mut config);
        let app = Application::build(config.resolve().expect("configuration"))
            .await
            .expect("node");
        let address = format!("http://{}", app.local_addr().expect("an address"));
        let state = app.state();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async {
            stopped.await.ok();
        }));
        Self {
            state,
            address,
            stop,
        }
    }

    pub fn stop(self) {
        self.stop.send(()).ok();
    }
}

/// An organization made on `a`, and the admin's context in it.
pub async fn organization(a: &AppState, name: &str) -> Ctx {
    let slug = format!("bench-{}", Uuid::now_v7().simple());
    let org = Organization {
        id: Uuid::now_v7(),
        name: name.into(),
        slug: Slug::parse(&slug).expect("slug"),
        key_prefix: keyward_core::Prefix::default(),
        created_at: chrono::Utc::now(),
        key_policy: Default::default(),
        leak_policy: Default::default(),
    };
    a.store.create_org(&org).await.expect("organization");
    Ctx {
        caller: Caller::Admin,
        org,
        grants: Grants::All,
        meta: RequestMeta::default(),
    }
}

/// A new organization key made on `a` and held in `b`'s memory.
pub async fn cached_key(a: &AppState, b: &AppState, ctx: &Ctx) -> (Uuid, ApiKey) {
    let spec = KeySpec {
        name: "bench".into(),
        scope: Scope::Organization,
        read_only: false,
        permissions: None,
        expires_at: None,
        metadata: Default::default(),
        team_id: None,
        service_account_id: None,
        limits: Default::default(),
    };
    let (record, key) = keys::create(a, ctx, spec).await.expect("key");
    let cached = verify::verify(b, key.expose(), &Ask::ANY)
        .await
        .expect("verify");
    assert!(matches!(cached, Outcome::Valid(..)));
    (record.id, key)
}

/// Verifies `key` on `b` every millisecond until it answers `REVOKED`;
/// the time since `since`.
pub async fn until_revoked(b: &AppState, key: &ApiKey, since: Instant) -> Duration {
    loop {
        let outcome = verify::verify(b, key.expose(), &Ask::ANY)
            .await
            .expect("verify");
        if matches!(outcome, Outcome::Refused(KeyState::Revoked, _)) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "node B never saw the revocation"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Prints `what` with the p50, p99 and maximum of `seen`.
pub fn report(what: &str, seen: &mut [Duration]) {
    seen.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |q: f64| seen[((seen.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    println!(
        "{what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(at(0.50)),
        ms(at(0.99)),
        ms(seen[seen.len() - 1])
    );
}
