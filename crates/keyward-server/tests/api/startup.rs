//! Start-up: a start that fails creates nothing, and nodes whose server
//! secrets differ refuse to start on a shared store.

use crate::backend::Backend;
use crate::helpers::ADMIN_KEY;
use keyward_server::{Application, Config, Settings};
use sqlx::{Connection, PgConnection};
use std::path::Path;

fn settings(data_dir: &Path, database_url: Option<String>, listen: &str) -> Settings {
    Config {
        listen: Some(listen.parse().unwrap()),
        data_dir: Some(data_dir.to_owned()),
        database_url: database_url.map(|url| url.parse().unwrap()),
        ..Default::default()
    }
    .resolve()
    .unwrap()
}

async fn postgres_tables(url: &str) -> i64 {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let count = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    count
}

/// With the port taken, no admin key, owner, secret or database is made:
/// the one-time secrets of a start nobody could use are never created.
pub async fn failed_first_start_creates_nothing(backend: Backend) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let tempdir = tempfile::tempdir().unwrap();
    let data_dir = tempdir.path().join("data");
    let url = backend.new_database_url().await;
    let settings = settings(&data_dir, url.clone(), &address);
    let error = Application::build(settings)
        .await
        .err()
        .expect("the port is taken");
    let message = error.to_string();
    assert!(
        message.contains(&address) && message.contains("--listen"),
        "{message}"
    );
    assert!(!data_dir.exists(), "the data folder was created");
    if let Some(url) = url {
        assert_eq!(postgres_tables(&url).await, 0, "the store was created");
    }
}

/// A node whose secret differs from the store's first one is refused with
/// an error that says what to do, and changes nothing.
pub async fn mismatched_node_secrets_refuse_to_start(backend: Backend) {
    let tempdir = tempfile::tempdir().unwrap();
    let url = backend.new_database_url().await;
    let first_dir = tempdir.path().join("first");
    let first = Application::build(settings(&first_dir, url.clone(), "127.0.0.1:0"))
        .await
        .unwrap();
    assert!(first.new_admin_key.is_some() && first.new_owner.is_some());
    drop(first);
    // Restarting with the same secret is fine.
    let again = Application::build(settings(&first_dir, url.clone(), "127.0.0.1:0"))
        .await
        .unwrap();
    assert!(again.new_admin_key.is_none(), "a second admin key");
    drop(again);
    // Another node on the same store with its own generated secret: for
    // SQLite, the same store after its secret file was lost.
    let second_dir = match &url {
        Some(_) => tempdir.path().join("second"),
        None => {
            std::fs::remove_file(first_dir.join("secret")).unwrap();
            first_dir.clone()
        }
    };
    let mismatched = settings(&second_dir, url.clone(), "127.0.0.1:0");
    let error = Application::build(mismatched).await.err().expect("refused");
    assert!(error.to_string().contains("KEYWARD_SECRET"), "{error}");
    assert!(
        !second_dir.join("secret").exists(),
        "a refused secret was saved"
    );
    // A configured secret that differs is refused the same way.
    let mut configured = settings(&second_dir, url, "127.0.0.1:0");
    configured.secret = Some("another-secret-another-secret-0123456789".parse().unwrap());
    configured.admin_key = Some(ADMIN_KEY.parse().unwrap());
    let error = Application::build(configured).await.err().expect("refused");
    assert!(error.to_string().contains("KEYWARD_SECRET"), "{error}");
}
