//! What an item's page shows, read in one call: the item, its stock per store
//! and online, its latest movements and its recent changes; and a stock
//! correction or an item save answered with that view, so the dashboard
//! makes one service call per press.

use super::audit::{self, AuditEntry};
use super::items::{ItemChange, change_item};
use super::merchants::Merchant;
use super::stock::{self, Corrected, CorrectionRequest, ItemStock, StockMovement};
use super::{Actor, InventoryError, Item, Result};
use crate::db::DbConnection;

/// Movements the item page shows, newest first.
const MOVEMENTS: i64 = 50;
/// Audit entries the item page shows, newest first.
const HISTORY: i64 = 20;

/// An item with everything its page shows.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: Item,
    /// Stock per store (every store of the merchant, in store order) and online.
    pub stock: ItemStock,
    /// The merchant's default online buffer, which applies when the item has none.
    pub merchant_buffer: i64,
    /// The merchant's catalog version as read with the view.
    pub catalog_version: i64,
    pub movements: Vec<StockMovement>,
    pub history: Vec<AuditEntry>,
    /// Designation changes planned for it, the soonest first.
    pub scheduled: Vec<super::schedules::ScheduledChange>,
}

impl ItemView {
    /// The name of one of the merchant's stores, if it is one.
    pub fn store_name(&self, location_id: i64) -> Option<&str> {
        self.stock
            .levels
            .iter()
            .find(|level| level.location.id == location_id)
            .map(|level| level.location.name.as_str())
    }
}

/// The page of an item of this merchant; another merchant's item is NotFound.
pub fn item_view(conn: &mut DbConnection, merchant_id: i64, item_id: i64) -> Result<ItemView> {
    let stock = stock::item_stock(conn, merchant_id, item_id)?;
    let item = Item::find(conn, merchant_id, item_id)?;
    let merchant = Merchant::find(conn, merchant_id)?;
    let movements = stock::movements(conn, merchant_id, item_id, MOVEMENTS)?;
    let history = audit::entries(conn, merchant_id, Some(item_id), None, HISTORY)?.entries;
    let scheduled = super::schedules::pending_for_item(conn, merchant_id, item_id)?;
    Ok(ItemView {
        item,
        stock,
        merchant_buffer: merchant.online_buffer,
        catalog_version: merchant.catalog_version,
        movements,
        history,
        scheduled,
    })
}

/// What became of a save from the item page.
#[derive(Debug)]
pub enum Saved {
    /// Saved (or nothing to change); the item as it now is.
    Done(Item),
    /// Not saved: a value was refused, a rule forbids it, or someone else
    /// saved first. Carries the page as it now is, to show the form again.
    Refused {
        error: InventoryError,
        view: Box<ItemView>,
    },
}

/// Saves a change made on the item page at the version the page showed, in
/// one call: the saved item, or why not with the page to show again.
pub fn save_item(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    expected_version: i64,
    change: &ItemChange,
) -> Result<Saved> {
    match change_item(conn, actor, merchant_id, item_id, expected_version, change) {
        Ok(done) => Ok(Saved::Done(done.item)),
        Err(
            error @ (InventoryError::Invalid(_)
            | InventoryError::Conflict { .. }
            | InventoryError::Rule { .. }),
        ) => Ok(Saved::Refused {
            view: Box::new(item_view(conn, merchant_id, item_id)?),
            error,
        }),
        Err(other) => Err(other),
    }
}

/// Records a receipt, adjustment or count (once per key, see
/// `stock::correct`) and returns it with the item's page as it is afterwards.
pub fn correct_stock(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    request: &CorrectionRequest,
) -> Result<(Corrected, ItemView)> {
    let corrected = stock::correct(conn, actor, merchant_id, request)?;
    let view = item_view(conn, merchant_id, request.item_id)?;
    Ok((corrected, view))
}
