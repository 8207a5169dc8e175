//! Secret-scanning intake: GitHub's signed partner reports and the generic
//! HMAC-signed form. A report of a live key applies its organization's
//! leak policy at once (on every node), records `key.leaked` without the
//! token, and answers GitHub's feedback; anything unsigned changes nothing.

use crate::api::{Api, key_path, org_path, text};
use crate::assertions::assert_status;
use crate::backend::{self, Backend, Kind};
use crate::helpers::{TestApp, spawn_app_with};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::TryStreamExt;
use hmac::{Hmac, Mac};
use keyward_client::{Method, RawResponse};
use keyward_core::audit::AuditEvent;
use keyward_server::leaks::{GithubLeaksConfig, LeaksConfig};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use uuid::Uuid;

pub const GITHUB_PATH: &str = "/api/v1/leaks/github";
pub const GENERIC_PATH: &str = "/api/v1/leaks";
pub const HMAC_SECRET: &str = "scanners-sign-reports-with-this-0123456789";
const KEY_ID: &str = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a";

/// Plays GitHub: a P-256 key pair whose public half the server reads from
/// a key file in GitHub's published form.
pub struct Github {
    key: SigningKey,
    dir: TempDir,
    /// The key list as GitHub publishes it: an older key and this one.
    published: Value,
}

impl Github {
    pub fn new() -> Self {
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let dir = tempfile::tempdir().unwrap();
        let pem = key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let other = SigningKey::random(&mut rand::rngs::OsRng)
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let published = json!({"public_keys": [
            {"key_identifier": "an-older-key", "key": other, "is_current": false},
            {"key_identifier": KEY_ID, "key": pem, "is_current": true},
        ]});
        std::fs::write(
            dir.path().join("github-keys.json"),
            serde_json::to_vec(&published).unwrap(),
        )
        .unwrap();
        Self {
            key,
            dir,
            published,
        }
    }

    /// `[leaks]` with this key file and [`HMAC_SECRET`].
    pub fn config(&self) -> LeaksConfig {
        LeaksConfig {
            hmac_secret: Some(HMAC_SECRET.parse().unwrap()),
            github: Some(GithubLeaksConfig {
                public_keys_file: self.dir.path().join("github-keys.json"),
                public_keys_url: None,
                answer_token_raw: false,
            }),
        }
    }

    pub fn sign(&self, body: &[u8]) -> String {
        let signature: Signature = self.key.sign(body);
        STANDARD.encode(signature.to_der().as_bytes())
    }

    /// `api` with GitHub's signature headers for `body`.
    pub fn signed(&self, api: &Api, body: &[u8]) -> Api {
        api.clone()
            .with_header("Github-Public-Key-Identifier", KEY_ID)
            .with_header("Github-Public-Key-Signature", &self.sign(body))
    }

    /// Posts `body` as GitHub does, signed.
    pub async fn report(&self, app: &TestApp, body: &[u8]) -> RawResponse {
        let signature = self.sign(body);
        send_github(app, body, Some((KEY_ID, &signature))).await
    }
}

/// Posts `body` to the GitHub route with the given key id and signature.
async fn send_github(app: &TestApp, body: &[u8], signed: Option<(&str, &str)>) -> RawResponse {
    let mut api = app.anonymous();
    if let Some((id, signature)) = signed {
        api = api
            .with_header("Github-Public-Key-Identifier", id)
            .with_header("Github-Public-Key-Signature", signature);
    }
    api.send_bytes(
        Method::POST,
        GITHUB_PATH,
        Some("application/json"),
        body.to_vec(),
    )
    .await
}

/// `sha256=<hex HMAC-SHA256 of body>` under `secret`.
pub fn hmac_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub async fn leak_app(backend: &Backend, github: &Github) -> TestApp {
    let leaks = github.config();
    spawn_app_with(backend, |config| config.leaks = Some(leaks)).await
}

/// An organization `slug` and one organization key in it: (id, key).
pub async fn org_with_key(app: &TestApp, name: &str) -> (String, String) {
    app.create_org(name).await;
    let created = app.org_key(&name.to_lowercase(), "ci").await;
    (
        text(&created, "id").to_owned(),
        text(&created, "key").to_owned(),
    )
}

pub async fn code(app: &TestApp, key: &str) -> String {
    let response = app
        .admin
        .post("/api/v1/keys/verify", json!({ "key": key }))
        .await;
    assert_status(&response, 200);
    text(&response.body, "code").to_owned()
}

async fn org_id(app: &TestApp, slug: &str) -> Uuid {
    let org = app.admin.get(&org_path(slug)).await;
    text(&org.body, "id").parse().unwrap()
}

/// The events of one action in an organization's log, oldest first.
pub async fn events_of(app: &TestApp, org: Uuid, action: &str) -> Vec<AuditEvent> {
    let all: Vec<AuditEvent> = app
        .state
        .store
        .audit_export(Some(org), None, None)
        .try_collect()
        .await
        .unwrap();
    all.into_iter()
        .filter(|e| e.action.as_str() == action)
        .collect()
}

fn entry(token: &str) -> Value {
    json!({
        "token": token,
        "type": "keyward_api_key",
        "url": "https://github.com/acme/app/blob/0123abc/config.yml",
        "source": "content"
    })
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A key minted like the server's, with a valid checksum, that no store
/// holds.
fn unknown_key() -> String {
    keyward_core::ApiKey::mint(&keyward_core::Prefix::default())
        .expose()
        .to_owned()
}

pub async fn a_signed_github_report_revokes_the_key(backend: Backend) {
    let github = Github::new();
    let app = leak_app(&backend, &github).await;
    let (id, key) = org_with_key(&app, "Acme").await;
    // Cached from now on: the report must retire the cached answer.
    assert_eq!(code(&app, &key).await, "VALID");
    let stranger = unknown_key();
    let body = json!([entry(&key), entry(&stranger), entry("not-a-key-at-all")]);
    let body = serde_json::to_vec(&body).unwrap();
    let answer = github.report(&app, &body).await;
    assert_status(&answer, 200);
    assert_eq!(
        answer.body,
        json!([
            {"token_hash": sha256_hex(&key), "token_type": "keyward_api_key", "label": "true_positive"},
            {"token_hash": sha256_hex(&stranger), "token_type": "keyward_api_key", "label": "false_positive"},
            {"token_hash": sha256_hex("not-a-key-at-all"), "token_type": "keyward_api_key", "label": "false_positive"},
        ])
    );
    assert_eq!(answer.header("x-keyward-skipped-entries"), Some("0"));
    assert_eq!(code(&app, &key).await, "REVOKED");
    // Revoked keys are gone from the API.
    assert_status(&app.admin.get(&key_path("acme", &id)).await, 404);

    let events = events_of(&app, org_id(&app, "acme").await, "key.leaked").await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(event.actor.kind.as_str(), "system");
    assert_eq!(
        event.target.as_ref().map(|t| t.id.as_str()),
        Some(id.as_str())
    );
    assert_eq!(event.details["source"], "content");
    assert_eq!(event.details["type"], "keyward_api_key");
    assert_eq!(
        event.details["url"],
        "https://github.com/acme/app/blob/0123abc/config.yml"
    );
    assert_eq!(event.details["leak_policy"], "revoke");
    let recorded = serde_json::to_string(event).unwrap();
    assert!(!recorded.contains(&key), "the event holds the token");

    // Reported again: still a true positive, and nothing more to do.
    let again = github.report(&app, &body).await;
    assert_status(&again, 200);
    assert_eq!(again.body[0]["label"], "true_positive");
    let events = events_of(&app, org_id(&app, "acme").await, "key.leaked").await;
    assert_eq!(events.len(), 1);
}

pub async fn the_answer_may_name_tokens_raw(backend: Backend) {
    let github = Github::new();
    let mut leaks = github.config();
    if let Some(config) = leaks.github.as_mut() {
        config.answer_token_raw = true;
    }
    let app = spawn_app_with(&backend, |config| config.leaks = Some(leaks)).await;
    let (_, key) = org_with_key(&app, "Acme").await;
    let body = serde_json::to_vec(&json!([entry(&key)])).unwrap();
    let answer = github.report(&app, &body).await;
    assert_status(&answer, 200);
    assert_eq!(
        answer.body,
        json!([{"token_raw": key, "token_type": "keyward_api_key", "label": "true_positive"}])
    );
}

pub async fn unsigned_or_badly_signed_reports_change_nothing(backend: Backend) {
    let github = Github::new();
    let app = leak_app(&backend, &github).await;
    let (_, key) = org_with_key(&app, "Acme").await;
    let body = serde_json::to_vec(&json!([entry(&key)])).unwrap();
    let other_body = serde_json::to_vec(&json!([entry(&unknown_key())])).unwrap();
    let impostor = SigningKey::random(&mut rand::rngs::OsRng);
    let impostor_signature = {
        let signature: Signature = impostor.sign(&body);
        STANDARD.encode(signature.to_der().as_bytes())
    };
    let cases: Vec<(&str, Option<(&str, String)>)> = vec![
        ("no headers", None),
        (
            "another body's signature",
            Some((KEY_ID, github.sign(&other_body))),
        ),
        ("an unknown key", Some(("no-such-key", github.sign(&body)))),
        (
            "the older key's name",
            Some(("an-older-key", github.sign(&body))),
        ),
        ("another key pair", Some((KEY_ID, impostor_signature))),
        ("not base64", Some((KEY_ID, "%%%".to_owned()))),
        ("base64 of junk", Some((KEY_ID, STANDARD.encode(b"junk")))),
    ];
    for (case, signed) in cases {
        let signed = signed.as_ref().map(|(id, s)| (*id, s.as_str()));
        let answer = send_github(&app, &body, signed).await;
        assert_status(&answer, 401);
        assert_eq!(answer.body["code"], "UNAUTHENTICATED", "{case}");
        assert_eq!(code(&app, &key).await, "VALID", "{case}");
    }
    let events = events_of(&app, org_id(&app, "acme").await, "key.leaked").await;
    assert!(events.is_empty(), "{events:#?}");

    // A server without GitHub's keys refuses every report alike.
    let plain = spawn_app_with(&backend, |_| {}).await;
    let answer = send_github(&plain, &body, Some((KEY_ID, &github.sign(&body)))).await;
    assert_status(&answer, 401);
}

pub async fn leak_policies_disable_or_only_record(backend: Backend) {
    let github = Github::new();
    let app = leak_app(&backend, &github).await;
    let (_, disabled) = org_with_key(&app, "Careful").await;
    let (_, noted) = org_with_key(&app, "Watchful").await;
    for (org, policy) in [("careful", "disable"), ("watchful", "notify")] {
        let set = app
            .admin
            .patch(&org_path(org), json!({ "leak_policy": policy }))
            .await;
        assert_status(&set, 200);
        assert_eq!(set.body["leak_policy"], policy);
    }
    let refused = app
        .admin
        .patch(&org_path("careful"), json!({ "leak_policy": "ignore" }))
        .await;
    assert_status(&refused, 422);
    assert_eq!(code(&app, &disabled).await, "VALID");
    assert_eq!(code(&app, &noted).await, "VALID");

    let body = serde_json::to_vec(&json!([entry(&disabled), entry(&noted)])).unwrap();
    let answer = github.report(&app, &body).await;
    assert_status(&answer, 200);
    assert_eq!(answer.body[0]["label"], "true_positive");
    assert_eq!(answer.body[1]["label"], "true_positive");
    assert_eq!(code(&app, &disabled).await, "DISABLED");
    assert_eq!(code(&app, &noted).await, "VALID");
    for (org, policy) in [("careful", "disable"), ("watchful", "notify")] {
        let events = events_of(&app, org_id(&app, org).await, "key.leaked").await;
        assert_eq!(events.len(), 1, "{org}: {events:#?}");
        assert_eq!(events[0].details["leak_policy"], policy);
    }
    // A disabled key reported again is disabled still, and recorded again.
    let again = github.report(&app, &body).await;
    assert_status(&again, 200);
    assert_eq!(code(&app, &disabled).await, "DISABLED");
}

pub async fn malformed_entries_are_skipped_and_counted(backend: Backend) {
    let github = Github::new();
    let app = leak_app(&backend, &github).await;
    let (_, key) = org_with_key(&app, "Acme").await;
    let body = json!([
        {"type": "keyward_api_key", "url": "https://x", "source": "content"},
        {"token": 42},
        {"token": ["a"]},
        {"token": key, "url": {"not": "a string"}},
        "just text",
        null,
        {"token": "x".repeat(600)},
        entry(&key),
    ]);
    let body = serde_json::to_vec(&body).unwrap();
    let answer = github.report(&app, &body).await;
    assert_status(&answer, 200);
    assert_eq!(answer.header("x-keyward-skipped-entries"), Some("7"));
    assert_eq!(answer.body.as_array().map(Vec::len), Some(1));
    assert_eq!(answer.body[0]["label"], "true_positive");
    assert_eq!(code(&app, &key).await, "REVOKED");

    // A body that isn't a list, a list too long, a body too large: refused
    // whole, signed or not.
    for (body, status) in [
        (b"{\"token\": \"x\"}".to_vec(), 400),
        (b"[{".to_vec(), 400),
        (serde_json::to_vec(&vec![json!({}); 501]).unwrap(), 422),
        (
            serde_json::to_vec(&vec![entry(&unknown_key()); 600]).unwrap(),
            413,
        ),
    ] {
        let answer = github.report(&app, &body).await;
        assert_status(&answer, status);
    }
}

pub async fn generic_reports_need_the_shared_secret(backend: Backend) {
    let github = Github::new();
    let app = leak_app(&backend, &github).await;
    let (_, key) = org_with_key(&app, "Acme").await;
    let body = serde_json::to_vec(&json!({
        "token": key,
        "source": "pastebin",
        "url": "https://paste.example/abc"
    }))
    .unwrap();
    let post = |signature: Option<String>, body: Vec<u8>| {
        let mut api = app.anonymous();
        if let Some(signature) = signature {
            api = api.with_header("X-Keyward-Signature", &signature);
        }
        async move {
            api.send_bytes(Method::POST, GENERIC_PATH, Some("application/json"), body)
                .await
        }
    };
    for signature in [
        None,
        Some(hmac_signature(
            "another-secret-entirely-0123456789abcdef",
            &body,
        )),
        Some(hmac_signature(HMAC_SECRET, b"another body")),
        Some("sha256=zz".to_owned()),
        Some(hmac_signature(HMAC_SECRET, &body).replace("sha256=", "sha1=")),
    ] {
        let answer = post(signature, body.clone()).await;
        assert_status(&answer, 401);
        assert_eq!(code(&app, &key).await, "VALID");
    }
    let answer = post(Some(hmac_signature(HMAC_SECRET, &body)), body.clone()).await;
    assert_status(&answer, 200);
    assert_eq!(answer.body, json!({"label": "true_positive"}));
    assert_eq!(code(&app, &key).await, "REVOKED");
    let events = events_of(&app, org_id(&app, "acme").await, "key.leaked").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.kind.as_str(), "system");
    assert_eq!(events[0].details["source"], "pastebin");

    let unknown = serde_json::to_vec(&json!({"token": unknown_key()})).unwrap();
    let answer = post(Some(hmac_signature(HMAC_SECRET, &unknown)), unknown).await;
    assert_status(&answer, 200);
    assert_eq!(answer.body, json!({"label": "false_positive"}));
    let bad = b"{\"token\": 1}".to_vec();
    let answer = post(Some(hmac_signature(HMAC_SECRET, &bad)), bad).await;
    assert_status(&answer, 422);

    // Without a configured secret, nothing is accepted.
    let plain = spawn_app_with(&backend, |_| {}).await;
    let answer = plain
        .anonymous()
        .with_header("X-Keyward-Signature", &hmac_signature(HMAC_SECRET, &body))
        .send_bytes(Method::POST, GENERIC_PATH, Some("application/json"), body)
        .await;
    assert_status(&answer, 401);
}

pub async fn unknown_keys_are_fetched_again_from_the_url(backend: Backend) {
    let github = Github::new();
    // GitHub serves both keys; the file knows only the older one.
    let hits = Arc::new(AtomicUsize::new(0));
    let served = github.published.clone();
    let counted = hits.clone();
    let list = axum::Router::new().route(
        "/meta/public_keys/secret_scanning",
        axum::routing::get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            let served = served.clone();
            async move { axum::Json(served) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/meta/public_keys/secret_scanning",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, list).await });
    let mut older = github.published.clone();
    older["public_keys"].as_array_mut().unwrap().truncate(1);
    let mut leaks = github.config();
    let github_config = leaks.github.as_mut().unwrap();
    std::fs::write(&github_config.public_keys_file, older.to_string()).unwrap();
    github_config.public_keys_url = Some(url);
    let app = spawn_app_with(&backend, |config| config.leaks = Some(leaks)).await;
    let (_, key) = org_with_key(&app, "Acme").await;

    let body = serde_json::to_vec(&json!([entry(&key)])).unwrap();
    let answer = github.report(&app, &body).await;
    assert_status(&answer, 200);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(code(&app, &key).await, "REVOKED");
    // Known keys need no fetch; unknown ones at most one a minute.
    assert_status(&github.report(&app, &body).await, 200);
    for _ in 0..3 {
        let unknown = send_github(&app, &body, Some(("no-such-key", &github.sign(&body)))).await;
        assert_status(&unknown, 401);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

const SHARED_SECRET: &str = "nodes-share-this-secret-0123456789abcdef";

/// Two nodes on one PostgreSQL database, both taking GitHub's reports.
pub async fn two_nodes(backend: &Backend, github: &Github) -> (TestApp, TestApp) {
    let url = backend
        .new_database_url()
        .await
        .expect("a PostgreSQL backend");
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let leaks = github.config();
        let url = url.clone();
        nodes.push(
            spawn_app_with(backend, move |config| {
                config.database_url = Some(url.parse().unwrap());
                config.secret = Some(SHARED_SECRET.parse().unwrap());
                config.leaks = Some(leaks);
            })
            .await,
        );
    }
    let b = nodes.pop().unwrap();
    let a = nodes.pop().unwrap();
    (a, b)
}

async fn a_report_on_one_node_revokes_on_the_other(backend: Backend) {
    let github = Github::new();
    let (a, b) = two_nodes(&backend, &github).await;
    let (_, key) = org_with_key(&a, "Acme").await;
    // b answers from its cache from now on.
    assert_eq!(code(&b, &key).await, "VALID");
    assert_eq!(code(&b, &key).await, "VALID");
    let body = serde_json::to_vec(&json!([entry(&key)])).unwrap();
    assert_status(&github.report(&a, &body).await, 200);
    let reported = Instant::now();
    loop {
        let seen = code(&b, &key).await;
        if seen == "REVOKED" {
            eprintln!(
                "leak report seen by the second node after {:?}",
                reported.elapsed()
            );
            break;
        }
        assert_eq!(seen, "VALID");
        assert!(
            reported.elapsed() < Duration::from_secs(5),
            "the second node never saw the revocation"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_report_reaches_every_node() {
    backend::run(Kind::Postgres, a_report_on_one_node_revokes_on_the_other).await;
}
