//! TLS to PostgreSQL: the URL's `sslmode` is honoured, so the store can
//! use managed services that require encryption.

use crate::harness;

/// The URL with `sslmode=require` (a later parameter overrides an earlier one).
fn require_tls(url: String) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode=require")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_connections_are_encrypted_under_sslmode_require() {
    harness::postgres_with(require_tls, |db| {
        let pool = db.store_pool();
        async move {
            let encrypted: bool =
                sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    .fetch_one(&pool)
                    .await
                    .expect("read the connection's TLS state");
            assert!(encrypted, "the store's connection is not encrypted");
        }
    })
    .await;
}
