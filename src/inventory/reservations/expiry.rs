//! Holds that ran out: the scheduler lets them go through the write path.
//!
//! Exactly once, on one database or with several instances on one
//! PostgreSQL: each hold leaves `open` by one conditional UPDATE (`WHERE
//! status = 'open'`), and only the transaction whose UPDATE changed the row
//! writes the event and the activity entry. A second instance, a retry after
//! a crash (the transaction rolled back, so the hold is still open and is
//! found again), or a staff member pressing *Release* at the same moment
//! finds it closed and writes nothing. Holds that ran out while the server
//! was down are found on the first run after start.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Reservation;
use super::holds::{due_and_applied, units_freed};
use crate::db::DbConnection;
use crate::db::models::ReservationRow;
use crate::db::schema::reservations;
use crate::domain::ReservationStatus;
use crate::inventory::hold_records::{announce, close};
use crate::inventory::items::ItemWriter;
use crate::inventory::merchants::Location;
use crate::inventory::{Actor, InventoryError, Item, Result, now};

/// How many holds one transaction lets go at most.
const BATCH: i64 = 500;

/// What one run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExpiryRun {
    /// Holds this run let go (others may have been let go by another instance).
    pub expired: usize,
}

/// Lets go every open hold, of every merchant, whose time ran out by `at`.
pub fn expire_due(conn: &mut DbConnection, at: NaiveDateTime) -> Result<ExpiryRun> {
    let mut run = ExpiryRun::default();
    loop {
        let due: Vec<(i64, i64)> = reservations::table
            .filter(reservations::status.eq(ReservationStatus::Open.as_str()))
            .filter(reservations::expires_at.le(at))
            .order((reservations::expires_at, reservations::id))
            .limit(BATCH)
            .select((reservations::merchant_id, reservations::id))
            .load(conn)?;
        if due.is_empty() {
            return Ok(run);
        }
        let mut by_merchant: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (merchant_id, id) in &due {
            by_merchant.entry(*merchant_id).or_default().push(*id);
        }
        let mut progress = 0;
        for (merchant_id, ids) in by_merchant {
            let expired = conn.write_transaction(|conn| expire_holds(conn, merchant_id, &ids))?;
            progress += expired;
            run.expired += expired;
        }
        if progress == 0 && due.len() < BATCH as usize {
            // Everything found was let go by someone else meanwhile.
            return Ok(run);
        }
    }
}

/// Lets go the holds of one merchant that are still open, in one
/// transaction with the merchant locked.
fn expire_holds(conn: &mut DbConnection, merchant_id: i64, ids: &[i64]) -> Result<usize> {
    let scheduler = Actor::scheduler();
    let mut writer = ItemWriter::begin(conn, &scheduler, merchant_id)?;
    let rows: Vec<ReservationRow> = reservations::table
        .filter(reservations::merchant_id.eq(merchant_id))
        .filter(reservations::id.eq_any(ids))
        .filter(reservations::status.eq(ReservationStatus::Open.as_str()))
        .order(reservations::id)
        .select(ReservationRow::as_select())
        .load(conn)?;
    let mut expired = Vec::with_capacity(rows.len());
    for row in rows {
        let before = Reservation::try_from(row)?;
        match close(conn, &before, ReservationStatus::Expired, None) {
            Ok(reservation) => expired.push((before.expires_at, reservation)),
            // Closed by someone else since it was read: theirs to announce.
            Err(InventoryError::Closed(_)) => {}
            Err(other) => return Err(other),
        }
    }
    let Some((_, first)) = expired.first() else {
        return Ok(0);
    };
    // One stamp per item, however many of its holds ran out.
    let mut catalog_version = units_freed(conn, &mut writer, merchant_id, first)?;
    let mut stamped = vec![first.item_id];
    for (_, reservation) in &expired {
        if !stamped.contains(&reservation.item_id) {
            catalog_version = units_freed(conn, &mut writer, merchant_id, reservation)?;
            stamped.push(reservation.item_id);
        }
    }
    writer.finish(conn)?;
    let applied = now();
    let mut stores: BTreeMap<i64, Location> = BTreeMap::new();
    let mut items: BTreeMap<i64, Item> = BTreeMap::new();
    for (due, reservation) in &expired {
        if !stores.contains_key(&reservation.location_id) {
            let store = Location::find_any(conn, merchant_id, reservation.location_id)?;
            stores.insert(store.id, store);
        }
        if !items.contains_key(&reservation.item_id) {
            let item = Item::find(conn, merchant_id, reservation.item_id)?;
            items.insert(item.id, item);
        }
        let (Some(store), Some(item)) = (
            stores.get(&reservation.location_id),
            items.get(&reservation.item_id),
        ) else {
            continue;
        };
        announce(
            conn,
            &scheduler,
            item,
            store,
            reservation,
            catalog_version,
            &due_and_applied(*due, applied),
        )?;
    }
    log::info!(
        "merchant {merchant_id}: {} hold(s) expired at catalog version {catalog_version}",
        expired.len()
    );
    Ok(expired.len())
}
