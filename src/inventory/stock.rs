//! Stock levels per item and store.

use diesel::prelude::*;

use super::{InventoryError, Item, Result, catalog, now, outbox};
use crate::db::DbConnection;
use crate::db::models::NewStockLevelRow;
use crate::db::schema::items;
use crate::db::schema::stock_levels;
use crate::inventory::merchants::Location;

/// The on-hand quantity of an item at a store (zero when never stocked).
pub fn on_hand(conn: &mut DbConnection, item_id: i64, location_id: i64) -> Result<i64> {
    Ok(stock_levels::table
        .filter(stock_levels::item_id.eq(item_id))
        .filter(stock_levels::location_id.eq(location_id))
        .select(stock_levels::on_hand)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Adds received units to a store's stock; returns the new on-hand quantity.
pub fn receive(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
    location_id: i64,
    quantity: i64,
) -> Result<i64> {
    if !(1..=1_000_000_000).contains(&quantity) {
        return Err(crate::domain::FieldError::new(
            "quantity",
            "Quantity must be between 1 and 1,000,000,000",
        )
        .into());
    }
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let item = Item::find(conn, merchant_id, item_id)?;
        let location = Location::find(conn, merchant_id, location_id)?;
        let updated = diesel::update(
            stock_levels::table
                .filter(stock_levels::item_id.eq(item.id))
                .filter(stock_levels::location_id.eq(location.id)),
        )
        .set((
            stock_levels::on_hand.eq(stock_levels::on_hand + quantity),
            stock_levels::updated_at.eq(now()),
        ))
        .returning(stock_levels::on_hand)
        .get_result::<i64>(conn)
        .optional()?;
        let level = match updated {
            Some(level) => level,
            None => {
                diesel::insert_into(stock_levels::table)
                    .values(NewStockLevelRow {
                        item_id: item.id,
                        location_id: location.id,
                        on_hand: quantity,
                        updated_at: now(),
                    })
                    .execute(conn)
                    .map_err(InventoryError::from)?;
                quantity
            }
        };
        // Stock is part of both lists, so a receipt is a catalog change.
        let version = catalog::next_version(conn, merchant_id)?;
        diesel::update(items::table.find(item.id))
            .set(items::changed_version.eq(version))
            .execute(conn)?;
        let item = Item {
            changed_version: version,
            ..item
        };
        outbox::item_changed(conn, &item, version)?;
        Ok(level)
    })
}
