//! Leak-to-revocation time on two nodes sharing a PostgreSQL database
//! (target: p99 ≤ 100 ms): a signed GitHub secret-scanning report of a key
//! node B has cached is posted to node A over HTTP; the time runs from
//! sending the report until B's next verification answers `REVOKED` (B
//! verifies every millisecond).
//!
//! `KEYWARD_BENCH_DATABASE_URL=postgres://… cargo run --release -p keyward-server --example leak_revocation [REPORTS]`
#![allow(clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyward_core::Scope;
use keyward_core::model::KeyState;
use keyward_server::ctx::{Caller, Ctx, Grants, RequestMeta};
use keyward_server::leaks::{GithubLeaksConfig, LeaksConfig};
use keyward_server::ops::keys::{self, KeySpec};
use keyward_server::state::AppState;
use keyward_server::verify::{self, Ask, Outcome};
use keyward_server::{Application, Config};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use std::path::Path;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";
const KEY_ID: &str = "bench-github-key";

async fn node(url: &str, keys_file: &Path) -> (AppState, String, tokio::sync::oneshot::Sender<()>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = Config {
        listen: Some("127.0.0.1:0".parse().expect("address")),
        data_dir: Some(dir.keep()),
        database_url: Some(url.parse().expect("url")),
        secret: Some(SECRET.parse().expect("secret")),
        no_bootstrap_user: true,
        leaks: Some(LeaksConfig {
            hmac_secret: None,
            github: Some(GithubLeaksConfig {
                public_keys_file: keys_file.to_owned(),
                public_keys_url: None,
                answer_token_raw: false,
            }),
        }),
        ..Config::default()
    };
    let app = Application::build(config.resolve().expect("configuration"))
        .await
        .expect("node");
    let address = format!("http://{}", app.local_addr().expect("an address"));
    let state = app.state();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        stopped.await.ok();
    }));
    (state, address, stop)
}

#[tokio::main]
async fn main() {
    let url = std::env::var("KEYWARD_BENCH_DATABASE_URL")
        .expect("KEYWARD_BENCH_DATABASE_URL names a PostgreSQL database");
    let reports: usize = std::env::args()
        .nth(1)
        .map_or(200, |r| r.parse().expect("REPORTS is a number"));
    let github = SigningKey::random(&mut rand::rngs::OsRng);
    let pem = github
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("PEM");
    let keys_dir = tempfile::tempdir().expect("temporary directory");
    let keys_file = keys_dir.path().join("github-keys.json");
    let published = serde_json::json!({"public_keys": [
        {"key_identifier": KEY_ID, "key": pem, "is_current": true}
    ]});
    std::fs::write(&keys_file, published.to_string()).expect("key file");
    let (a, a_address, stop_a) = node(&url, &keys_file).await;
    let (b, _, stop_b) = node(&url, &keys_file).await;
    let org = keyward_core::model::Organization {
        id: uuid::Uuid::now_v7(),
        name: "Leak bench".into(),
        slug: keyward_core::model::Slug::parse(&format!("leak-{}", uuid::Uuid::now_v7().simple()))
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
    let client = reqwest::Client::new();
    let mut seen = Vec::with_capacity(reports);
    for _ in 0..reports {
        let spec = KeySpec {
            name: "leak me".into(),
            scope: Scope::Organization,
            read_only: false,
            permissions: None,
            expires_at: None,
            metadata: Default::default(),
            team_id: None,
            service_account_id: None,
            limits: Default::default(),
        };
        let (_, key) = keys::create(&a, &ctx, spec).await.expect("key");
        // B caches the key.
        let cached = verify::verify(&b, key.expose(), &Ask::ANY)
            .await
            .expect("verify");
        assert!(matches!(cached, Outcome::Valid(..)));
        let body = serde_json::to_vec(&serde_json::json!([{
            "token": key.expose(),
            "type": "keyward_api_key",
            "url": "https://github.com/acme/app/blob/main/.env",
            "source": "content"
        }]))
        .expect("JSON");
        let signature: Signature = github.sign(&body);
        let sent = Instant::now();
        let answer = client
            .post(format!("{a_address}/api/v1/leaks/github"))
            .header("content-type", "application/json")
            .header("Github-Public-Key-Identifier", KEY_ID)
            .header(
                "Github-Public-Key-Signature",
                STANDARD.encode(signature.to_der().as_bytes()),
            )
            .body(body)
            .send()
            .await
            .expect("node A answers");
        assert!(answer.status().is_success(), "{}", answer.status());
        loop {
            let outcome = verify::verify(&b, key.expose(), &Ask::ANY)
                .await
                .expect("verify");
            if matches!(outcome, Outcome::Refused(KeyState::Revoked, _)) {
                seen.push(sent.elapsed());
                break;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(5),
                "node B never saw the revocation"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    a.store.delete_org(org.id).await.expect("cleanup");
    seen.sort();
    let at = |q: f64| seen[((seen.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    println!(
        "leak report on node A to REVOKED on node B, {reports} reports: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        seen[seen.len() - 1].as_secs_f64() * 1e3
    );
    stop_a.send(()).ok();
    stop_b.send(()).ok();
}
