//! Forward-auth believes only its configured proxy: the dialect's own
//! headers, from a trusted peer, naming one unambiguous request.

use super::Fixture;
use crate::assertions::assert_error_body;
use keyward_server::Config;
use reqwest::Method;
use serde_json::Value;

const FORWARD: &str = "/api/v1/auth/forward";

/// The status and error code of asking forward-auth.
async fn ask(f: &Fixture, method: Method, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", f.app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn allow_authenticated(proxy: &str) -> Fixture {
    let proxy = format!("proxy = {proxy:?}");
    Fixture::with_config(|toml| {
        toml.replace(r#"proxy = "nginx""#, &proxy)
            .replace(r#"default = "deny""#, r#"default = "allow-authenticated""#)
    })
    .await
}

fn assert_bad_request(answer: &(u16, Value), what: &str) {
    assert_eq!(answer.0, 400, "{what}: {}", answer.1);
    assert_error_body(&answer.1, 400, "Bad Request", "BAD_REQUEST");
}

#[tokio::test]
async fn a_missing_or_empty_original_request_is_400_never_an_allow() {
    let f = allow_authenticated("nginx").await;
    let key = Fixture::secret(&f.full);
    let cases: [&[(&str, &str)]; 6] = [
        &[],
        &[("x-original-method", "GET")],
        &[("x-original-uri", "/api/x")],
        &[("x-original-method", "GET"), ("x-original-uri", "")],
        &[("x-original-method", ""), ("x-original-uri", "/api/x")],
        &[("x-original-method", "GET"), ("x-original-uri", "?x=/api")],
    ];
    for case in cases {
        let mut headers = vec![("x-api-key", key)];
        headers.extend_from_slice(case);
        assert_bad_request(
            &ask(&f, Method::GET, FORWARD, &headers).await,
            &format!("{case:?}"),
        );
    }

    let f = allow_authenticated("traefik").await;
    let key = Fixture::secret(&f.full);
    let empty = [
        ("x-api-key", key),
        ("x-forwarded-method", "GET"),
        ("x-forwarded-uri", ""),
    ];
    assert_bad_request(&ask(&f, Method::GET, FORWARD, &empty).await, "traefik");

    let f = allow_authenticated("envoy").await;
    let key = Fixture::secret(&f.full);
    for path in [FORWARD.to_owned(), format!("{FORWARD}?x=/api")] {
        let answer = ask(&f, Method::GET, &path, &[("x-api-key", key)]).await;
        assert_bad_request(&answer, &path);
    }
}

#[tokio::test]
async fn another_dialects_headers_are_400() {
    let nginx = Fixture::new().await;
    let key = Fixture::secret(&nginx.product_one);
    // A client's spoofed Traefik headers next to nginx's own.
    let spoofed = [
        ("x-api-key", key),
        ("x-original-method", "DELETE"),
        ("x-original-uri", "/api/dataproducts/2"),
        ("x-forwarded-method", "GET"),
        ("x-forwarded-uri", "/api/dataproducts/1"),
    ];
    assert_bad_request(&ask(&nginx, Method::GET, FORWARD, &spoofed).await, "nginx");

    let traefik = Fixture::for_proxy("traefik").await;
    let key = Fixture::secret(&traefik.product_one);
    let spoofed = [
        ("x-api-key", key),
        ("x-forwarded-method", "GET"),
        ("x-forwarded-uri", "/api/dataproducts/1"),
        ("x-original-uri", "/api/dataproducts/2"),
    ];
    assert_bad_request(
        &ask(&traefik, Method::GET, FORWARD, &spoofed).await,
        "traefik",
    );

    let envoy = Fixture::for_proxy("envoy").await;
    let key = Fixture::secret(&envoy.product_one);
    for header in ["x-forwarded-method", "x-original-method"] {
        let path = format!("{FORWARD}/api/dataproducts/1");
        let spoofed = [("x-api-key", key), (header, "GET")];
        let answer = ask(&envoy, Method::GET, &path, &spoofed).await;
        assert_bad_request(&answer, header);
    }
}

#[tokio::test]
async fn paths_match_in_canonical_form_and_ambiguous_ones_are_400() {
    let f = allow_authenticated("nginx").await;
    let key = Fixture::secret(&f.product_one);
    let asking = |uri: &'static str| {
        [
            ("x-api-key", key),
            ("x-original-method", "GET"),
            ("x-original-uri", uri),
        ]
    };
    // Without a rule, any valid key passes; the admin rule wants org:write.
    let public = ask(&f, Method::GET, FORWARD, &asking("/api/public/x")).await;
    assert_eq!(public.0, 200, "{}", public.1);
    for admin in [
        "/api/public/../admin/secret",
        "/api/%61dmin/x",
        "//api/./admin//x",
    ] {
        let answer = ask(&f, Method::GET, FORWARD, &asking(admin)).await;
        assert_eq!(answer.0, 403, "{admin}: {}", answer.1);
    }
    for ambiguous in [
        "/api/public/%2e%2e/admin/secret",
        "/api/public/..%2fadmin/secret",
        "/api/admin%2Fx",
        "/api/public/..\\admin/x",
        "/api/admin%00/x",
        "/api/%ff/x",
    ] {
        let answer = ask(&f, Method::GET, FORWARD, &asking(ambiguous)).await;
        assert_bad_request(&answer, ambiguous);
    }
    // Case-sensitive, as documented: /API is not /api, so no rule applies.
    let upper = ask(&f, Method::GET, FORWARD, &asking("/API/admin/x")).await;
    assert_eq!(upper.0, 200, "{}", upper.1);
}

#[tokio::test]
async fn a_peer_outside_trusted_proxies_is_403() {
    let f = Fixture::with_config(|toml| {
        toml.replace(
            r#"trusted_proxies = ["127.0.0.1/32", "::1/128"]"#,
            r#"trusted_proxies = ["10.0.0.0/8"]"#,
        )
    })
    .await;
    let headers = [
        ("x-api-key", Fixture::secret(&f.full)),
        ("x-original-method", "GET"),
        ("x-original-uri", "/api/dataproducts/1"),
    ];
    let (status, body) = ask(&f, Method::GET, FORWARD, &headers).await;
    assert_eq!(status, 403, "{body}");
    assert_error_body(&body, 403, "Forbidden", "FORBIDDEN");
}

#[tokio::test]
async fn unserved_methods_are_405() {
    let f = Fixture::new().await;
    let headers = [
        ("x-api-key", Fixture::secret(&f.full)),
        ("x-original-method", "GET"),
        ("x-original-uri", "/api/dataproducts/1"),
    ];
    for path in [FORWARD.to_owned(), format!("{FORWARD}/api/dataproducts/1")] {
        let (status, body) = ask(&f, Method::TRACE, &path, &headers).await;
        assert_eq!(status, 405, "TRACE {path}: {body}");
        assert_error_body(&body, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED");
    }
    for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, _) = ask(&f, method.clone(), FORWARD, &headers).await;
        assert_eq!(status, 200, "{method} is served");
    }
}

#[test]
fn bad_forward_auth_settings_fail_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("proxy = \"haproxy\"", "haproxy"),
        ("trusted_proxies = [\"10.0.0.0/33\"]", "trusted_proxies[0]"),
        ("trusted_proxies = []", "trusted_proxies"),
    ];
    for (setting, complaint) in cases {
        let file = dir.path().join("keyward.toml");
        std::fs::write(&file, format!("[forward_auth]\n{setting}\n")).unwrap();
        let config = Config {
            config: Some(file),
            ..Default::default()
        };
        let error = config.resolve().unwrap_err().to_string();
        assert!(error.contains(complaint), "{setting}: {error}");
    }
}
