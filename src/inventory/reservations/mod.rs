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

use diesel::prelude::*;

use super::Result;
use crate::db::DbConnection;
use crate::db::models::ReservationRow;
use crate::db::schema::{items, reservations};
use crate::domain::{Contact, ReservationStatus};

mod expiry;
mod holds;

pub use super::hold_records::Reservation;
pub use expiry::{ExpiryRun, expire_due};
pub use holds::{
    HOURLY_LIMIT_PER_ADDRESS, OPEN_LIMIT_PER_CONTACT, PickedUp, pick_up, release, reserve,
    reserve_once,
};

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
