//! `/api/v1/auth/forward` spoken to directly, as Traefik, nginx and Envoy do.

use super::Fixture;
use crate::api::text;
use crate::assertions::assert_error_body;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

const FORWARD: &str = "/api/v1/auth/forward";

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: serde_json::Value,
}

async fn ask(fixture: &Fixture, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = reqwest::Client::new().get(format!("{}{path}", fixture.app.address));
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
    let f = Fixture::new().await;
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
    let f = Fixture::new().await;
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
    let f = Fixture::new().await;
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
async fn nginx_and_envoy_dialects_name_the_original_request() {
    let f = Fixture::new().await;
    let ro = Fixture::secret(&f.read_only);
    let bearer = format!("Bearer {ro}");
    // nginx: X-Original-Method and X-Original-URI.
    let nginx = [
        ("authorization", bearer.as_str()),
        ("x-original-method", "PUT"),
        ("x-original-uri", "/api/dataproducts/2"),
    ];
    let refused = ask(&f, FORWARD, &nginx).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Envoy: the request's own method, the original path after the prefix.
    let envoy = ask(
        &f,
        &format!("{FORWARD}/api/dataproducts/2"),
        &[("authorization", bearer.as_str())],
    )
    .await;
    assert_eq!(envoy.status, StatusCode::OK);
    assert_eq!(envoy.headers["x-keyward-scope"], "organization:read_only");
    let envoy_unmatched = ask(
        &f,
        &format!("{FORWARD}/api/other/2"),
        &[("authorization", bearer.as_str())],
    )
    .await;
    assert_eq!(envoy_unmatched.status, StatusCode::FORBIDDEN);
}
