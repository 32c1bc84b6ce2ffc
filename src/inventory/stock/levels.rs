//! What is on hand: one item at one store, or at every store with what that
//! means online.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::stock_levels;
use crate::domain::{available_at_store, available_online, online_buffer};
use crate::inventory::merchants::Location;
use crate::inventory::{Item, Result, catalog, lists};

/// The on-hand quantity of an item at a store (zero when never stocked).
pub fn on_hand(conn: &mut DbConnection, item_id: i64, location_id: i64) -> Result<i64> {
    Ok(units_at(conn, item_id, location_id)?.0)
}

/// Units of an item on hand at a store, and how many of those open
/// reservations hold (both zero when never stocked).
pub fn units_at(conn: &mut DbConnection, item_id: i64, location_id: i64) -> Result<(i64, i64)> {
    Ok(stock_levels::table
        .filter(stock_levels::item_id.eq(item_id))
        .filter(stock_levels::location_id.eq(location_id))
        .select((stock_levels::on_hand, stock_levels::held))
        .get_result::<(i64, i64)>(conn)
        .optional()?
        .unwrap_or((0, 0)))
}

/// Units of an item free at a store for a sale, an order or a hold: on
/// hand less what open reservations hold there.
pub fn available_at(conn: &mut DbConnection, item_id: i64, location_id: i64) -> Result<i64> {
    let (on_hand, held) = units_at(conn, item_id, location_id)?;
    Ok(available_at_store(on_hand, held))
}

/// One store's stock of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationStock {
    pub location: Location,
    /// Negative after a sale recorded while short: a discrepancy to count.
    pub on_hand: i64,
    /// Units of it held for pickup by open reservations.
    pub held: i64,
}

/// An item's stock in every store of its merchant, and what that means online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemStock {
    pub levels: Vec<LocationStock>,
    /// The buffer that applies to the item, and whether it is the merchant's default.
    pub online_buffer: i64,
    pub buffer_is_default: bool,
    /// Units the online store may sell now (if the item is for sale online).
    pub available_online: i64,
}

impl ItemStock {
    pub fn total(&self) -> i64 {
        self.levels.iter().map(|level| level.on_hand).sum()
    }
}

/// The stock of an item of this merchant in each of its stores.
pub fn item_stock(conn: &mut DbConnection, merchant_id: i64, item_id: i64) -> Result<ItemStock> {
    conn.read_transaction(|conn| {
        let item = Item::find(conn, merchant_id, item_id)?;
        let buffer = online_buffer(
            item.online_buffer,
            catalog::merchant_buffer(conn, merchant_id)?,
        );
        let levels = lists::item_levels(conn, merchant_id, item.id)?;
        let available = available_online(
            levels
                .iter()
                .filter(|level| level.store.fulfils_online)
                .map(lists::StoreLevel::available),
            buffer,
        );
        Ok(ItemStock {
            levels: levels
                .into_iter()
                .map(|level| LocationStock {
                    location: level.store.into(),
                    on_hand: level.on_hand,
                    held: level.held,
                })
                .collect(),
            online_buffer: buffer,
            buffer_is_default: item.online_buffer.is_none(),
            available_online: available,
        })
    })
}
