//! How forward-auth refuses, in terms a proxy passes on: an RFC 6750
//! challenge, the code in `X-Keyward-Code`; bare keys; CORS preflights.

use super::Fixture;
use super::direct::{self, FORWARD, Reply};
use crate::assertions::assert_error_body;
use reqwest::StatusCode;

const PRODUCT: &str = "/api/dataproducts/1";

/// Asks as nginx does, for `method` on `PRODUCT`, with `extra` headers.
async fn ask(f: &Fixture, method: &str, extra: &[(&str, &str)]) -> Reply {
    let mut headers = vec![("x-original-method", method), ("x-original-uri", PRODUCT)];
    headers.extend_from_slice(extra);
    direct::ask(f, FORWARD, &headers).await
}

fn assert_refused(reply: &Reply, status: u16, code: &str, bearer_error: Option<&str>) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
    let reason = reply.status.canonical_reason().unwrap();
    assert_error_body(&reply.body, status, reason, code);
    assert_eq!(reply.header("x-keyward-code"), code);
    let challenge = reply.header("www-authenticate");
    assert!(
        challenge.starts_with("Api-Key realm=\"keyward\", Bearer realm=\"keyward\""),
        "{challenge}"
    );
    match bearer_error {
        Some(error) => assert!(
            challenge.contains(&format!("error=\"{error}\"")),
            "{challenge}"
        ),
        None => assert!(!challenge.contains("error="), "{challenge}"),
    }
}

#[tokio::test]
async fn every_refusal_names_its_reason_for_the_proxy() {
    let f = Fixture::new().await;
    assert_refused(&ask(&f, "GET", &[]).await, 401, "UNAUTHENTICATED", None);
    let unknown = [("x-api-key", "kw_not-a-key")];
    assert_refused(
        &ask(&f, "GET", &unknown).await,
        401,
        "UNAUTHENTICATED",
        Some("invalid_token"),
    );

    let read_only = [("x-api-key", Fixture::secret(&f.read_only))];
    let write = ask(&f, "PUT", &read_only).await;
    assert_refused(&write, 403, "READ_ONLY_KEY", Some("insufficient_scope"));
    let lacking = [("x-api-key", Fixture::secret(&f.keys_only))];
    let refused = ask(&f, "GET", &lacking).await;
    assert_refused(&refused, 403, "FORBIDDEN", Some("insufficient_scope"));

    let full = [("x-api-key", Fixture::secret(&f.full))];
    assert_eq!(ask(&f, "GET", &full).await.status, StatusCode::OK);
    f.revoke(&f.full).await;
    let revoked = ask(&f, "GET", &full).await;
    assert_refused(&revoked, 401, "KEY_REVOKED", Some("invalid_token"));
    assert!(
        revoked
            .header("www-authenticate")
            .contains("error_description=\"this API key has been revoked\"")
    );
}

#[tokio::test]
async fn a_bare_key_is_taken_and_a_bare_token_of_another_kind_is_not() {
    let f = Fixture::new().await;
    let bare = [("authorization", Fixture::secret(&f.full))];
    let allowed = ask(&f, "GET", &bare).await;
    assert_eq!(allowed.status, StatusCode::OK);
    assert_eq!(
        allowed.header("x-keyward-key-id"),
        f.full["id"].as_str().unwrap()
    );
    let other = [("authorization", "dXNlcjpwYXNzd29yZA==")];
    assert_refused(&ask(&f, "GET", &other).await, 401, "UNAUTHENTICATED", None);
}

const PREFLIGHT: [(&str, &str); 2] = [
    ("origin", "https://app.example.com"),
    ("access-control-request-method", "DELETE"),
];

#[tokio::test]
async fn a_cors_preflight_passes_to_the_upstream_without_a_key() {
    let f = Fixture::new().await;
    let preflight = ask(&f, "OPTIONS", &PREFLIGHT).await;
    assert_eq!(preflight.status, StatusCode::OK);
    // It passes as nobody: no identity for the upstream to trust.
    assert!(!preflight.headers.contains_key("x-keyward-key-id"));
    // Only a preflight: an OPTIONS without Access-Control-Request-Method,
    // or another method with the preflight's headers, still needs a key.
    let origin_only = [PREFLIGHT[0]];
    assert_refused(
        &ask(&f, "OPTIONS", &origin_only).await,
        401,
        "UNAUTHENTICATED",
        None,
    );
    assert_refused(
        &ask(&f, "DELETE", &PREFLIGHT).await,
        401,
        "UNAUTHENTICATED",
        None,
    );
}

#[tokio::test]
async fn preflights_follow_the_configuration() {
    let listed = Fixture::with_config(|toml| {
        toml.replace(
            "default = \"deny\"",
            "default = \"deny\"\npreflight_origins = [\"https://app.example.com\"]",
        )
    })
    .await;
    assert_eq!(
        ask(&listed, "OPTIONS", &PREFLIGHT).await.status,
        StatusCode::OK
    );
    let stranger = [("origin", "https://evil.example"), PREFLIGHT[1]];
    let refused = ask(&listed, "OPTIONS", &stranger).await;
    assert_refused(&refused, 401, "UNAUTHENTICATED", None);

    let strict = Fixture::with_config(|toml| {
        toml.replace(
            "default = \"deny\"",
            "default = \"deny\"\npreflight = \"authenticate\"",
        )
    })
    .await;
    let refused = ask(&strict, "OPTIONS", &PREFLIGHT).await;
    assert_refused(&refused, 401, "UNAUTHENTICATED", None);
}
