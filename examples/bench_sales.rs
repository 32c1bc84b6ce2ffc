//! Sales throughput with exact stock: counter sales recorded through the
//! service from several threads, then over HTTP (`POST /api/v1/pos/sales`)
//! from concurrent clients against a running shelfsync. Every sale takes one
//! unit with a conditional decrement, a ledger entry, a catalog version, an
//! outbox event and an idempotency key, as in production.
//!
//! ```sh
//! cargo run --release --example bench_sales -- --database-url /tmp/bench.db
//! cargo run --release --example bench_sales -- --database-url postgres://postgres@127.0.0.1:5432/shelfsync_bench
//! ```
//! The database should be empty (or hold only earlier bench runs): each run
//! creates its own merchant.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;
use shelfsync::config::{DatabaseArgs, ServeArgs};
use shelfsync::db;
use shelfsync::domain::{
    Currency, Designation, IdempotencyKey, OnlineListing, Quantity, TokenScope,
};
use shelfsync::inventory::idempotency::Fingerprint;
use shelfsync::inventory::items::{ItemInput, create_item};
use shelfsync::inventory::merchants;
use shelfsync::inventory::orders::{Line, SaleRequest, record_sale};
use shelfsync::inventory::stock::{self, verify_ledger};
use shelfsync::inventory::tokens::create_token;
use shelfsync::inventory::{Actor, ItemFields};
use shelfsync::startup::Application;

#[derive(Debug, Parser)]
struct Args {
    /// A SQLite file path or a postgres:// URL.
    #[arg(long)]
    database_url: String,
    /// Sales recorded through the service.
    #[arg(long, default_value_t = 20_000)]
    service_sales: u64,
    /// Threads recording them.
    #[arg(long, default_value_t = 4)]
    threads: u64,
    /// Sales recorded over HTTP.
    #[arg(long, default_value_t = 10_000)]
    http_sales: u64,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    clients: u64,
}

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args = Args::parse();
    let pool = db::open_pool(&args.database_url, 8)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let usd = Currency::parse("USD")?;
    let merchant = merchants::create_merchant(&mut conn, &format!("bench-{stamp}"), "Bench", usd)?;
    let store =
        shelfsync::inventory::stores::add_location(&mut conn, merchant.id, "Bench store", true)?;
    let fields = ItemFields::parse(
        &ItemInput {
            sku: "BENCH-1",
            name: "Bench item",
            description: "",
            price: "1.00",
            currency: "",
            barcode: "",
        },
        usd,
    )
    .map_err(|errors| format!("{errors:?}"))?;
    let actor = Actor::system();
    let item = create_item(
        &mut conn,
        &actor,
        merchant.id,
        &fields,
        Designation::new(true, OnlineListing::ForSale)?,
    )?;
    let stocked = args.service_sales + args.http_sales;
    stock::receive(
        &mut conn,
        &actor,
        merchant.id,
        item.id,
        store.id,
        Quantity::new(i64::try_from(stocked)?, "quantity")?,
        IdempotencyKey::parse(&format!("bench-{stamp}-stock"))?,
    )?;
    drop(conn);
    println!(
        "backend: {:?}; merchant bench-{stamp}; {} core(s)",
        db::Backend::of_url(&args.database_url),
        std::thread::available_parallelism().map_or(1, usize::from)
    );

    // Through the service.
    let next = Arc::new(AtomicU64::new(0));
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut threads = Vec::new();
    for _ in 0..args.threads {
        let (pool, next) = (pool.clone(), next.clone());
        let (merchant_id, item_id, location_id, total) =
            (merchant.id, item.id, store.id, args.service_sales);
        threads.push(std::thread::spawn(move || -> Result<(), String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let actor = Actor::api_token("Bench till");
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return Ok(());
                }
                let key =
                    IdempotencyKey::parse(&format!("bench-{stamp}-{n}")).map_err(|e| e.message)?;
                let request = SaleRequest {
                    location_id,
                    lines: vec![Line {
                        item_id,
                        quantity: Quantity::new(1, "quantity").map_err(|e| e.message)?,
                    }],
                    occurred_at: None,
                    record_anyway: false,
                    external_reference: None,
                };
                record_sale(
                    &mut conn,
                    &actor,
                    merchant_id,
                    &key,
                    &Fingerprint::of_parts(&[key.as_str()]),
                    &request,
                )
                .map_err(|e| e.to_string())?;
            }
        }));
    }
    for thread in threads {
        thread.join().map_err(|_| "a bench thread panicked")??;
    }
    let elapsed = started.elapsed();
    report(
        &format!("service, {} threads", args.threads),
        args.service_sales,
        elapsed,
        cpu_seconds()
            .zip(cpu_before)
            .map(|(after, before)| after - before),
    );

    // Over HTTP, against a running server on this database.
    let token = create_token(
        &mut *pool.get()?,
        merchant.id,
        "Bench till",
        TokenScope::Pos,
        Some(store.id),
    )?
    .secret;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let cpu_before = cpu_seconds();
    let elapsed = runtime.block_on(http_sales(&args, &token, item.id, stamp))?;
    report(
        &format!(
            "HTTP, {} concurrent clients, server and clients in one process",
            args.clients
        ),
        args.http_sales,
        elapsed,
        cpu_seconds()
            .zip(cpu_before)
            .map(|(after, before)| after - before),
    );

    let mut conn = pool.get()?;
    let left = stock::on_hand(&mut conn, item.id, store.id)?;
    let mismatches = verify_ledger(&mut conn)?;
    println!(
        "stock left: {left} (expected 0); ledger mismatches: {}",
        mismatches.len()
    );
    if left != 0 || !mismatches.is_empty() {
        return Err("stock is not exact".into());
    }
    Ok(())
}

async fn http_sales(
    args: &Args,
    token: &str,
    item_id: i64,
    stamp: u128,
) -> Result<Duration, Failure> {
    let app = Application::build(&ServeArgs {
        database: DatabaseArgs {
            database_url: args.database_url.clone(),
            pool_size: 8,
        },
        bind: "127.0.0.1:0".into(),
        workers: Some(2),
        read_pool_size: 2,
        import_limit_mb: 50,
        no_demo: true,
        public_url: None,
        secure_cookies: false,
        request_head_timeout: std::time::Duration::from_secs(5),
        scheduler_interval_ms: 5000,
        shutdown_timeout: std::time::Duration::from_secs(30),
        retention: Default::default(),
        metrics_token: None,
        trusted_proxies: Vec::new(),
        push: Default::default(),
    })?;
    let url = format!("http://127.0.0.1:{}/api/v1/pos/sales", app.port());
    tokio::spawn(app.run_until_stopped());
    let body = json!({ "lines": [{ "item_id": item_id, "quantity": 1 }] }).to_string();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (next, url, body, token, total) = (
            next.clone(),
            url.clone(),
            body.clone(),
            token.to_owned(),
            args.http_sales,
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return Ok::<(), String>(());
                }
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("bench-http-{stamp}-{n}"))
                    .header("Content-Type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if response.status() != 201 {
                    return Err(format!("sale {n}: {}", response.status()));
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

fn report(what: &str, sales: u64, elapsed: Duration, cpu: Option<f64>) {
    let cpu = cpu.map_or(String::new(), |seconds| {
        format!(
            "; this process used {seconds:.2} s of CPU ({:.0} µs per sale)",
            seconds * 1e6 / sales as f64
        )
    });
    println!(
        "{what}: {sales} sales in {:.2} s = {:.0} sales/s{cpu}",
        elapsed.as_secs_f64(),
        sales as f64 / elapsed.as_secs_f64()
    );
}

/// CPU seconds (user + system) this process has used, from /proc on Linux.
/// Reported next to wall-clock figures because a shared machine's other load
/// slows the wall clock but not the work per sale.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
