//! An import goes through the item writer in batches: rows inserted and
//! updated a few hundred at a time, audit entries and outbox events held and
//! written together, the stock read once. These tests hold that batch path to
//! what the item-by-item path writes, on a file large enough to cross every
//! statement and holding limit: each item's row and version, one audit entry
//! per changed value, each event once with the record the lists serve, and
//! the ledger in balance. A new item is announced to the storefront once,
//! its listing event carrying its stock, all at the import's one catalog
//! version; back-office endpoints get its counts as `inventory.stock_changed`.

use std::collections::HashMap;

use diesel::prelude::*;
use shelfsync::db::DbConnection;
use shelfsync::db::schema::{audit_entries, items, outbox_events, stock_levels, stock_movements};
use shelfsync::inventory::catalog_file::{ApplyOutcome, ImportOptions, apply};
use shelfsync::inventory::lists::online_record_of;
use shelfsync::inventory::stock::verify_ledger;
use shelfsync::inventory::{Actor, Item};

use crate::common::fixtures::seeded_merchant;
use crate::common::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(
    a_large_import_writes_each_row_entry_event_and_movement_once,
    a_large_change_import_audits_each_new_price_and_announces_each_item
);

/// Enough rows to cross the insert chunks, the held-row limit and the
/// progress chunks more than once.
const ROWS: usize = 2_600;

/// The file: every third item view-only, Downtown counted `i % 4` (so a
/// quarter are counted zero and move no stock), Riverside left empty.
fn catalogue(price_cents: usize) -> Vec<u8> {
    let mut file =
        String::from("sku,name,description,price,in_store,online,stock:Downtown,stock:Riverside\n");
    for i in 0..ROWS {
        let online = if i % 3 == 0 { "view_only" } else { "for_sale" };
        file.push_str(&format!(
            "BATCH-{i:05},Batch item {i},Row {i},{}.{price_cents:02},yes,{online},{},\n",
            i % 40 + 1,
            i % 4
        ));
    }
    file.into_bytes()
}

fn import(conn: &mut DbConnection, merchant: i64, bytes: &[u8]) -> i64 {
    match import_outcome(conn, merchant, bytes) {
        ApplyOutcome::Applied(applied) => applied.catalog_version,
        other => panic!("the import should apply: {other:?}"),
    }
}

fn import_outcome(conn: &mut DbConnection, merchant: i64, bytes: &[u8]) -> ApplyOutcome {
    apply(
        conn,
        &Actor::staff("Importer"),
        merchant,
        "batch.csv",
        bytes,
        &ImportOptions::default(),
        None,
        &mut (),
    )
    .expect("the import runs")
}

fn merchant_items(conn: &mut DbConnection, merchant: i64) -> Vec<Item> {
    let ids: Vec<i64> = items::table
        .filter(items::merchant_id.eq(merchant))
        .select(items::id)
        .load(conn)
        .expect("ids");
    Item::find_many(conn, merchant, &ids).expect("items")
}

/// Each event of the merchant after `after_id`: (item, type, data).
fn events_after(
    conn: &mut DbConnection,
    merchant: i64,
    after_id: i64,
) -> Vec<(i64, String, serde_json::Value)> {
    outbox_events::table
        .filter(outbox_events::merchant_id.eq(merchant))
        .filter(outbox_events::id.gt(after_id))
        .order(outbox_events::id)
        .select((
            outbox_events::item_id,
            outbox_events::event_type,
            outbox_events::payload,
        ))
        .load::<(Option<i64>, String, String)>(conn)
        .expect("events")
        .into_iter()
        .map(|(item, kind, payload)| {
            let data = serde_json::from_str(&payload).expect("events carry JSON");
            (item.expect("item events name the item"), kind, data)
        })
        .collect()
}

fn last_event_id(conn: &mut DbConnection, merchant: i64) -> i64 {
    outbox_events::table
        .filter(outbox_events::merchant_id.eq(merchant))
        .select(diesel::dsl::max(outbox_events::id))
        .first::<Option<i64>>(conn)
        .expect("max")
        .unwrap_or(0)
}

/// How many events of each type each item got.
fn counted_by_item(events: &[(i64, String, serde_json::Value)]) -> HashMap<(i64, &str), usize> {
    let mut counts = HashMap::new();
    for (item, kind, _) in events {
        *counts.entry((*item, kind.as_str())).or_default() += 1;
    }
    counts
}

async fn a_large_import_writes_each_row_entry_event_and_movement_once(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "batch");
    let before = last_event_id(&mut conn, merchant);

    let version = import(&mut conn, merchant, &catalogue(50));

    let imported = merchant_items(&mut conn, merchant);
    assert_eq!(imported.len(), ROWS);
    assert!(imported.iter().all(|item| item.version == 1));
    let created: i64 = audit_entries::table
        .filter(audit_entries::merchant_id.eq(merchant))
        .filter(audit_entries::field.eq("created"))
        .filter(audit_entries::actor.eq("Importer (import of batch.csv)"))
        .count()
        .get_result(&mut conn)
        .expect("entries");
    assert_eq!(created, ROWS as i64);
    let events = events_after(&mut conn, merchant, before);
    let counts = counted_by_item(&events);
    let by_sku: HashMap<&str, &Item> = imported.iter().map(|i| (i.sku.as_str(), i)).collect();
    for i in 0..ROWS {
        let item = by_sku[format!("BATCH-{i:05}").as_str()];
        let stocked = usize::from(i % 4 != 0);
        assert_eq!(counts.get(&(item.id, "item.listing_changed")), Some(&1));
        assert_eq!(
            counts.get(&(item.id, "item.stock_changed")),
            None,
            "a new item's listing event carries its stock: {}",
            item.sku
        );
        assert_eq!(
            counts
                .get(&(item.id, "inventory.stock_changed"))
                .copied()
                .unwrap_or(0),
            stocked
        );
    }
    // Each new item's one storefront event carries the record the lists
    // serve now, stock included.
    let listed: HashMap<i64, &serde_json::Value> = events
        .iter()
        .filter(|(_, kind, _)| kind == "item.listing_changed")
        .map(|(item, _, data)| (*item, &data["item"]))
        .collect();
    for item in &imported {
        let served =
            serde_json::to_value(online_record_of(&mut conn, item).expect("record")).expect("JSON");
        assert_eq!(listed[&item.id], &served, "{}", item.sku);
    }
    let stocked_online = listed
        .values()
        .filter(|record| record["available_online"].as_i64().is_some_and(|n| n > 0))
        .count();
    assert!(stocked_online > 0, "the records carry the imported stock");
    // One catalog version for the rows, the counts and the events.
    let versions: Vec<i64> = outbox_events::table
        .filter(outbox_events::merchant_id.eq(merchant))
        .filter(outbox_events::id.gt(before))
        .select(outbox_events::catalog_version)
        .distinct()
        .load(&mut conn)
        .expect("versions");
    assert_eq!(versions, vec![version]);
    let levels: Vec<(i64, i64)> = stock_levels::table
        .inner_join(items::table)
        .filter(items::merchant_id.eq(merchant))
        .select((stock_levels::item_id, stock_levels::on_hand))
        .load(&mut conn)
        .expect("levels");
    let movements: i64 = stock_movements::table
        .filter(stock_movements::merchant_id.eq(merchant))
        .filter(stock_movements::kind.eq("count"))
        .filter(stock_movements::catalog_version.eq(version))
        .count()
        .get_result(&mut conn)
        .expect("movements");
    assert_eq!(movements as usize, ROWS - ROWS / 4);
    assert_eq!(levels.len(), ROWS - ROWS / 4);
    assert!(levels.iter().all(|(_, on_hand)| (1..=3).contains(on_hand)));
    assert!(verify_ledger(&mut conn).expect("check").is_empty());
    assert!(imported.iter().all(|item| item.changed_version == version));
}

async fn a_large_change_import_audits_each_new_price_and_announces_each_item(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "batch");
    import(&mut conn, merchant, &catalogue(50));
    let before = last_event_id(&mut conn, merchant);

    let version = import(&mut conn, merchant, &catalogue(75));

    let changed = merchant_items(&mut conn, merchant);
    assert!(changed.iter().all(|item| item.version == 2));
    assert!(changed.iter().all(|item| item.changed_version == version));
    assert!(
        changed
            .iter()
            .all(|item| item.price.amount_minor % 100 == 75)
    );
    let prices: Vec<(String, String)> = audit_entries::table
        .filter(audit_entries::merchant_id.eq(merchant))
        .filter(audit_entries::field.eq("price"))
        .select((audit_entries::old_value, audit_entries::new_value))
        .load(&mut conn)
        .expect("entries");
    assert_eq!(prices.len(), ROWS);
    assert!(
        prices
            .iter()
            .all(|(old, new)| old.ends_with(".50") && new.ends_with(".75"))
    );
    let events = events_after(&mut conn, merchant, before);
    assert_eq!(
        events.len(),
        ROWS,
        "one listing event per item, no stock moved"
    );
    for (item_id, kind, data) in &events {
        assert_eq!(kind, "item.listing_changed");
        let item = changed.iter().find(|i| i.id == *item_id).expect("an item");
        let served =
            serde_json::to_value(online_record_of(&mut conn, item).expect("record")).expect("JSON");
        assert_eq!(&data["item"], &served);
    }
    // Applying the same file again changes nothing, records no import and
    // moves no version.
    let again = import_outcome(&mut conn, merchant, &catalogue(75));
    assert!(matches!(again, ApplyOutcome::Unchanged(_)), "{again:?}");
    let current: i64 = shelfsync::db::schema::merchants::table
        .find(merchant)
        .select(shelfsync::db::schema::merchants::catalog_version)
        .first(&mut conn)
        .expect("the merchant");
    assert_eq!(current, version);
}
