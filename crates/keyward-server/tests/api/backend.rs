//! The store behind a test: SQLite in the app's temporary directory, or a
//! PostgreSQL schema per app, all dropped when the test ends.

use sqlx::{Connection, Executor, PgConnection};
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::task::JoinError;
use uuid::Uuid;

const DATABASE_URL_VAR: &str = "KEYWARD_TEST_DATABASE_URL";

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// What a test body gets: where its apps keep their stores.
#[derive(Clone)]
pub enum Backend {
    Sqlite,
    Postgres(Arc<Database>),
}

/// The PostgreSQL database, and the schemas this test created in it.
pub struct Database {
    url: String,
    schemas: Mutex<Vec<String>>,
}

impl Backend {
    /// A `database_url` for a new app: `None` for SQLite, else the URL of
    /// a fresh schema.
    pub async fn new_database_url(&self) -> Option<String> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres(db) => Some(db.new_schema().await),
        }
    }
}

impl Database {
    async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connect to {DATABASE_URL_VAR}: {e}"))
    }

    /// Creates a schema and returns a URL whose connections use it
    /// (sqlx passes the `options` parameter to the server).
    async fn new_schema(&self) -> String {
        let schema = format!("kw_{}", Uuid::now_v7().simple());
        let mut conn = self.connect().await;
        conn.execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .expect("create the app's schema");
        conn.close().await.expect("disconnect");
        self.schemas
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(schema.clone());
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}options=-c%20search_path%3D{schema}", self.url)
    }

    async fn drop_schemas(&self) {
        let schemas = std::mem::take(
            &mut *self
                .schemas
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let mut conn = self.connect().await;
        for schema in schemas {
            // The app's background tasks (the webhook sender, the usage
            // flusher) may still be writing: a deadlock with them is retried.
            let drop = format!("DROP SCHEMA {schema} CASCADE");
            let mut attempt = 0;
            while let Err(error) = conn.execute(drop.as_str()).await {
                attempt += 1;
                assert!(attempt < 20, "drop the app's schema: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        conn.close().await.expect("disconnect");
    }
}

/// Runs `test` on the backend, then drops what it created, then fails
/// with the test's own panic, if any.
pub async fn run<F, Fut>(kind: Kind, test: F)
where
    F: FnOnce(Backend) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let backend = match kind {
        Kind::Sqlite => Backend::Sqlite,
        Kind::Postgres => match database_url() {
            Some(url) => Backend::Postgres(Arc::new(Database {
                url,
                schemas: Mutex::new(Vec::new()),
            })),
            None => return,
        },
    };
    let outcome = tokio::spawn(test(backend.clone())).await;
    if let Backend::Postgres(db) = &backend {
        db.drop_schemas().await;
    }
    rethrow(outcome);
}

/// The PostgreSQL URL; without one a test skips, except in CI, where a
/// missing service must fail the build rather than pass it silently.
fn database_url() -> Option<String> {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => panic!(
            "{DATABASE_URL_VAR} is not set but CI=true: the PostgreSQL API tests must run \
             in CI (e.g. {DATABASE_URL_VAR}=postgres://postgres@127.0.0.1:5432/test)"
        ),
        _ => {
            eprintln!("skipped: {DATABASE_URL_VAR} is not set, so PostgreSQL was not tested");
            None
        }
    }
}

fn rethrow(outcome: Result<(), JoinError>) {
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(e) => panic!("the test task did not finish: {e}"),
        }
    }
}
