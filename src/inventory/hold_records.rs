//! A hold for pickup as stored (`Reservation`), its one way out of *open*
//! (`close`, a conditional UPDATE, so of two writers exactly one moves it),
//! how each change of a hold is announced (activity entry and
//! `reservation.*` event), and the rule that open holds never exceed what
//! is on hand: the stock ledger lets the newest holds go when a movement
//! leaves too few (`release_beyond_on_hand`). Making, handing over and
//! expiring holds is `reservations`, which builds on this.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::audit::{About, AuditField};
use super::merchants::Location;
use super::{Actor, InventoryError, Item, Result, lists, now, outbox};
use crate::db::DbConnection;
use crate::db::models::ReservationRow;
use crate::db::schema::{reservations, stock_levels};
use crate::domain::{PickupCode, ReservationStatus};

/// A hold for pickup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reservation {
    pub id: i64,
    pub item_id: i64,
    pub location_id: i64,
    pub quantity: i64,
    /// Six characters to say at the counter (no 0/O, 1/I/L).
    #[schema(example = "K7P3QX")]
    pub pickup_code: String,
    #[schema(value_type = String, example = "open")]
    pub status: ReservationStatus,
    /// The shopper's name, as they gave it.
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// When an open hold runs out: UTC, ISO 8601 without an offset.
    #[schema(value_type = String, example = "2026-12-09T14:05:03.120511")]
    pub expires_at: NaiveDateTime,
    #[schema(value_type = String, example = "2026-12-07T14:05:03.120511")]
    pub created_at: NaiveDateTime,
    /// When it was picked up, released or expired.
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<NaiveDateTime>,
}

impl TryFrom<ReservationRow> for Reservation {
    type Error = InventoryError;

    fn try_from(row: ReservationRow) -> Result<Reservation> {
        let status = ReservationStatus::parse(&row.status).ok_or_else(|| {
            InventoryError::Corrupt(format!("reservation {}: status {:?}", row.id, row.status))
        })?;
        Ok(Reservation {
            id: row.id,
            item_id: row.item_id,
            location_id: row.location_id,
            quantity: row.quantity,
            pickup_code: row.pickup_code,
            status,
            name: row.name,
            email: row.email,
            phone: row.phone,
            expires_at: row.expires_at,
            created_at: row.created_at,
            closed_at: row.closed_at,
        })
    }
}

impl Reservation {
    /// One hold of the merchant; another merchant's is NotFound.
    pub fn find(conn: &mut DbConnection, merchant_id: i64, id: i64) -> Result<Reservation> {
        reservations::table
            .filter(reservations::id.eq(id))
            .filter(reservations::merchant_id.eq(merchant_id))
            .select(ReservationRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("reservation"))?
            .try_into()
    }

    /// The open hold with this pickup code at the store, if any.
    pub fn open_by_code(
        conn: &mut DbConnection,
        merchant_id: i64,
        location_id: i64,
        code: &PickupCode,
    ) -> Result<Option<Reservation>> {
        reservations::table
            .filter(reservations::merchant_id.eq(merchant_id))
            .filter(reservations::location_id.eq(location_id))
            .filter(reservations::pickup_code.eq(code.as_str()))
            .filter(reservations::status.eq(ReservationStatus::Open.as_str()))
            .select(ReservationRow::as_select())
            .first(conn)
            .optional()?
            .map(Reservation::try_from)
            .transpose()
    }

    /// What events and the activity log carry: never the shopper's contact.
    pub(super) fn public_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "pickup_code": self.pickup_code,
            "status": self.status.as_str(),
            "item_id": self.item_id,
            "location_id": self.location_id,
            "quantity": self.quantity,
            "expires_at": self.expires_at,
            "created_at": self.created_at,
            "closed_at": self.closed_at,
        })
    }
}

pub(super) fn already_closed(reservation: &Reservation) -> InventoryError {
    InventoryError::Closed(format!(
        "Reservation {} is {} already; nothing was changed",
        reservation.pickup_code,
        reservation.status.label().to_lowercase()
    ))
}

/// Moves an open hold to `to` in one conditional statement: of two
/// instances (or a retry) closing the same hold, exactly one changes the
/// row; the other gets `Closed` and writes nothing.
pub(super) fn close(
    conn: &mut DbConnection,
    reservation: &Reservation,
    to: ReservationStatus,
    by: Option<&Actor>,
) -> Result<Reservation> {
    let closed_at = now();
    let changed = diesel::update(
        reservations::table
            .filter(reservations::id.eq(reservation.id))
            .filter(reservations::status.eq(ReservationStatus::Open.as_str())),
    )
    .set((
        reservations::status.eq(to.as_str()),
        reservations::closed_at.eq(Some(closed_at)),
        reservations::closed_by.eq(by.map(|actor| actor.as_str().to_owned())),
    ))
    .execute(conn)?;
    if changed == 1 {
        keep_held(conn, reservation, -reservation.quantity)?;
    } else {
        let now_is: Reservation = reservations::table
            .find(reservation.id)
            .select(ReservationRow::as_select())
            .first(conn)?
            .try_into()?;
        return Err(already_closed(&now_is));
    }
    Ok(Reservation {
        status: to,
        closed_at: Some(closed_at),
        ..reservation.clone()
    })
}

/// Keeps the level's count of held units with its holds: `units` more when
/// a hold is made (`opened`), fewer when one is closed. The two ways a hold
/// enters or leaves *open* are the only writers of `stock_levels.held`.
pub(super) fn opened(conn: &mut DbConnection, reservation: &Reservation) -> Result<()> {
    keep_held(conn, reservation, reservation.quantity)
}

fn keep_held(conn: &mut DbConnection, reservation: &Reservation, units: i64) -> Result<()> {
    let changed = diesel::update(
        stock_levels::table
            .filter(stock_levels::item_id.eq(reservation.item_id))
            .filter(stock_levels::location_id.eq(reservation.location_id)),
    )
    .set(stock_levels::held.eq(stock_levels::held + units))
    .execute(conn)?;
    if changed != 1 {
        // A hold is only made on units on hand, so its level exists.
        return Err(InventoryError::Corrupt(format!(
            "reservation {} holds units at a store with no stock level",
            reservation.id
        )));
    }
    Ok(())
}

/// The activity entry and the `reservation.*` event of a hold's change.
pub(super) fn announce(
    conn: &mut DbConnection,
    actor: &Actor,
    item: &Item,
    store: &Location,
    reservation: &Reservation,
    catalog_version: i64,
    new_value: &str,
) -> Result<()> {
    let event = match reservation.status {
        ReservationStatus::Open => outbox::RESERVATION_CREATED,
        ReservationStatus::PickedUp => outbox::RESERVATION_PICKED_UP,
        ReservationStatus::Released => outbox::RESERVATION_RELEASED,
        ReservationStatus::Expired => outbox::RESERVATION_EXPIRED,
    };
    outbox::reservation_event(
        conn,
        item,
        catalog_version,
        event,
        reservation.public_json(),
    )?;
    let label = format!(
        "{}: {} × {} at {}, for {}",
        reservation.pickup_code, reservation.quantity, item.name, store.name, reservation.name
    );
    let old_value = match reservation.status {
        ReservationStatus::Open => "",
        _ => ReservationStatus::Open.as_str(),
    };
    About::reservation(item.merchant_id, reservation.id, label, catalog_version).record(
        conn,
        actor,
        AuditField::Reservation,
        old_value,
        new_value,
    )
}

/// After movements that took held units (a sale recorded anyway, a count
/// or an adjustment down), lets go the newest open holds of each moved item
/// at each store until what they hold fits what is on hand again, each
/// through the write path at the movements' catalog version. Returns the
/// items some of whose holds were let go.
pub(in crate::inventory) fn release_beyond_on_hand(
    conn: &mut DbConnection,
    actor: &Actor,
    moved: &[Item],
    catalog_version: i64,
) -> Result<Vec<i64>> {
    if moved.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = moved.iter().map(|item| item.id).collect();
    let mut released = Vec::new();
    for ((item_id, location_id), level) in lists::item_units(conn, &ids)? {
        let (units, on_hand) = (level.held, level.on_hand.max(0));
        if units <= on_hand {
            continue;
        }
        let Some(item) = moved.iter().find(|item| item.id == item_id) else {
            continue;
        };
        if release_newest(
            conn,
            actor,
            item,
            location_id,
            units - on_hand,
            catalog_version,
        )? > 0
        {
            released.push(item_id);
        }
    }
    Ok(released)
}

/// Lets go the newest open holds of the item at the store until at least
/// `excess` units are free of holds.
fn release_newest(
    conn: &mut DbConnection,
    actor: &Actor,
    item: &Item,
    location_id: i64,
    mut excess: i64,
    catalog_version: i64,
) -> Result<usize> {
    let open: Vec<ReservationRow> = reservations::table
        .filter(reservations::merchant_id.eq(item.merchant_id))
        .filter(reservations::item_id.eq(item.id))
        .filter(reservations::location_id.eq(location_id))
        .filter(reservations::status.eq(ReservationStatus::Open.as_str()))
        .order(reservations::id.desc())
        .select(ReservationRow::as_select())
        .load(conn)?;
    let store = Location::find_any(conn, item.merchant_id, location_id)?;
    let mut released = 0;
    for row in open {
        if excess <= 0 {
            break;
        }
        let before = Reservation::try_from(row)?;
        let reservation = close(conn, &before, ReservationStatus::Released, Some(actor))?;
        excess -= reservation.quantity;
        announce(
            conn,
            actor,
            item,
            &store,
            &reservation,
            catalog_version,
            "released (its units were sold or counted away)",
        )?;
        released += 1;
    }
    Ok(released)
}
