//! keyward's HTTP server: the management API, the Dadosfera contract,
//! verification and forward-auth, over the store.

pub mod access_log;
pub mod audit_pages;
pub mod audit_retention;
pub mod auth;
pub mod bootstrap;
pub mod bounds;
pub mod cache;
pub mod config;
pub mod connections;
pub mod cookies;
pub mod csrf;
pub mod ctx;
pub mod error;
pub mod eviction;
pub mod extract;
pub mod forward;
pub mod json_error;
pub mod leaks;
pub mod limiter;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod passwords;
pub mod portal;
pub mod recovery;
pub mod redis_link;
pub mod routes;
pub mod secret;
pub mod startup;
pub mod state;
pub mod store_health;
pub mod telemetry;
pub mod throttle;
pub mod usage;
pub mod verify;
pub mod webhooks;

pub use config::{Config, Settings};
pub use startup::{Application, StartupError, migrate, serve};
