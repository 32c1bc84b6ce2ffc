//! Stores (locations) as both lists show them. A store's name and whether it
//! fulfils online orders appear in every in-store item's record, so adding
//! or changing a store is a catalog change like any other: one transaction
//! that bumps the catalog version, stamps the items whose records show it,
//! and writes a `location.changed` outbox event.

use diesel::prelude::*;

use super::items::ItemWriter;
use super::merchants::Location;
use super::{Actor, Result, now, outbox};
use crate::db::DbConnection;
use crate::db::models::{LocationRow, NewLocationRow};
use crate::db::schema::locations;
use crate::domain::FieldError;

/// Adds a store to the merchant.
pub fn add_location(
    conn: &mut DbConnection,
    merchant_id: i64,
    name: &str,
    fulfils_online: bool,
) -> Result<Location> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(FieldError::new("name", "Store name must be 1–100 characters").into());
    }
    let actor = Actor::system();
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin(conn, &actor, merchant_id)?;
        let row: LocationRow = diesel::insert_into(locations::table)
            .values(NewLocationRow {
                merchant_id,
                name,
                fulfils_online,
                created_at: now(),
            })
            .returning(locations::all_columns)
            .get_result(conn)?;
        let location = Location::from(row);
        let catalog_version = writer.stores_changed(conn)?;
        outbox::location_changed(conn, &location, catalog_version)?;
        Ok(location)
    })
}
