//! "A toggle followed by a feed request shows the change": toggles an item's
//! online listing through `PATCH /api/v1/items/{id}`, then asks the storefront
//! feed for the changes since the version before the toggle, checks the item is
//! there in its new state, and reports the latencies (p50, p99, max).
//!
//! Usage (against a running shelfsync; tests/bench/storefront.sh runs it):
//!   cargo run --release --example bench_feed -- \
//!       http://127.0.0.1:PORT ADMIN_TOKEN STOREFRONT_TOKEN ITEM_ID [ITERATIONS]

use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn millis(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    println!(
        "{name:<22} p50 {:>7} ms   p99 {:>7} ms   max {:>7} ms",
        millis(percentile(&samples, 50.0)),
        millis(percentile(&samples, 99.0)),
        millis(samples[samples.len() - 1]),
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: bench_feed BASE_URL ADMIN_TOKEN STOREFRONT_TOKEN ITEM_ID [ITERATIONS]");
        std::process::exit(2);
    }
    let (base, admin, storefront) = (&args[1], &args[2], &args[3]);
    let item_id: i64 = args[4].parse()?;
    let iterations: usize = args.get(5).map_or(Ok(1000), |n| n.parse())?;
    let client = reqwest::Client::builder().build()?;

    let current: Value = client
        .get(format!("{base}/api/v1/items/{item_id}"))
        .bearer_auth(admin)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let mut version = current["item"]["version"]
        .as_i64()
        .ok_or("no item version")?;
    let mut catalog = current["catalog_version"]
        .as_i64()
        .ok_or("no catalog version")?;
    let mut online = current["item"]["online"] == "for_sale";

    let (mut toggles, mut feeds, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..iterations {
        let wanted = if online { "hidden" } else { "for_sale" };
        let started = Instant::now();
        let patched: Value = client
            .patch(format!("{base}/api/v1/items/{item_id}"))
            .bearer_auth(admin)
            .json(&json!({ "version": version, "online": wanted }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let toggled = Instant::now();
        let feed: Value = client
            .get(format!(
                "{base}/api/v1/storefront/items?since_version={catalog}"
            ))
            .bearer_auth(storefront)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let done = Instant::now();

        let record = feed["items"]
            .as_array()
            .and_then(|items| items.iter().find(|r| r["id"] == item_id))
            .ok_or("the feed does not show the toggled item")?;
        let shows_change = if wanted == "hidden" {
            record["removed"] == true
        } else {
            record["online"] == "for_sale"
        };
        if !shows_change {
            return Err(format!("the feed shows a stale item: {record}").into());
        }
        version = patched["item"]["version"].as_i64().ok_or("no version")?;
        catalog = feed["catalog_version"]
            .as_i64()
            .ok_or("no catalog version")?;
        online = !online;
        toggles.push(toggled - started);
        feeds.push(done - toggled);
        totals.push(done - started);
    }
    println!("{iterations} toggles of item {item_id}, each followed by a feed request:");
    report("toggle (PATCH)", toggles);
    report("feed (since_version)", feeds);
    report("toggle + feed", totals);
    Ok(())
}
