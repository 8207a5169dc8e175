//! The portal's security without a browser: CSRF on every form post,
//! headers, cookie flags, and sessions that end server-side.

use super::http::Http;
use super::{MEMBER, ORG, OWNER, PASSWORD, org_path, portal_app};
use crate::backend::Backend;
use crate::helpers::spawn_app_with;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_post_needs_the_csrf_token() {
    let app = portal_app().await;
    let key = app.org_key(ORG, "ci").await;
    let key_id = key["id"].as_str().unwrap().to_owned();
    let team = app
        .admin_for(ORG)
        .post(
            &format!("/api/v1/orgs/{ORG}/teams"),
            json!({"name": "data"}),
        )
        .await;
    let team_id = team.body["id"].as_str().unwrap().to_owned();
    let members = app
        .admin_for(ORG)
        .get(&format!("/api/v1/orgs/{ORG}/members"))
        .await;
    let member_id = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["email"] == MEMBER)
        .and_then(|m| m["user"]["id"].as_str())
        .unwrap()
        .to_owned();
    let mut http = Http::new(&app.address);
    assert_eq!(http.sign_in(OWNER, PASSWORD).await.status, 303);
    let good = http.get(&org_path("/account/keys")).await.csrf();
    let nobody = uuid::Uuid::now_v7();
    let forms = [
        "/logout".to_owned(),
        "/login".to_owned(),
        "/invitations/accept".to_owned(),
        "/leaked-key".to_owned(),
        org_path("/settings/leak-policy"),
        org_path("/account/keys"),
        org_path("/settings/keys"),
        org_path(&format!("/keys/{key_id}/disable")),
        org_path(&format!("/keys/{key_id}/enable")),
        org_path(&format!("/keys/{key_id}/revoke")),
        org_path("/admin/invitations"),
        org_path(&format!("/admin/members/{member_id}/role")),
        org_path(&format!("/admin/members/{member_id}/remove")),
        org_path("/admin/teams"),
        org_path(&format!("/admin/teams/{team_id}/delete")),
        org_path(&format!("/admin/teams/{team_id}/members")),
        org_path("/admin/permissions"),
        org_path("/admin/roles"),
        org_path("/admin/groups"),
        org_path("/admin/service-accounts"),
        org_path(&format!("/admin/roles/{nobody}/delete")),
        org_path(&format!("/admin/groups/{nobody}/delete")),
        org_path(&format!("/admin/service-accounts/{nobody}/disable")),
        org_path(&format!("/admin/service-accounts/{nobody}/enable")),
        org_path(&format!("/admin/service-accounts/{nobody}/delete")),
    ];
    for path in &forms {
        let missing = http.post(path, &[("name", "x"), ("scope", "user")]).await;
        assert_eq!(
            missing.status, 403,
            "{path} took a post without a CSRF token"
        );
        let forged = http
            .post(path, &[("csrf", "0123abcd"), ("name", "x")])
            .await;
        assert_eq!(forged.status, 403, "{path} took a forged CSRF token");
    }
    // Another session's token is no good either.
    let mut other = Http::new(&app.address);
    other.sign_in(MEMBER, PASSWORD).await;
    let foreign = other.get(&org_path("/account/keys")).await.csrf();
    let stolen = http
        .post(
            &org_path("/account/keys"),
            &[("csrf", &foreign), ("name", "x")],
        )
        .await;
    assert_eq!(stolen.status, 403);
    // Nothing changed: the key is still live and enabled, the team is there.
    let still = app
        .admin_for(ORG)
        .get(&format!("/api/v1/orgs/{ORG}/keys/{key_id}"))
        .await;
    assert_eq!(still.body["enabled"], true);
    assert_eq!(
        app.admin_for(ORG)
            .get(&format!("/api/v1/orgs/{ORG}/teams/{team_id}"))
            .await
            .status,
        200
    );
    // And the right token works.
    let made = http
        .post(
            &org_path("/account/keys"),
            &[
                ("csrf", &good),
                ("name", "mine"),
                ("scope", "user"),
                ("rights", "all"),
                ("expires_in", "30"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_locked_down_and_secrets_are_not_cached() {
    let app = portal_app().await;
    let mut http = Http::new(&app.address);
    let login = http.get("/login").await;
    let csp = login.header("content-security-policy").to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(login.header("x-frame-options"), "DENY");
    assert_eq!(login.header("referrer-policy"), "no-referrer");
    assert_eq!(login.header("cache-control"), "no-store");
    assert!(!login.body.contains("<script>"), "no inline script");
    let signed_in = http.sign_in(OWNER, PASSWORD).await;
    assert_eq!(signed_in.header("location"), "/");
    let csrf = http.get(&org_path("/account/keys")).await.csrf();
    let created = http
        .post(
            &org_path("/account/keys"),
            &[
                ("csrf", &csrf),
                ("name", "once"),
                ("scope", "user"),
                ("rights", "all"),
                ("expires_in", "30"),
            ],
        )
        .await;
    // POST/redirect/GET: the post answers a redirect to the key's secret
    // page and holds the secret, sealed, in a cookie for that page only.
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(created.header("cache-control"), "no-store");
    let page = created.header("location").to_owned();
    assert!(
        page.starts_with(&org_path("/keys/")) && page.ends_with("/secret"),
        "{page}"
    );
    let sealed = created
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("keyward_reveal="))
        .expect("the secret's cookie");
    for attribute in [
        format!("Path={page}"),
        "HttpOnly".to_owned(),
        "SameSite=Strict".to_owned(),
        "Max-Age=120".to_owned(),
    ] {
        assert!(sealed.contains(&attribute), "{attribute} in {sealed}");
    }
    assert!(!sealed.contains("kw_"), "sealed, not the secret: {sealed}");
    let shown = http.get(&page).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.header("cache-control"), "no-store");
    let start = shown
        .body
        .find("value=\"kw_")
        .expect("the secret on the page")
        + 7;
    let secret = shown.body[start..start + 52].to_owned();
    assert!(!page.contains(&secret), "never in a URL");
    assert!(
        shown
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("keyward_reveal=;") && c.contains("Max-Age=0")),
        "the showing spends the cookie"
    );
    // A reload shows the key without its secret and creates nothing.
    let reloaded = http.get(&page).await;
    assert_eq!(reloaded.status, 200);
    assert!(!reloaded.body.contains(&secret), "the secret is shown once");
    assert!(reloaded.body.contains("secret-gone"), "{}", reloaded.body);
    let again = http.get(&org_path("/account/keys")).await;
    assert!(!again.body.contains(&secret), "not in the list");
    assert!(again.body.contains("once"), "the key is listed");
    let keys = app
        .admin_for(ORG)
        .get(&format!("/api/v1/orgs/{ORG}/keys"))
        .await;
    let named_once = keys.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["name"] == "once")
        .count();
    assert_eq!(named_once, 1, "one key, however often the page is shown");
    // Static files are cached for long under hashed names; the API has no portal headers.
    let css_at = login
        .body
        .find("/static/portal.")
        .expect("a stylesheet link");
    let css_path = login.body[css_at..].split('"').next().unwrap().to_owned();
    let css = http.get(&css_path).await;
    assert_eq!(css.status, 200);
    assert!(css.header("cache-control").contains("immutable"));
    assert_eq!(
        http.get("/static/portal.0000000000000000.css").await.status,
        404
    );
    let health = http.get("/healthz").await;
    assert!(health.header("content-security-policy").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_http_only_strict_and_secure_over_tls() {
    let app = portal_app().await;
    let mut http = Http::new(&app.address);
    let plain = http.sign_in(OWNER, PASSWORD).await;
    let cookie = plain
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("keyward_session="))
        .expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let mut proxied = Http::new(&app.address);
    proxied
        .headers
        .push(("x-forwarded-proto", "https".to_owned()));
    let tls = proxied.sign_in(OWNER, PASSWORD).await;
    assert!(
        tls.set_cookies()
            .iter()
            .any(|c| c.starts_with("keyward_session=") && c.contains("; Secure"))
    );

    let secure_app = spawn_app_with(&Backend::Sqlite, |c| c.secure_cookies = true).await;
    secure_app.create_org("Acme").await;
    super::add_user(
        &secure_app,
        OWNER,
        "Olivia",
        keyward_core::access::OrgRole::Owner,
    )
    .await;
    let mut http = Http::new(&secure_app.address);
    let configured = http.sign_in(OWNER, PASSWORD).await;
    assert!(
        configured
            .set_cookies()
            .iter()
            .all(|c| c.contains("; Secure"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_and_expiry_end_sessions_on_the_server() {
    let app = portal_app().await;
    let mut http = Http::new(&app.address);
    let failed = http.sign_in(OWNER, "wrong password").await;
    assert_eq!(failed.status, 401);
    assert!(failed.body.contains("the email or the password is wrong"));
    assert!(failed.body.contains(OWNER), "the form keeps the email");
    http.sign_in(OWNER, PASSWORD).await;
    let token = http
        .cookie("keyward_session")
        .expect("signed in")
        .to_owned();
    let csrf = http.get(&org_path("/account/keys")).await.csrf();
    let out = http.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert!(
        http.cookie("keyward_session").is_none(),
        "the cookie is cleared"
    );
    // The old token is dead on the server, not just forgotten by the browser.
    http.cookies
        .push(("keyward_session".to_owned(), token.clone()));
    let after = http.get(&org_path("/account/keys")).await;
    assert_eq!((after.status, after.header("location")), (303, "/login"));
    let api = app
        .anonymous()
        .with_header("authorization", &format!("Bearer {token}"));
    assert_eq!(api.get("/api/v1/me").await.status, 401);

    let mut http = Http::new(&app.address);
    http.sign_in(OWNER, PASSWORD).await;
    assert_eq!(http.get(&org_path("/account/keys")).await.status, 200);
    app.clock.advance(chrono::Duration::hours(13));
    let expired = http.get(&org_path("/account/keys")).await;
    assert_eq!(
        (expired.status, expired.header("location")),
        (303, "/login")
    );
}

/// The sign-in form is throttled like the API's: after five failures the
/// page answers 429 with `Retry-After`, even for the right password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_sign_in_says_when_to_retry() {
    let app = portal_app().await;
    let mut http = Http::new(&app.address);
    for _ in 0..5 {
        let failed = http.sign_in(OWNER, "not the password at all").await;
        assert_ne!(failed.status, 303, "a wrong password signed in");
    }
    let throttled = http.sign_in(OWNER, PASSWORD).await;
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    let seconds: u64 = throttled.header("retry-after").parse().unwrap();
    assert!(seconds >= 1);
    assert!(throttled.body.contains("Too many attempts"));
    app.clock.advance(chrono::Duration::seconds(seconds as i64));
    let signed_in = http.sign_in(OWNER, PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
}

/// Creates a personal key through the form; the redirect and the cookie
/// that holds its secret.
async fn create_through_form(http: &mut Http, name: &str) -> (String, String) {
    let csrf = http.get(&org_path("/account/keys")).await.csrf();
    let created = http
        .post(
            &org_path("/account/keys"),
            &[
                ("csrf", &csrf),
                ("name", name),
                ("scope", "user"),
                ("rights", "all"),
                ("expires_in", "never"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let sealed = http
        .cookie("keyward_reveal")
        .expect("the cookie")
        .to_owned();
    (created.header("location").to_owned(), sealed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_secret_opens_only_for_its_session_its_key_and_in_time() {
    let app = portal_app().await;
    let mut owner = Http::new(&app.address);
    owner.sign_in(OWNER, PASSWORD).await;
    // Another session of the same user can't open it.
    let (page, sealed) = create_through_form(&mut owner, "first").await;
    let mut other = Http::new(&app.address);
    other.sign_in(OWNER, PASSWORD).await;
    other
        .cookies
        .push(("keyward_reveal".to_owned(), sealed.clone()));
    let stolen = other.get(&page).await;
    assert_eq!(stolen.status, 200);
    assert!(!stolen.body.contains("value=\"kw_"), "{}", stolen.body);
    // Nor does it open another key's page, or when a byte is changed.
    let (second, _) = create_through_form(&mut owner, "second").await;
    owner.cookies.retain(|(n, _)| n != "keyward_reveal");
    owner
        .cookies
        .push(("keyward_reveal".to_owned(), sealed.clone()));
    assert!(!owner.get(&second).await.body.contains("value=\"kw_"));
    let mut tampered = sealed.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
    owner.cookies.retain(|(n, _)| n != "keyward_reveal");
    owner.cookies.push((
        "keyward_reveal".to_owned(),
        String::from_utf8(tampered).unwrap(),
    ));
    assert!(!owner.get(&page).await.body.contains("value=\"kw_"));
    for junk in ["", "zz", "00", &"f".repeat(5000)] {
        owner.cookies.retain(|(n, _)| n != "keyward_reveal");
        owner
            .cookies
            .push(("keyward_reveal".to_owned(), junk.to_owned()));
        assert_eq!(owner.get(&page).await.status, 200, "{junk:?}");
    }
    // Past its two minutes it is dead, whatever the browser kept.
    owner.cookies.retain(|(n, _)| n != "keyward_reveal");
    owner
        .cookies
        .push(("keyward_reveal".to_owned(), sealed.clone()));
    app.clock.advance(chrono::Duration::seconds(121));
    assert!(!owner.get(&page).await.body.contains("value=\"kw_"));
    // Its own session, in time, opens it.
    let (third, _) = create_through_form(&mut owner, "third").await;
    assert!(owner.get(&third).await.body.contains("value=\"kw_"));
    // Someone who may not manage the key doesn't get its page at all.
    let mut member = Http::new(&app.address);
    member.sign_in(MEMBER, PASSWORD).await;
    assert_eq!(member.get(&third).await.status, 404);
}
