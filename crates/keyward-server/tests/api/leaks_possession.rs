//! Revocation by possession (`POST /api/v1/keys/revoke`, in the manner of
//! RFC 7009): whoever holds a key revokes it with no other credential, and
//! the answer is the same whether or not the token was a live key.

use crate::api::{key_path, org_path, text};
use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::spawn_app;
use crate::leaks::{code, events_of, org_with_key};
use keyward_client::{Method, RawResponse};
use serde_json::json;
use uuid::Uuid;

const PATH: &str = "/api/v1/keys/revoke";

async fn revoke_form(app: &crate::helpers::TestApp, token: &str) -> RawResponse {
    let body = format!("token={}", percent_encode(token));
    app.anonymous()
        .send_bytes(
            Method::POST,
            PATH,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn a_holder_revokes_a_key_with_nothing_else(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (id, key) = org_with_key(&app, "Acme").await;
    let (json_id, json_key) = {
        let created = app.org_key("acme", "second").await;
        (
            text(&created, "id").to_owned(),
            text(&created, "key").to_owned(),
        )
    };
    assert_eq!(code(&app, &key).await, "VALID");

    let live = revoke_form(&app, &key).await;
    assert_status(&live, 200);
    assert_eq!(code(&app, &key).await, "REVOKED");
    let by_json = app
        .anonymous()
        .post(
            PATH,
            json!({ "token": json_key, "token_type_hint": "access_token" }),
        )
        .await;
    assert_status(&by_json, 200);
    assert_eq!(code(&app, &json_key).await, "REVOKED");

    // No oracle: a revoked key, an unknown key, junk: the same answer.
    let unknown = keyward_core::ApiKey::mint(&keyward_core::Prefix::default());
    for token in [
        key.as_str(),
        unknown.expose(),
        "kw_not-even-a-key",
        "a session token, perhaps",
    ] {
        let answer = revoke_form(&app, token).await;
        assert_status(&answer, 200);
        assert_eq!(answer.body, live.body, "{token}");
        let answer = app.anonymous().post(PATH, json!({ "token": token })).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, live.body, "{token}");
    }

    let org: Uuid = text(&app.admin.get(&org_path("acme")).await.body, "id")
        .parse()
        .unwrap();
    let events = events_of(&app, org, "key.revoked").await;
    assert_eq!(events.len(), 2, "{events:#?}");
    for (event, id) in events.iter().zip([&id, &json_id]) {
        assert_eq!(event.actor.kind.as_str(), "key_holder");
        assert_eq!(
            event.target.as_ref().map(|t| t.id.as_str()),
            Some(id.as_str())
        );
    }
    // Revoked keys are gone from the API.
    assert_status(&app.admin.get(&key_path("acme", &id)).await, 404);
}

pub async fn revocation_requests_are_checked_and_throttled(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (_, key) = org_with_key(&app, "Acme").await;
    let no_type = app
        .anonymous()
        .send_bytes(
            Method::POST,
            PATH,
            None,
            format!("token={key}").into_bytes(),
        )
        .await;
    assert_status(&no_type, 415);
    for body in [json!({}), json!({ "token": "" }), json!({ "token": 7 })] {
        let answer = app.anonymous().post(PATH, body).await;
        assert_eq!(answer.status, 422, "{}", answer.body);
    }
    let long = app
        .anonymous()
        .post(PATH, json!({ "token": "k".repeat(600) }))
        .await;
    assert_status(&long, 422);
    assert_eq!(code(&app, &key).await, "VALID");

    // Twenty a minute per address, whatever they were.
    for _ in 0..15 {
        let answer = revoke_form(&app, "kw_nothing").await;
        assert_status(&answer, 200);
    }
    let throttled = revoke_form(&app, &key).await;
    assert_status(&throttled, 429);
    assert!(throttled.header("retry-after").is_some());
    assert_eq!(code(&app, &key).await, "VALID");
    app.clock.advance(chrono::Duration::minutes(1));
    assert_status(&revoke_form(&app, &key).await, 200);
    assert_eq!(code(&app, &key).await, "REVOKED");
}
