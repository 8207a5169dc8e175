//! `keyward webhooks …`, and a delivery that survives `kill -9`: the real
//! binary queues an event for a receiver that fails, is killed with
//! SIGKILL, and after a restart on the same store the event arrives.

use super::{Server, json, keyward};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `keyward serve` on `data`, delivering webhooks to loopback and
/// retrying after 100 ms.
fn serve_on(data: &Path) -> Server {
    let address = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["serve", "--listen", &address.to_string(), "--data-dir"])
        .arg(data)
        .env("KEYWARD_ADMIN_KEY", super::ADMIN_KEY)
        .env("KEYWARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")
        .env("KEYWARD_WEBHOOKS_RETRY_BASE_MS", "100")
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in stderr.by_ref() {
        if line.unwrap().contains("keyward is listening") {
            break;
        }
    }
    std::thread::spawn(move || stderr.for_each(drop));
    Server {
        child,
        url: format!("http://{address}"),
        _data: tempfile::tempdir().unwrap(),
    }
}

/// A receiver answering 500 until `accept` is set, then 200; it keeps
/// each request's `webhook-id` and status.
struct Receiver {
    url: String,
    accept: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<(String, u16)>>>,
}

fn start_receiver() -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let accept = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (accepting, log) = (accept.clone(), seen.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut id, mut length) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("webhook-id:") {
                    id = value.trim().to_owned();
                }
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).ok();
            let status = if accepting.load(Ordering::SeqCst) {
                200
            } else {
                500
            };
            log.lock().unwrap().push((id, status));
            let answer =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            stream.write_all(answer.as_bytes()).ok();
        }
    });
    Receiver { url, accept, seen }
}

impl Receiver {
    fn seen(&self) -> Vec<(String, u16)> {
        self.seen.lock().unwrap().clone()
    }

    fn wait_until(&self, what: &str, done: impl Fn(&[(String, u16)]) -> bool) {
        let started = Instant::now();
        while !done(&self.seen()) {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{what}: {:?}",
                self.seen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn a_delivery_pending_at_kill_9_arrives_after_restart() {
    let data = tempfile::tempdir().unwrap();
    let receiver = start_receiver();
    let mut server = serve_on(data.path());
    json(&keyward(
        &server,
        &["orgs", "create", "Acme", "--slug", "acme"],
    ));
    let created = json(&keyward(
        &server,
        &[
            "webhooks",
            "create",
            "--org",
            "acme",
            "--endpoint",
            &receiver.url,
            "--event",
            "team.*",
        ],
    ));
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let webhook = created["id"].as_str().unwrap().to_owned();
    json(&keyward(
        &server,
        &["teams", "create", "--org", "acme", "--name", "Data"],
    ));
    receiver.wait_until("a first, failed attempt", |seen| !seen.is_empty());
    let message = receiver.seen()[0].0.clone();
    assert!(message.starts_with("msg_"), "{message}");
    // The failed attempt is recorded: the delivery waits for its retry.
    let started = Instant::now();
    loop {
        let log = json(&keyward(
            &server,
            &["webhooks", "deliveries", "--org", "acme", &webhook],
        ));
        let item = &log["items"][0];
        if item["attempts"].as_i64() >= Some(1) {
            assert_eq!(item["status"], "pending", "{log}");
            assert_eq!(item["response_status"], 500, "{log}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{log}");
        std::thread::sleep(Duration::from_millis(20));
    }

    // SIGKILL: no graceful shutdown, nothing flushed.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    receiver.accept.store(true, Ordering::SeqCst);
    let server = serve_on(data.path());
    receiver.wait_until("the event after the restart", |seen| {
        seen.iter()
            .any(|(id, status)| *id == message && *status == 200)
    });
    let log = json(&keyward(
        &server,
        &["webhooks", "deliveries", "--org", "acme", &webhook],
    ));
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["status"], "delivered");
    assert_eq!(items[0]["message_id"], message.as_str());
    assert!(items[0]["attempts"].as_i64().unwrap() >= 2);

    // The rest of the commands, against the same server.
    let listed = json(&keyward(&server, &["webhooks", "list", "--org", "acme"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains("whsec_"));
    let got = json(&keyward(
        &server,
        &["webhooks", "get", "--org", "acme", &webhook],
    ));
    assert_eq!(got["events"], serde_json::json!(["team.*"]));
    let updated = json(&keyward(
        &server,
        &[
            "webhooks", "update", "--org", "acme", &webhook, "--event", "key.*",
        ],
    ));
    assert_eq!(updated["events"], serde_json::json!(["key.*"]));
    let tested = json(&keyward(
        &server,
        &["webhooks", "test", "--org", "acme", &webhook],
    ));
    let delivery = tested["delivery_id"].to_string();
    json(&keyward(
        &server,
        &[
            "webhooks",
            "retry",
            "--org",
            "acme",
            "--webhook",
            &webhook,
            &delivery,
        ],
    ));
    json(&keyward(
        &server,
        &["webhooks", "delete", "--org", "acme", &webhook],
    ));
}
