//! The client side of tests/bench/reads_under_writes.sh:
//!
//! - `store-items BASE POS_TOKEN`: prints the ids of every item the token's
//!   store sells, one a line (read once, before the timed runs).
//! - `sales BASE POS_TOKEN RATE SECONDS IDS_FILE`: records counter sales of
//!   one unit across random items of IDS_FILE (`POST /api/v1/pos/sales`), at
//!   RATE per second on a fixed schedule (a slow answer does not delay the
//!   next sale), and reports how many were recorded and their latency.
//! - `pass BASE STOREFRONT_TOKEN`: one full pass over the online list
//!   (`limit=1000`, following `next_cursor`), timed.
//! - `shop-pass BASE SLUG`: every page of `/shop/SLUG`, following its
//!   "More products" link, timed.
//!
//! Usage: cargo run --release --example bench_reads -- MODE ARGS…

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Mutex;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn millis(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// The ids of every item the POS token's store sells.
async fn store_items(client: &reqwest::Client, base: &str, pos: &str) -> Result<Vec<i64>, Error> {
    let mut ids = Vec::new();
    let mut url = format!("{base}/api/v1/pos/items?limit=1000");
    loop {
        let page: Value = client
            .get(&url)
            .bearer_auth(pos)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        for item in page["items"].as_array().ok_or("no items")? {
            ids.push(item["id"].as_i64().ok_or("no id")?);
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("{base}/api/v1/pos/items?limit=1000&cursor={cursor}"),
            None => return Ok(ids),
        }
    }
}

async fn sales(base: &str, pos: &str, rate: f64, seconds: f64, ids: &str) -> Result<(), Error> {
    let client = reqwest::Client::builder().build()?;
    let ids: Vec<i64> = std::fs::read_to_string(ids)?
        .lines()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Err("the store sells nothing".into());
    }
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(Mutex::new(0usize));
    let interval = Duration::from_secs_f64(1.0 / rate);
    let total = (rate * seconds).round() as usize;
    let run = std::process::id();
    let mut seed: u64 = 0x5eed ^ u64::from(run);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for n in 0..total {
        tokio::time::sleep_until((started + interval * n as u32).into()).await;
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let item = ids[((seed >> 33) % ids.len() as u64) as usize];
        let (client, url, pos) = (
            client.clone(),
            format!("{base}/api/v1/pos/sales"),
            pos.to_owned(),
        );
        let (latencies, refused) = (latencies.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let answer = client
                .post(url)
                .bearer_auth(pos)
                .header("Idempotency-Key", format!("bench-{run}-{n}"))
                .json(&json!({ "lines": [{ "item_id": item, "quantity": 1 }], "record_anyway": true }))
                .send()
                .await;
            let took = sent.elapsed();
            match answer {
                Ok(response) if response.status().is_success() => latencies.lock().await.push(took),
                _ => *refused.lock().await += 1,
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed();
    let mut samples = latencies.lock().await.clone();
    samples.sort_unstable();
    let refused = *refused.lock().await;
    if samples.is_empty() {
        return Err(format!("no sale was recorded ({refused} refused)").into());
    }
    println!(
        "sales: {} recorded, {refused} refused or failed, in {:.1} s ({:.1}/s offered {rate}/s); latency p50 {} ms, p99 {} ms, max {} ms",
        samples.len(),
        elapsed.as_secs_f64(),
        samples.len() as f64 / elapsed.as_secs_f64(),
        millis(percentile(&samples, 50.0)),
        millis(percentile(&samples, 99.0)),
        millis(samples[samples.len() - 1]),
    );
    Ok(())
}

async fn pass(base: &str, storefront: &str) -> Result<(), Error> {
    let client = reqwest::Client::builder().build()?;
    let started = Instant::now();
    let (mut pages, mut items) = (0, 0);
    let mut url = format!("{base}/api/v1/storefront/items?limit=1000");
    loop {
        let page: Value = client
            .get(&url)
            .bearer_auth(storefront)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        pages += 1;
        items += page["items"].as_array().ok_or("no items")?.len();
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                url = format!("{base}/api/v1/storefront/items?limit=1000&cursor={cursor}")
            }
            None => break,
        }
    }
    println!(
        "pass: {items} items in {pages} pages, {} ms",
        millis(started.elapsed())
    );
    Ok(())
}

async fn shop_pass(base: &str, slug: &str) -> Result<(), Error> {
    let client = reqwest::Client::builder().build()?;
    let started = Instant::now();
    let mut pages = 0;
    let mut url = format!("{base}/shop/{slug}");
    let next_link = format!("href=\"/shop/{slug}?after=");
    loop {
        let page = client
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        pages += 1;
        let Some(at) = page.find(&next_link) else {
            break;
        };
        let rest = &page[at + next_link.len()..];
        let after: String = rest.chars().take_while(char::is_ascii_digit).collect();
        url = format!("{base}/shop/{slug}?after={after}");
    }
    println!("shop pass: {pages} pages, {} ms", millis(started.elapsed()));
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |n: usize| args.get(n).map(String::as_str).ok_or("missing argument");
    match arg(1)? {
        "store-items" => {
            let client = reqwest::Client::builder().build()?;
            for id in store_items(&client, arg(2)?, arg(3)?).await? {
                println!("{id}");
            }
            Ok(())
        }
        "sales" => {
            sales(
                arg(2)?,
                arg(3)?,
                arg(4)?.parse()?,
                arg(5)?.parse()?,
                arg(6)?,
            )
            .await
        }
        "pass" => pass(arg(2)?, arg(3)?).await,
        "shop-pass" => shop_pass(arg(2)?, arg(3)?).await,
        _ => {
            eprintln!(
                "usage: bench_reads store-items BASE POS_TOKEN | sales BASE POS_TOKEN RATE SECONDS IDS_FILE | pass BASE TOKEN | shop-pass BASE SLUG"
            );
            std::process::exit(2);
        }
    }
}
