//! Leak-to-revocation time on two nodes sharing a PostgreSQL database
//! (target: p99 ≤ 100 ms): a signed GitHub secret-scanning report of a key
//! node B has cached is posted to node A over HTTP; the time runs from
//! sending the report until B's next verification answers `REVOKED` (B
//! verifies every millisecond).
//!
//! `KEYWARD_BENCH_DATABASE_URL=postgres://… cargo run --release -p keyward-server --example leak_revocation [REPORTS]`
#![allow(clippy::expect_used)]

#[path = "support/two_nodes.rs"]
mod two_nodes;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyward_server::leaks::{GithubLeaksConfig, LeaksConfig};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use std::path::Path;
use std::time::Instant;
use two_nodes::{Node, cached_key, organization, report, until_revoked};

const KEY_ID: &str = "bench-github-key";

/// A node reading GitHub's public keys from `keys_file`.
async fn node(url: &str, keys_file: &Path) -> Node {
    Node::start(url, |config| {
        config.leaks = Some(LeaksConfig {
            hmac_secret: None,
            github: Some(GithubLeaksConfig {
                public_keys_file: keys_file.to_owned(),
                public_keys_url: None,
                answer_token_raw: false,
            }),
        });
    })
    .await
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
    let a = node(&url, &keys_file).await;
    let b = node(&url, &keys_file).await;
    let ctx = organization(&a.state, "Leak bench").await;
    let client = reqwest::Client::new();
    let mut seen = Vec::with_capacity(reports);
    for _ in 0..reports {
        let (_, key) = cached_key(&a.state, &b.state, &ctx).await;
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
            .post(format!("{}/api/v1/leaks/github", a.address))
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
        seen.push(until_revoked(&b.state, &key, sent).await);
    }
    a.state.store.delete_org(ctx.org.id).await.expect("cleanup");
    report(
        &format!("leak report on node A to REVOKED on node B, {reports} reports"),
        &mut seen,
    );
    a.stop();
    b.stop();
}
