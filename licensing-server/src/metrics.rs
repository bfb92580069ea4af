//! What the server counts, served at `/metrics` in the OpenMetrics text format (which
//! Prometheus scrapes): requests and their latency by route and status, license checks by
//! outcome, webhook outcomes, seat changes and rate-limit refusals. One registry per
//! server (tests start many in one process), never a process-wide recorder. Labels hold
//! routes and outcomes only: no id, name or address is ever a label.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    source: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Scope {
    scope: &'static str,
}

type Latency = Family<LatencyLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    checks: Family<Outcome, Counter>,
    webhooks: Family<WebhookLabels, Counter>,
    seats: Family<Outcome, Counter>,
    refused: Family<Scope, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("licensing");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Latency = Family::new_with_constructor(latency_histogram);
        let checks = Family::<Outcome, Counter>::default();
        let webhooks = Family::<WebhookLabels, Counter>::default();
        let seats = Family::<Outcome, Counter>::default();
        let refused = Family::<Scope, Counter>::default();
        registry.register("http_requests", "HTTP requests by route, method and status", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP latency by route and status",
            latency.clone(),
        );
        registry.register("license_checks", "License checks by outcome (licensed, free)", checks.clone());
        registry.register("webhooks", "Webhook deliveries by source and outcome", webhooks.clone());
        registry.register("seat_changes", "Seat changes by kind", seats.clone());
        registry.register("rate_limited", "Requests refused by a rate limit, by scope", refused.clone());
        Metrics { registry, requests, latency, checks, webhooks, seats, refused }
    }
}

impl Metrics {
    /// A request answered.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let route = route.to_owned();
        self.requests
            .get_or_create(&RequestLabels { route: route.clone(), method: method.to_owned(), status })
            .inc();
        self.latency.get_or_create(&LatencyLabels { route, status }).observe(seconds);
    }

    /// A license check's outcome: `licensed` or `free`.
    pub fn check(&self, outcome: &'static str) {
        self.checks.get_or_create(&Outcome { outcome }).inc();
    }

    /// A webhook's outcome: `applied`, `duplicate`, `ignored`, `refused`.
    pub fn webhook(&self, source: &'static str, outcome: &'static str) {
        self.webhooks.get_or_create(&WebhookLabels { source, outcome }).inc();
    }

    /// A seat change: `assigned`, `unassigned`, `reassigned`, `released` (a lower quantity).
    pub fn seat(&self, outcome: &'static str, n: u64) {
        self.seats.get_or_create(&Outcome { outcome }).inc_by(n);
    }

    /// A refusal by a rate limit: `user` or `address`.
    pub fn rate_limited(&self, scope: &'static str) {
        self.refused.get_or_create(&Scope { scope }).inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
