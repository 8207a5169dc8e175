//! Authentication throttling: per account with a growing wait, per client
//! address for sign-ins, invalid credentials and invitation acceptances.

use crate::access::{ACCEPT, PASSWORD, join, login};
use crate::api::{ORGS, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use chrono::Duration;
use keyward_client::RawResponse;
use keyward_core::{ApiKey, Prefix};
use serde_json::json;

const OWNER: &str = "owner@keyward.local";
const WRONG: &str = "not the password at all";

/// Asserts a 429 in the common error body; returns its `Retry-After`.
fn throttled(response: &RawResponse) -> i64 {
    assert_error(response, 429, "TOO_MANY_REQUESTS");
    let seconds: i64 = response
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("Retry-After in seconds");
    assert!(seconds >= 1, "Retry-After {seconds}");
    seconds
}

async fn fail_logins(app: &TestApp, email: &str, times: usize) {
    for _ in 0..times {
        assert_error(&login(app, email, WRONG).await, 401, "UNAUTHENTICATED");
    }
}

/// Five failures, then the wait, whatever the password; returns the first
/// `Retry-After`.
async fn lock(app: &TestApp, email: &str, password: &str) -> i64 {
    fail_logins(app, email, 5).await;
    let first = throttled(&login(app, email, password).await);
    app.clock.advance(Duration::seconds(first));
    fail_logins(app, email, 1).await;
    let second = throttled(&login(app, email, password).await);
    assert!(second > first, "the wait grows: {first} s, then {second} s");
    second
}

pub async fn failed_logins_lock_the_account_even_for_the_right_password(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    join(&app, "acme", OWNER, "owner").await;

    let wait = lock(&app, OWNER, PASSWORD).await;
    app.clock.advance(Duration::seconds(wait));
    assert_status(&login(&app, OWNER, PASSWORD).await, 200);

    // The success cleared the count: four more failures lock nothing.
    fail_logins(&app, OWNER, 4).await;
    assert_status(&login(&app, OWNER, PASSWORD).await, 200);
}

pub async fn the_wait_is_at_most_fifteen_minutes(backend: Backend) {
    let app = spawn_app(&backend).await;
    fail_logins(&app, OWNER, 5).await;
    let mut longest = 0;
    for _ in 0..12 {
        let wait = throttled(&login(&app, OWNER, WRONG).await);
        longest = longest.max(wait);
        app.clock.advance(Duration::seconds(wait));
        fail_logins(&app, OWNER, 1).await;
    }
    assert_eq!(longest, 15 * 60);
}

pub async fn unknown_accounts_are_throttled_alike(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    join(&app, "acme", OWNER, "owner").await;

    let known = lock(&app, OWNER, PASSWORD).await;
    let unknown = lock(&app, "nobody@keyward.local", PASSWORD).await;
    assert_eq!(known, unknown);
}

pub async fn one_address_fails_thirty_logins_a_minute(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    join(&app, "acme", OWNER, "owner").await;

    // One failure per account: no account is locked, the address is.
    for n in 0..30 {
        fail_logins(&app, &format!("guess{n}@keyward.local"), 1).await;
    }
    let wait = throttled(&login(&app, OWNER, PASSWORD).await);
    assert!(wait <= 60, "{wait}");
    app.clock.advance(Duration::seconds(wait));
    assert_status(&login(&app, OWNER, PASSWORD).await, 200);
}

pub async fn invalid_credentials_are_throttled_per_address(backend: Backend) {
    let app = spawn_app(&backend).await;
    app.create_org("Acme").await;
    let valid = app.org_key("acme", "valid").await;
    let valid = app.client_with_key(text(&valid, "key"));
    let prefix = Prefix::parse("kw").unwrap();

    for n in 0..30 {
        let guess = if n % 2 == 0 {
            ApiKey::mint(&prefix).expose().to_owned()
        } else {
            format!("kws_not-a-session-{n}")
        };
        let refused = app.client_with_key(&guess).get(ORGS).await;
        assert_error(&refused, 401, "UNAUTHENTICATED");
    }
    let unknown = app.client_with_key(ApiKey::mint(&prefix).expose());
    let wait = throttled(&unknown.get(ORGS).await);
    // Valid credentials from the same address are never slowed.
    assert_status(&valid.get(ORGS).await, 200);
    assert_status(&app.admin.get(ORGS).await, 200);

    app.clock.advance(Duration::seconds(wait));
    assert_error(&unknown.get(ORGS).await, 401, "UNAUTHENTICATED");
}

pub async fn the_credential_limit_is_configured(backend: Backend) {
    let app = spawn_app_with(&backend, |config| {
        config.invalid_credentials_per_minute = Some(3);
    })
    .await;
    let prefix = Prefix::parse("kw").unwrap();
    let unknown = app.client_with_key(ApiKey::mint(&prefix).expose());
    for _ in 0..3 {
        assert_error(&unknown.get(ORGS).await, 401, "UNAUTHENTICATED");
    }
    throttled(&unknown.get(ORGS).await);
}

pub async fn invitation_acceptance_is_throttled_per_address(backend: Backend) {
    let app = spawn_app(&backend).await;
    let attempt = || async {
        app.anonymous()
            .post(
                ACCEPT,
                json!({ "token": "kwi_unknown", "name": "Guess", "password": PASSWORD }),
            )
            .await
    };
    for _ in 0..10 {
        assert_status(&attempt().await, 404);
    }
    let wait = throttled(&attempt().await);
    app.clock.advance(Duration::seconds(wait));
    assert_status(&attempt().await, 404);
}
