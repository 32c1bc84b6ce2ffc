//! The merchant's default online buffer: units of every item held back from
//! the online count for walk-in customers, unless the item sets its own.
//! A change is logged with the person who made it.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::ItemRow;
use crate::db::schema::{items, merchants};
use crate::domain::{OnlineListing, StockCount};
use crate::inventory::audit::{About, AuditField};
use crate::inventory::items::ItemWriter;
use crate::inventory::{Actor, Item, Result, catalog};

/// Sets the merchant's default online buffer. Every for-sale item without
/// its own buffer shows a new availability, so the item writer stamps and
/// announces each (and may switch it, if the merchant opted in); when no
/// item uses the default, no list changes and the catalog version stays.
pub fn set_merchant_online_buffer(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    buffer: StockCount,
) -> Result<i64> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let old = catalog::merchant_buffer(conn, merchant_id)?;
        if old == buffer.get() {
            return catalog::current_version(conn, merchant_id);
        }
        diesel::update(merchants::table.find(merchant_id))
            .set(merchants::online_buffer.eq(buffer.get()))
            .execute(conn)?;
        let record = |conn: &mut DbConnection, version: i64| {
            About::settings(merchant_id, version).record(
                conn,
                actor,
                AuditField::DefaultOnlineBuffer,
                &old.to_string(),
                &buffer.get().to_string(),
            )
        };
        let affected = items::table
            .filter(items::merchant_id.eq(merchant_id))
            .filter(items::archived.eq(false))
            .filter(items::online_buffer.is_null())
            .filter(
                items::online
                    .eq(OnlineListing::ForSale.as_str())
                    .or(items::auto_switched.eq(true)),
            )
            .select(ItemRow::as_select())
            .load(conn)?;
        if affected.is_empty() {
            // No list shows a figure the default decides.
            let version = catalog::current_version(conn, merchant_id)?;
            record(conn, version)?;
            return Ok(version);
        }
        let version = catalog::next_version(conn, merchant_id)?;
        record(conn, version)?;
        let mut writer = ItemWriter::at_version(actor, merchant_id, version, buffer.get());
        for row in affected {
            writer.stock_moved(conn, &Item::from_row(row)?)?;
        }
        Ok(version)
    })
}
