//! Graceful shutdown: `shelfsync serve` as a process, counter sales
//! streaming in, SIGTERM in the middle. It exits 0, every sale it
//! acknowledged is on the ledger, an open live stream gets `: shutting
//! down`, the webhook dispatcher hands its endpoint back, and `shelfsync
//! check` is clean.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;
use shelfsync::db::schema::{stock_movements, webhook_endpoints};
use shelfsync::domain::{OnlineListing, TokenScope};
use shelfsync::inventory::tokens::create_token;

use crate::common::fixtures::{fresh_key, new_item, receive_stock};
use crate::common::{Backend, TestDb};
use crate::on_both_backends;
use crate::restart::Server;
use crate::support::{
    Recorder, SseReader, add_endpoint, demo_shop, eventually, free_addr, recorder_at,
};

on_both_backends!(sigterm_mid_load_exits_0_with_every_acknowledged_sale_on_the_ledger);

/// Clients selling at once until the server stops answering.
const CLIENTS: usize = 4;

async fn sigterm_mid_load_exits_0_with_every_acknowledged_sale_on_the_ledger(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut server = Server::start_with(&db.url, &["--shutdown-timeout", "20s"]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let (merchant, item, pos, storefront) = {
        let mut conn = pool.get().expect("conn");
        let (merchant, store) = demo_shop(&mut conn);
        let item = new_item(
            &mut conn,
            merchant,
            "SHUT-1",
            "Shutdown mug",
            true,
            OnlineListing::ForSale,
        )
        .id;
        receive_stock(&mut conn, merchant, item, store, 100_000);
        let pos = create_token(&mut conn, merchant, "Till", TokenScope::Pos, Some(store))
            .expect("a pos token")
            .secret;
        let storefront = create_token(&mut conn, merchant, "Shop", TokenScope::Storefront, None)
            .expect("a storefront token")
            .secret;
        (merchant, item, pos, storefront)
    };
    // A slow webhook receiver, so a delivery is in hand when the signal comes.
    let recorder = Arc::new(Recorder::default());
    recorder.delay_ms.store(200, Ordering::SeqCst);
    let receiver = recorder_at(free_addr(), recorder.clone());
    add_endpoint(&mut pool.get().expect("conn"), merchant, &receiver.url());
    let stream = reqwest::Client::new()
        .get(format!("{base}/api/v1/storefront/events"))
        .bearer_auth(&storefront)
        .send()
        .await
        .expect("the live stream opens");
    assert_eq!(stream.status().as_u16(), 200);
    let mut stream = SseReader::new(stream);

    // Sales from several clients, each with its own key, until refused.
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (base, pos) = (base.clone(), pos.clone());
        let (acknowledged, answered, stopped) =
            (acknowledged.clone(), answered.clone(), stopped.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut failures = 0;
            while failures < 5 && !stopped.load(Ordering::SeqCst) {
                let key = fresh_key();
                let sent = client
                    .post(format!("{base}/api/v1/pos/sales"))
                    .bearer_auth(&pos)
                    .header("Idempotency-Key", &key)
                    .json(&json!({ "lines": [{ "item_id": item, "quantity": 1 }] }))
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status().is_success() => {
                        acknowledged.lock().expect("lock").push(key);
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(response) => {
                        panic!("a sale answered {} while running", response.status())
                    }
                    // Refused or cut off: the server is going away.
                    Err(_) => {
                        failures += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    assert!(
        eventually(60, || answered.load(Ordering::SeqCst) >= 40
            && recorder.count() >= 1)
        .await,
        "sales are acknowledged and webhooks delivered before the signal"
    );

    server.terminate();
    let status = server
        .exit_status(60)
        .await
        .expect("the server exits within the shutdown timeout");
    stopped.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.expect("a client task ends");
    }

    assert!(
        status.success(),
        "SIGTERM ends the server with 0: {status:?}"
    );
    let mut last_comment = None;
    while let Some(frame) = stream.next_frame(10).await {
        if frame.comment.is_some() {
            last_comment = frame.comment;
        }
    }
    assert_eq!(
        last_comment.as_deref(),
        Some("shutting down"),
        "the open stream ends with the shutdown comment"
    );
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let mut conn = pool.get().expect("conn");
    let recorded: Vec<String> = stock_movements::table
        .filter(stock_movements::item_id.eq(item))
        .filter(stock_movements::kind.eq("store_sale"))
        .select(stock_movements::idempotency_key)
        .load(&mut conn)
        .expect("the ledger reads");
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|key| !recorded.contains(key))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged sales are missing from the ledger",
        missing.len(),
        acknowledged.len()
    );
    let holders: Vec<Option<String>> = webhook_endpoints::table
        .filter(webhook_endpoints::merchant_id.eq(merchant))
        .select(webhook_endpoints::lease_owner)
        .load(&mut conn)
        .expect("endpoints read");
    assert!(
        holders.iter().all(Option::is_none),
        "the dispatcher handed its endpoint back: {holders:?}"
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
    receiver.stop().await;
}
