//! Several nodes sharing Redis (and PostgreSQL): rate limits and credits
//! exact across two nodes serving one key at once, authentication
//! throttling counted once for all nodes, and Redis going away and coming
//! back, against a Redis server of the test's own.

use crate::api::text;
use crate::assertions::assert_status;
use crate::backend::{self, Backend, Kind};
use crate::helpers::{TestApp, spawn_app_with};
use crate::key_limits::verify_at_once;
use keyward_server::limiter::OnRedisError;
use serde_json::json;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

const SHARED_SECRET: &str = "nodes-share-this-secret-0123456789abcdef";

/// A Redis server of the test's own on a free port, stopped when dropped.
struct OwnRedis {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
}

fn redis_binary() -> Option<&'static str> {
    let found = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    if found.is_none() && std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("redis-server is not installed but CI=true: the Redis tests must run");
    }
    found
}

impl OwnRedis {
    async fn start() -> Option<Self> {
        redis_binary()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self {
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
        };
        redis.resume().await;
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the server again on the same port, empty.
    async fn resume(&mut self) {
        let binary = redis_binary().unwrap();
        let child = Command::new(binary)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                &self.dir.path().display().to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn node(url: &str, redis: &OwnRedis, on_error: OnRedisError) -> TestApp {
    spawn_app_with(&Backend::Sqlite, |config| {
        config.database_url = Some(url.parse().unwrap());
        config.secret = Some(SHARED_SECRET.parse().unwrap());
        config.redis_url = Some(redis.url().parse().unwrap());
        config.on_redis_error = Some(on_error);
        // A thousand verifications at once on a busy test machine: give
        // Redis's answers time to be read.
        config.redis_timeout_ms = Some(30_000);
    })
    .await
}

/// Two nodes on one fresh PostgreSQL schema sharing `redis`, with an
/// organization.
async fn two_nodes(backend: &Backend, redis: &OwnRedis) -> (TestApp, TestApp) {
    let url = backend
        .new_database_url()
        .await
        .expect("a PostgreSQL backend");
    let a = node(&url, redis, OnRedisError::Allow).await;
    let b = node(&url, redis, OnRedisError::Allow).await;
    a.create_org("Acme").await;
    (a, b)
}

async fn metrics_of(app: &TestApp) -> String {
    let response = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();
    response.text().await.unwrap()
}

async fn limits_are_exact_across_two_nodes(backend: Backend) {
    let Some(redis) = OwnRedis::start().await else {
        return;
    };
    let (a, b) = two_nodes(&backend, &redis).await;
    let limited = a
        .key_with(
            "acme",
            json!({ "ratelimits": [{ "name": "burst", "limit": 50, "duration_ms": 10_000 }] }),
        )
        .await;
    let codes = verify_at_once(&[&a, &b], &limited, 200).await;
    assert_eq!(codes.get("VALID"), Some(&50), "{codes:?}");
    assert_eq!(codes.get("RATE_LIMITED"), Some(&150), "{codes:?}");

    let credited = a
        .key_with("acme", json!({ "credits": { "remaining": 100 } }))
        .await;
    let codes = verify_at_once(&[&a, &b], &credited, 1_000).await;
    assert_eq!(codes.get("VALID"), Some(&100), "{codes:?}");
    assert_eq!(codes.get("USAGE_EXCEEDED"), Some(&900), "{codes:?}");
}

async fn throttling_is_counted_once_for_every_node(backend: Backend) {
    let Some(redis) = OwnRedis::start().await else {
        return;
    };
    let (a, b) = two_nodes(&backend, &redis).await;
    // 30 invalid credentials a minute per address, whichever node sees them.
    let wrong = "kw_not_a_real_key_at_all";
    for i in 0..30 {
        let node = if i % 2 == 0 { &a } else { &b };
        let refused = node.client_with_key(wrong).get("/api/v1/orgs").await;
        assert_status(&refused, 401);
    }
    for node in [&a, &b] {
        let throttled = node.client_with_key(wrong).get("/api/v1/orgs").await;
        assert_status(&throttled, 429);
    }
}

async fn redis_going_away_and_coming_back(backend: Backend) {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let url = backend
        .new_database_url()
        .await
        .expect("a PostgreSQL backend");
    let allowing = node(&url, &redis, OnRedisError::Allow).await;
    let denying = node(&url, &redis, OnRedisError::Deny).await;
    allowing.create_org("Acme").await;
    let key = allowing
        .key_with(
            "acme",
            json!({ "ratelimits": [{ "name": "burst", "limit": 2, "duration_ms": 60_000 }] }),
        )
        .await;
    let verify = |app: &TestApp| {
        let api = app.admin.clone();
        let key = key.clone();
        async move {
            let answer = api.post("/api/v1/keys/verify", json!({ "key": key })).await;
            assert_status(&answer, 200);
            text(&answer.body, "code").to_owned()
        }
    };
    assert_eq!(verify(&allowing).await, "VALID");

    redis.stop();
    // Unreachable: one node lets verifications through, the other refuses.
    for _ in 0..3 {
        assert_eq!(verify(&allowing).await, "VALID");
        assert_eq!(verify(&denying).await, "RATE_LIMITED");
    }
    let metrics = metrics_of(&allowing).await;
    assert!(metrics.contains("keyward_redis_up 0"), "{metrics}");
    let errors = metrics
        .lines()
        .find_map(|l| l.strip_prefix("keyward_redis_errors_total "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap();
    assert!(errors >= 3, "{metrics}");
    // Sign-ins and credentials are still throttled, in memory.
    let refused = allowing
        .client_with_key("kw_not_a_real_key_at_all")
        .get("/api/v1/orgs")
        .await;
    assert_status(&refused, 401);

    // Back (empty): both nodes count in it again, without a restart.
    redis.resume().await;
    let mut codes = Vec::new();
    for _ in 0..40 {
        let code = verify(&denying).await;
        if code == "VALID" {
            break;
        }
        codes.push(code);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(codes.len() < 40, "Redis was not used again: {codes:?}");
    assert_eq!(verify(&allowing).await, "VALID");
    assert_eq!(verify(&allowing).await, "RATE_LIMITED");
    assert_eq!(verify(&denying).await, "RATE_LIMITED");
    assert!(metrics_of(&allowing).await.contains("keyward_redis_up 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_credits_are_exact_across_nodes_sharing_redis() {
    backend::run(Kind::Postgres, limits_are_exact_across_two_nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_throttling_is_shared_through_redis() {
    backend::run(Kind::Postgres, throttling_is_counted_once_for_every_node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_survive_redis_going_away_and_use_it_again_when_it_returns() {
    backend::run(Kind::Postgres, redis_going_away_and_coming_back).await;
}
