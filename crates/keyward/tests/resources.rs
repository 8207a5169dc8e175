//! The real `keyward` binary under load it must survive: many concurrent
//! sign-ins (memory stays bounded) and many connections that never finish
//! their headers (the server keeps answering).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::time::{Instant, timeout};

const ADMIN_KEY: &str = "resources-test-admin-key-0123456789-abcdefghij";
const PASSWORD: &str = "correct horse battery staple";
/// A request head that never ends.
const PARTIAL_HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: keyward\r\nX-Slow: ";

/// `keyward serve` on a free loopback port with a fresh data folder, under
/// the usual soft limit of 1,024 open files.
struct Server {
    child: Child,
    address: SocketAddr,
    http: reqwest::Client,
    _data: TempDir,
}

impl Server {
    async fn start(flags: &[&str]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let address = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let child = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -Sn 1024 2>/dev/null; exec "$0" "$@""#)
            .arg(env!("CARGO_BIN_EXE_keyward"))
            .args([
                "serve",
                "--listen",
                &address.to_string(),
                "--no-bootstrap-user",
            ])
            .arg("--data-dir")
            .arg(data.path())
            .args(flags)
            .env("KEYWARD_ADMIN_KEY", ADMIN_KEY)
            .env("KEYWARD_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let server = Self {
            child,
            address,
            http: reqwest::Client::new(),
            _data: data,
        };
        assert!(
            server.healthy_within(Duration::from_secs(30)).await,
            "keyward did not start"
        );
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    async fn admin_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(self.url(path))
            .header("x-api-key", ADMIN_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Whether a fresh connection gets `/healthz` answered before `within`.
    async fn healthy_within(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            let fresh = reqwest::Client::builder()
                .timeout(Duration::from_secs(1))
                .build()
                .unwrap();
            if let Ok(response) = fresh.get(self.url("/healthz")).send().await
                && response.status().is_success()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// The server's peak resident memory (`VmHWM`), in KiB.
    fn peak_memory_kib(&self) -> u64 {
        let pid = self.child.id().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// A connection that sent a request head it never finishes.
    async fn slow_connection(&self) -> TcpStream {
        let connect = TcpStream::connect(self.address);
        let mut stream = timeout(Duration::from_secs(10), connect)
            .await
            .expect("the server stopped accepting connections")
            .unwrap();
        // The server may already have closed it (over the cap): allowed.
        let _ = stream.write_all(PARTIAL_HEAD).await;
        stream
    }
}

/// Whether the server closes `stream` before `within`.
async fn closed_within(mut stream: TcpStream, within: Duration) -> bool {
    let mut buffer = [0_u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    timeout(within, read).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_logins_keep_memory_bounded() {
    let server = Server::start(&[]).await;
    server
        .admin_post("/api/v1/orgs", json!({ "name": "Acme" }))
        .await;
    let invitation = server
        .admin_post(
            "/api/v1/orgs/acme/invitations",
            json!({ "email": "owner@keyward.local", "role": "owner" }),
        )
        .await;
    let token = invitation["token"].as_str().unwrap();
    let accept = json!({ "token": token, "name": "Owner", "password": PASSWORD });
    // A new account joins with the token alone, no credential.
    let accepted = server
        .http
        .post(server.url("/api/v1/invitations/accept"))
        .json(&accept)
        .send()
        .await
        .unwrap();
    assert!(accepted.status().is_success(), "{}", accepted.status());

    let logins = (0..200).map(|_| {
        let http = server.http.clone();
        let url = server.url("/api/v1/auth/login");
        tokio::spawn(async move {
            let body = json!({ "email": "owner@keyward.local", "password": PASSWORD });
            let response = http.post(url).json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            if status == 429 {
                assert!(response.headers().contains_key("retry-after"));
            }
            status
        })
    });
    let statuses: Vec<u16> = futures::future::join_all(logins)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200), "{statuses:?}");
    let peak = server.peak_memory_kib();
    eprintln!("peak memory {} MiB", peak / 1024);
    assert!(peak < 256 * 1024, "peak memory {} MiB", peak / 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_connections_do_not_stop_the_server() {
    // This process holds 1,100 sockets too.
    rlimit::increase_nofile_limit(4096).unwrap();
    let server = Server::start(&["--header-timeout", "2"]).await;
    let mut slow = Vec::new();
    for _ in 0..1100 {
        slow.push(server.slow_connection().await);
    }
    assert!(
        server.healthy_within(Duration::from_secs(10)).await,
        "/healthz stopped answering"
    );
    let closed = futures::future::join_all(
        slow.into_iter()
            .map(|s| closed_within(s, Duration::from_secs(10))),
    )
    .await;
    let held = closed.iter().filter(|c| !**c).count();
    assert_eq!(held, 0, "{held} slow connections still open after 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed() {
    let server = Server::start(&["--header-timeout", "1"]).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: keyward\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    assert!(closed_within(stream, Duration::from_secs(10)).await);
}
