//! The JSON API and the portal's session cookie: browsers attach the cookie
//! to requests any site makes, so the API takes it for writes only with the
//! portal's CSRF token (`X-CSRF-Token`). Reads, keys and bearer session
//! tokens are unaffected.

use super::http::Http;
use super::{OWNER, PASSWORD, org_path, portal_app};
use crate::helpers::key_body;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

const KEYS: &str = "/api/v1/orgs/acme/keys";

async fn send(request: RequestBuilder) -> (u16, Value) {
    let response: Response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn assert_refused((status, body): &(u16, Value)) {
    assert_eq!(*status, 403, "{body}");
    assert_eq!(body["code"], "FORBIDDEN", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("X-CSRF-Token"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_writes_to_the_json_api_need_the_csrf_token() {
    let app = portal_app().await;
    let mut http = Http::new(&app.address);
    http.sign_in(OWNER, PASSWORD).await;
    let cookie = format!(
        "keyward_session={}",
        http.cookie("keyward_session").expect("signed in")
    );
    let csrf = http.get(&org_path("/account/keys")).await.csrf();
    let client = reqwest::Client::new();
    let with_cookie = |method: Method, path: &str| {
        client
            .request(method, format!("{}{path}", app.address))
            .header("cookie", &cookie)
    };
    let body = json!({ "name": "from a page", "scope": "user" });

    // What a form on another site can send: the cookie, no token.
    assert_refused(&send(with_cookie(Method::POST, KEYS).json(&body)).await);
    let forged = with_cookie(Method::POST, KEYS).header("x-csrf-token", "0".repeat(64));
    assert_refused(&send(forged.json(&body)).await);
    assert_refused(&send(with_cookie(Method::POST, "/api-key").json(&body)).await);
    assert_refused(&send(with_cookie(Method::POST, "/api/v1/auth/logout")).await);

    // Reads need no token.
    let (status, listed) = send(with_cookie(Method::GET, KEYS)).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "{listed}"
    );

    // With the portal's token the write goes through.
    let (status, created) = send(
        with_cookie(Method::POST, KEYS)
            .header("x-csrf-token", &csrf)
            .json(&body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let key_path = format!("{KEYS}/{}", created["id"].as_str().unwrap());
    assert_refused(&send(with_cookie(Method::DELETE, &key_path)).await);
    let (status, revoked) =
        send(with_cookie(Method::DELETE, &key_path).header("x-csrf-token", &csrf)).await;
    assert_eq!(status, 204, "{revoked}");

    // A bearer session token is no ambient credential: no token needed,
    // whatever cookie comes along.
    let login = send(
        client
            .post(format!("{}/api/v1/auth/login", app.address))
            .json(&json!({ "email": OWNER, "password": PASSWORD })),
    )
    .await;
    let token = login.1["token"].as_str().expect("a session token");
    let (status, created) = send(
        with_cookie(Method::POST, KEYS)
            .bearer_auth(token)
            .json(&key_body("by bearer")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
}
