//! `/api/v1/auth/forward` spoken to directly, as Traefik, nginx and Envoy do.

use super::Fixture;
use crate::api::text;
use crate::assertions::assert_error_body;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

pub(super) const FORWARD: &str = "/api/v1/auth/forward";

pub(super) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

impl Reply {
    /// The header's value, or "" when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |value| value.to_str().unwrap())
    }
}

pub(super) async fn ask(fixture: &Fixture, path: &str, headers: &[(&str, &str)]) -> Reply {
    ask_with(fixture, Method::GET, path, headers).await
}

async fn ask_with(
    fixture: &Fixture,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let url = format!("{}{path}", fixture.app.address);
    let mut request = reqwest::Client::new().request(method, url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

fn traefik<'a>(key: &'a str, method: &'a str, uri: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("x-api-key", key),
        ("x-forwarded-method", method),
        ("x-forwarded-uri", uri),
    ]
}

#[tokio::test]
async fn traefik_headers_decide_by_rule_and_identify_the_key() {
    let f = Fixture::for_proxy("traefik").await;
    let key = Fixture::secret(&f.full);
    let allowed = ask(&f, FORWARD, &traefik(key, "GET", "/api/dataproducts/7?x=1")).await;
    assert_eq!(allowed.status, StatusCode::OK);
    assert_eq!(allowed.headers["x-keyward-key-id"], text(&f.full, "id"));
    assert_eq!(
        allowed.headers["x-keyward-org"],
        text(&f.full, "organization_id")
    );
    assert_eq!(allowed.headers["x-keyward-scope"], "organization");
    let principal = format!("organization:{}", text(&f.full, "organization_id"));
    assert_eq!(allowed.headers["x-keyward-principal"], principal.as_str());

    let write = ask(&f, FORWARD, &traefik(key, "DELETE", "/api/dataproducts/7")).await;
    assert_eq!(
        write.status,
        StatusCode::OK,
        "the full key holds dataproducts:write"
    );

    // No rule matches and the example's default is deny.
    let unmatched = ask(&f, FORWARD, &traefik(key, "GET", "/api/other")).await;
    assert_eq!(unmatched.status, StatusCode::FORBIDDEN);
    assert_error_body(&unmatched.body, 403, "Forbidden", "FORBIDDEN");
}

#[tokio::test]
async fn missing_permission_and_read_only_writes_are_forbidden() {
    let f = Fixture::for_proxy("traefik").await;
    let lacking = ask(
        &f,
        FORWARD,
        &traefik(Fixture::secret(&f.keys_only), "GET", "/api/dataproducts/1"),
    )
    .await;
    assert_eq!(lacking.status, StatusCode::FORBIDDEN);

    let ro = Fixture::secret(&f.read_only);
    assert_eq!(
        ask(&f, FORWARD, &traefik(ro, "GET", "/api/dataproducts/1"))
            .await
            .status,
        StatusCode::OK
    );
    let write = ask(&f, FORWARD, &traefik(ro, "POST", "/api/dataproducts/1")).await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    assert_error_body(&write.body, 403, "Forbidden", "READ_ONLY_KEY");
}

#[tokio::test]
async fn bad_and_revoked_keys_are_unauthenticated() {
    let f = Fixture::for_proxy("traefik").await;
    let none = ask(
        &f,
        FORWARD,
        &[
            ("x-forwarded-method", "GET"),
            ("x-forwarded-uri", "/api/dataproducts/1"),
        ],
    )
    .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none.headers.contains_key("www-authenticate"));
    assert_error_body(&none.body, 401, "Unauthorized", "UNAUTHENTICATED");

    let junk = ask(
        &f,
        FORWARD,
        &traefik("kw_not-a-key", "GET", "/api/dataproducts/1"),
    )
    .await;
    assert_eq!(junk.status, StatusCode::UNAUTHORIZED);

    let key = Fixture::secret(&f.full);
    assert_eq!(
        ask(&f, FORWARD, &traefik(key, "GET", "/api/dataproducts/1"))
            .await
            .status,
        StatusCode::OK
    );
    f.revoke(&f.full).await;
    let revoked = ask(&f, FORWARD, &traefik(key, "GET", "/api/dataproducts/1")).await;
    assert_eq!(
        revoked.status,
        StatusCode::UNAUTHORIZED,
        "revocation is seen on the very next request"
    );
}

#[tokio::test]
async fn nginx_dialect_names_the_original_request() {
    let f = Fixture::new().await;
    let ro = Fixture::secret(&f.read_only);
    let bearer = format!("Bearer {ro}");
    let nginx = |method| {
        [
            ("authorization", bearer.as_str()),
            ("x-original-method", method),
            ("x-original-uri", "/api/dataproducts/2?x=1"),
        ]
    };
    assert_eq!(ask(&f, FORWARD, &nginx("GET")).await.status, StatusCode::OK);
    let write = nginx("PUT");
    let refused = ask(&f, FORWARD, &write).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_error_body(&refused.body, 403, "Forbidden", "READ_ONLY_KEY");
}

#[tokio::test]
async fn envoy_dialect_names_the_original_request() {
    let f = Fixture::for_proxy("envoy").await;
    let bearer = format!("Bearer {}", Fixture::secret(&f.read_only));
    let auth = [("authorization", bearer.as_str())];
    // Envoy: the request's own method, the original path after the prefix.
    let envoy = ask(&f, &format!("{FORWARD}/api/dataproducts/2"), &auth).await;
    assert_eq!(envoy.status, StatusCode::OK);
    assert_eq!(envoy.headers["x-keyward-scope"], "organization:read_only");
    let write = ask_with(
        &f,
        Method::DELETE,
        &format!("{FORWARD}/api/dataproducts/2"),
        &auth,
    )
    .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let unmatched = ask(&f, &format!("{FORWARD}/api/other/2"), &auth).await;
    assert_eq!(unmatched.status, StatusCode::FORBIDDEN);
}
