//! The first start of an empty store creates an owner user for a `default`
//! organization and shows its password once; never again, and never with
//! `--no-bootstrap-user`. The harness keeps `new_owner` to itself, so these
//! tests build the application directly.

use super::{LOGIN, ME};
use crate::api::{Api, org_path, text};
use crate::assertions::{assert_error, assert_status};
use crate::backend::Backend;
use crate::helpers::ADMIN_KEY;
use keyward_server::bootstrap::{BootstrapUser, OWNER_EMAIL};
use keyward_server::{Application, Config, Settings};
use serde_json::json;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The real server, started by hand so the test sees `new_owner`.
struct Started {
    address: String,
    new_owner: Option<BootstrapUser>,
    shutdown: oneshot::Sender<()>,
    handle: JoinHandle<std::io::Result<()>>,
}

impl Started {
    fn anonymous(&self) -> Api {
        Api::new(&self.address)
    }

    fn admin(&self) -> Api {
        self.anonymous().with_api_key(ADMIN_KEY)
    }

    async fn stop(self) {
        self.shutdown.send(()).ok();
        self.handle
            .await
            .expect("the server task ends")
            .expect("the server stops cleanly");
    }
}

async fn settings(backend: &Backend, no_bootstrap_user: bool) -> (Settings, TempDir) {
    let (config, tempdir) = config(backend, no_bootstrap_user).await;
    (config.resolve().expect("a valid configuration"), tempdir)
}

async fn config(backend: &Backend, no_bootstrap_user: bool) -> (Config, TempDir) {
    let tempdir = tempfile::tempdir().expect("create a temporary directory");
    let config = Config {
        listen: Some("127.0.0.1:0".parse().expect("a loopback address")),
        data_dir: Some(tempdir.path().to_owned()),
        admin_key: Some(ADMIN_KEY.parse().expect("any text is a secret")),
        database_url: backend
            .new_database_url()
            .await
            .map(|url| url.parse().expect("any text is a secret")),
        no_bootstrap_user,
        ..Default::default()
    };
    (config, tempdir)
}

async fn start(settings: &Settings) -> Started {
    let app = Application::build(settings.clone())
        .await
        .expect("build the application");
    let address = format!("http://{}", app.local_addr().expect("a bound port"));
    let (shutdown, stopped) = oneshot::channel::<()>();
    let mut app = app;
    let new_owner = app.new_owner.take();
    let handle = tokio::spawn(app.run_until_stopped(async {
        stopped.await.ok();
    }));
    Started {
        address,
        new_owner,
        shutdown,
        handle,
    }
}

pub async fn first_start_creates_a_default_owner_once(backend: Backend) {
    let (settings, _dir) = settings(&backend, false).await;
    let first = start(&settings).await;
    let owner = first
        .new_owner
        .as_ref()
        .expect("an empty store gets an owner");
    assert_eq!(owner.email, OWNER_EMAIL);
    assert_eq!(owner.organization, "default");
    assert!(
        owner.password.chars().count() >= 12,
        "a short bootstrap password"
    );
    let signed_in = first
        .anonymous()
        .post(
            LOGIN,
            json!({ "email": owner.email, "password": owner.password }),
        )
        .await;
    assert_status(&signed_in, 200);
    let session = first.anonymous().with_header(
        "Authorization",
        &format!("Bearer {}", text(&signed_in.body, "token")),
    );
    let me = session.get(ME).await;
    assert_status(&me, 200);
    assert_eq!(me.body["user"]["email"], OWNER_EMAIL);
    let orgs = me.body["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{}", me.body);
    assert_eq!(orgs[0]["slug"], "default");
    assert_eq!(orgs[0]["role"], "owner");
    // The owner may do owner things: an organization key.
    let key = session
        .post(
            "/api/v1/orgs/default/keys",
            json!({ "name": "first", "scope": "organization" }),
        )
        .await;
    assert_status(&key, 201);
    let password = owner.password.clone();
    first.stop().await;

    // Users exist now: a restart creates nobody and shows nothing.
    let second = start(&settings).await;
    assert!(second.new_owner.is_none(), "a second bootstrap owner");
    let again = second
        .anonymous()
        .post(LOGIN, json!({ "email": OWNER_EMAIL, "password": password }))
        .await;
    assert_status(&again, 200);
    let members = second.admin().get("/api/v1/orgs/default/members").await;
    assert_status(&members, 200);
    assert_eq!(
        members.body.as_array().unwrap().len(),
        1,
        "{}",
        members.body
    );
    second.stop().await;
}

pub async fn no_bootstrap_user_creates_nobody(backend: Backend) {
    let (settings, _dir) = settings(&backend, true).await;
    assert!(!settings.bootstrap_user);
    let app = start(&settings).await;
    assert!(app.new_owner.is_none());
    let default = app.admin().get(&org_path("default")).await;
    assert_error(&default, 404, "ORG_NOT_FOUND");
    let refused = app
        .anonymous()
        .post(
            LOGIN,
            json!({ "email": OWNER_EMAIL, "password": "whatever-it-might-be" }),
        )
        .await;
    assert_error(&refused, 401, "UNAUTHENTICATED");
    app.stop().await;
}

/// A missed start-up banner is no lock-out: `keyward users reset-password`
/// issues a reset link on the server, with none running, and the owner
/// sets a password with it.
pub async fn a_lost_bootstrap_password_is_reset_on_the_server(backend: Backend) {
    let (config, _dir) = config(&backend, false).await;
    let settings = config.clone().resolve().expect("a valid configuration");
    let first = start(&settings).await;
    assert!(first.new_owner.is_some());
    first.stop().await;

    let issued = keyward_server::recovery::reset_password(config.clone(), OWNER_EMAIL)
        .await
        .expect("a reset link");
    let token = issued.token.expose().to_owned();
    assert!(token.starts_with("kwr_"));
    assert_eq!(issued.url(), format!("/password-reset#{token}"));
    let unknown = keyward_server::recovery::reset_password(config, "nobody@keyward.local").await;
    assert!(unknown.is_err());

    let second = start(&settings).await;
    let password = "the owner's own passphrase";
    let reset = second
        .anonymous()
        .post(
            "/api/v1/auth/password-reset",
            json!({ "token": token, "new_password": password }),
        )
        .await;
    assert_status(&reset, 204);
    let signed_in = second
        .anonymous()
        .post(LOGIN, json!({ "email": OWNER_EMAIL, "password": password }))
        .await;
    assert_status(&signed_in, 200);
    let log = second
        .admin()
        .get("/api/v1/orgs/default/audit?action=user.*")
        .await;
    assert_status(&log, 200);
    let actions: Vec<String> = log.body["items"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .map(|e| format!("{} by {}", e["action"], e["actor"]["type"]))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        actions.contains(&"\"user.password_reset_issued\" by \"admin\"".to_owned()),
        "{}",
        log.body
    );
    second.stop().await;
}
