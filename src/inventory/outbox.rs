//! The transactional outbox: an event per channel-visible change, written in
//! the transaction of the change so a crash after commit loses nothing.

use diesel::prelude::*;
use serde_json::json;

use super::merchants::Location;
use super::{Item, Result, lists, now};
use crate::db::models::{NewOutboxEventRow, OutboxEventRow};
use crate::db::schema::outbox_events;
use crate::db::sqlite_rows::{BindValues, SqliteRows, SqliteTime, Values};
use crate::db::{DbConnection, ROWS_PER_INSERT, insert_rows};

/// Event type for any change to how an item appears in the lists.
pub const ITEM_LISTING_CHANGED: &str = "item.listing_changed";

/// Event type for a change of an item's stock that a channel can see.
pub const ITEM_STOCK_CHANGED: &str = "item.stock_changed";

/// Event type for a store added or changed: its name and whether it fulfils
/// online orders show in both lists.
pub const LOCATION_CHANGED: &str = "location.changed";

/// Event types of a hold for pickup: made, handed over, let go, run out.
pub const RESERVATION_CREATED: &str = "reservation.created";
pub const RESERVATION_PICKED_UP: &str = "reservation.picked_up";
pub const RESERVATION_RELEASED: &str = "reservation.released";
pub const RESERVATION_EXPIRED: &str = "reservation.expired";

/// Back-office event type: an item's on-hand count per store after a stock
/// movement, listed online or not. Store-only data: it goes only to webhook
/// endpoints that chose it, never to the live stream.
pub use crate::domain::INVENTORY_STOCK_CHANGED;

/// Records that `item` changed at `catalog_version`, carrying its online-list
/// record (or tombstone) as the storefront will read it.
pub(super) fn item_changed(
    conn: &mut DbConnection,
    item: &Item,
    catalog_version: i64,
) -> Result<()> {
    let record = lists::online_record_of(conn, item)?;
    item_changed_event(item, catalog_version, &record).write(conn)
}

/// The event `item_changed` writes, from a record its caller has built.
pub(super) fn item_changed_event(
    item: &Item,
    catalog_version: i64,
    record: &lists::OnlineRecord,
) -> HeldEvent {
    HeldEvent::about(
        item,
        catalog_version,
        ITEM_LISTING_CHANGED,
        item_data(record),
    )
}

/// Records that `item`'s stock changed at `catalog_version`: for the
/// storefront its online-list record only (a tombstone when it is not
/// listed — never its counts), and for back-office endpoints that chose
/// `inventory.stock_changed` its on-hand quantity per store.
pub(super) fn stock_changed(
    conn: &mut DbConnection,
    item: &Item,
    catalog_version: i64,
    record: &lists::OnlineRecord,
    on_hand: &[(i64, i64)],
) -> Result<()> {
    // Both in one statement: a sale writes them with the merchant locked.
    write_held(
        conn,
        &stock_changed_events(item, catalog_version, record, on_hand),
    )
}

/// The two events `stock_changed` writes.
pub(super) fn stock_changed_events(
    item: &Item,
    catalog_version: i64,
    record: &lists::OnlineRecord,
    on_hand: &[(i64, i64)],
) -> [HeldEvent; 2] {
    [
        HeldEvent::about(item, catalog_version, ITEM_STOCK_CHANGED, item_data(record)),
        stock_detail_event(item, catalog_version, on_hand),
    ]
}

/// The back-office `inventory.stock_changed` event alone: an item created
/// in the same batch is announced to the storefront once, by its listing
/// event carrying its stock (`ItemWriter::finish`), but back-office
/// endpoints still hear of every stock movement.
pub(super) fn stock_detail_event(
    item: &Item,
    catalog_version: i64,
    on_hand: &[(i64, i64)],
) -> HeldEvent {
    let detail = StockDetail {
        item: StockDetailItem {
            id: item.id,
            sku: &item.sku,
            archived: item.archived,
        },
        stock: on_hand
            .iter()
            .map(|&(location_id, on_hand)| StockAt {
                location_id,
                on_hand,
            })
            .collect(),
    };
    let detail = serde_json::to_string(&detail).expect("a stock detail serialises");
    HeldEvent::about(item, catalog_version, INVENTORY_STOCK_CHANGED, detail)
}

/// An item event's `data`: the item's online-list record, serialised
/// straight from it (an import writes hundreds of thousands).
fn item_data(record: &lists::OnlineRecord) -> String {
    #[derive(serde::Serialize)]
    struct ItemData<'a> {
        item: &'a lists::OnlineRecord,
    }
    serde_json::to_string(&ItemData { item: record }).expect("an online record serialises")
}

/// `inventory.stock_changed`'s `data`: the item and its on-hand per store.
#[derive(serde::Serialize)]
struct StockDetail<'a> {
    item: StockDetailItem<'a>,
    stock: Vec<StockAt>,
}

#[derive(serde::Serialize)]
struct StockDetailItem<'a> {
    id: i64,
    sku: &'a str,
    archived: bool,
}

#[derive(serde::Serialize)]
struct StockAt {
    location_id: i64,
    on_hand: i64,
}

/// Records that a store of the merchant was added or changed at `catalog_version`.
pub(super) fn location_changed(
    conn: &mut DbConnection,
    location: &Location,
    catalog_version: i64,
) -> Result<()> {
    let payload = json!({ "location": {
        "id": location.id,
        "name": location.name,
        "fulfils_online": location.fulfils_online,
        "address": location.address,
        "hours": location.hours,
        "archived": location.archived,
    }})
    .to_string();
    HeldEvent {
        merchant_id: location.merchant_id,
        item_id: None,
        catalog_version,
        event_type: LOCATION_CHANGED,
        payload,
        created_at: SqliteTime(now()),
    }
    .write(conn)
}

/// Records an event about a hold for pickup of `item` at `catalog_version`;
/// `data` is the reservation as the storefront API shows it.
pub(super) fn reservation_event(
    conn: &mut DbConnection,
    item: &Item,
    catalog_version: i64,
    event_type: &'static str,
    data: serde_json::Value,
) -> Result<()> {
    let payload = json!({ "reservation": data }).to_string();
    HeldEvent::about(item, catalog_version, event_type, payload).write(conn)
}

/// An event built but not yet written: written at once (`write`), or held
/// by a batch write and written with many others (`write_held`).
#[derive(Debug)]
pub(super) struct HeldEvent {
    merchant_id: i64,
    item_id: Option<i64>,
    catalog_version: i64,
    event_type: &'static str,
    payload: String,
    created_at: SqliteTime,
}

impl HeldEvent {
    fn about(
        item: &Item,
        catalog_version: i64,
        event_type: &'static str,
        payload: String,
    ) -> HeldEvent {
        HeldEvent {
            merchant_id: item.merchant_id,
            item_id: Some(item.id),
            catalog_version,
            event_type,
            payload,
            created_at: SqliteTime(now()),
        }
    }

    fn row(&self) -> NewOutboxEventRow<'_> {
        NewOutboxEventRow {
            merchant_id: self.merchant_id,
            catalog_version: self.catalog_version,
            event_type: self.event_type,
            item_id: self.item_id,
            payload: &self.payload,
            created_at: self.created_at.0,
        }
    }

    fn write(&self, conn: &mut DbConnection) -> Result<()> {
        diesel::insert_into(outbox_events::table)
            .values(self.row())
            .execute(conn)?;
        Ok(())
    }
}

/// Writes held events in order (their ids keep it), many per statement.
pub(super) fn write_held(conn: &mut DbConnection, events: &[HeldEvent]) -> Result<()> {
    for chunk in events.chunks(ROWS_PER_INSERT) {
        if let DbConnection::Sqlite(conn) = conn {
            SqliteRows::new(
                "INSERT INTO outbox_events (merchant_id, catalog_version, event_type, item_id, \
                 payload, created_at) VALUES ",
                chunk,
                "",
            )
            .execute(conn)?;
            continue;
        }
        let rows: Vec<NewOutboxEventRow<'_>> = chunk.iter().map(HeldEvent::row).collect();
        insert_rows!(conn, outbox_events::table, &rows)?;
    }
    Ok(())
}

impl BindValues for HeldEvent {
    fn bind_values<'b>(&'b self, values: &mut Values<'_, '_, 'b>) -> diesel::QueryResult<()> {
        use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
        values
            .bind::<BigInt, _>(&self.merchant_id)?
            .bind::<BigInt, _>(&self.catalog_version)?
            .bind::<Text, _>(self.event_type)?
            .bind::<Nullable<BigInt>, _>(&self.item_id)?
            .bind::<Text, _>(&self.payload)?
            .bind::<Timestamp, _>(&self.created_at)?;
        Ok(())
    }
}

/// An event of the outbox, as pushed to webhooks and the live stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    pub id: i64,
    pub merchant_id: i64,
    pub catalog_version: i64,
    pub event_type: String,
    pub item_id: Option<i64>,
    /// The event's `data`, as JSON text.
    pub payload: String,
    pub created_at: chrono::NaiveDateTime,
}

impl From<OutboxEventRow> for OutboxEvent {
    fn from(row: OutboxEventRow) -> OutboxEvent {
        OutboxEvent {
            id: row.id,
            merchant_id: row.merchant_id,
            catalog_version: row.catalog_version,
            event_type: row.event_type,
            item_id: row.item_id,
            payload: row.payload,
            created_at: row.created_at,
        }
    }
}

impl OutboxEvent {
    /// The id receivers de-duplicate by: `evt_<n>`, unique across merchants.
    pub fn public_id(&self) -> String {
        format!("evt_{}", self.id)
    }

    /// Where the event sits in the merchant's order of events.
    pub fn position(&self) -> EventPosition {
        EventPosition {
            catalog_version: self.catalog_version,
            event_id: self.id,
        }
    }

    /// The JSON document a webhook body and a live-stream `data:` line carry:
    /// `{"id", "type", "catalog_version", "created_at", "data"}`.
    pub fn to_json(&self) -> String {
        let data: serde_json::Value = serde_json::from_str(&self.payload)
            .unwrap_or_else(|_| serde_json::Value::String(self.payload.clone()));
        let data = if crate::domain::is_back_office(&self.event_type) {
            data
        } else {
            storefront_data(data)
        };
        json!({
            "id": self.public_id(),
            "type": self.event_type,
            "catalog_version": self.catalog_version,
            "created_at": self.created_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": data,
        })
        .to_string()
    }
}

/// What a storefront event may carry, whatever was stored: an item event's
/// `item` record only — events written by earlier versions also carried
/// per-store `stock` counts and a tombstone's SKU, which are dropped here —
/// and a tombstone as `{id, removed, changed_version}`.
fn storefront_data(data: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(mut fields) = data else {
        return data;
    };
    let Some(mut item) = fields.remove("item") else {
        return serde_json::Value::Object(fields);
    };
    if item["removed"] == serde_json::Value::Bool(true)
        && let serde_json::Value::Object(record) = &mut item
    {
        record.retain(|key, _| matches!(key.as_str(), "id" | "removed" | "changed_version"));
    }
    json!({ "item": item })
}

/// A point in a merchant's event order, which is (catalog version, event id):
/// versions commit in order per merchant, and the events of one version (a
/// bulk change) are in the order they were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct EventPosition {
    pub catalog_version: i64,
    pub event_id: i64,
}

impl EventPosition {
    /// After every event of `catalog_version`, before any of the next version.
    pub fn end_of_version(catalog_version: i64) -> EventPosition {
        EventPosition {
            catalog_version,
            event_id: i64::MAX,
        }
    }
}

/// The merchant's events after `after` (in (catalog version, id) order),
/// only the given types when `types` is `Some`: the one definition of "after"
/// that delivery, the event stream and the backlog share.
fn after_query<'a>(
    merchant_id: i64,
    after: EventPosition,
    types: Option<&[&'a str]>,
) -> outbox_events::BoxedQuery<'a, crate::db::DbBackend> {
    let mut query = outbox_events::table
        .filter(outbox_events::merchant_id.eq(merchant_id))
        .filter(
            outbox_events::catalog_version.gt(after.catalog_version).or(
                outbox_events::catalog_version
                    .eq(after.catalog_version)
                    .and(outbox_events::id.gt(after.event_id)),
            ),
        )
        .into_boxed();
    if let Some(types) = types {
        query = query.filter(outbox_events::event_type.eq_any(types.to_vec()));
    }
    query
}

/// The merchant's events after `after`, in order, at most `limit`; only the
/// given types when `types` is `Some`.
pub fn events_after(
    conn: &mut DbConnection,
    merchant_id: i64,
    after: EventPosition,
    types: Option<&[&str]>,
    limit: i64,
) -> Result<Vec<OutboxEvent>> {
    Ok(after_query(merchant_id, after, types)
        .order((outbox_events::catalog_version, outbox_events::id))
        .limit(limit.max(1))
        .select(OutboxEventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(OutboxEvent::from)
        .collect())
}

/// How many of the merchant's events lie after `after` (of the given types),
/// and when the oldest of them was written.
pub fn count_after(
    conn: &mut DbConnection,
    merchant_id: i64,
    after: EventPosition,
    types: Option<&[&str]>,
) -> Result<(i64, Option<chrono::NaiveDateTime>)> {
    Ok(after_query(merchant_id, after, types)
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(outbox_events::created_at),
        ))
        .first(conn)?)
}

/// The position just after the merchant's last event at `catalog_version`
/// (event id 0 when that version has none): where a subscriber that has seen
/// everything up to that version starts.
pub fn position_at(
    conn: &mut DbConnection,
    merchant_id: i64,
    catalog_version: i64,
) -> Result<EventPosition> {
    let last: Option<i64> = outbox_events::table
        .filter(outbox_events::merchant_id.eq(merchant_id))
        .filter(outbox_events::catalog_version.eq(catalog_version))
        .select(diesel::dsl::max(outbox_events::id))
        .first(conn)?;
    Ok(EventPosition {
        catalog_version,
        event_id: last.unwrap_or(0),
    })
}

/// One event of the merchant by id.
pub fn find_event(conn: &mut DbConnection, merchant_id: i64, event_id: i64) -> Result<OutboxEvent> {
    outbox_events::table
        .filter(outbox_events::id.eq(event_id))
        .filter(outbox_events::merchant_id.eq(merchant_id))
        .select(OutboxEventRow::as_select())
        .first(conn)
        .optional()?
        .map(OutboxEvent::from)
        .ok_or(super::InventoryError::NotFound("event"))
}
