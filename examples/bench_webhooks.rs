//! Webhook benchmark: how soon a committed change reaches a local receiver,
//! and how many events per second the dispatcher sustains to it.
//!
//! ```sh
//! cargo run --release --example bench_webhooks                       # SQLite
//! cargo run --release --example bench_webhooks -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/bench        # PostgreSQL (an empty database)
//! ```
//!
//! It starts shelfsync in this process on a fresh database with the demo
//! merchant, and a receiver on a free loopback port. Latency: one stock
//! receipt at a time, from just before the service call that commits it to
//! the moment the receiver has the request (so it includes the transaction
//! itself). Throughput: a backlog written while the endpoint is disabled,
//! then delivered; the rate is measured from the first to the last arrival.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;
use shelfsync::config::{DatabaseArgs, PushArgs, ServeArgs};
use shelfsync::domain::{EventTypes, WebhookUrl};
use shelfsync::inventory::merchants::{Location, Merchant};
use shelfsync::inventory::{stock, webhooks};
use shelfsync::startup::Application;

#[derive(Parser)]
struct Args {
    /// Database to use (empty or migrated-with-demo); a fresh SQLite file by default.
    #[arg(long)]
    database_url: Option<String>,
    /// Changes timed one at a time for latency.
    #[arg(long, default_value_t = 500)]
    latency_events: usize,
    /// Events in the backlog timed for throughput.
    #[arg(long, default_value_t = 5_000)]
    backlog: usize,
}

/// Arrival time of each catalog version at the receiver.
#[derive(Default)]
struct Arrivals(Mutex<HashMap<i64, Instant>>);

async fn receive(arrivals: web::Data<Arrivals>, body: web::Bytes) -> HttpResponse {
    let at = Instant::now();
    let version = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|event| event["catalog_version"].as_i64());
    if let (Some(version), Ok(mut seen)) = (version, arrivals.0.lock()) {
        seen.entry(version).or_insert(at);
    }
    HttpResponse::NoContent().finish()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn arrived(arrivals: &Arrivals, version: i64) -> Option<Instant> {
    arrivals.0.lock().ok()?.get(&version).copied()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| dir.path().join("bench.db").display().to_string());
    let app = Application::build(&ServeArgs {
        database: DatabaseArgs {
            database_url: url.clone(),
            pool_size: 8,
        },
        bind: "127.0.0.1:0".into(),
        workers: Some(2),
        read_pool_size: 2,
        import_limit_mb: 50,
        no_demo: false,
        public_url: None,
        secure_cookies: false,
        request_head_timeout: std::time::Duration::from_secs(5),
        scheduler_interval_ms: 5000,
        shutdown_timeout: std::time::Duration::from_secs(30),
        retention: Default::default(),
        metrics_token: None,
        trusted_proxies: Vec::new(),
        // The receiver runs on this machine.
        push: PushArgs {
            allow_private_webhooks: true,
            ..PushArgs::default()
        },
    })?;
    tokio::spawn(app.run_until_stopped());

    let arrivals = web::Data::new(Arrivals::default());
    let shared = arrivals.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let receiver_url = format!("http://{}/webhooks", listener.local_addr()?);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .route("/webhooks", web::post().to(receive))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    tokio::spawn(server);

    let pool = shelfsync::db::open_pool(&url, 2)?;
    let mut conn = pool.get()?;
    let merchant = Merchant::by_slug(&mut conn, shelfsync::demo::SLUG)?;
    let store = Location::all_of(&mut conn, merchant.id)?
        .first()
        .map(|l| l.id)
        .ok_or("the demo has a store")?;
    let item_ids: Vec<i64> = shelfsync::inventory::lists::online_list(
        &mut conn,
        merchant.id,
        shelfsync::inventory::lists::OnlineListQuery::default(),
    )?
    .records
    .iter()
    .map(|record| record.id())
    .collect();
    let endpoint = webhooks::create_endpoint(
        &mut conn,
        merchant.id,
        &WebhookUrl::parse(&receiver_url)?,
        &EventTypes::storefront(),
        shelfsync::domain::Destinations::AnyAddress,
    )?;
    // Let the dispatcher find the new endpoint (it polls every second).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    println!(
        "backend: {:?}, {} cores",
        conn.backend(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // Latency, one change at a time.
    let mut samples = Vec::with_capacity(args.latency_events);
    for n in 0..args.latency_events {
        let item = item_ids[n % item_ids.len()];
        let started = Instant::now();
        receive_one(
            &mut conn,
            merchant.id,
            item,
            store,
            &format!("bench-latency-{n}"),
        )?;
        let version = shelfsync::inventory::catalog_version(&mut conn, merchant.id)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let at = loop {
            if let Some(at) = arrived(&arrivals, version) {
                break at;
            }
            if Instant::now() > deadline {
                return Err(format!("version {version} did not arrive within 10 s").into());
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        };
        samples.push(at.saturating_duration_since(started));
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "commit → received   n={}  p50={:.2} ms  p90={:.2} ms  p99={:.2} ms  max={:.2} ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.90)),
        ms(percentile(&samples, 0.99)),
        ms(percentile(&samples, 1.0)),
    );

    // Throughput: a backlog written while the endpoint is off, then delivered.
    webhooks::set_enabled(&mut conn, merchant.id, endpoint.endpoint.id, false)?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let first_version = shelfsync::inventory::catalog_version(&mut conn, merchant.id)? + 1;
    let writing = Instant::now();
    for n in 0..args.backlog {
        receive_one(
            &mut conn,
            merchant.id,
            item_ids[n % item_ids.len()],
            store,
            &format!("bench-backlog-{n}"),
        )?;
    }
    let written = writing.elapsed();
    let last_version = shelfsync::inventory::catalog_version(&mut conn, merchant.id)?;
    webhooks::set_enabled(&mut conn, merchant.id, endpoint.endpoint.id, true)?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while arrived(&arrivals, last_version).is_none() {
        if Instant::now() > deadline {
            return Err("the backlog was not delivered within 300 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let first = arrived(&arrivals, first_version).ok_or("the first backlog event arrived")?;
    let last = arrived(&arrivals, last_version).ok_or("the last backlog event arrived")?;
    let span = last.saturating_duration_since(first).as_secs_f64();
    let delivered = (last_version - first_version + 1) as f64;
    println!(
        "backlog of {} events written in {:.1} s ({:.0} changes/s); delivered in {:.2} s: {:.0} events/s",
        args.backlog,
        written.as_secs_f64(),
        args.backlog as f64 / written.as_secs_f64(),
        span,
        (delivered - 1.0) / span.max(f64::EPSILON),
    );
    Ok(())
}

/// Receives one unit through the ledger: one catalog change, one outbox event.
fn receive_one(
    conn: &mut shelfsync::db::DbConnection,
    merchant_id: i64,
    item_id: i64,
    store: i64,
    key: &str,
) -> Result<i64, shelfsync::inventory::InventoryError> {
    stock::receive(
        conn,
        &shelfsync::inventory::Actor::system(),
        merchant_id,
        item_id,
        store,
        shelfsync::domain::Quantity::new(1, "quantity")?,
        shelfsync::domain::IdempotencyKey::parse(key)?,
    )
}
