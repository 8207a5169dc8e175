//! The client against a one-shot TCP server that answers a canned HTTP
//! response and hands back the request it read, so the raw and typed paths are
//! tested without a keyward server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keyward_client::{Client, ClientError, KeyChanges, KeyRoll, Method, NewKey};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Serves one request with `status`, `content_type` and `body`; the handle
/// yields the raw request (head and body) as text.
async fn canned(status: &str, content_type: &str, body: &str) -> (String, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-test: yes\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request).into_owned();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if request.len() >= head_end + 4 + length {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        socket.write_all(response.as_bytes()).await.unwrap();
        socket.shutdown().await.unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    (url, handle)
}

#[tokio::test]
async fn send_passes_error_statuses_through_with_headers_and_credentials() {
    let (url, server) = canned(
        "401 Unauthorized",
        "application/json",
        r#"{"statusCode":401,"error":"Unauthorized","code":"UNAUTHENTICATED","message":"no key"}"#,
    )
    .await;
    let client = Client::new(format!("{url}/"))
        .with_api_key("kw_test")
        .with_header("X-Keyward-Org", "acme");
    let response = client
        .send(Method::POST, "/api/v1/orgs", Some(json!({"name": "Acme"})))
        .await
        .unwrap();
    assert_eq!(response.status, 401);
    assert!(!response.is_success());
    assert_eq!(response.header("x-test"), Some("yes"));
    assert_eq!(response.body["code"], "UNAUTHENTICATED");

    let request = server.await.unwrap().to_lowercase();
    assert!(
        request.starts_with("post /api/v1/orgs http/1.1\r\n"),
        "{request}"
    );
    assert!(request.contains("x-api-key: kw_test\r\n"));
    assert!(request.contains("x-keyward-org: acme\r\n"));
    assert!(request.contains("content-type: application/json\r\n"));
    assert!(request.ends_with(r#"{"name":"acme"}"#));
}

#[tokio::test]
async fn empty_bodies_are_null_and_text_bodies_are_strings() {
    let (url, _server) = canned("204 No Content", "text/plain", "").await;
    let response = Client::new(url)
        .delete("/api/v1/orgs/a/keys/b")
        .await
        .unwrap();
    assert_eq!(response.status, 204);
    assert_eq!(response.body, Value::Null);

    let (url, _server) = canned("502 Bad Gateway", "text/html", "<h1>down</h1>").await;
    let response = Client::new(url).get("/healthz").await.unwrap();
    assert_eq!(response.body, Value::String("<h1>down</h1>".into()));
}

#[tokio::test]
async fn send_bytes_sends_the_body_verbatim() {
    let (url, server) = canned("400 Bad Request", "application/json", "{}").await;
    let response = Client::new(url)
        .send_bytes(
            Method::POST,
            "api/v1/orgs",
            Some("application/json"),
            b"{not json".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 400);
    let request = server.await.unwrap();
    assert!(request.starts_with("POST /api/v1/orgs HTTP/1.1\r\n"));
    assert!(request.ends_with("{not json"));
}

#[tokio::test]
async fn typed_calls_turn_error_statuses_into_api_errors() {
    let (url, server) = canned(
        "404 Not Found",
        "application/json",
        r#"{"statusCode":404,"error":"Not Found","code":"KEY_NOT_FOUND","message":"API key x was not found","details":{"id":"x"}}"#,
    )
    .await;
    let err = Client::new(url)
        .get_key("acme co", "x/y")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("KEY_NOT_FOUND"));
    assert_eq!(err.to_string(), "KEY_NOT_FOUND: API key x was not found");
    let request = server.await.unwrap();
    assert!(request.starts_with("GET /api/v1/orgs/acme%20co/keys/x%2Fy HTTP/1.1\r\n"));
}

#[tokio::test]
async fn typed_calls_keep_foreign_error_pages() {
    let (url, _server) = canned("503 Service Unavailable", "text/plain", "busy").await;
    let err = Client::new(url).list_orgs().await.unwrap_err();
    match err {
        ClientError::Api { status, body } => {
            assert_eq!(status, 503);
            assert_eq!(body.message, "busy");
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn typed_calls_decode_success_and_report_bad_shapes() {
    let created = json!({
        "key": "kw_secret", "id": "k1", "key_mask": "kw_abcde***", "name": "ci",
        "scope": "organization", "read_only": false, "permissions": [],
        "organization_id": "o1", "created_at": "2025-01-01T00:00:00Z",
        "created_by": "admin", "metadata": {}, "enabled": true
    });
    let (url, server) = canned("201 Created", "application/json", &created.to_string()).await;
    let new_key = NewKey {
        name: "ci".into(),
        scope: "organization".into(),
        ..Default::default()
    };
    let key = Client::new(url).create_key("acme", &new_key).await.unwrap();
    assert_eq!(key.key, "kw_secret");
    assert_eq!(key.info.usage_count, 0);
    let request = server.await.unwrap();
    assert!(request.ends_with(r#"{"name":"ci","scope":"organization"}"#));

    let (url, _server) = canned("200 OK", "application/json", r#"{"nope":1}"#).await;
    let err = Client::new(url)
        .list_keys("acme", Some(2), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn unreachable_servers_are_transport_errors() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = Client::new(url).list_orgs().await.unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn rolling_posts_the_grace_period_and_reads_the_new_key() {
    let rolled = json!({
        "key": "kw_new", "id": "k2", "key_mask": "kw_xyz***", "name": "ci",
        "scope": "organization", "read_only": false, "permissions": [],
        "organization_id": "o1", "created_at": "2025-01-01T00:00:00Z",
        "created_by": "admin", "metadata": {}, "enabled": true, "rolled_from": "k1"
    });
    let (url, server) = canned("201 Created", "application/json", &rolled.to_string()).await;
    let roll = KeyRoll {
        grace_seconds: Some(3600),
        expires_at: None,
    };
    let answer = Client::new(url)
        .roll_key("acme", "k1", &roll)
        .await
        .unwrap();
    assert_eq!(answer.created.key, "kw_new");
    assert_eq!(answer.rolled_from, "k1");
    let request = server.await.unwrap();
    assert!(request.starts_with("POST /api/v1/orgs/acme/keys/k1/roll HTTP/1.1\r\n"));
    assert!(request.ends_with(r#"{"grace_seconds":3600}"#), "{request}");
}

#[tokio::test]
async fn updating_patches_only_the_given_fields() {
    let key = json!({
        "id": "k1", "key_mask": "kw_abc***", "name": "ci", "scope": "organization",
        "read_only": true, "permissions": [{"id": 1, "name": "keys:read", "resource": "*"}],
        "organization_id": "o1", "created_at": "2025-01-01T00:00:00Z",
        "created_by": "admin", "metadata": {}, "enabled": true
    });
    let (url, server) = canned("200 OK", "application/json", &key.to_string()).await;
    let changes = KeyChanges {
        permissions: Some(Some(vec![json!("keys:read")])),
        read_only: Some(true),
        expires_at: Some(None),
        ..Default::default()
    };
    let updated = Client::new(url)
        .update_key("acme", "k1", &changes)
        .await
        .unwrap();
    assert_eq!(updated.permissions[0].name, "keys:read");
    let request = server.await.unwrap();
    assert!(request.starts_with("PATCH /api/v1/orgs/acme/keys/k1 HTTP/1.1\r\n"));
    assert!(
        request.ends_with(r#"{"expires_at":null,"permissions":["keys:read"],"read_only":true}"#),
        "{request}"
    );
}
