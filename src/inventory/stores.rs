//! Stores (locations) as both lists show them. A store's name and whether it
//! fulfils online orders appear in every in-store item's record, so adding,
//! renaming, archiving or restoring a store is a catalog change like any
//! other: one transaction that bumps the catalog version, stamps the items
//! whose records show it, and writes a `location.changed` outbox event. A
//! change to what a store fulfils (or whether it is open) also changes the
//! online availability of every item for sale, so each of those goes through
//! the item writer, as a stock movement would.
//!
//! Each change writes its activity entries (who, which field, from what to
//! what) in the same transaction.
//!
//! An archived store keeps its stock ledger, but is in no list, no counter
//! picker and no new point-of-sale token, and its tokens stop working.

use diesel::prelude::*;

use super::audit::{About, AuditField};
use super::items::ItemWriter;
use super::merchants::Location;
use super::{Actor, InventoryError, Item, Result, now, outbox};
use crate::db::DbConnection;
use crate::db::models::{ItemRow, LocationRow, NewLocationRow};
use crate::db::schema::{items, locations};
use crate::domain::{FieldError, OnlineListing, line, text_block};

/// A store as typed into the stores page.
#[derive(Debug, Clone, Default)]
pub struct StoreInput<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub hours: &'a str,
    pub fulfils_online: bool,
}

/// A store's details after their rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDetails {
    pub name: String,
    pub address: String,
    pub hours: String,
    pub fulfils_online: bool,
}

impl StoreDetails {
    pub fn parse(input: &StoreInput) -> std::result::Result<StoreDetails, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = line(input.name, "name", "Store name", 100, true)
            .map_err(|e| errors.push(e))
            .ok();
        let address = line(input.address, "address", "Address", 300, false)
            .map_err(|e| errors.push(e))
            .ok();
        let hours = text_block(input.hours, "hours", "Opening hours", 500)
            .map_err(|e| errors.push(e))
            .ok();
        match (name, address, hours) {
            (Some(name), Some(address), Some(hours)) if errors.is_empty() => Ok(StoreDetails {
                name,
                address,
                hours,
                fulfils_online: input.fulfils_online,
            }),
            _ => Err(errors),
        }
    }
}

/// Adds a store with a name only (the demo, tests, the command line).
pub fn add_location(
    conn: &mut DbConnection,
    merchant_id: i64,
    name: &str,
    fulfils_online: bool,
) -> Result<Location> {
    let details = StoreDetails::parse(&StoreInput {
        name,
        fulfils_online,
        ..StoreInput::default()
    })
    .map_err(|mut errors| InventoryError::Invalid(errors.remove(0)))?;
    add_store(conn, &Actor::system(), merchant_id, &details)
}

/// Adds a store to the merchant.
pub fn add_store(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    details: &StoreDetails,
) -> Result<Location> {
    conn.write_transaction(|conn| insert_store(conn, actor, merchant_id, details))
}

/// Adds a store inside the caller's transaction.
pub(super) fn insert_store(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    details: &StoreDetails,
) -> Result<Location> {
    let mut writer = ItemWriter::begin(conn, actor, merchant_id)?;
    let row: LocationRow = diesel::insert_into(locations::table)
        .values(NewLocationRow {
            merchant_id,
            name: &details.name,
            fulfils_online: details.fulfils_online,
            created_at: now(),
            address: &details.address,
            hours: &details.hours,
        })
        .returning(locations::all_columns)
        .get_result(conn)
        .map_err(name_taken)?;
    let location = Location::from(row);
    announce(conn, &mut writer, actor, None, &location)?;
    Ok(location)
}

/// Changes a store's name, address, hours and whether it fulfils online orders.
pub fn change_store(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    location_id: i64,
    details: &StoreDetails,
) -> Result<Location> {
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin(conn, actor, merchant_id)?;
        let before = Location::find_any(conn, merchant_id, location_id)?;
        let row: LocationRow = diesel::update(locations::table.find(location_id))
            .set((
                locations::name.eq(&details.name),
                locations::address.eq(&details.address),
                locations::hours.eq(&details.hours),
                locations::fulfils_online.eq(details.fulfils_online),
            ))
            .returning(locations::all_columns)
            .get_result(conn)
            .map_err(name_taken)?;
        let after = Location::from(row);
        if after != before {
            announce(conn, &mut writer, actor, Some(&before), &after)?;
        }
        Ok(after)
    })
}

/// Archives a store (`archived`) or restores it.
pub fn set_store_archived(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    location_id: i64,
    archived: bool,
) -> Result<Location> {
    let after = conn.write_transaction(|conn| -> Result<Location> {
        let mut writer = ItemWriter::begin(conn, actor, merchant_id)?;
        let before = Location::find_any(conn, merchant_id, location_id)?;
        if before.archived == archived {
            return Ok(before);
        }
        let row: LocationRow = diesel::update(locations::table.find(location_id))
            .set(locations::archived_at.eq(archived.then(now)))
            .returning(locations::all_columns)
            .get_result(conn)?;
        let after = Location::from(row);
        announce(conn, &mut writer, actor, Some(&before), &after)?;
        Ok(after)
    })?;
    Ok(after)
}

/// The write path of every store change: the catalog version, the in-store
/// items' stamps, the availability of every item for sale when the stores
/// that ship online orders changed, the activity entries and the
/// `location.changed` event.
fn announce(
    conn: &mut DbConnection,
    writer: &mut ItemWriter,
    actor: &Actor,
    before: Option<&Location>,
    after: &Location,
) -> Result<()> {
    let catalog_version = writer.stores_changed(conn)?;
    record(conn, actor, before, after, catalog_version)?;
    // A new store holds no stock yet, so no availability moves with it.
    let ships = |store: &Location| store.fulfils_online && !store.archived;
    if before.is_some_and(|before| ships(before) != ships(after)) {
        let rows: Vec<ItemRow> = items::table
            .filter(items::merchant_id.eq(after.merchant_id))
            .filter(items::archived.eq(false))
            .filter(
                items::online
                    .eq(OnlineListing::ForSale.as_str())
                    .or(items::auto_switched.eq(true)),
            )
            .order(items::id)
            .select(ItemRow::as_select())
            .load(conn)?;
        for row in rows {
            writer.stock_moved(conn, &Item::from_row(row)?)?;
        }
    }
    outbox::location_changed(conn, after, catalog_version)
}

/// The activity entries of a store change: its addition, or each field that moved.
fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    before: Option<&Location>,
    after: &Location,
    catalog_version: i64,
) -> Result<()> {
    let about = About::store(after, catalog_version);
    let Some(before) = before else {
        return about.record(conn, actor, AuditField::StoreAdded, "", &after.name);
    };
    let status = |store: &Location| if store.archived { "Archived" } else { "Open" };
    for (field, old, new) in [
        (
            AuditField::StoreName,
            before.name.clone(),
            after.name.clone(),
        ),
        (
            AuditField::Address,
            before.address.clone(),
            after.address.clone(),
        ),
        (AuditField::Hours, before.hours.clone(), after.hours.clone()),
        (
            AuditField::FulfilsOnline,
            before.fulfils_online.to_string(),
            after.fulfils_online.to_string(),
        ),
        (
            AuditField::StoreStatus,
            status(before).to_owned(),
            status(after).to_owned(),
        ),
    ] {
        about.record(conn, actor, field, &old, &new)?;
    }
    Ok(())
}

fn name_taken(error: diesel::result::Error) -> InventoryError {
    match error {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => FieldError::new(
            "name",
            "Another of your stores (perhaps an archived one) has that name",
        )
        .into(),
        other => other.into(),
    }
}
