//! A rolling restart under load: counter sales keep coming while each
//! instance in turn gets SIGTERM and starts again on its port. Clients retry
//! a refused or cut-off sale (and nginx's 502 or an instance's 503) with the
//! same `Idempotency-Key`, as the README asks. Every sale ends acknowledged,
//! each is on the ledger exactly once, and `shelfsync check` is clean.
//!
//! On PostgreSQL two instances run behind nginx with `deploy/nginx.conf`
//! (see `nginx.rs`), restarted as docs/deploy.md says (section 6); on
//! SQLite the one instance restarts while its clients wait.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;
use shelfsync::db::schema::stock_movements;
use shelfsync::domain::{OnlineListing, TokenScope};
use shelfsync::inventory::tokens::create_token;

use crate::common::fixtures::{fresh_key, new_item, receive_stock};
use crate::common::{Backend, TestDb};
use crate::nginx::{Nginx, fail_timeout};
use crate::on_both_backends;
use crate::restart::{SMALL_POOLS, Server};
use crate::support::{demo_shop, eventually};

on_both_backends!(a_rolling_restart_under_sales_loses_no_acknowledged_sale_and_records_none_twice);

/// Tills selling at once.
const CLIENTS: usize = 4;
/// Sales acknowledged before the first restart, and after each one.
const SALES_BETWEEN: usize = 30;
/// How long one sale may take to be acknowledged, retries included.
const SALE_DEADLINE: Duration = Duration::from_secs(90);

async fn a_rolling_restart_under_sales_loses_no_acknowledged_sale_and_records_none_twice(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let flags = [&["--shutdown-timeout", "20s"][..], &SMALL_POOLS].concat();
    let mut servers = vec![Server::start_with(&db.url, &flags)];
    if backend == Backend::Postgres {
        servers.push(Server::start_with(&db.url, &flags));
    }
    let (item, pos) = {
        let mut conn = pool.get().expect("conn");
        let (merchant, store) = demo_shop(&mut conn);
        let item = new_item(
            &mut conn,
            merchant,
            "ROLL-1",
            "Rolling mug",
            true,
            OnlineListing::ForSale,
        )
        .id;
        receive_stock(&mut conn, merchant, item, store, 100_000);
        let pos = create_token(&mut conn, merchant, "Till", TokenScope::Pos, Some(store))
            .expect("a pos token")
            .secret;
        (item, pos)
    };
    let nginx = match servers.as_slice() {
        [a, b] => Some(Nginx::start([a.port, b.port]).await),
        _ => None,
    };
    let (client, url) = match &nginx {
        Some(nginx) => (nginx.client(), nginx.url("/api/v1/pos/sales")),
        None => (
            reqwest::Client::new(),
            format!("http://127.0.0.1:{}/api/v1/pos/sales", servers[0].port),
        ),
    };

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let retries = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicBool::new(false));
    let tills: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let till = Till {
                client: client.clone(),
                url: url.clone(),
                pos: pos.clone(),
                item,
                retries: retries.clone(),
            };
            let (acknowledged, stopped) = (acknowledged.clone(), stopped.clone());
            tokio::spawn(async move {
                while !stopped.load(Ordering::SeqCst) {
                    let key = fresh_key();
                    till.sell(&key).await;
                    acknowledged.lock().expect("lock").push(key);
                }
            })
        })
        .collect();
    let sold = || acknowledged.lock().expect("lock").len();
    let sales_go_on = |from: usize| async move {
        assert!(
            eventually(120, || sold() >= from + SALES_BETWEEN).await,
            "sales are acknowledged ({} so far)",
            sold()
        );
    };

    sales_go_on(0).await;
    for server in &mut servers {
        let port = server.port;
        server.terminate();
        let status = server
            .exit_status(60)
            .await
            .expect("the instance exits within its shutdown timeout");
        assert!(
            status.success(),
            "SIGTERM ends the instance with 0: {status:?}"
        );
        let bind = format!("127.0.0.1:{port}");
        let restart = [&["--bind", bind.as_str()][..], &flags].concat();
        *server = Server::start_with(&db.url, &restart);
        wait_until_ready(port).await;
        if nginx.is_some() {
            // docs/deploy.md: nginx keeps an instance it saw refuse
            // connections out for `fail_timeout`, however soon it is back.
            tokio::time::sleep(fail_timeout() + Duration::from_millis(500)).await;
        }
        sales_go_on(sold()).await;
    }
    stopped.store(true, Ordering::SeqCst);
    for till in tills {
        till.await.expect("a till's sales all end acknowledged");
    }

    let acknowledged = acknowledged.lock().expect("lock").clone();
    let recorded: Vec<String> = stock_movements::table
        .filter(stock_movements::item_id.eq(item))
        .filter(stock_movements::kind.eq("store_sale"))
        .select(stock_movements::idempotency_key)
        .load(&mut pool.get().expect("conn"))
        .expect("the ledger reads");
    let distinct: HashSet<&String> = recorded.iter().collect();
    assert_eq!(distinct.len(), recorded.len(), "no sale is recorded twice");
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|key| !distinct.contains(key))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged sales are missing from the ledger",
        missing.len(),
        acknowledged.len()
    );
    assert_eq!(
        recorded.len(),
        acknowledged.len(),
        "every sale recorded was acknowledged (none is left unanswered)"
    );
    if let Some(nginx) = &nginx {
        let stranded: Vec<String> = nginx
            .error_log()
            .lines()
            .filter(|line| line.contains("no live upstreams"))
            .map(str::to_owned)
            .collect();
        assert!(
            stranded.is_empty(),
            "restarted as documented, nginx always has an instance to send to: {stranded:#?}"
        );
    }
    eprintln!(
        "{} sales acknowledged through {} restarts, {} attempts retried",
        acknowledged.len(),
        servers.len(),
        retries.load(Ordering::SeqCst)
    );
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_shelfsync"))
        .args(["check", "--database-url", &db.url])
        .output()
        .expect("shelfsync check runs");
    assert!(
        check.status.success(),
        "shelfsync check is clean: {}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// Waits for the instance on `port` to answer `/readyz` with 200, as an
/// operator does before restarting the next one.
async fn wait_until_ready(port: u16) {
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/readyz");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let answer = client
            .get(&url)
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if answer.is_ok_and(|response| response.status().is_success()) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the restarted instance on :{port} gets ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A point-of-sale client: one unit of the item per sale.
struct Till {
    client: reqwest::Client,
    url: String,
    pos: String,
    item: i64,
    /// Attempts sent again, over every till.
    retries: Arc<AtomicUsize>,
}

impl Till {
    /// Sends the sale with `key` until it is acknowledged: a refused or cut
    /// off connection, and a 502 or 503 (nginx cut off from an instance, an
    /// instance stopping), are retried with the same key.
    async fn sell(&self, key: &str) {
        let deadline = tokio::time::Instant::now() + SALE_DEADLINE;
        loop {
            let sent = self
                .client
                .post(&self.url)
                .bearer_auth(&self.pos)
                .header("Idempotency-Key", key)
                .json(&json!({ "lines": [{ "item_id": self.item, "quantity": 1 }] }))
                .timeout(Duration::from_secs(30))
                .send()
                .await;
            match sent {
                Ok(response) if response.status().as_u16() == 201 => return,
                Ok(response) if [502, 503].contains(&response.status().as_u16()) => {}
                Ok(response) => panic!(
                    "sale {key} answered {}: {}",
                    response.status(),
                    response.text().await.unwrap_or_default()
                ),
                Err(_) => {}
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "sale {key} is acknowledged within {SALE_DEADLINE:?}"
            );
            self.retries.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
