//! TLS to PostgreSQL at start-up: a certificate the configured root doesn't
//! vouch for stops keyward with an error that says so.

use crate::backend::{self, Backend, Kind};
use crate::helpers::ADMIN_KEY;
use keyward_server::{Application, Config};
use std::path::Path;

async fn unverifiable_certificate_stops_start_up(backend: Backend) {
    let url = backend
        .new_database_url()
        .await
        .expect("a PostgreSQL backend");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/fixtures/unrelated-ca.pem");
    let url = format!("{url}&sslmode=verify-full&sslrootcert={}", root.display());
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(dir.path().to_owned()),
        admin_key: Some(ADMIN_KEY.parse().unwrap()),
        database_url: Some(url.parse().unwrap()),
        no_bootstrap_user: true,
        ..Default::default()
    };
    let settings = config.resolve().expect("a valid configuration");
    let Err(error) = Application::build(settings).await else {
        panic!("keyward started on a certificate its root doesn't vouch for");
    };
    let message = error.to_string();
    // e.g. "can't connect to the database at postgres://…?sslmode=verify-full&…
    // (error communicating with database: invalid peer certificate: UnknownIssuer); …"
    assert!(
        message.starts_with("can't connect to the database at postgres://")
            && message.contains("invalid peer certificate"),
        "unclear start-up error: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unverifiable_postgres_certificate_stops_start_up() {
    backend::run(Kind::Postgres, unverifiable_certificate_stops_start_up).await;
}
