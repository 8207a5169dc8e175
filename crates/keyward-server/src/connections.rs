//! The accept loop. `axum::serve` can't bound connections, so keyward
//! serves with hyper directly: every connection must send a request head
//! within the header timeout (hyper starts that timer when a connection
//! opens and again whenever a keep-alive connection goes idle, so it is also
//! the idle timeout), at most `max_connections` are open at once (the rest
//! are closed as soon as they are accepted), and shutdown lets the requests
//! in flight finish.

use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

/// File descriptors kept free beyond the connections: the store's pool,
/// the data files, the log.
const RESERVED_FDS: u64 = 64;

/// What one node lets its clients hold.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub max_connections: usize,
}

/// Raises the soft limit on open files to the hard limit, so the connection
/// cap, not the operating system's default of 1,024, is what refuses clients.
pub fn raise_open_file_limit(limits: ConnectionLimits) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(open_files) if open_files < limits.max_connections as u64 + RESERVED_FDS => {
            tracing::warn!(
                open_files,
                max_connections = limits.max_connections,
                "the open-file limit is below max_connections; lower max_connections or raise the hard limit"
            );
        }
        Ok(open_files) => tracing::debug!(open_files, "open-file limit"),
        Err(error) => tracing::warn!(%error, "could not raise the open-file limit"),
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then waits for
/// the open connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut services: IntoMakeServiceWithConnectInfo<Router, SocketAddr> =
        app.into_make_service_with_connect_info();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "too many open connections; closing a new one");
            continue;
        };
        let Ok(service) = services.call(peer).await;
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Accept errors are about one connection, or about the process running
/// out of something (file descriptors); the latter needs a moment to pass.
async fn pause_after(error: &std::io::Error) {
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::warn!(%error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
