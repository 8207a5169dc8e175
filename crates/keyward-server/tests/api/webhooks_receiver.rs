//! A webhook receiver for tests: an axum server on a random loopback port
//! that keeps every request it gets and answers 500 to the first `failing`
//! ones, 204 after; and the Standard Webhooks check, written here from the
//! specification (HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed with the
//! base64-decoded secret after `whsec_`), independently of keyward's own.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got, and what it answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    pub answered: u16,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    pub fn kind(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }

    /// Whether one of the signatures is `secret`'s.
    pub fn signed_by(&self, secret: &str) -> bool {
        let expected = sign(secret, &self.id, &self.timestamp, &self.body);
        self.signature.split(' ').any(|s| s == expected)
    }
}

/// `v1,<base64 HMAC-SHA256>` per the Standard Webhooks specification.
pub fn sign(secret: &str, id: &str, timestamp: &str, body: &str) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64 after whsec_");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    failing: AtomicUsize,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

async fn hook(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let fail = shared
        .failing
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    shared.received.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
        answered: status.as_u16(),
    });
    status
}

impl Receiver {
    /// A receiver answering 500 to its first `failing` requests.
    pub async fn start(failing: usize) -> Self {
        let shared = Arc::new(Shared::default());
        shared.failing.store(failing, Ordering::SeqCst);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(shared.clone());
        let handle = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Self {
            url,
            shared,
            handle,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The requests it answered with a 2xx.
    pub fn delivered(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.answered < 300)
            .collect()
    }

    /// Waits until `n` requests were answered with a 2xx; fails after 30 s.
    pub async fn wait_delivered(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let delivered = self.delivered();
            if delivered.len() >= n {
                return delivered;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{} of {n} deliveries after 30 s: {:#?}",
                delivered.len(),
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
