//! Building and running the server: `Application::build` binds the port
//! (port 0 in tests) and opens the store; `run_until_stopped` serves until
//! the shutdown signal (flushing usage, pruning the audit log and
//! exchanging evictions with other nodes meanwhile), then writes pending usage.

use crate::bootstrap::{self, BootstrapError, BootstrapUser};
use crate::bounds::BODY_LIMIT;
use crate::cache::KeyCache;
use crate::config::{Config, ConfigError, LogFormat, Settings, StoreLocation};
use crate::connections;
use crate::ctx::REQUEST_ID_HEADER;
use crate::eviction::Evict;
use crate::leaks::LeakIntake;
use crate::limiter::Limiter;
use crate::metrics::Metrics;
use crate::metrics::http as http_metrics;
use crate::openapi::ApiDoc;
use crate::passwords::Hashers;
use crate::redis_link::RedisLink;
use crate::routes::metrics;
use crate::routes::{
    self, audit, dadosfera, forward, groups, health, invitations, keys, leaks, members, orgs,
    passwords, permissions, roles, service_accounts, session, teams, users, verify, webhooks,
};
use crate::secret::{self, SecretError};
use crate::state::{AppState, Inner};
use crate::store_health::StoreHealth;
use crate::telemetry;
use crate::throttle::{Denials, Throttle};
use crate::usage::{FLUSH_INTERVAL, UsageRecorder};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use keyward_core::{ApiKey, Clock, KeyHash, KeyHasher, SystemClock};
use keyward_store::{Heard, Store, StoreError};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

/// Each response carries its request's id, as its audit events do.
const REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static(REQUEST_ID_HEADER);
/// Resolved keys kept in memory.
const CACHE_CAPACITY: u64 = 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("secrets: {0}")]
    Secret(#[from] SecretError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{}", listen_failure(.address, .cause, .flag))]
    Listen {
        address: SocketAddr,
        cause: std::io::Error,
        flag: &'static str,
    },
    #[error(
        "the data directory {} can't be created or written ({cause}); choose another with --data-dir",
        .path.display()
    )]
    DataDir {
        path: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "can't connect to the database at {url} ({cause}); check --database-url and that the database is up"
    )]
    Database { url: String, cause: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("bootstrap: {0}")]
    Bootstrap(#[from] BootstrapError),
    #[error("{0}")]
    Redis(String),
}

pub struct Application {
    listener: TcpListener,
    /// `metrics.listen`'s, when configured.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    /// A freshly generated admin key, to be shown once.
    pub new_admin_key: Option<ApiKey>,
    /// The first owner of an empty store, to be shown once.
    pub new_owner: Option<BootstrapUser>,
}

/// The API router, with its OpenAPI document and docs.
pub fn router(state: AppState) -> Router {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(orgs::list, orgs::create))
        .routes(routes!(orgs::get, orgs::update, orgs::delete))
        .routes(routes!(permissions::list, permissions::create))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::get, keys::update, keys::revoke))
        .routes(routes!(keys::roll))
        .routes(routes!(dadosfera::list, dadosfera::create))
        .routes(routes!(dadosfera::delete))
        .routes(routes!(dadosfera::permissions))
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(passwords::change))
        .routes(routes!(passwords::reset))
        .routes(routes!(users::update))
        .routes(routes!(members::list))
        .routes(routes!(members::get, members::update, members::remove))
        .routes(routes!(members::assign_role, members::unassign_role))
        .routes(routes!(passwords::issue))
        .routes(routes!(invitations::list, invitations::create))
        .routes(routes!(invitations::delete))
        .routes(routes!(invitations::accept))
        .routes(routes!(teams::list, teams::create))
        .routes(routes!(teams::get, teams::delete))
        .routes(routes!(teams::members))
        .routes(routes!(teams::put_member, teams::remove_member))
        .routes(routes!(roles::list, roles::create))
        .routes(routes!(roles::get, roles::update, roles::delete))
        .routes(routes!(groups::list, groups::create))
        .routes(routes!(groups::get, groups::rename, groups::delete))
        .routes(routes!(groups::put_role, groups::remove_role))
        .routes(routes!(groups::put_member, groups::remove_member))
        .routes(routes!(service_accounts::list, service_accounts::create))
        .routes(routes!(
            service_accounts::get,
            service_accounts::update,
            service_accounts::delete
        ))
        .routes(routes!(service_accounts::roles))
        .routes(routes!(
            service_accounts::put_role,
            service_accounts::remove_role
        ))
        .routes(routes!(audit::list))
        .routes(routes!(audit::export))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::list_org_less))
        .routes(routes!(audit::export_org_less))
        .routes(routes!(audit::verify_org_less))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::roll_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::retry))
        .routes(routes!(webhooks::settings, webhooks::update_settings))
        .routes(routes!(verify::verify))
        .routes(routes!(leaks::github))
        .routes(routes!(leaks::generic))
        .routes(routes!(leaks::revoke))
        .route(forward::PATH, forward::methods())
        .route("/api/v1/auth/forward/{*rest}", forward::methods())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz));
    // A separate metrics listener takes `/metrics` off the main port.
    let api = match state.settings.metrics.listen {
        Some(_) => api,
        None => api.routes(routes!(metrics::metrics)),
    };
    let (api, openapi) = api.split_for_parts();
    api.merge(
        SwaggerUi::new("/api/docs")
            .external_url_unchecked("/api/openapi.json", crate::openapi::finish(&openapi)),
    )
    .merge(crate::portal::router())
    .fallback(not_found)
    .method_not_allowed_fallback(routes::method_not_allowed)
    .layer(DefaultBodyLimit::max(BODY_LIMIT))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        crate::ops::denials::record_denials,
    ))
    .layer(axum::middleware::from_fn(crate::extract::decodable_path))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        health::count_unreachable,
    ))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        http_metrics::observe,
    ))
    .layer(TraceLayer::new_for_http())
    .layer(PropagateRequestIdLayer::new(REQUEST_ID))
    .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
    .with_state(state)
}

/// The state requests are served with, around an opened store.
pub(crate) fn assemble(
    settings: Settings,
    store: Arc<dyn Store>,
    hasher: KeyHasher,
    clock: Arc<dyn Clock>,
    admin: KeyHash,
) -> Result<AppState, StartupError> {
    let redis = match &settings.redis_url {
        Some(url) => Some(Arc::new(
            RedisLink::open(url.expose(), settings.redis_timeout).map_err(StartupError::Redis)?,
        )),
        None => None,
    };
    Ok(AppState::new(Inner {
        throttle: Throttle::new(
            clock.clone(),
            redis.clone(),
            hasher.clone(),
            settings.invalid_credentials_per_minute,
        ),
        limiter: Limiter::new(redis.clone(), settings.on_redis_error),
        redis,
        store,
        hasher,
        leaks: LeakIntake::new(settings.leaks.clone()),
        denials: Denials::default(),
        hashers: Hashers::default(),
        clock,
        admin,
        cache: KeyCache::new(CACHE_CAPACITY, settings.cache_max_bytes),
        usage: UsageRecorder::default(),
        metrics: Metrics::new(settings.metrics.org_labels()),
        health: StoreHealth::new(settings.stale_if_error),
        outbox: crate::webhooks::Outbox::default(),
        settings,
    }))
}

/// An unknown address: the API answers JSON, the portal an HTML page.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if routes::is_api(uri.path()) {
        routes::not_found().await.into_response()
    } else {
        crate::portal::not_found().await
    }
}

/// Says why an address can't be served, naming the flag that changes it.
fn listen_failure(address: &SocketAddr, cause: &std::io::Error, flag: &str) -> String {
    match cause.kind() {
        std::io::ErrorKind::AddrInUse => {
            format!("{address} is already in use; choose another with {flag}")
        }
        _ => format!("{address} can't be listened on ({cause}); choose another with {flag}"),
    }
}

/// A store URL fit to show: without its password.
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "the configured URL".to_owned(),
    }
}

/// The data directory, created private, and refused by name when it can't
/// be: the first thing a start writes.
fn create_data_dir(settings: &Settings) -> Result<(), StartupError> {
    let refused = |error: SecretError| match error {
        SecretError::Io { path, source } => StartupError::DataDir {
            path: if path.starts_with(&settings.data_dir) {
                settings.data_dir.clone()
            } else {
                path
            },
            cause: source,
        },
        other => other.into(),
    };
    secret::create_private_dir(&settings.data_dir).map_err(refused)?;
    if let StoreLocation::Sqlite(path) = &settings.store {
        secret::create_private_file(path).map_err(refused)?;
    }
    Ok(())
}

pub(crate) async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, StartupError> {
    create_data_dir(settings)?;
    let url = settings.store.url();
    keyward_store::open(&url)
        .await
        .map_err(|error| match error {
            StoreError::Unavailable(cause) | StoreError::Database(cause) => {
                StartupError::Database {
                    url: shown_url(&url),
                    cause: cause.to_string(),
                }
            }
            other => other.into(),
        })
}

async fn bind(address: SocketAddr, flag: &'static str) -> Result<TcpListener, StartupError> {
    TcpListener::bind(address)
        .await
        .map_err(|cause| StartupError::Listen {
            address,
            cause,
            flag,
        })
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        // The port first: a start that can't serve creates nothing, so no
        // one-time secret is ever made that nobody saw.
        let listener = bind(settings.listen, "--listen").await?;
        let metrics_listener = match settings.metrics.listen {
            Some(address) => Some(bind(address, "--metrics-listen").await?),
            None => None,
        };
        let store = open_store(&settings).await?;
        let loaded = secret::server_secret(&settings)?;
        let hasher = KeyHasher::new(&loaded.secret)
            .map_err(|_| SecretError::Invalid("the server secret can't key an HMAC".into()))?;
        secret::check_fingerprint(store.as_ref(), &hasher).await?;
        if loaded.generated {
            secret::save_generated(&settings, &loaded.secret)?;
        }
        let (admin, new_admin_key) = secret::admin_key(&settings, store.as_ref(), &hasher).await?;
        let new_owner = if settings.bootstrap_user {
            bootstrap::owner(store.as_ref(), clock.as_ref()).await?
        } else {
            None
        };
        let state = assemble(settings, store, hasher, clock, admin)?;
        Ok(Self {
            listener,
            metrics_listener,
            state,
            new_admin_key,
            new_owner,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The metrics listener's address, when `metrics.listen` is set.
    pub fn metrics_addr(&self) -> Option<std::io::Result<SocketAddr>> {
        self.metrics_listener.as_ref().map(TcpListener::local_addr)
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then drains requests and writes
    /// pending usage. Meanwhile, the audit log is pruned past its retention.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state;
        let flusher_state = state.clone();
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(FLUSH_INTERVAL);
            loop {
                tick.tick().await;
                flusher_state.usage.flush(&flusher_state.store).await;
                flusher_state.limiter.flush(&flusher_state.store).await;
            }
        });
        let announcer_state = state.clone();
        let announcer = tokio::spawn(async move {
            loop {
                for payload in announcer_state.cache.next_announcements().await {
                    if let Err(error) = announcer_state.store.announce_change(&payload).await {
                        tracing::warn!(%error, "could not tell other nodes about a change");
                    }
                }
            }
        });
        let watcher = tokio::spawn(watch_changes(state.clone()));
        let prober_state = state.clone();
        let prober = tokio::spawn(async move {
            let shared = matches!(prober_state.settings.store, StoreLocation::Postgres(_));
            prober_state
                .health
                .probe(prober_state.store.clone(), !shared)
                .await;
        });
        let retention = tokio::spawn(crate::audit_retention::run(state.clone()));
        let webhooks = tokio::spawn(crate::webhooks::run(state.clone()));
        let expiry = tokio::spawn(crate::webhooks::expiry::run(state.clone()));
        let limits = state.settings.connections;
        let metrics_server = self.metrics_listener.map(|listener| {
            let app = metrics::router(state.clone());
            tokio::spawn(connections::serve(
                listener,
                app,
                limits,
                std::future::pending::<()>(),
            ))
        });
        connections::serve(self.listener, router(state.clone()), limits, shutdown).await;
        flusher.abort();
        announcer.abort();
        watcher.abort();
        prober.abort();
        retention.abort();
        webhooks.abort();
        expiry.abort();
        if let Some(server) = metrics_server {
            server.abort();
        }
        state.usage.flush(&state.store).await;
        state.limiter.flush(&state.store).await;
        Ok(())
    }
}

/// Hears the changes other nodes announce, forever. While the connection
/// that hears them is lost, no cached answer is current (each is reloaded,
/// or served stale if the store can't be reached); once it is back,
/// everything cached is retired, as announcements may have been missed.
async fn watch_changes(state: AppState) {
    loop {
        let heard_state = state.clone();
        let on_heard = Box::new(move |heard: Heard<'_>| match heard {
            Heard::Listening => {
                heard_state.cache.retire_local(Evict::All);
                heard_state.health.set_hearing(true);
            }
            Heard::Change(payload) => {
                heard_state.metrics.notification_received();
                for change in Evict::parse_payload(Some(payload)) {
                    heard_state.cache.retire_local(change);
                }
            }
        });
        let error = state.store.watch_changes(on_heard).await;
        state.cache.doubt();
        state.health.set_hearing(false);
        state.health.failed(&error);
        if !matches!(error, StoreError::Unavailable(_)) {
            tracing::warn!(%error, "listening for other nodes' changes stopped; retrying");
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "can't listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "can't listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// `keyward serve`.
pub async fn serve(config: Config) -> Result<(), StartupError> {
    let settings = config.resolve()?;
    telemetry::init(&settings.log, settings.log_format);
    let log_format = settings.log_format;
    connections::raise_open_file_limit(settings.connections);
    let app = Application::build(settings).await?;
    show_once(&app, log_format);
    tracing::info!(address = %app.local_addr()?, "keyward is listening");
    if let Some(address) = app.metrics_addr() {
        tracing::info!(address = %address?, "metrics are served on their own address");
    }
    app.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}

/// Shows the secrets made on this start, once, on stderr and never through
/// the log: as text for a person, or as one JSON object beside JSON logs.
fn show_once(app: &Application, format: LogFormat) {
    if app.new_admin_key.is_none() && app.new_owner.is_none() {
        return;
    }
    match format {
        LogFormat::Json => {
            let owner = app.new_owner.as_ref().map(|owner| {
                serde_json::json!({
                    "email": owner.email,
                    "password": owner.password,
                    "organization": owner.organization,
                })
            });
            let shown = serde_json::json!({
                "one_time_secrets": {
                    "admin_key": app.new_admin_key.as_ref().map(ApiKey::expose),
                    "owner": owner,
                }
            });
            eprintln!("{shown}");
        }
        LogFormat::Text => {
            if let Some(key) = &app.new_admin_key {
                eprintln!(
                    "\n  keyward generated the admin key. It is shown this once and stored only as a hash:\n\n    {}\n\n  Keep it safe (or set KEYWARD_ADMIN_KEY to choose your own).\n",
                    key.expose()
                );
            }
            if let Some(owner) = &app.new_owner {
                eprintln!(
                    "  Sign in to the portal as {} with the password {} (organization `{}`).\n  It is shown this once.\n",
                    owner.email, owner.password, owner.organization
                );
            }
        }
    }
}

/// `keyward migrate`: applies the store's migrations and exits.
pub async fn migrate(config: Config) -> Result<(), StartupError> {
    let settings = config.resolve()?;
    telemetry::init(&settings.log, settings.log_format);
    open_store(&settings).await?;
    tracing::info!("migrations applied");
    Ok(())
}
