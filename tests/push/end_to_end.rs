//! The claim, end to end: the reference consumer mirrors the online list from
//! webhooks (and the feed after a gap), and after a long random run of
//! designation and stock changes — with the receiver down for part of it —
//! the mirror equals a fresh read of the online list and no event was lost.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shelfsync::db::Pool;
use shelfsync::inventory::lists::{OnlineListQuery, online_list};
use shelfsync::inventory::{
    Actor, DesignationChange, InventoryError, Item, catalog_version, designate, webhooks,
};

use crate::common::{Backend, TestApp, spawn_app_with, with_conn};
use crate::mirror::{self, Delta, HttpFeed, Receiver};
use crate::on_both_backends;
use crate::support::*;

fn read_list(pool: &Pool, merchant_id: i64, since_version: Option<i64>) -> Result<Delta, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let mut delta = Delta::default();
    let mut after_id = None;
    loop {
        let page = online_list(
            &mut conn,
            merchant_id,
            OnlineListQuery {
                since_version,
                after_id,
                limit: 1000,
                include_unlisted: false,
            },
        )
        .map_err(|e| e.to_string())?;
        if after_id.is_none() {
            delta.catalog_version = page.catalog_version;
        }
        for record in &page.records {
            delta
                .records
                .push(serde_json::to_value(record).map_err(|e| e.to_string())?);
        }
        match page.next_after_id {
            Some(next) => after_id = Some(next),
            None => return Ok(delta),
        }
    }
}

/// The online list as a fresh read shows it, by item id.
fn fresh_online_list(pool: &Pool, merchant_id: i64) -> BTreeMap<i64, serde_json::Value> {
    read_list(pool, merchant_id, None)
        .expect("the online list reads")
        .records
        .into_iter()
        .map(|record| (record["id"].as_i64().expect("an id"), record))
        .collect()
}

/// Makes `count` random designation and stock changes that each move the catalog.
fn random_changes(pool: &Pool, merchant_id: i64, rng: &mut StdRng, count: usize) {
    use diesel::prelude::*;
    use shelfsync::db::schema::{items, locations};
    let mut conn = pool.get().expect("conn");
    let item_ids: Vec<i64> = items::table
        .filter(items::merchant_id.eq(merchant_id))
        .select(items::id)
        .load(&mut conn)
        .expect("items");
    let location_ids: Vec<i64> = locations::table
        .filter(locations::merchant_id.eq(merchant_id))
        .select(locations::id)
        .load(&mut conn)
        .expect("stores");
    let designations = [
        DesignationChange::SELL_ONLINE,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
        DesignationChange::REMOVE_FROM_ONLINE,
        DesignationChange::SELL_IN_STORE,
        DesignationChange::STOP_SELLING_IN_STORE,
    ];
    let actor = Actor::staff("Random tester");
    let mut made = 0;
    while made < count {
        let item_id = item_ids[rng.random_range(0..item_ids.len())];
        if rng.random_bool(0.35) {
            // Stock of an item no channel shows moves no catalog version.
            let item = Item::find(&mut conn, merchant_id, item_id).expect("the item");
            if !item.in_store() && !item.online().is_listed() {
                continue;
            }
            let location = location_ids[rng.random_range(0..location_ids.len())];
            crate::common::fixtures::receive_stock(
                &mut conn,
                merchant_id,
                item_id,
                location,
                rng.random_range(1..5),
            );
            made += 1;
            continue;
        }
        let item = Item::find(&mut conn, merchant_id, item_id).expect("the item");
        let change = designations[rng.random_range(0..designations.len())];
        match designate(
            &mut conn,
            &actor,
            merchant_id,
            item.id,
            item.version,
            change,
        ) {
            Ok(outcome) if outcome.changed => made += 1,
            Ok(_) | Err(InventoryError::Rule { .. }) => {}
            Err(other) => panic!("designation failed: {other}"),
        }
    }
}

/// Sets up an endpoint and a mirror of the demo merchant's online list at `addr`.
async fn mirror_at(
    app: &TestApp,
    addr: std::net::SocketAddr,
) -> (Arc<Receiver<HttpFeed>>, webhooks::IssuedSecret) {
    let merchant = app.demo_merchant_id();
    let issued = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &format!("http://{addr}/webhooks"))
    });
    // After a gap the mirror reads the real JSON feed, as a storefront would.
    let token = with_conn(&app.pool, |conn| {
        shelfsync::inventory::tokens::create_token(
            conn,
            merchant,
            "Mirror",
            shelfsync::domain::TokenScope::Storefront,
            None,
        )
    })
    .expect("a storefront token");
    let receiver = Receiver::new(
        issued.secret.clone(),
        HttpFeed {
            base_url: app.address.clone(),
            token: token.secret,
            client: reqwest::Client::new(),
        },
    );
    receiver
        .mirror
        .lock()
        .await
        .catch_up(&receiver.feed)
        .await
        .expect("the first full read");
    (receiver, issued)
}

/// Waits until the mirror has applied `version` and the endpoint has nothing waiting.
async fn caught_up(
    app: &TestApp,
    receiver: &Receiver<HttpFeed>,
    endpoint_id: i64,
    version: i64,
) -> bool {
    let merchant = app.demo_merchant_id();
    eventually(120, || {
        let applied = receiver
            .mirror
            .try_lock()
            .map(|m| m.applied_version)
            .unwrap_or(0);
        let waiting = with_conn(&app.pool, |conn| {
            let endpoint = webhooks::find_endpoint(conn, merchant, endpoint_id)?;
            webhooks::waiting_count(conn, &endpoint)
        })
        .expect("the queue reads");
        applied >= version && waiting == 0
    })
    .await
}

on_both_backends!(
    the_mirror_equals_the_online_list_after_a_thousand_random_changes_with_the_receiver_down_midway,
    after_events_were_given_up_the_mirror_sees_the_gap_and_catches_up_from_the_feed
);

async fn the_mirror_equals_the_online_list_after_a_thousand_random_changes_with_the_receiver_down_midway(
    backend: Backend,
) {
    let seed: u64 = rand::random();
    println!("random seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let addr = free_addr();
    let (receiver, issued) = mirror_at(&app, addr).await;
    let running = serve_at(addr, mirror::routes(Arc::clone(&receiver)));

    let pool = app.pool.clone();
    let mut rng = tokio::task::spawn_blocking(move || {
        random_changes(&pool, merchant, &mut rng, 500);
        rng
    })
    .await
    .expect("the first half");
    running.stop().await;
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || random_changes(&pool, merchant, &mut rng, 520))
        .await
        .expect("the second half");
    let down_since = with_conn(&app.pool, |conn| catalog_version(conn, merchant)).expect("version");
    let failing = eventually(60, || {
        with_conn(&app.pool, |conn| {
            crate::support::delivery_log(conn, merchant, issued.endpoint.id, true, 10)
        })
        .expect("log")
        .iter()
        .any(|d| d.attempts >= 1)
    })
    .await;
    assert!(failing, "deliveries fail while the receiver is down");
    let running = serve_at(addr, mirror::routes(Arc::clone(&receiver)));
    let final_version =
        with_conn(&app.pool, |conn| catalog_version(conn, merchant)).expect("version");

    assert!(
        caught_up(&app, &receiver, issued.endpoint.id, final_version).await,
        "the mirror should reach version {final_version} (seed {seed})"
    );
    let mirror = receiver.mirror.lock().await;
    assert_eq!(
        mirror.items,
        fresh_online_list(&app.pool, merchant),
        "mirror == fresh online list (seed {seed})"
    );
    let events: Vec<String> = with_conn(&app.pool, |conn| {
        events_since(conn, merchant, issued.endpoint.cursor)
    })
    .iter()
    .map(|e| e.public_id())
    .collect();
    assert!(events.len() >= 1020);
    let lost: Vec<&String> = events
        .iter()
        .filter(|id| !mirror.seen.contains(*id))
        .collect();
    assert!(lost.is_empty(), "no event lost (seed {seed}): {lost:?}");
    let arrival: Vec<String> = mirror.received.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        arrival, events,
        "applied in catalog-version order (seed {seed})"
    );
    assert_eq!(
        mirror.catch_ups, 1,
        "webhooks alone carried every change after the first read"
    );
    assert_eq!(mirror.applied_version, final_version);
    assert!(down_since > 0);
    drop(mirror);
    let log = with_conn(&app.pool, |conn| {
        crate::support::delivery_log(conn, merchant, issued.endpoint.id, false, 5000)
    })
    .expect("log");
    assert!(
        log.iter().any(|d| d.attempts >= 2),
        "deliveries failed while the receiver was down, and were retried"
    );
    running.stop().await;
}

async fn after_events_were_given_up_the_mirror_sees_the_gap_and_catches_up_from_the_feed(
    backend: Backend,
) {
    let mut push = fast_push();
    push.webhook_give_up_after = std::time::Duration::from_secs(1);
    let app = spawn_app_with(backend, push).await;
    let merchant = app.demo_merchant_id();
    let addr = free_addr();
    let (receiver, issued) = mirror_at(&app, addr).await;
    let running = serve_at(addr, mirror::routes(Arc::clone(&receiver)));
    let mut rng = StdRng::seed_from_u64(6);
    random_changes(&app.pool, merchant, &mut rng, 3);
    let version = with_conn(&app.pool, |conn| catalog_version(conn, merchant)).expect("version");
    assert!(caught_up(&app, &receiver, issued.endpoint.id, version).await);

    running.stop().await;
    random_changes(&app.pool, merchant, &mut rng, 5);
    let given_up = eventually(30, || {
        with_conn(&app.pool, |conn| {
            webhooks::history::failed_count(conn, issued.endpoint.id)
        })
        .expect("count")
            >= 5
    })
    .await;
    assert!(
        given_up,
        "the events sent while the receiver was down are given up"
    );
    let running = serve_at(addr, mirror::routes(Arc::clone(&receiver)));
    random_changes(&app.pool, merchant, &mut rng, 1);
    let final_version =
        with_conn(&app.pool, |conn| catalog_version(conn, merchant)).expect("version");

    assert!(caught_up(&app, &receiver, issued.endpoint.id, final_version).await);
    let mirror = receiver.mirror.lock().await;
    assert_eq!(
        mirror.catch_ups, 2,
        "the version jump sent the mirror to the feed once"
    );
    assert_eq!(mirror.items, fresh_online_list(&app.pool, merchant));
    drop(mirror);
    running.stop().await;
}
