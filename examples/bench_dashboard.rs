//! Dashboard benchmark: searching `/items` and pressing a designation button
//! over HTTP, at a catalogue of 100,000 items on SQLite (or any database URL).
//!
//! ```sh
//! cargo run --release --example bench_dashboard -- --items 100000
//! ```
//!
//! It seeds a fresh database through the inventory service, starts shelfsync
//! on a free loopback port in this process, signs in like a browser, and
//! reports latency percentiles as the client sees them (server time plus the
//! loopback round trip). Everything runs on 127.0.0.1 and stops by itself.

use std::time::{Duration, Instant};

use clap::Parser;
use scraper::{Html, Selector};
use shelfsync::config::{DatabaseArgs, ServeArgs};
use shelfsync::startup::Application;

#[derive(Parser)]
struct Args {
    /// Generated items on top of the demo's 60.
    #[arg(long, default_value_t = 100_000)]
    items: usize,
    /// Database to use; a fresh SQLite file in a temporary directory by default.
    #[arg(long)]
    database_url: Option<String>,
    /// Timed searches.
    #[arg(long, default_value_t = 1_000)]
    searches: usize,
    /// Timed designation presses.
    #[arg(long, default_value_t = 2_000)]
    toggles: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<44} n={:<6} p50={:>7.3} ms  p95={:>7.3} ms  p99={:>7.3} ms  max={:>7.3} ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.95)),
        ms(percentile(&samples, 0.99)),
        ms(percentile(&samples, 1.0)),
    );
}

fn first_attr(html: &str, css: &str, attr: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse(css).ok()?;
    doc.select(&selector)
        .next()?
        .value()
        .attr(attr)
        .map(str::to_owned)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| dir.path().join("bench.db").display().to_string());

    let seeding = Instant::now();
    {
        let pool = shelfsync::db::open_pool(&url, 2)?;
        let mut conn = pool.get()?;
        shelfsync::db::run_migrations(&mut conn)?;
        let fresh = !shelfsync::inventory::merchants::Merchant::any(&mut conn)?;
        let merchant = shelfsync::demo::create(&mut conn)?;
        if fresh {
            shelfsync::demo::generate_items(&mut conn, &merchant, args.items as u32, |_| {})?;
            println!(
                "seeded {} items in {:.1} s ({url})",
                args.items + 60,
                seeding.elapsed().as_secs_f64()
            );
        } else {
            println!("reusing the catalogue already in {url}");
        }
    }

    let app = Application::build(&ServeArgs {
        database: DatabaseArgs {
            database_url: url.clone(),
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
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let token = first_attr(&login, "input[name=csrf_token]", "value")
        .ok_or("no CSRF token on the login page")?;
    client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", shelfsync::demo::EMAIL),
            ("password", shelfsync::demo::PASSWORD),
        ])
        .send()
        .await?;
    let items_page = client
        .get(format!("{base}/items"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = first_attr(&items_page, "input[name=csrf_token]", "value").ok_or("not signed in")?;

    // Searches: broad words (thousands of matches), two-word searches, a SKU
    // prefix, one item by its number, and a miss. Generated names repeat the
    // demo's sixty names with a number, so "mug" matches one item in twenty.
    let terms = [
        "mug",
        "tea",
        "notebook a5",
        "GEN-0421",
        "No. 99999",
        "candle cedar",
        "teapot",
        "zzz",
    ];
    for term in terms {
        client
            .get(format!("{base}/items"))
            .query(&[("q", term)])
            .send()
            .await?
            .bytes()
            .await?;
    }
    let mut searches = Vec::with_capacity(args.searches);
    let mut by_term: Vec<Vec<Duration>> = vec![Vec::new(); terms.len()];
    for n in 0..args.searches {
        let term = terms[n % terms.len()];
        let started = Instant::now();
        let response = client
            .get(format!("{base}/items"))
            .query(&[("q", term)])
            .send()
            .await?;
        let status = response.status();
        response.bytes().await?;
        searches.push(started.elapsed());
        by_term[n % terms.len()].push(started.elapsed());
        if !status.is_success() {
            return Err(format!("search {term:?} answered {status}").into());
        }
    }

    // Presses: alternate Sell online / Remove from online on in-store items
    // (generated item k has id 60 + k and starts in store, not online, when
    // k is 1 mod 6), sending the version the last answer showed, as the page would.
    let targets: Vec<i64> = (0..50).map(|n| 61 + n * 6).collect();
    let mut versions = std::collections::HashMap::new();
    let mut presses = Vec::with_capacity(args.toggles);
    for n in 0..args.toggles {
        let item = targets[n % targets.len()];
        let version = match versions.get(&item) {
            Some(version) => *version,
            None => {
                let page = client
                    .get(format!("{base}/items/{item}"))
                    .send()
                    .await?
                    .text()
                    .await?;
                first_attr(&page, "form.item-form input[name=version]", "value")
                    .and_then(|v| v.parse::<i64>().ok())
                    .ok_or("the item page shows no version")?
            }
        };
        let action = if (n / targets.len()).is_multiple_of(2) {
            "sell_online"
        } else {
            "remove_from_online"
        };
        let started = Instant::now();
        let response = client
            .post(format!("{base}/items/{item}/designation"))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &csrf)
            .form(&[("action", action), ("version", &version.to_string())])
            .send()
            .await?;
        let body = response.text().await?;
        presses.push(started.elapsed());
        let next = first_attr(
            &format!("<table>{body}</table>"),
            "tr.item-row",
            "data-version",
        )
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or("the press did not return a row")?;
        if next != version + 1 {
            return Err(format!(
                "item {item}: expected version {} after the press, got {next}",
                version + 1
            )
            .into());
        }
        versions.insert(item, next);
    }

    println!(
        "machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    report("GET /items?q=… (search, 50 rows)", searches);
    for (term, samples) in terms.iter().zip(by_term) {
        report(&format!("    q={term:?}"), samples);
    }
    report("POST /items/{id}/designation (htmx press)", presses);
    Ok(())
}
