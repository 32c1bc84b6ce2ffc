//! Holds for pickup (reservations): units of an item kept at one store for a
//! shopper who will come and buy them. The stock stays on hand, but open
//! holds are subtracted from what the store has available — for the lists,
//! online orders, counter sales and other holds (`lists::open_holds`, the
//! one place that reads them) — and open holds never exceed what is on hand.
//!
//! Every change of a hold goes through `holds` (made, picked up, released,
//! expired): in one transaction with the merchant locked, it moves the
//! catalog version through the item writer (the item's availability
//! changed), writes an activity entry and the `reservation.*` event. The
//! scheduler lets holds that ran out go (`expiry`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{InventoryError, Result};
use crate::db::DbConnection;
use crate::db::models::ReservationRow;
use crate::db::schema::{items, reservations};
use crate::domain::{Contact, PickupCode, ReservationStatus};

mod expiry;
mod holds;

pub use expiry::{ExpiryRun, expire_due};
pub(super) use holds::release_beyond_on_hand;
pub use holds::{
    HOURLY_LIMIT_PER_ADDRESS, OPEN_LIMIT_PER_CONTACT, PickedUp, pick_up, release, reserve,
    reserve_once,
};

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

/// An open hold as the counter lists it, with its item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenHold {
    pub reservation: Reservation,
    pub item_name: String,
    pub sku: String,
}

/// The store's open holds, the soonest to expire first.
pub fn open_at_store(
    conn: &mut DbConnection,
    merchant_id: i64,
    location_id: i64,
) -> Result<Vec<OpenHold>> {
    reservations::table
        .inner_join(items::table)
        .filter(reservations::merchant_id.eq(merchant_id))
        .filter(reservations::location_id.eq(location_id))
        .filter(reservations::status.eq(ReservationStatus::Open.as_str()))
        .order((reservations::expires_at, reservations::id))
        .select((ReservationRow::as_select(), items::name, items::sku))
        .load::<(ReservationRow, String, String)>(conn)?
        .into_iter()
        .map(|(row, item_name, sku)| {
            Ok(OpenHold {
                reservation: row.try_into()?,
                item_name,
                sku,
            })
        })
        .collect()
}

/// A hold as a shopper or the storefront asks for it, parsed at the edge;
/// the quantity is checked against the merchant's maximum and the stock.
#[derive(Debug, Clone)]
pub struct ReservationRequest {
    pub item_id: i64,
    pub location_id: i64,
    pub quantity: i64,
    /// The shopper's name (`domain::shopper_name`).
    pub name: String,
    pub contact: Contact,
    /// Where the shop page's request came from, for the limit per address;
    /// `None` for the storefront API, whose one server speaks for every
    /// shopper (the limit per email or phone still holds).
    pub client_address: Option<String>,
}
