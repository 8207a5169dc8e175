//! The metrics behind `/metrics` (served by `routes::metrics`), in
//! Prometheus' text format through `prometheus-client`. Counted as they
//! happen: HTTP requests, verification answers, store queries on the
//! verification path, changes heard from other nodes, keys created. Read
//! when scraped ([`scrape`]): the cache, the store's and Redis' health,
//! the usage not yet written.

pub mod http;
pub mod scrape;
pub mod verifications;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::future::Future;
use std::time::Instant;
pub use verifications::{DEFAULT_ORG_LABELS, OrgSlot, Verdict, Verifications};

/// Latency buckets, in seconds: from a cached verification (well under a
/// millisecond) to a slow store round.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Builds histograms with [`LATENCY_BUCKETS`] for a family.
#[derive(Clone, Copy, Debug)]
pub struct LatencyHistogram;

impl MetricConstructor<Histogram> for LatencyHistogram {
    fn new_metric(&self) -> Histogram {
        Histogram::new(LATENCY_BUCKETS)
    }
}

/// The store calls the verification path makes, each timed under its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreOp {
    KeyByHash,
    OrgById,
    Catalog,
    PrincipalAccess,
    OwnerName,
}

impl StoreOp {
    fn as_str(self) -> &'static str {
        match self {
            StoreOp::KeyByHash => "key_by_hash",
            StoreOp::OrgById => "org_by_id",
            StoreOp::Catalog => "catalog",
            StoreOp::PrincipalAccess => "principal_access",
            StoreOp::OwnerName => "owner_name",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabels {
    op: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    profile: &'static str,
}

pub struct Metrics {
    /// What is counted as it happens; [`scrape`] adds what is read when
    /// scraped.
    registry: Registry,
    pub verifications: Verifications,
    pub http: http::HttpMetrics,
    store_queries: Family<OpLabels, Histogram, LatencyHistogram>,
    notifications: Counter,
    keys_created: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(DEFAULT_ORG_LABELS)
    }
}

impl Metrics {
    /// Metrics labelling the first `org_labels` organizations seen.
    pub fn new(org_labels: u16) -> Self {
        let mut registry = Registry::default();
        let http = http::HttpMetrics::new(&mut registry);
        let store_queries = Family::new_with_constructor(LatencyHistogram);
        registry.register(
            "keyward_store_query_duration_seconds",
            "Time the store took to answer the verification path's queries, by query",
            store_queries.clone(),
        );
        let notifications = Counter::default();
        registry.register(
            "keyward_notifications_received",
            "Change notifications heard from other nodes (PostgreSQL LISTEN/NOTIFY)",
            notifications.clone(),
        );
        let keys_created = Counter::default();
        registry.register(
            "keyward_keys_created",
            "Keys created since start",
            keys_created.clone(),
        );
        registry.register(
            "keyward_build",
            "The running build: always 1, its facts as labels",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                profile: if cfg!(debug_assertions) {
                    "debug"
                } else {
                    "release"
                },
            }),
        );
        Self {
            registry,
            verifications: Verifications::new(org_labels),
            http,
            store_queries,
            notifications,
            keys_created,
        }
    }

    /// Counts a verification's answer; `slot` is its key's organization's.
    pub fn verified(&self, slot: OrgSlot, verdict: Verdict) {
        self.verifications.count(slot, verdict);
    }

    pub fn key_created(&self) {
        self.keys_created.inc();
    }

    /// Another node announced a change.
    pub fn notification_received(&self) {
        self.notifications.inc();
    }

    /// Runs a store call, timing it as `op`.
    pub async fn timed<T>(&self, op: StoreOp, call: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let answer = call.await;
        self.store_queries
            .get_or_create(&OpLabels { op: op.as_str() })
            .observe(started.elapsed().as_secs_f64());
        answer
    }

    /// The metrics counted as they happen, in Prometheus' text format.
    pub fn write_to(&self, out: &mut String) -> std::fmt::Result {
        prometheus_client::encoding::prometheus_text::encode(out, &self.registry)
    }
}
