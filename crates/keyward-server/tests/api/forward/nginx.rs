//! Behind a real nginx: `examples/nginx/keyward.conf` protects a small
//! upstream through `auth_request`, and the client speaks only to nginx.

use super::{Fixture, example};
use axum::Json;
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// nginx, stopped when dropped.
struct Nginx {
    child: Child,
    address: SocketAddr,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> Option<String> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .map(str::to_owned);
    if found.is_none() && std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "nginx is not installed but CI=true: the forward-auth test must run (apt-get install nginx-light)"
        );
    }
    found
}

fn free_port() -> SocketAddr {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The upstream echoes the method, the path and keyward's identity headers.
async fn start_upstream() -> SocketAddr {
    async fn echo(method: Method, uri: Uri, headers: HeaderMap) -> Json<Value> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Json(json!({
            "method": method.as_str(),
            "path": uri.path(),
            "key_id": header("x-keyward-key-id"),
            "org": header("x-keyward-org"),
            "principal": header("x-keyward-principal"),
            "scope": header("x-keyward-scope"),
        }))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(echo)).await });
    address
}

async fn start_nginx(binary: &str, dir: &Path, keyward: &str, upstream: SocketAddr) -> Nginx {
    let address = free_port();
    let site = std::fs::read_to_string(example("nginx/keyward.conf"))
        .unwrap()
        .replace("127.0.0.1:8000", &address.to_string())
        .replace("127.0.0.1:9000", &upstream.to_string())
        .replace("127.0.0.1:8080", keyward.trim_start_matches("http://"));
    std::fs::write(dir.join("keyward.conf"), site).unwrap();
    let d = dir.display();
    let main = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         include {d}/keyward.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let child = Command::new(binary)
        .args([
            "-p",
            &d.to_string(),
            "-e",
            &format!("{d}/error.log"),
            "-c",
            &format!("{d}/nginx.conf"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let nginx = Nginx { child, address };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return nginx;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    panic!("nginx did not start listening on {address}:\n{log}");
}

/// `f`'s keyward behind nginx with the shipped example, in front of the
/// echoing upstream; `None` when nginx is not installed (outside CI).
async fn behind_nginx(f: &Fixture) -> Option<(Nginx, TempDir)> {
    let Some(binary) = nginx_binary() else {
        eprintln!("skipped: nginx is not installed");
        return None;
    };
    let upstream = start_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let nginx = start_nginx(&binary, dir.path(), &f.app.address, upstream).await;
    Some((nginx, dir))
}

/// Sends `target` exactly as written (as `curl --path-as-is` does) and
/// returns the status and body.
async fn raw_get(nginx: &Nginx, target: &str, key: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(nginx.address).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: localhost\r\nx-api-key: {key}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

#[tokio::test]
async fn nginx_auth_request_guards_the_upstream() {
    let f = Fixture::new().await;
    let Some((nginx, _dir)) = behind_nginx(&f).await else {
        return;
    };
    let url = format!("http://{}/api/dataproducts/42", nginx.address);
    let http = reqwest::Client::new();

    // A valid key reaches the upstream, which learns who called.
    let full = Fixture::secret(&f.full);
    let reached = http
        .get(&url)
        .header("x-api-key", full)
        .send()
        .await
        .unwrap();
    assert_eq!(reached.status(), 200);
    let echoed: Value = reached.json().await.unwrap();
    assert_eq!(echoed["path"], "/api/dataproducts/42");
    assert_eq!(echoed["key_id"], f.full["id"]);
    assert_eq!(echoed["org"], f.full["organization_id"]);
    assert_eq!(echoed["scope"], "organization");
    assert!(
        echoed["principal"]
            .as_str()
            .unwrap()
            .starts_with("organization:")
    );

    // A read-only key reads but can't write.
    let ro = Fixture::secret(&f.read_only);
    let read = http
        .get(&url)
        .header("Authorization", format!("Api-Key {ro}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let write = http
        .post(&url)
        .header("x-api-key", ro)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 403);

    // No key, then a revoked key: 401.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    f.revoke(&f.full).await;
    let revoked = http
        .get(&url)
        .header("x-api-key", full)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    drop(nginx);
}

fn header(response: &reqwest::Response, name: &str) -> String {
    let values: Vec<_> = response.headers().get_all(name).iter().collect();
    assert!(values.len() <= 1, "{name} sent {} times", values.len());
    values
        .first()
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn refusals_reach_the_client_with_their_reason_and_preflights_reach_the_api() {
    let f = Fixture::new().await;
    let Some((nginx, _dir)) = behind_nginx(&f).await else {
        return;
    };
    let url = format!("http://{}/api/dataproducts/42", nginx.address);
    let http = reqwest::Client::new();
    let full = Fixture::secret(&f.full);
    f.revoke(&f.full).await;
    let revoked = http
        .get(&url)
        .header("x-api-key", full)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    assert_eq!(header(&revoked, "x-keyward-code"), "KEY_REVOKED");
    assert!(header(&revoked, "www-authenticate").contains(r#"error="invalid_token""#));

    let ro = Fixture::secret(&f.read_only);
    let write = http.put(&url).header("x-api-key", ro).send().await.unwrap();
    assert_eq!(write.status(), 403);
    assert_eq!(header(&write, "x-keyward-code"), "READ_ONLY_KEY");
    assert!(header(&write, "www-authenticate").contains(r#"error="insufficient_scope""#));

    // The bare key of the Dadosfera contract passes nginx too.
    let bare = http
        .get(&url)
        .header("authorization", ro)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 200);
    assert_eq!(header(&bare, "x-keyward-code"), "");

    // A browser's preflight reaches the API, as nobody.
    let preflight = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    let echoed: Value = preflight.json().await.unwrap();
    assert_eq!(echoed["method"], "OPTIONS");
    assert_eq!(echoed["key_id"], Value::Null);
    drop(nginx);
}

#[tokio::test]
async fn a_clients_forwarded_headers_dont_steer_the_decision() {
    let f = Fixture::new().await;
    let Some((nginx, _dir)) = behind_nginx(&f).await else {
        return;
    };
    let http = reqwest::Client::new();
    let delete = |key: &str, path: &str| {
        http.delete(format!("http://{}{path}", nginx.address))
            .header("x-api-key", key)
            .header("X-Forwarded-Method", "GET")
            .header("X-Forwarded-Uri", "/api/dataproducts/1")
            .header("X-Original-Method", "GET")
            .header("X-Original-URI", "/api/dataproducts/1")
            .send()
    };
    // dataproducts:read on dataproducts/1 only: DELETE on 2 is a write on 2.
    let one = Fixture::secret(&f.product_one);
    let spoofed = delete(one, "/api/dataproducts/2").await.unwrap();
    assert_eq!(spoofed.status(), 403, "{}", spoofed.text().await.unwrap());
    // A read-only key can't write by naming a GET.
    let ro = Fixture::secret(&f.read_only);
    let spoofed = delete(ro, "/api/dataproducts/1").await.unwrap();
    assert_eq!(spoofed.status(), 403, "{}", spoofed.text().await.unwrap());
    // What the key may do still passes.
    let read = http
        .get(format!("http://{}/api/dataproducts/1", nginx.address))
        .header("x-api-key", one)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
}

#[tokio::test]
async fn traversal_and_encodings_meet_the_admin_rule_or_are_refused() {
    // Without a matching rule any valid key passes: only the admin rule
    // (org:write) stands between this key and /api/admin.
    let f = Fixture::with_config(|toml| {
        toml.replace(r#"default = "deny""#, r#"default = "allow-authenticated""#)
    })
    .await;
    let Some((nginx, _dir)) = behind_nginx(&f).await else {
        return;
    };
    let key = Fixture::secret(&f.product_one);
    let (status, body) = raw_get(&nginx, "/api/public/x", key).await;
    assert_eq!(status, 200, "{body}");
    // Matched against the admin rule: 403.
    for target in ["/api/public/../admin/secret", "/api/%61dmin/x"] {
        let (status, body) = raw_get(&nginx, target, key).await;
        assert_eq!(status, 403, "{target}: {body}");
    }
    // Refused by keyward with 400, which auth_request reports as 500.
    for target in [
        "/api/public/%2e%2e/admin/secret",
        "/api/public/..%2fadmin/secret",
        "/api/admin%2Fx",
    ] {
        let (status, body) = raw_get(&nginx, target, key).await;
        assert_eq!(status, 500, "{target}: {body}");
    }
    // Paths are case-sensitive (README): /API/admin/x is not under
    // /api/admin/**, so the default decides and the upstream sees /API.
    let (status, body) = raw_get(&nginx, "/API/admin/x", key).await;
    assert_eq!(status, 200, "{body}");
    let echoed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(echoed["path"], "/API/admin/x");
}

#[tokio::test]
async fn under_the_shipped_deny_default_unknown_case_is_refused() {
    let f = Fixture::new().await;
    let Some((nginx, _dir)) = behind_nginx(&f).await else {
        return;
    };
    let key = Fixture::secret(&f.full);
    for target in ["/API/admin/x", "/Api/dataproducts/1"] {
        let (status, body) = raw_get(&nginx, target, key).await;
        assert_eq!(status, 403, "{target}: {body}");
    }
}

#[tokio::test]
async fn a_rate_limited_key_gets_429_with_its_headers_through_nginx() {
    let f = Fixture::new().await;
    let Some((nginx, _dir)) = behind_nginx(&f).await else {
        return;
    };
    let url = format!("http://{}/api/dataproducts/42", nginx.address);
    let http = reqwest::Client::new();
    let get = |key: &str| http.get(&url).header("x-api-key", key).send();
    let limits = json!({ "ratelimits": [{ "name": "burst", "limit": 2, "duration_ms": 60_000 }] });
    let credits = json!({ "credits": { "remaining": 1 } });
    // Two passes, then 429 RATE_LIMITED; one pass, then 429 USAGE_EXCEEDED.
    for (extra, passes, code) in [(limits, 2, "RATE_LIMITED"), (credits, 1, "USAGE_EXCEEDED")] {
        let key = f.app.key_with("acme", extra).await;
        for _ in 0..passes {
            assert_eq!(get(&key).await.unwrap().status(), 200);
        }
        let refused = get(&key).await.unwrap();
        assert_eq!(refused.status(), 429);
        let header = |name: &str| refused.headers()[name].to_str().unwrap().to_owned();
        if code == "RATE_LIMITED" {
            assert_eq!(header("retry-after"), "30");
            assert_eq!(header("ratelimit-policy"), r#""burst";q=2;w=60"#);
            assert_eq!(header("ratelimit"), r#""burst";r=0;t=60"#);
        } else {
            assert!(!header("retry-after").is_empty());
        }
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["code"], code);
    }
}

#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_pass_an_allow_list() {
    let f = Fixture::new().await;
    let Some((nginx, _dir)) = behind_nginx(&f).await else {
        return;
    };
    let url = format!("http://{}/api/dataproducts/42", nginx.address);
    let http = reqwest::Client::new();
    let elsewhere = f
        .app
        .key_with("acme", json!({ "allowed_ips": ["203.0.113.7"] }))
        .await;
    let spoofed = http
        .get(&url)
        .header("x-api-key", &elsewhere)
        .header("X-Forwarded-For", "203.0.113.7")
        .header("X-Real-IP", "203.0.113.7")
        .header("X-Envoy-External-Address", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 403);
    // nginx writes the address it saw: a key allowed there passes.
    let here = f
        .app
        .key_with("acme", json!({ "allowed_ips": ["127.0.0.1"] }))
        .await;
    let passed = http
        .get(&url)
        .header("x-api-key", &here)
        .header("X-Forwarded-For", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(passed.status(), 200);
}
