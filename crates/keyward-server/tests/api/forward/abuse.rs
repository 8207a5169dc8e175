//! Forward-auth and keys' abuse controls, asked directly: the client's
//! address is taken from a trusted proxy's headers only, and rules set
//! what a request costs.

use super::Fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

const FORWARD: &str = "/api/v1/auth/forward";

async fn ask(f: &Fixture, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().get(format!("{}{FORWARD}", f.app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_trusted_proxys_address_headers_are_believed() {
    let f = Fixture::new().await;
    let key = f
        .app
        .key_with("acme", json!({ "allowed_ips": ["203.0.113.7"] }))
        .await;
    let nginx = |ip: &'static str| {
        vec![
            ("x-api-key", key.as_str()),
            ("x-original-method", "GET"),
            ("x-original-uri", "/api/dataproducts/1"),
            ("x-real-ip", ip),
        ]
    };
    assert_eq!(ask(&f, &nginx("203.0.113.7")).await.0, StatusCode::OK);
    let (status, body) = ask(&f, &nginx("203.0.113.8")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "IP_NOT_ALLOWED");
    let (status, body) = ask(&f, &nginx("not an address")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn forwarded_for_is_read_from_the_last_untrusted_hop() {
    let f = Fixture::for_proxy("traefik").await;
    let key = f
        .app
        .key_with("acme", json!({ "allowed_ips": ["203.0.113.7"] }))
        .await;
    let traefik = |chain: &'static str| {
        vec![
            ("x-api-key", key.as_str()),
            ("x-forwarded-method", "GET"),
            ("x-forwarded-uri", "/api/dataproducts/1"),
            ("x-forwarded-for", chain),
        ]
    };
    // The client wrote the first entry; the proxy appended the address
    // it saw, and loopback proxies in front of keyward are skipped.
    assert_eq!(
        ask(&f, &traefik("198.51.100.1, 203.0.113.7, 127.0.0.1"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        ask(&f, &traefik("203.0.113.7, 198.51.100.1")).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_untrusted_peers_headers_get_it_nowhere() {
    let f = Fixture::with_config(|toml| {
        toml.replace(
            r#"trusted_proxies = ["127.0.0.1/32", "::1/128"]"#,
            r#"trusted_proxies = ["10.9.9.9/32"]"#,
        )
    })
    .await;
    let key = f
        .app
        .key_with("acme", json!({ "allowed_ips": ["203.0.113.7"] }))
        .await;
    let (status, _) = ask(
        &f,
        &[
            ("x-api-key", key.as_str()),
            ("x-original-method", "GET"),
            ("x-original-uri", "/api/dataproducts/1"),
            ("x-real-ip", "203.0.113.7"),
            ("x-forwarded-for", "203.0.113.7"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_rule_sets_what_a_request_costs() {
    let f = Fixture::with_config(|toml| {
        toml.replace(
            r#"permission = "dataproducts:write""#,
            "permission = \"dataproducts:write\"\ncost = 5",
        )
    })
    .await;
    let key = f
        .app
        .key_with("acme", json!({ "credits": { "remaining": 12 } }))
        .await;
    let ask_as = |method: &'static str| {
        vec![
            ("x-api-key", key.as_str()),
            ("x-original-method", method),
            ("x-original-uri", "/api/dataproducts/1"),
        ]
    };
    assert_eq!(ask(&f, &ask_as("POST")).await.0, StatusCode::OK);
    assert_eq!(ask(&f, &ask_as("POST")).await.0, StatusCode::OK);
    let (status, body) = ask(&f, &ask_as("POST")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "USAGE_EXCEEDED");
    // Reads cost 1 (no cost on their rule): the 2 left pay for two.
    assert_eq!(ask(&f, &ask_as("GET")).await.0, StatusCode::OK);
    assert_eq!(ask(&f, &ask_as("GET")).await.0, StatusCode::OK);
    assert_eq!(
        ask(&f, &ask_as("GET")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}
