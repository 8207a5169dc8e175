//! Every HTTP request, counted and timed by method, route and status, and
//! written to the access log. The route is the template the router matched
//! (`/api/v1/orgs/{org}/keys`), never the path itself, so the label set
//! stays bounded; a request no route matched is `unmatched`.

use super::LatencyHistogram;
use crate::access_log::{self, KeySeen};
use crate::ctx::REQUEST_ID_HEADER;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::fmt::Write;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

/// The route a request matched: a template shared by every request it
/// serves, cloned without allocating.
#[derive(Clone, Debug)]
pub struct Route(Option<MatchedPath>);

impl Route {
    pub fn of(request: &Request) -> Self {
        Self(request.extensions().get::<MatchedPath>().cloned())
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Route {}

impl Hash for Route {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

/// The method as a label: the standard ones by name, any other as `OTHER`,
/// so a client can't grow the label set.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    method: &'static str,
    route: Route,
    status: u16,
}

pub struct HttpMetrics {
    requests: Family<Labels, Counter>,
    durations: Family<Labels, Histogram, LatencyHistogram>,
}

impl HttpMetrics {
    pub fn new(registry: &mut Registry) -> Self {
        let requests = Family::default();
        registry.register(
            "keyward_http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let durations = Family::new_with_constructor(LatencyHistogram);
        registry.register(
            "keyward_http_request_duration_seconds",
            "Time to answer an HTTP request (until its response's head), by method, route template and status",
            durations.clone(),
        );
        Self {
            requests,
            durations,
        }
    }

    fn observe(&self, method: &'static str, route: Route, status: u16, took: Duration) {
        let labels = Labels {
            method,
            route,
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.durations
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }
}

/// Middleware: counts, times and logs each request. Layered on the router,
/// so the matched route is known.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = Route::of(&request);
    let request_id = request.headers().get(REQUEST_ID_HEADER).cloned();
    let key = KeySeen::default();
    request.extensions_mut().insert(key.clone());
    let response = next.run(request).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    access_log::write(&access_log::Entry {
        method,
        route: route.as_str(),
        status,
        took,
        key_id: key.get(),
        request_id: request_id.as_ref().and_then(|id| id.to_str().ok()),
    });
    state.metrics.http.observe(method, route, status, took);
    response
}
