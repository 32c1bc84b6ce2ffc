//! What `/metrics` reports, in the Prometheus text format: one registry for
//! the process, recorded by the layers where things happen.
//!
//! Recording is on the hot path (the storefront reads serve tens of
//! thousands of requests a second), so it is atomics only: the series of a
//! fixed label set are resolved once, and the HTTP series, whose route
//! labels are known only at run time, are kept per worker thread, so a
//! request never takes a lock shared with another. What is cheaper to ask
//! than to track (pool connections, the webhook backlog) is read when
//! scraped and handed to `render`.
//!
//! Label values are bounded: routes are actix's patterns (`/items/{id}`),
//! never raw paths; results are fixed words.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The content type of the text format `render` writes.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets in seconds: most requests answer in well under a
/// millisecond from memory, writes in milliseconds, imports in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Every metric family of the process.
struct Families {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGaugeVec,
    pool_waiting: IntGaugeVec,
    outbox_backlog: IntGaugeVec,
    outbox_oldest: prometheus::GaugeVec,
    deliveries: IntCounterVec,
    list_reads: IntCounterVec,
    counter_sales: IntCounterVec,
    online_orders: IntCounterVec,
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let family = IntCounterVec::new(Opts::new(name, help), labels)
        .expect("a counter's name and labels should be valid");
    registry
        .register(Box::new(family.clone()))
        .expect("each metric family should be registered once");
    family
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let family = IntGaugeVec::new(Opts::new(name, help), labels)
        .expect("a gauge's name and labels should be valid");
    registry
        .register(Box::new(family.clone()))
        .expect("each metric family should be registered once");
    family
}

static FAMILIES: LazyLock<Families> = LazyLock::new(|| {
    let registry = Registry::new();
    let http_requests = counter_vec(
        &registry,
        "shelfsync_http_requests_total",
        "HTTP requests answered, by method, route pattern and status.",
        &["method", "route", "status"],
    );
    let http_duration = HistogramVec::new(
        HistogramOpts::new(
            "shelfsync_http_request_duration_seconds",
            "Time from a request's arrival to its response head, by method and route pattern.",
        )
        .buckets(LATENCY_BUCKETS.to_vec()),
        &["method", "route"],
    )
    .expect("the latency histogram should be valid");
    registry
        .register(Box::new(http_duration.clone()))
        .expect("each metric family should be registered once");
    let pool_connections = gauge_vec(
        &registry,
        "shelfsync_db_pool_connections",
        "Open database connections by pool (write, read) and state (in_use, idle).",
        &["pool", "state"],
    );
    let pool_max = gauge_vec(
        &registry,
        "shelfsync_db_pool_max_connections",
        "The most connections each database pool opens.",
        &["pool"],
    );
    let pool_waiting = gauge_vec(
        &registry,
        "shelfsync_db_pool_waiting",
        "Requests waiting now for a connection of each database pool.",
        &["pool"],
    );
    let outbox_backlog = gauge_vec(
        &registry,
        "shelfsync_webhook_outbox_backlog",
        "Events not yet settled (delivered or given up) for each enabled webhook endpoint.",
        &["merchant", "endpoint"],
    );
    let outbox_oldest = prometheus::GaugeVec::new(
        Opts::new(
            "shelfsync_webhook_outbox_oldest_pending_age_seconds",
            "Age of the oldest event not yet settled for each enabled webhook endpoint (0 when none).",
        ),
        &["merchant", "endpoint"],
    )
    .expect("the outbox age gauge should be valid");
    registry
        .register(Box::new(outbox_oldest.clone()))
        .expect("each metric family should be registered once");
    let deliveries = counter_vec(
        &registry,
        "shelfsync_webhook_deliveries_total",
        "Webhook delivery attempts by this process, by result (delivered, retrying, gave_up).",
        &["result"],
    );
    let list_reads = counter_vec(
        &registry,
        "shelfsync_list_reads_total",
        "Channel list bodies served, by kind (online_page, list) and source: cache (from memory), \
         revalidated (from memory after asking the database for the catalog version) or rebuilt.",
        &["kind", "source"],
    );
    let counter_sales = counter_vec(
        &registry,
        "shelfsync_counter_sales_total",
        "Counter sales by result: ok, replayed (a repeated idempotency key), or the class of refusal.",
        &["result"],
    );
    let online_orders = counter_vec(
        &registry,
        "shelfsync_online_orders_total",
        "Online orders by result: ok, replayed (a repeated idempotency key), or the class of refusal.",
        &["result"],
    );
    // Series a scraper should see from the start, at 0.
    for result in DeliveryResult::ALL {
        deliveries.with_label_values(&[result.as_str()]);
    }
    for result in ["ok", "insufficient_stock"] {
        counter_sales.with_label_values(&[result]);
        online_orders.with_label_values(&[result]);
    }
    Families {
        registry,
        http_requests,
        http_duration,
        pool_connections,
        pool_max,
        pool_waiting,
        outbox_backlog,
        outbox_oldest,
        deliveries,
        list_reads,
        counter_sales,
        online_orders,
    }
});

/// A database pool of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolName {
    /// Sales, edits and everything else.
    Write,
    /// The channel lists' reads.
    Read,
}

impl PoolName {
    fn as_str(self) -> &'static str {
        match self {
            PoolName::Write => "write",
            PoolName::Read => "read",
        }
    }
}

/// Counts a wait for a pooled connection while it lasts.
pub struct PoolWait(IntGauge);

impl Drop for PoolWait {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The waiting gauge of each pool, resolved once.
static WAITING: LazyLock<[IntGauge; 2]> = LazyLock::new(|| {
    [PoolName::Write, PoolName::Read]
        .map(|pool| FAMILIES.pool_waiting.with_label_values(&[pool.as_str()]))
});

/// Marks a request as waiting for a connection of `pool` until the guard drops.
pub fn pool_wait(pool: PoolName) -> PoolWait {
    let gauge = WAITING[pool as usize].clone();
    gauge.inc();
    PoolWait(gauge)
}

/// One HTTP route's series, as one worker thread holds them.
struct RouteSeries {
    /// The route label, kept for the status counters added later.
    route: String,
    duration: Histogram,
    by_status: Vec<(u16, IntCounter)>,
}

thread_local! {
    /// This thread's handles on the HTTP series it has recorded, by method and route.
    static ROUTES: RefCell<HashMap<(&'static str, String), RouteSeries>> =
        RefCell::new(HashMap::new());
}

/// The label of a method: the standard ones by name, anything else `other`.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Records one answered request: `route` is the matched pattern, `None` (or
/// empty) when no route matched.
pub fn record_http(
    method: &actix_web::http::Method,
    route: Option<String>,
    status: u16,
    elapsed: Duration,
) {
    let method = method_label(method);
    let route = route
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "unmatched".to_owned());
    ROUTES.with(|routes| {
        let mut routes = routes.borrow_mut();
        let series = routes
            .entry((method, route))
            .or_insert_with_key(|(method, route)| RouteSeries {
                route: route.clone(),
                duration: FAMILIES.http_duration.with_label_values(&[*method, route]),
                by_status: Vec::new(),
            });
        series.duration.observe(elapsed.as_secs_f64());
        let index = match series.by_status.iter().position(|(s, _)| *s == status) {
            Some(index) => index,
            None => {
                let counter = FAMILIES.http_requests.with_label_values(&[
                    method,
                    series.route.as_str(),
                    &status.to_string(),
                ]);
                series.by_status.push((status, counter));
                series.by_status.len() - 1
            }
        };
        series.by_status[index].1.inc();
    });
}

/// What became of one webhook delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    /// The receiver answered 2xx.
    Delivered,
    /// It failed and will be tried again.
    Retrying,
    /// It failed for the whole give-up period and was marked failed.
    GaveUp,
}

impl DeliveryResult {
    const ALL: [DeliveryResult; 3] = [
        DeliveryResult::Delivered,
        DeliveryResult::Retrying,
        DeliveryResult::GaveUp,
    ];

    fn as_str(self) -> &'static str {
        match self {
            DeliveryResult::Delivered => "delivered",
            DeliveryResult::Retrying => "retrying",
            DeliveryResult::GaveUp => "gave_up",
        }
    }
}

static DELIVERIES: LazyLock<[IntCounter; 3]> = LazyLock::new(|| {
    DeliveryResult::ALL.map(|result| FAMILIES.deliveries.with_label_values(&[result.as_str()]))
});

/// Counts one webhook delivery attempt.
pub fn record_delivery(result: DeliveryResult) {
    DELIVERIES[result as usize].inc();
}

/// Which kind of channel list body was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// A page of the online list, assembled from per-item pieces.
    OnlinePage,
    /// Any other list (deltas, store lists), cached whole by catalog version.
    List,
}

/// Where a served list body came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSource {
    /// Memory, with no database work.
    Cache,
    /// Memory, after the database confirmed it is current.
    Revalidated,
    /// Built again (read from the database or re-assembled).
    Rebuilt,
}

static LIST_READS: LazyLock<[[IntCounter; 3]; 2]> = LazyLock::new(|| {
    ["online_page", "list"].map(|kind| {
        ["cache", "revalidated", "rebuilt"]
            .map(|source| FAMILIES.list_reads.with_label_values(&[kind, source]))
    })
});

/// Counts one channel list body served.
pub fn record_list_read(kind: ListKind, source: ListSource) {
    LIST_READS[kind as usize][source as usize].inc();
}

/// Counts a counter sale by its result (`ok`, `replayed`, or a refusal's class).
pub fn record_counter_sale(result: &'static str) {
    FAMILIES.counter_sales.with_label_values(&[result]).inc();
}

/// Counts an online order by its result (`ok`, `replayed`, or a refusal's class).
pub fn record_online_order(result: &'static str) {
    FAMILIES.online_orders.with_label_values(&[result]).inc();
}

/// A database pool as it stands when scraped.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub pool: PoolName,
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

/// One enabled webhook endpoint's unsettled events when scraped.
#[derive(Debug, Clone, Copy)]
pub struct EndpointBacklog {
    pub merchant_id: i64,
    pub endpoint_id: i64,
    pub pending: i64,
    /// Seconds since the oldest unsettled event was written; 0 when none.
    pub oldest_age_seconds: f64,
}

/// Everything read at scrape time rather than recorded as it happens.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    pub pools: Vec<PoolState>,
    pub backlog: Vec<EndpointBacklog>,
}

/// The text format of every metric family, with the scrape-time readings.
pub fn render(scrape: &Scrape) -> String {
    let families = &*FAMILIES;
    for pool in &scrape.pools {
        let name = pool.pool.as_str();
        families
            .pool_connections
            .with_label_values(&[name, "in_use"])
            .set(i64::from(pool.in_use));
        families
            .pool_connections
            .with_label_values(&[name, "idle"])
            .set(i64::from(pool.idle));
        families
            .pool_max
            .with_label_values(&[name])
            .set(i64::from(pool.max));
    }
    LazyLock::force(&WAITING);
    LazyLock::force(&DELIVERIES);
    LazyLock::force(&LIST_READS);
    // A deleted or disabled endpoint's series go with it.
    families.outbox_backlog.reset();
    families.outbox_oldest.reset();
    for endpoint in &scrape.backlog {
        let labels = [
            endpoint.merchant_id.to_string(),
            endpoint.endpoint_id.to_string(),
        ];
        let labels = [labels[0].as_str(), labels[1].as_str()];
        families
            .outbox_backlog
            .with_label_values(&labels)
            .set(endpoint.pending);
        families
            .outbox_oldest
            .with_label_values(&labels)
            .set(endpoint.oldest_age_seconds);
    }
    let mut text = Vec::new();
    if let Err(error) = TextEncoder::new().encode(&families.registry.gather(), &mut text) {
        log::error!("metrics could not be written: {error}");
    }
    String::from_utf8(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_requests_appear_by_route_pattern_and_status() {
        let get = actix_web::http::Method::GET;
        record_http(
            &get,
            Some("/items/{id}".into()),
            200,
            Duration::from_millis(3),
        );
        record_http(
            &get,
            Some("/items/{id}".into()),
            200,
            Duration::from_millis(4),
        );
        record_http(
            &get,
            Some("/items/{id}".into()),
            404,
            Duration::from_millis(1),
        );
        record_http(&get, None, 404, Duration::from_millis(1));
        record_list_read(ListKind::OnlinePage, ListSource::Cache);

        let text = render(&Scrape::default());

        assert!(text.contains(
            "shelfsync_http_requests_total{method=\"GET\",route=\"/items/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "shelfsync_http_requests_total{method=\"GET\",route=\"/items/{id}\",status=\"404\"} 1"
        ));
        assert!(text.contains(
            "shelfsync_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"
        ));
        assert!(text.contains(
            "shelfsync_http_request_duration_seconds_count{method=\"GET\",route=\"/items/{id}\"} 3"
        ));
        assert!(
            text.contains("shelfsync_list_reads_total{kind=\"online_page\",source=\"cache\"} 1")
        );
    }
}
