//! Structured logs with tracing: text for people, JSON for collectors.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call (tests) does nothing.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
