//! `/metrics`: Prometheus text with requests by route, verification answers
//! by organization (bounded), the cache, keys created; valid for promtool,
//! and every metric the Grafana dashboard queries is served.

use crate::api::{keys_path, text};
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::{ADMIN_KEY, TestApp, spawn_app, spawn_app_with};
use serde_json::json;
use std::collections::BTreeSet;

/// The value of the sample `series` (name and labels, exactly as served).
pub fn value(metrics: &str, series: &str) -> u64 {
    find(metrics, series).unwrap_or_else(|| panic!("no {series} in\n{metrics}"))
}

fn find(metrics: &str, series: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

pub async fn scrape(app: &TestApp) -> String {
    let response = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// `keyward_verifications_total` for one answer and organization label.
fn verifications(metrics: &str, code: &str, org: &str) -> Option<u64> {
    find(
        metrics,
        &format!("keyward_verifications_total{{code=\"{code}\",org=\"{org}\"}}"),
    )
}

/// Verifies `key` with the admin key; the answer is 200 whatever it says.
async fn verify(app: &TestApp, key: &str) {
    let verified = app
        .admin
        .post("/api/v1/keys/verify", json!({ "key": key }))
        .await;
    assert_status(&verified, 200);
}

pub async fn metrics_count_verifications_and_creations(backend: Backend) {
    let app = spawn_app(&backend).await;
    let org = app.create_org("Acme").await;
    let org_id = text(&org, "id");
    let key = app
        .create_key("acme", json!({ "name": "k", "scope": "organization" }))
        .await;
    for candidate in [text(&key, "key"), "kw_nonsense"] {
        verify(&app, candidate).await;
    }
    let response = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = response.text().await.unwrap();
    assert_eq!(verifications(&body, "VALID", org_id), Some(1), "{body}");
    assert_eq!(verifications(&body, "NOT_FOUND", "none"), Some(1), "{body}");
    assert_eq!(verifications(&body, "VALID", "other"), Some(0), "{body}");
    assert_eq!(value(&body, "keyward_keys_created_total"), 1);
    let build = concat!(
        "keyward_build_info{version=\"",
        env!("CARGO_PKG_VERSION"),
        "\",profile=\"debug\"}"
    );
    assert_eq!(value(&body, build), 1, "{body}");
    assert!(!body.contains(text(&key, "key")), "no secret in metrics");
}

pub async fn requests_are_counted_by_route_template_and_status(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    for _ in 0..2 {
        assert_status(&app.admin.get(&keys_path("acme")).await, 200);
    }
    assert_status(&app.admin.get(&keys_path("nobody")).await, 404);
    assert_status(&app.admin.get("/api/v1/no/such/route").await, 404);
    let body = scrape(&app).await;
    let route = "route=\"/api/v1/orgs/{org}/keys\"";
    let series = format!("keyward_http_requests_total{{method=\"GET\",{route},status=\"200\"}}");
    assert_eq!(value(&body, &series), 2, "{body}");
    let series = format!("keyward_http_requests_total{{method=\"GET\",{route},status=\"404\"}}");
    assert_eq!(value(&body, &series), 1, "{body}");
    let series = "keyward_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}";
    assert_eq!(value(&body, series), 1, "{body}");
    assert!(
        !body.contains("acme") && !body.contains("nobody"),
        "paths are never labels"
    );
    let histogram = "keyward_http_request_duration_seconds";
    let labels = format!("method=\"GET\",{route},status=\"200\"");
    assert_eq!(value(&body, &format!("{histogram}_count{{{labels}}}")), 2);
    assert_eq!(
        value(
            &body,
            &format!("{histogram}_bucket{{{labels},le=\"+Inf\"}}")
        ),
        2
    );
    let buckets = body
        .lines()
        .filter(|line| line.starts_with(&format!("{histogram}_bucket{{{labels},le=")))
        .count();
    assert!(buckets > 5, "latency buckets: {buckets}\n{body}");
    assert!(body.contains("# TYPE keyward_http_request_duration_seconds histogram"));
}

pub async fn verification_outcomes_are_labelled_by_org_up_to_the_bound(backend: Backend) {
    let app = spawn_app_with(&backend, |c| c.metrics.org_labels = Some(2)).await;
    let mut orgs = Vec::new();
    for name in ["First", "Second", "Third"] {
        let org = app.create_org(name).await;
        let slug = text(&org, "slug").to_owned();
        let key = app.org_key(&slug, "k").await;
        verify(&app, text(&key, "key")).await;
        orgs.push(text(&org, "id").to_owned());
    }
    let body = scrape(&app).await;
    assert_eq!(verifications(&body, "VALID", &orgs[0]), Some(1), "{body}");
    assert_eq!(verifications(&body, "VALID", &orgs[1]), Some(1), "{body}");
    assert_eq!(verifications(&body, "VALID", "other"), Some(1), "{body}");
    assert!(
        !body.contains(&orgs[2]),
        "the third organization has no label"
    );
}

pub async fn cache_hits_and_misses_follow_lookups(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let key = app.org_key("acme", "k").await;
    let counts = |body: &str| {
        (
            value(body, "keyward_cache_hits_total"),
            value(body, "keyward_cache_misses_total"),
        )
    };
    let before = counts(&scrape(&app).await);
    verify(&app, text(&key, "key")).await;
    let once = scrape(&app).await;
    assert_eq!(
        counts(&once),
        (before.0, before.1 + 1),
        "the first lookup misses"
    );
    assert!(value(&once, "keyward_cache_entries") >= 1, "{once}");
    verify(&app, text(&key, "key")).await;
    let twice = scrape(&app).await;
    assert_eq!(
        counts(&twice),
        (before.0 + 1, before.1 + 1),
        "the second hits"
    );
    assert!(twice.contains("keyward_cache_evictions_total{cause=\"size\"}"));
    assert!(twice.contains("# TYPE keyward_store_query_duration_seconds histogram"));
    assert!(
        find(
            &twice,
            "keyward_store_query_duration_seconds_count{op=\"key_by_hash\"}"
        )
        .is_some_and(|n| n >= 1),
        "{twice}"
    );
}

api_tests! {
    metrics::metrics_count_verifications_and_creations,
    metrics::requests_are_counted_by_route_template_and_status,
    metrics::verification_outcomes_are_labelled_by_org_up_to_the_bound,
    metrics::cache_hits_and_misses_follow_lookups,
}

const METRICS_TOKEN: &str = "metrics-token-0123456789abcdef";

async fn get_metrics(base: &str, token: Option<&str>) -> reqwest::Response {
    let request = reqwest::Client::new().get(format!("{base}/metrics"));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_token_is_required_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keyward.toml");
    std::fs::write(&file, format!("[metrics]\ntoken = \"{METRICS_TOKEN}\"\n")).unwrap();
    let app = spawn_app_with(&Backend::Sqlite, |c| c.config = Some(file)).await;
    let wrong = format!("{METRICS_TOKEN}x");
    for token in [None, Some(wrong.as_str()), Some(ADMIN_KEY), Some("")] {
        let response = get_metrics(&app.address, token).await;
        assert_eq!(response.status(), 401, "token {token:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "UNAUTHENTICATED", "{body}");
    }
    let response = get_metrics(&app.address, Some(METRICS_TOKEN)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("keyward_keys_created_total")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_moves_metrics_off_the_main_port() {
    let app = spawn_app_with(&Backend::Sqlite, |c| {
        c.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
        c.metrics.token = Some(METRICS_TOKEN.parse().unwrap());
    })
    .await;
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    let response = get_metrics(&metrics, Some(METRICS_TOKEN)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("keyward_verifications_total")
    );
    assert_eq!(get_metrics(&metrics, None).await.status(), 401);
    // The metrics port serves nothing else, the main port no metrics.
    let healthz = reqwest::get(format!("{metrics}/healthz")).await.unwrap();
    assert_eq!(healthz.status(), 404);
    let main = get_metrics(&app.address, Some(METRICS_TOKEN)).await;
    assert_eq!(main.status(), 404);
    let body: serde_json::Value = main.json().await.unwrap();
    assert_eq!(body["code"], "NOT_FOUND", "{body}");
    assert_eq!(app.anonymous().get("/healthz").await.status, 200);
}

/// Runs `promtool check metrics` over `body`; `None` where promtool is
/// missing outside CI.
fn promtool_check(body: &str) -> Option<std::process::Output> {
    use std::io::Write;
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("promtool is not installed but CI=true: {e}")
        }
        Err(_) => return None,
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

/// A server that has answered some traffic, with Redis configured (never
/// reached: the link connects lazily), so every family is served.
async fn busy_app() -> TestApp {
    let app = spawn_app_with(&Backend::Sqlite, |c| {
        c.redis_url = Some("redis://127.0.0.1:1".parse().unwrap());
    })
    .await;
    app.create_org("Acme").await;
    let key = app.org_key("acme", "k").await;
    for candidate in [text(&key, "key"), "kw_nonsense"] {
        verify(&app, candidate).await;
    }
    assert_status(&app.admin.get(&keys_path("acme")).await, 200);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_accepts_the_metrics() {
    let app = busy_app().await;
    let body = scrape(&app).await;
    let Some(output) = promtool_check(&body) else {
        eprintln!("promtool is not installed: skipped outside CI");
        return;
    };
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}\n{body}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The metric names an expression of the dashboard uses.
fn names_in(expression: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expression;
    while let Some(at) = rest.find("keyward_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.push(name);
    }
    names
}

/// Every expression in a Grafana dashboard (`targets[].expr`, in panels and
/// rows, at any depth).
fn expressions(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (field, inner) in map {
                match (field.as_str(), inner) {
                    ("expr" | "query", serde_json::Value::String(expr)) => found.push(expr.clone()),
                    _ => expressions(inner, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| expressions(i, found)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_queries_only_served_metrics() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/grafana/keyward.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut found = Vec::new();
    expressions(&dashboard, &mut found);
    assert!(found.len() >= 10, "the dashboard's expressions: {found:?}");
    let used: BTreeSet<String> = found.iter().flat_map(|e| names_in(e)).collect();
    let app = busy_app().await;
    let body = scrape(&app).await;
    let served: BTreeSet<&str> = body
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split(['{', ' ']).next())
        .collect();
    let missing: Vec<&String> = used
        .iter()
        .filter(|name| !served.contains(name.as_str()))
        .collect();
    assert!(missing.is_empty(), "not served: {missing:?}\n{body}");
}
