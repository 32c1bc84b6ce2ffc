//! The storefront sees only the online list: after 500 random changes
//! (stock, designations, archiving, new stores), every event on the live
//! stream and every webhook to a storefront endpoint carries exactly what
//! the online list showed at the event's version — an unlisted item as a
//! bare tombstone, never its SKU or on-hand counts. Per-store counts go only
//! to an endpoint that chose `inventory.stock_changed`.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use shelfsync::db::DbConnection;
use shelfsync::db::schema::{items, locations};
use shelfsync::domain::{
    DesignationChange, Destinations, EventTypes, INVENTORY_STOCK_CHANGED, TokenScope, WebhookUrl,
};
use shelfsync::inventory::lists::{OnlineListQuery, online_list};
use shelfsync::inventory::{
    Actor, InventoryError, Item, ItemChange, catalog_version, change_item, designate, stores,
    webhooks,
};

use crate::common::{Backend, spawn_app_with, with_conn};
use crate::on_both_backends;
use crate::support::{
    Recorder, SseReader, add_endpoint, eventually, fast_push, free_addr, recorder_at, token,
};

/// What the online list shows at one catalog version: item id → record.
type Snapshot = HashMap<i64, Value>;

fn snapshot(conn: &mut DbConnection, merchant_id: i64) -> Snapshot {
    let page = online_list(
        conn,
        merchant_id,
        OnlineListQuery {
            limit: 1000,
            ..OnlineListQuery::default()
        },
    )
    .expect("the online list reads");
    assert!(page.next_after_id.is_none(), "one page holds the demo");
    page.records
        .into_iter()
        .map(|record| {
            (
                record.id(),
                serde_json::to_value(&record).expect("a record serialises"),
            )
        })
        .collect()
}

/// Makes `count` random changes that each move the catalog; returns what
/// the online list showed after each, by catalog version.
fn random_changes(
    conn: &mut DbConnection,
    merchant_id: i64,
    rng: &mut StdRng,
    count: usize,
) -> HashMap<i64, Snapshot> {
    let item_ids: Vec<i64> = items::table
        .filter(items::merchant_id.eq(merchant_id))
        .select(items::id)
        .load(conn)
        .expect("items");
    let designations = [
        DesignationChange::SELL_ONLINE,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
        DesignationChange::REMOVE_FROM_ONLINE,
        DesignationChange::SELL_IN_STORE,
        DesignationChange::STOP_SELLING_IN_STORE,
    ];
    let actor = Actor::staff("Random tester");
    let mut seen = HashMap::new();
    let mut version = catalog_version(conn, merchant_id).expect("a version");
    while seen.len() < count {
        let item = Item::find(
            conn,
            merchant_id,
            item_ids[rng.random_range(0..item_ids.len())],
        )
        .expect("the item");
        let roll = rng.random_range(0..100);
        let outcome = if roll < 50 {
            let stores: Vec<i64> = locations::table
                .filter(locations::merchant_id.eq(merchant_id))
                .select(locations::id)
                .load(conn)
                .expect("stores");
            crate::common::fixtures::receive_stock(
                conn,
                merchant_id,
                item.id,
                stores[rng.random_range(0..stores.len())],
                rng.random_range(1..5),
            );
            Ok(())
        } else if roll < 85 {
            let change = designations[rng.random_range(0..designations.len())];
            designate(conn, &actor, merchant_id, item.id, item.version, change).map(|_| ())
        } else if roll < 97 {
            change_item(
                conn,
                &actor,
                merchant_id,
                item.id,
                item.version,
                &ItemChange::Archive(!item.archived),
            )
            .map(|_| ())
        } else {
            let name = format!("Store {}", rng.random_range(0..1_000_000));
            stores::add_location(conn, merchant_id, &name, rng.random_bool(0.5)).map(|_| ())
        };
        match outcome {
            Ok(()) | Err(InventoryError::Rule { .. }) => {}
            Err(other) => panic!("a random change failed: {other}"),
        }
        let now = catalog_version(conn, merchant_id).expect("a version");
        if now != version {
            version = now;
            seen.insert(now, snapshot(conn, merchant_id));
        }
    }
    seen
}

/// Every key anywhere in a JSON value.
fn keys(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields {
                into.push(key.clone());
                keys(inner, into);
            }
        }
        Value::Array(values) => values.iter().for_each(|v| keys(v, into)),
        _ => {}
    }
}

/// Checks one storefront event against the online list at its version.
fn check_event(event: &Value, snapshots: &HashMap<i64, Snapshot>) {
    let event_type = event["type"].as_str().expect("a type");
    assert!(
        !event_type.starts_with("inventory."),
        "a back-office event reached the storefront: {event}"
    );
    let mut found = Vec::new();
    keys(&event["data"], &mut found);
    for private in ["on_hand", "stock"] {
        assert!(
            !found.iter().any(|key| key == private),
            "store-only {private:?} in {event}"
        );
    }
    if !event_type.starts_with("item.") {
        return;
    }
    let version = event["catalog_version"].as_i64().expect("a version");
    let record = &event["data"]["item"];
    let id = record["id"].as_i64().expect("an item id");
    let Some(shown) = snapshots.get(&version) else {
        return; // a version made before the random changes
    };
    match shown.get(&id) {
        Some(listed) => assert_eq!(
            record, listed,
            "{event_type} at v{version} vs the online list"
        ),
        None => {
            let mut fields: Vec<&str> = record
                .as_object()
                .expect("a record")
                .keys()
                .map(String::as_str)
                .collect();
            fields.sort_unstable();
            assert_eq!(
                fields,
                ["changed_version", "id", "removed"],
                "item {id} is not listed online at v{version}: a bare tombstone, got {record}"
            );
        }
    }
}

on_both_backends!(no_storefront_event_carries_store_only_data_after_500_random_changes);

async fn no_storefront_event_carries_store_only_data_after_500_random_changes(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let storefront = Arc::new(Recorder::default());
    let back_office = Arc::new(Recorder::default());
    let storefront_receiver = recorder_at(free_addr(), storefront.clone());
    let back_office_receiver = recorder_at(free_addr(), back_office.clone());
    let (start, sse_token) = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &storefront_receiver.url());
        webhooks::create_endpoint(
            conn,
            merchant,
            &WebhookUrl::parse(&back_office_receiver.url()).expect("a URL"),
            &EventTypes::parse([INVENTORY_STOCK_CHANGED]).expect("a type"),
            Destinations::AnyAddress,
        )
        .expect("the back-office endpoint");
        (
            catalog_version(conn, merchant).expect("a version"),
            token(conn, merchant, TokenScope::Storefront),
        )
    });

    let mut rng = StdRng::seed_from_u64(11);
    let snapshots = with_conn(&app.pool, |conn| {
        random_changes(conn, merchant, &mut rng, 500)
    });
    let last = *snapshots.keys().max().expect("changes were made");

    let response = reqwest::Client::new()
        .get(app.url("/api/v1/storefront/events"))
        .bearer_auth(&sse_token)
        .header("Last-Event-ID", start.to_string())
        .send()
        .await
        .expect("the stream opens");
    let mut stream = SseReader::new(response);
    let mut streamed = Vec::new();
    loop {
        let Some(frame) = stream.next_event(30).await else {
            panic!(
                "the stream stopped after {} events, before v{last}; the last: {:?}",
                streamed.len(),
                streamed.last()
            );
        };
        streamed.push(serde_json::from_str::<Value>(&frame.data).expect("JSON"));
        if frame.id.as_deref() == Some(last.to_string().as_str()) {
            break;
        }
    }
    for event in &streamed {
        check_event(event, &snapshots);
    }
    let delivered = eventually(120, || storefront.count() >= streamed.len()).await;
    assert!(delivered, "every storefront event is delivered");
    for received in storefront.received() {
        check_event(
            &serde_json::from_str(&received.body).expect("JSON"),
            &snapshots,
        );
    }
    let stock_events = eventually(60, || back_office.count() > 0).await;
    assert!(stock_events, "the back-office endpoint gets stock counts");
    for received in back_office.received() {
        let event: Value = serde_json::from_str(&received.body).expect("JSON");
        assert_eq!(event["type"], INVENTORY_STOCK_CHANGED);
        assert!(event["data"]["stock"].is_array(), "{event}");
        assert!(event["data"]["item"]["sku"].is_string(), "{event}");
    }
    storefront_receiver.stop().await;
    back_office_receiver.stop().await;
}
