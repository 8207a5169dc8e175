//! The real binary's access log with JSON logs: one line per request with
//! its method, route template, status, latency, request id and the id of
//! the key that authenticated it; never a secret.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const ADMIN_KEY: &str = "kwadmin_access_log_test_0123456789abcdef01234567";

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
            .args(["serve", "--log-format", "json", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data.path())
            .env("KEYWARD_ADMIN_KEY", ADMIN_KEY)
            .env("KEYWARD_NO_BOOTSTRAP_USER", "true")
            .env("KEYWARD_LOG", "info")
            .env_remove("KEYWARD_DATABASE_URL")
            .env_remove("KEYWARD_SECRET")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let server = Self {
            child,
            lines,
            url: format!("http://127.0.0.1:{port}"),
            _data: data,
        };
        server.wait_for(|line| line.contains("keyward is listening"));
        server
    }

    /// The first line from now on that `wanted` accepts, within 30 s.
    fn wait_for(&self, wanted: impl Fn(&str) -> bool) -> String {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(line) if wanted(&line) => return line,
                Ok(line) => seen.push(line),
                Err(_) => panic!("no such line in {seen:#?}"),
            }
        }
    }
}

#[tokio::test]
async fn each_request_is_logged_without_secrets() {
    let server = Server::start();
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/api/v1/orgs", server.url))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({ "name": "Acme" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let key: Value = client
        .post(format!("{}/api/v1/orgs/acme/keys", server.url))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({ "name": "k", "scope": "organization" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (secret, key_id) = (key["key"].as_str().unwrap(), key["id"].as_str().unwrap());
    let listed = client
        .get(format!("{}/api/v1/orgs/acme/keys", server.url))
        .bearer_auth(secret)
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);

    let line = server.wait_for(|line| line.contains("trace-me-42"));
    let entry: Value = serde_json::from_str(&line).unwrap();
    let fields = &entry["fields"];
    assert_eq!(entry["target"], "keyward::access", "{line}");
    assert_eq!(fields["method"], "GET", "{line}");
    assert_eq!(fields["route"], "/api/v1/orgs/{org}/keys", "{line}");
    assert_eq!(fields["status"], 200, "{line}");
    assert!(fields["latency_ms"].as_f64().unwrap() >= 0.0, "{line}");
    assert_eq!(fields["key_id"], key_id, "{line}");
    assert_eq!(fields["request_id"], "trace-me-42", "{line}");
    assert!(
        !line.contains(secret) && !line.contains(ADMIN_KEY),
        "{line}"
    );
    assert!(
        !line.to_ascii_lowercase().contains("authorization"),
        "{line}"
    );

    // Forward-auth names the key the proxy asked about, never its secret.
    let asked = client
        .get(format!("{}/api/v1/auth/forward", server.url))
        .header("x-api-key", secret)
        .header("x-original-method", "GET")
        .header("x-original-uri", "/api/anything")
        .header("x-request-id", "forwarded-3")
        .send()
        .await
        .unwrap();
    let line = server.wait_for(|line| line.contains("forwarded-3"));
    let entry: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(entry["fields"]["route"], "/api/v1/auth/forward", "{line}");
    assert_eq!(entry["fields"]["status"], asked.status().as_u16(), "{line}");
    assert_eq!(entry["fields"]["key_id"], key_id, "{line}");
    assert!(!line.contains(secret), "{line}");

    // A request no route matches, with a secret in its path: the route
    // is `unmatched` and the path is not logged.
    let probe = client
        .get(format!("{}/api/v1/nothing/{secret}", server.url))
        .header("x-request-id", "unmatched-7")
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 404);
    let line = server.wait_for(|line| line.contains("unmatched-7"));
    let entry: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(entry["fields"]["route"], "unmatched", "{line}");
    assert_eq!(entry["fields"]["status"], 404, "{line}");
    assert!(entry["fields"].get("key_id").is_none(), "{line}");
    assert!(!line.contains(secret), "{line}");
}
