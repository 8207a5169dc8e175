//! `spawn_app`: the real server on a random loopback port, a fresh store,
//! a clock the test moves, and a client holding the admin key.

use crate::api::{Api, ORGS, keys_path};
use crate::assertions::assert_status;
use crate::backend::Backend;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use keyward_client::Client;
use keyward_core::Clock;
use keyward_server::config::StoreLocation;
use keyward_server::state::AppState;
use keyward_server::{Application, Config, Settings};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use std::sync::{Arc, Mutex, PoisonError};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ADMIN_KEY: &str = "test-admin-key-0123456789-abcdefghijklmnopqrstuvwxyz";

/// A clock that stands still until the test moves it.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn new() -> Self {
        Self(Mutex::new(Utc::now().trunc_subsecs(3)))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    pub admin: Api,
    pub clock: Arc<TestClock>,
    pub state: AppState,
    /// The admin key the server generated on this start, if it did.
    pub new_admin_key: Option<String>,
    pub tempdir: TempDir,
    /// `http://…` of the separate metrics listener, when configured.
    pub metrics_address: Option<String>,
    admin_key: Option<String>,
    settings: Settings,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

pub async fn spawn_app(backend: &Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`], with `configure` changing the configuration first.
pub async fn spawn_app_with(backend: &Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    let tempdir = tempfile::tempdir().expect("create a temporary directory");
    let mut config = Config {
        listen: Some("127.0.0.1:0".parse().expect("a loopback address")),
        data_dir: Some(tempdir.path().to_owned()),
        admin_key: Some(ADMIN_KEY.parse().expect("any text is a secret")),
        database_url: backend
            .new_database_url()
            .await
            .map(|url| url.parse().expect("any text is a secret")),
        // A fresh store holds only what the test puts in it.
        no_bootstrap_user: true,
        ..Default::default()
    };
    configure(&mut config);
    let settings = config.resolve().expect("a valid test configuration");
    TestApp::start(settings, Arc::new(TestClock::new()), tempdir, None).await
}

impl TestApp {
    async fn start(
        settings: Settings,
        clock: Arc<TestClock>,
        tempdir: TempDir,
        known_admin_key: Option<String>,
    ) -> Self {
        let app = Application::build_with_clock(settings.clone(), clock.clone())
            .await
            .expect("build the application");
        let address = format!("http://{}", app.local_addr().expect("a bound port"));
        let metrics_address = app
            .metrics_addr()
            .map(|a| format!("http://{}", a.expect("a bound metrics port")));
        let state = app.state();
        let new_admin_key = app.new_admin_key.as_ref().map(|k| k.expose().to_owned());
        let admin_key = settings
            .admin_key
            .as_ref()
            .map(|k| k.expose().to_owned())
            .or(known_admin_key)
            .or_else(|| new_admin_key.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.run_until_stopped(async {
            stopped.await.ok();
        }));
        let anonymous = Api::new(&address);
        let admin = match &admin_key {
            Some(key) => anonymous.with_api_key(key),
            None => anonymous,
        };
        Self {
            address,
            admin,
            clock,
            state,
            new_admin_key,
            tempdir,
            metrics_address,
            admin_key,
            settings,
            shutdown: Some(shutdown),
            handle: Some(handle),
        }
    }

    /// Shuts the server down gracefully and waits until it has written
    /// what it still held.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
        if let Some(handle) = self.handle.take() {
            handle
                .await
                .expect("the server task ends")
                .expect("the server stops cleanly");
        }
    }

    /// Stops the server and starts a new one on the same data directory,
    /// store and clock.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let TestApp {
            settings,
            clock,
            tempdir,
            admin_key,
            state,
            ..
        } = self;
        drop(state);
        TestApp::start(settings, clock, tempdir, admin_key).await
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Api {
        Api::new(&self.address)
    }

    pub fn client_with_key(&self, key: &str) -> Api {
        self.anonymous().with_api_key(key)
    }

    /// The typed client, with the admin key.
    pub fn typed_admin(&self) -> &Client {
        self.admin.client()
    }

    /// The admin key acting on one organization, as the Dadosfera routes need.
    pub fn admin_for(&self, org: &str) -> Api {
        self.admin.clone().with_header("X-Keyward-Org", org)
    }

    /// Creates an organization named `name`; returns its JSON.
    pub async fn create_org(&self, name: &str) -> Value {
        let response = self.admin.post(ORGS, json!({ "name": name })).await;
        assert_status(&response, 201);
        response.body
    }

    /// Creates a key in `org` with the admin key; returns the 201 body.
    pub async fn create_key(&self, org: &str, body: Value) -> Value {
        let response = self.admin.post(&keys_path(org), body).await;
        assert_status(&response, 201);
        response.body
    }

    /// An organization key named `name` in `org`: its 201 body.
    pub async fn org_key(&self, org: &str, name: &str) -> Value {
        self.create_key(org, key_body(name)).await
    }

    /// An organization key in `org` with the fields of `extra` (rate
    /// limits, credits, allowed addresses, …): its secret.
    pub async fn key_with(&self, org: &str, extra: Value) -> String {
        let created = self.create_key(org, key_body_with(extra)).await;
        created["key"].as_str().expect("a secret").to_owned()
    }

    /// Everything the store holds, as bytes: the SQLite file and its
    /// write-ahead log, or every row of every table of the app's schema.
    pub async fn store_bytes(&self) -> Vec<u8> {
        match &self.settings.store {
            StoreLocation::Sqlite(path) => {
                let mut bytes = std::fs::read(path).expect("read the database file");
                let mut wal = path.as_os_str().to_owned();
                wal.push("-wal");
                if let Ok(log) = std::fs::read(&wal) {
                    bytes.extend(log);
                }
                bytes
            }
            StoreLocation::Postgres(url) => postgres_rows(url.expose()).await,
        }
    }
}

async fn postgres_rows(url: &str) -> Vec<u8> {
    let mut conn = PgConnection::connect(url)
        .await
        .expect("connect to the app's schema");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() ORDER BY table_name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list the schema's tables");
    assert!(tables.iter().any(|t| t == "api_keys"), "tables: {tables:?}");
    let mut bytes = Vec::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM {table} t"))
                .fetch_all(&mut conn)
                .await
                .expect("read a table's rows");
        for row in rows {
            bytes.extend(row.into_bytes());
            bytes.push(b'\n');
        }
    }
    conn.close().await.expect("disconnect");
    bytes
}

/// The body that creates an organization key named `name`.
pub fn key_body(name: &str) -> Value {
    json!({ "name": name, "scope": "organization" })
}

/// An organization key's body named `limited`, with the fields of `extra`.
pub fn key_body_with(extra: Value) -> Value {
    let mut body = key_body("limited");
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}
