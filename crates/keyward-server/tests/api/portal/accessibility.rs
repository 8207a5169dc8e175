//! Accessibility: axe-core checks every portal page, signed out and as the
//! owner, for WCAG 2.1 A and AA. axe-core is pinned in `tests/axe`
//! (`npm ci --prefix crates/keyward-server/tests/axe`); WebDriver runs it
//! in the page, which the page's Content-Security-Policy allows as it is
//! not the page's own script. A new page goes into one of the lists below.

use super::browser::{Browser, run, workspace};
use super::{OWNER, PASSWORD, org_path, portal_app};
use serde_json::Value;

/// Pages anyone may open.
const PUBLIC: &[&str] = &[
    "/login",
    "/invitations/accept",
    "/password-reset",
    "/leaked-key",
    "/nowhere",
];

/// Pages of the organization `acme`, opened by its owner; `{team}` is a
/// team's id, `{key}` an organization key's, `{role}` and `{group}` a
/// role's and a group's, `{webhook}` a webhook's.
const OWNERS: &[&str] = &[
    "/account/keys",
    "/account/keys/new",
    "/settings",
    "/settings/keys",
    "/settings/keys/new",
    "/keys/{key}/edit",
    "/keys/{key}/roll",
    "/keys/{key}/secret",
    "/admin/members",
    "/admin/teams",
    "/admin/teams/{team}",
    "/admin/roles",
    "/admin/roles/{role}",
    "/admin/groups",
    "/admin/groups/{group}",
    "/admin/service-accounts",
    "/admin/permissions",
    "/audit",
    "/webhooks",
    "/webhooks/{webhook}",
];

/// The signed-in user's own pages.
const ACCOUNT: &[&str] = &["/account/password"];

const TAGS: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']";

/// axe-core's script; `None` (after saying so) when it is not installed,
/// a failure in CI.
fn axe_source() -> Option<String> {
    let path = workspace().join("crates/keyward-server/tests/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            let how = "install it with `npm ci --prefix crates/keyward-server/tests/axe`";
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{}: {e}; axe-core must run in CI: {how}",
                path.display()
            );
            eprintln!("skipped: axe-core is not installed ({how})");
            None
        }
    }
}

/// The WCAG 2.1 A/AA violations axe finds on the page at `path`.
async fn violations(b: &Browser, axe: &str, path: &str) -> Vec<Value> {
    b.goto(path).await;
    b.find("main h1").await;
    let injected = b
        .client
        .execute(&format!("{axe}\n;return typeof window.axe;"), vec![])
        .await
        .unwrap_or_else(|e| panic!("inject axe-core into {path}: {e}"));
    assert_eq!(injected, "object", "axe-core loaded in {path}");
    let script = format!(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {{ runOnly: {{ type: 'tag', values: {TAGS} }} }})
           .then(r => done(r.violations.map(v => ({{
             id: v.id, impact: v.impact, help: v.help,
             nodes: v.nodes.map(n => n.target.join(' ')),
           }}))))
           .catch(e => done([{{ id: 'axe failed', help: String(e) }}]));"
    );
    let found = b
        .client
        .execute_async(&script, vec![])
        .await
        .unwrap_or_else(|e| panic!("run axe-core on {path}: {e}"));
    found.as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_portal_page_passes_axe_core() {
    let Some(axe) = axe_source() else {
        return;
    };
    let app = portal_app().await;
    let team = app
        .admin
        .post(
            &format!("/api/v1/orgs/{}/teams", super::ORG),
            serde_json::json!({"name": "Data"}),
        )
        .await;
    assert_eq!(team.status, 201);
    let team = team.body["id"].as_str().unwrap_or_default().to_owned();
    let key = app.org_key(super::ORG, "nightly export").await;
    let key = key["id"].as_str().unwrap_or_default().to_owned();
    let created = |path: &'static str, body: serde_json::Value| {
        let admin = app.admin.clone();
        async move {
            let made = admin
                .post(&format!("/api/v1/orgs/{}/{path}", super::ORG), body)
                .await;
            assert_eq!(made.status, 201, "{}", made.body);
            made.body["id"].as_str().unwrap_or_default().to_owned()
        }
    };
    let role = created(
        "roles",
        serde_json::json!({"name": "auditors", "grants": [{"permission": "keys:read", "resource": "*"}]}),
    )
    .await;
    let group = created(
        "groups",
        serde_json::json!({"name": "readers", "roles": [role]}),
    )
    .await;
    let webhook = created(
        "webhooks",
        serde_json::json!({"url": "https://93.184.216.34/hook", "events": ["key.*"]}),
    )
    .await;
    let tested = app
        .admin
        .post(
            &format!("/api/v1/orgs/{}/webhooks/{webhook}/test", super::ORG),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(tested.status, 202, "{}", tested.body);
    run(
        "every_portal_page_passes_axe_core",
        &app.address,
        async |b| {
            let mut failures = Vec::new();
            for path in PUBLIC {
                let found = violations(b, &axe, path).await;
                if !found.is_empty() {
                    failures.push(format!("{path}: {found:#?}"));
                }
            }
            b.sign_in(OWNER, PASSWORD).await;
            let owners = OWNERS.iter().map(|p| {
                org_path(
                    &p.replace("{team}", &team)
                        .replace("{key}", &key)
                        .replace("{role}", &role)
                        .replace("{group}", &group)
                        .replace("{webhook}", &webhook),
                )
            });
            let account = ACCOUNT.iter().map(|p| (*p).to_owned());
            for path in owners.chain(account) {
                let found = violations(b, &axe, &path).await;
                if !found.is_empty() {
                    failures.push(format!("{path}: {found:#?}"));
                }
            }
            assert!(failures.is_empty(), "{}", failures.join("\n"));
        },
    )
    .await;
}
