//! A fresh store per test: a SQLite file in a temporary directory, or a
//! PostgreSQL schema of its own, dropped when the test ends.

use keyward_store::{PostgresStore, SqliteStore, Store};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection};
use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use tokio::task::JoinError;
use uuid::Uuid;

const DATABASE_URL_VAR: &str = "KEYWARD_TEST_DATABASE_URL";

/// The store under test, and a way to read what it wrote.
pub struct TestDb {
    store: Arc<dyn Store>,
    raw: Raw,
    /// The PostgreSQL store's own pool; `None` on SQLite.
    pool: Option<PgPool>,
}

impl TestDb {
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn raw(&self) -> Raw {
        self.raw.clone()
    }

    /// The pool the PostgreSQL store itself queries through.
    pub fn store_pool(&self) -> PgPool {
        self.pool.clone().expect("a PostgreSQL store")
    }
}

/// The backend's own storage, read around the `Store` trait.
#[derive(Clone)]
pub enum Raw {
    /// The database file; its write-ahead log sits beside it.
    Sqlite(PathBuf),
    /// A connection to the test's schema.
    Postgres(PgPool),
}

impl Raw {
    /// Everything the backend holds, as bytes: the SQLite database file and
    /// its `-wal` file, or every row of every table of the schema as JSON.
    pub async fn dump(&self) -> Vec<u8> {
        match self {
            Raw::Sqlite(path) => {
                let mut bytes = tokio::fs::read(path).await.expect("read the database file");
                let mut wal = path.as_os_str().to_owned();
                wal.push("-wal");
                match tokio::fs::read(&wal).await {
                    Ok(wal_bytes) => bytes.extend(wal_bytes),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("read {}: {e}", PathBuf::from(wal).display()),
                }
                bytes
            }
            Raw::Postgres(pool) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema() ORDER BY table_name",
                )
                .fetch_all(pool)
                .await
                .expect("list the schema's tables");
                assert!(
                    tables.iter().any(|t| t == "api_keys"),
                    "no api_keys table in {tables:?}"
                );
                let mut bytes = Vec::new();
                for table in tables {
                    let rows: Vec<String> =
                        sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM {table} t"))
                            .fetch_all(pool)
                            .await
                            .expect("read a table's rows");
                    for row in rows {
                        bytes.extend(row.into_bytes());
                        bytes.push(b'\n');
                    }
                }
                bytes
            }
        }
    }
}

/// Runs `test` against a new SQLite store in a temporary directory.
pub async fn sqlite<F, Fut>(test: F)
where
    F: FnOnce(&TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Kept until the test ends: the store's pools open files inside it.
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("keyward.db");
    let store = SqliteStore::open(&path)
        .await
        .expect("open the SQLite store");
    let db = TestDb {
        store: Arc::new(store),
        raw: Raw::Sqlite(path),
        pool: None,
    };
    let outcome = tokio::spawn(test(&db)).await;
    drop(db);
    drop(dir);
    rethrow(outcome);
}

/// Runs `test` against a PostgreSQL store in a schema of its own, or skips
/// it when no database is configured (outside CI only).
pub async fn postgres<F, Fut>(test: F)
where
    F: FnOnce(&TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    postgres_with(|url| url, test).await;
}

/// [`postgres`], with the store connecting to the URL `url_of` makes of
/// the configured one.
pub async fn postgres_with<F, Fut>(url_of: impl FnOnce(String) -> String, test: F)
where
    F: FnOnce(&TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(url) = database_url() else {
        return;
    };
    let url = url_of(url);
    let mut admin = PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("connect to {DATABASE_URL_VAR}: {e}"));
    let schema = format!("kw_test_{}", Uuid::now_v7().simple());
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .expect("create the test's schema");
    let options = PgConnectOptions::from_str(&url)
        .expect("parse the database URL")
        .options([("search_path", schema.as_str())]);
    let store = PostgresStore::connect_with(options.clone())
        .await
        .expect("connect the PostgreSQL store");
    let raw = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("connect to the test's schema");
    let db = TestDb {
        store: Arc::new(store.clone()),
        raw: Raw::Postgres(raw.clone()),
        pool: Some(store.pool().clone()),
    };
    let outcome = tokio::spawn(test(&db)).await;
    drop(db);
    store.pool().close().await;
    raw.close().await;
    admin
        .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
        .await
        .expect("drop the test's schema");
    admin.close().await.expect("disconnect");
    rethrow(outcome);
}

/// The PostgreSQL URL; without one a test skips, except in CI, where a
/// missing service must fail the build rather than pass it silently.
fn database_url() -> Option<String> {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => panic!(
            "{DATABASE_URL_VAR} is not set but CI=true: PostgreSQL conformance tests \
             must run in CI (e.g. postgres://postgres@127.0.0.1:5432/test)"
        ),
        _ => {
            eprintln!("skipped: {DATABASE_URL_VAR} is not set, so PostgreSQL was not tested");
            None
        }
    }
}

/// Fails the test with the body's own panic, after the cleanup ran.
fn rethrow(outcome: Result<(), JoinError>) {
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(e) => panic!("the test task did not finish: {e}"),
        }
    }
}
