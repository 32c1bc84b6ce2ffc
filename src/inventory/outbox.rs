//! The transactional outbox: an event per channel-visible change, written in
//! the transaction of the change so a crash after commit loses nothing.

use diesel::prelude::*;
use serde_json::json;

use super::{Item, Result, lists, now};
use crate::db::DbConnection;
use crate::db::models::NewOutboxEventRow;
use crate::db::schema::outbox_events;

/// Event type for any change to how an item appears in the lists.
pub const ITEM_LISTING_CHANGED: &str = "item.listing_changed";

/// Event type for a change of an item's stock that a channel can see.
pub const ITEM_STOCK_CHANGED: &str = "item.stock_changed";

/// Records that `item` changed at `catalog_version`, carrying its online-list
/// record (or tombstone) as the storefront will read it.
pub(super) fn item_changed(
    conn: &mut DbConnection,
    item: &Item,
    catalog_version: i64,
) -> Result<()> {
    let record = lists::online_record_of(conn, item)?;
    let payload = json!({ "item": record }).to_string();
    insert(conn, item, catalog_version, ITEM_LISTING_CHANGED, &payload)
}

/// Records that `item`'s stock changed at `catalog_version`, carrying its
/// online-list record and its on-hand quantity per store.
pub(super) fn stock_changed(
    conn: &mut DbConnection,
    item: &Item,
    catalog_version: i64,
    record: &lists::OnlineRecord,
    on_hand: &[(i64, i64)],
) -> Result<()> {
    let stock: Vec<_> = on_hand
        .iter()
        .map(|(location_id, on_hand)| json!({ "location_id": location_id, "on_hand": on_hand }))
        .collect();
    let payload = json!({ "item": record, "stock": stock }).to_string();
    insert(conn, item, catalog_version, ITEM_STOCK_CHANGED, &payload)
}

fn insert(
    conn: &mut DbConnection,
    item: &Item,
    catalog_version: i64,
    event_type: &str,
    payload: &str,
) -> Result<()> {
    diesel::insert_into(outbox_events::table)
        .values(NewOutboxEventRow {
            merchant_id: item.merchant_id,
            catalog_version,
            event_type,
            item_id: Some(item.id),
            payload,
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}
