//! The one write path of holds: made, picked up, released, expired. Each runs
//! with the merchant locked (the lock every stock write takes), so what a
//! store has free cannot change between the check and the write, and open
//! holds stay within what is on hand.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use rand::RngCore;

use super::{Reservation, ReservationRequest};
use crate::db::DbConnection;
use crate::db::models::{NewReservationRow, ReservationRow};
use crate::db::schema::reservations;
use crate::domain::{
    FieldError, IdempotencyKey, MovementKind, PICKUP_CODE_LEN, PickupCode, ReservationStatus,
};
use crate::inventory::hold_records::{already_closed, announce, close, opened};
use crate::inventory::idempotency::{self, Fingerprint, Outcome};
use crate::inventory::items::ItemWriter;
use crate::inventory::merchants::{Location, Merchant};
use crate::inventory::stock::{self, Ledger, Movement};
use crate::inventory::{Actor, InventoryError, Item, Result, catalog, now};

/// At most this many open holds per email address (or phone number) per shop.
pub const OPEN_LIMIT_PER_CONTACT: i64 = 5;

/// At most this many new holds per client address per shop in an hour (the
/// shop page's; the storefront API speaks for many shoppers from one address).
pub const HOURLY_LIMIT_PER_ADDRESS: i64 = 10;

/// Makes a hold in its own transaction (the shop page).
pub fn reserve(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    request: &ReservationRequest,
) -> Result<Reservation> {
    conn.write_transaction(|conn| reserve_locked(conn, actor, merchant_id, request))
}

/// Makes a hold once per idempotency key (the storefront API): a retry with
/// the same key and body answers the same reservation.
pub fn reserve_once(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    request: &ReservationRequest,
) -> Result<Outcome<Reservation>> {
    idempotency::once(conn, merchant_id, key, fingerprint, |conn| {
        reserve_locked(conn, actor, merchant_id, request)
    })
}

fn reserve_locked(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    request: &ReservationRequest,
) -> Result<Reservation> {
    let mut writer = ItemWriter::begin(conn, actor, merchant_id)?;
    let merchant = Merchant::find(conn, merchant_id)?;
    let max = merchant.reservation_max_quantity;
    if request.quantity < 1 || request.quantity > max {
        return Err(
            FieldError::new("quantity", format!("Reserve from 1 to {max} at a time")).into(),
        );
    }
    let item = Item::find(conn, merchant_id, request.item_id)?;
    // A store-only item is none of the shop's business: the message names
    // only the id the caller sent.
    if item.archived || !item.online().is_listed() || !item.in_store() {
        return Err(FieldError::new(
            "item_id",
            format!(
                "Item {} can't be reserved: it is not offered for pickup in a store",
                request.item_id
            ),
        )
        .into());
    }
    let store = Location::find(conn, merchant_id, request.location_id).map_err(|e| match e {
        InventoryError::NotFound(_) => FieldError::new(
            "location_id",
            format!("There is no store {}", request.location_id),
        )
        .into(),
        other => other,
    })?;
    check_limits(conn, merchant_id, request)?;
    let free = stock::available_at(conn, item.id, store.id)?;
    if free == 0 {
        return Err(FieldError::new(
            "location_id",
            format!("{} has none left to reserve", store.name),
        )
        .into());
    }
    if request.quantity > free {
        return Err(FieldError::new(
            "quantity",
            format!("Only {free} left to reserve at {}", store.name),
        )
        .into());
    }
    let code = fresh_code(conn, merchant_id)?;
    let created_at = now();
    let row: ReservationRow = diesel::insert_into(reservations::table)
        .values(NewReservationRow {
            merchant_id,
            item_id: item.id,
            location_id: store.id,
            quantity: request.quantity,
            name: &request.name,
            email: request.contact.email(),
            phone: request.contact.phone(),
            pickup_code: code.as_str(),
            status: ReservationStatus::Open.as_str(),
            expires_at: created_at + TimeDelta::hours(merchant.reservation_hold_hours),
            created_at,
            client_address: request.client_address.as_deref().unwrap_or(""),
        })
        .returning(reservations::all_columns)
        .get_result(conn)?;
    let reservation = Reservation::try_from(row)?;
    opened(conn, &reservation)?;
    // The item's availability at the store (and maybe online) just fell.
    writer.stock_moved(conn, &item)?;
    let catalog_version = writer.catalog_version(conn)?;
    writer.finish(conn)?;
    announce(
        conn,
        actor,
        &item,
        &store,
        &reservation,
        catalog_version,
        ReservationStatus::Open.as_str(),
    )?;
    log::info!(
        "merchant {merchant_id} item {}: {} held at store {} as {} until {}",
        item.id,
        reservation.quantity,
        store.id,
        reservation.pickup_code,
        reservation.expires_at
    );
    Ok(reservation)
}

/// The limits on holds, counted in the database so they hold across
/// instances: open holds per email or phone, new holds per address an hour.
fn check_limits(
    conn: &mut DbConnection,
    merchant_id: i64,
    request: &ReservationRequest,
) -> Result<()> {
    let open = ReservationStatus::Open.as_str();
    let mut same_contact = reservations::table
        .filter(reservations::merchant_id.eq(merchant_id))
        .filter(reservations::status.eq(open))
        .into_boxed();
    same_contact = match (request.contact.email(), request.contact.phone()) {
        (Some(email), _) => same_contact.filter(reservations::email.eq(email.to_owned())),
        (None, Some(phone)) => same_contact.filter(reservations::phone.eq(phone.to_owned())),
        (None, None) => same_contact,
    };
    let held: i64 = same_contact.count().get_result(conn)?;
    if held >= OPEN_LIMIT_PER_CONTACT {
        return Err(InventoryError::TooMany(format!(
            "You have {held} open reservations at this shop already, the most at once; pick one up or cancel it first"
        )));
    }
    if let Some(address) = request.client_address.as_deref() {
        let recent: i64 = reservations::table
            .filter(reservations::merchant_id.eq(merchant_id))
            .filter(reservations::client_address.eq(address))
            .filter(reservations::created_at.gt(now() - TimeDelta::hours(1)))
            .count()
            .get_result(conn)?;
        if recent >= HOURLY_LIMIT_PER_ADDRESS {
            return Err(InventoryError::TooMany(format!(
                "{recent} reservations were made from your connection in the last hour, the most we take; try again later"
            )));
        }
    }
    Ok(())
}

/// A pickup code no open hold of the merchant has (the merchant lock keeps
/// it free until the insert; the unique index would refuse a duplicate).
fn fresh_code(conn: &mut DbConnection, merchant_id: i64) -> Result<PickupCode> {
    for _ in 0..20 {
        let mut bytes = [0u8; PICKUP_CODE_LEN];
        rand::rng().fill_bytes(&mut bytes);
        let code = PickupCode::from_random(bytes);
        let taken = reservations::table
            .filter(reservations::merchant_id.eq(merchant_id))
            .filter(reservations::pickup_code.eq(code.as_str()))
            .filter(reservations::status.eq(ReservationStatus::Open.as_str()))
            .select(reservations::id)
            .first::<i64>(conn)
            .optional()?;
        if taken.is_none() {
            return Ok(code);
        }
    }
    Err(InventoryError::Corrupt(
        "no free pickup code after 20 tries".into(),
    ))
}

/// A hold handed over: the sale on the ledger and the hold consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickedUp {
    pub reservation: Reservation,
    /// The store's level after the sale.
    pub on_hand_after: i64,
    pub catalog_version: i64,
}

/// Hands a hold over at the counter: records the sale (a `sale` movement
/// naming the pickup code) and consumes the hold, in one transaction.
/// `at_store` (a cashier's own store, or the counter's) must be the hold's.
pub fn pick_up(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    reservation_id: i64,
    at_store: Option<i64>,
) -> Result<PickedUp> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let before = open_hold(conn, merchant_id, reservation_id, at_store)?;
        let reservation = close(conn, &before, ReservationStatus::PickedUp, Some(actor))?;
        let item = Item::find(conn, merchant_id, reservation.item_id)?;
        let store = Location::find_any(conn, merchant_id, reservation.location_id)?;
        let reference = format!("res_{}", reservation.id);
        let reason = format!("Pickup of reservation {}", reservation.pickup_code);
        let mut ledger = Ledger::open(
            conn,
            merchant_id,
            actor,
            &reference,
            &reference,
            None,
            &[&item],
        )?;
        // The hold kept these units on hand: they are there to sell.
        let sale = ledger.apply(
            conn,
            &item,
            store.id,
            -reservation.quantity,
            Movement {
                kind: MovementKind::StoreSale,
                reason: &reason,
            },
        )?;
        let catalog_version = ledger.close(conn)?;
        announce(
            conn,
            actor,
            &item,
            &store,
            &reservation,
            catalog_version,
            ReservationStatus::PickedUp.as_str(),
        )?;
        Ok(PickedUp {
            reservation,
            on_hand_after: sale.on_hand_after,
            catalog_version,
        })
    })
}

/// Lets a hold go (staff at the counter, or the storefront cancelling it):
/// its units are free again. `at_store` as for `pick_up`.
pub fn release(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    reservation_id: i64,
    at_store: Option<i64>,
) -> Result<Reservation> {
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin(conn, actor, merchant_id)?;
        let before = open_hold(conn, merchant_id, reservation_id, at_store)?;
        let reservation = close(conn, &before, ReservationStatus::Released, Some(actor))?;
        let catalog_version = units_freed(conn, &mut writer, merchant_id, &reservation)?;
        let item = Item::find(conn, merchant_id, reservation.item_id)?;
        let store = Location::find_any(conn, merchant_id, reservation.location_id)?;
        announce(
            conn,
            actor,
            &item,
            &store,
            &reservation,
            catalog_version,
            ReservationStatus::Released.as_str(),
        )?;
        Ok(reservation)
    })
}

/// Stamps and announces the item whose held units came free, through the
/// item writer (which bumps the catalog version once per transaction);
/// returns the catalog version.
pub(super) fn units_freed(
    conn: &mut DbConnection,
    writer: &mut ItemWriter<'_>,
    merchant_id: i64,
    reservation: &Reservation,
) -> Result<i64> {
    let item = Item::find(conn, merchant_id, reservation.item_id)?;
    if !item.archived && (item.in_store() || item.online().is_listed()) {
        writer.stock_moved(conn, &item)?;
        writer.catalog_version(conn)
    } else {
        catalog::next_version(conn, merchant_id)
    }
}

/// The hold, if it is open (and at `at_store`, when given); a hold at
/// another store is NotFound, as another merchant's is.
fn open_hold(
    conn: &mut DbConnection,
    merchant_id: i64,
    reservation_id: i64,
    at_store: Option<i64>,
) -> Result<Reservation> {
    let reservation = Reservation::find(conn, merchant_id, reservation_id)?;
    if at_store.is_some_and(|store| store != reservation.location_id) {
        return Err(InventoryError::NotFound("reservation"));
    }
    if reservation.status != ReservationStatus::Open {
        return Err(already_closed(&reservation));
    }
    Ok(reservation)
}

/// When `expire_due` found the hold due, as the activity entry records it.
pub(super) fn due_and_applied(due: NaiveDateTime, applied: NaiveDateTime) -> String {
    format!(
        "expired (due {}, applied {} UTC)",
        due.format("%Y-%m-%d %H:%M:%S"),
        applied.format("%Y-%m-%d %H:%M:%S")
    )
}
