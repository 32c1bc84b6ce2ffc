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

/// Records that `item` changed at `catalog_version`, carrying its online-list
/// record (or tombstone) as the storefront will read it.
pub(super) fn item_changed(
    conn: &mut DbConnection,
    item: &Item,
    catalog_version: i64,
) -> Result<()> {
    let record = lists::online_record_of(conn, item)?;
    let payload = json!({ "item": record }).to_string();
    diesel::insert_into(outbox_events::table)
        .values(NewOutboxEventRow {
            merchant_id: item.merchant_id,
            catalog_version,
            event_type: ITEM_LISTING_CHANGED,
            item_id: Some(item.id),
            payload: &payload,
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}
