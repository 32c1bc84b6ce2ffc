//! The store list a location's device sells from, as a pure function of the
//! database: the items sold in the store with their stock there. The counter
//! page reads it too, narrowed by what the cashier typed or scanned, and
//! looks up one item of it by its exact barcode or SKU.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::item_list::{ItemFilter, matching_ids};
use super::lists::{MAX_PAGE, OnlineListingJson, Price};
use super::merchants::Location;
use super::stock::units_at;
use super::{InventoryError, Item, Result, catalog};
use crate::db::models::{ItemRow, LocationRow};
use crate::db::schema::{items, locations, stock_levels};
use crate::db::{DbBackend, DbConnection};
use crate::domain::OnlineListing;

/// One item of a store's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoreListEntry {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub price: Price,
    /// On hand at this store. Negative only after a counter sale recorded
    /// anyway while short: a discrepancy the store should count.
    pub on_hand: i64,
    /// Units of `on_hand` that open reservations hold here for pickup: not
    /// free to sell at the counter without asking.
    pub held: i64,
    /// False only in the `include_all` form, for online-only items.
    pub sellable_in_store: bool,
    pub online: OnlineListingJson,
    pub changed_version: i64,
}

/// What part of a store list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreListQuery {
    pub location_id: i64,
    /// Also return online-only items, as `sellable_in_store: false`.
    pub include_all: bool,
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// One page of a store's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreListPage {
    pub catalog_version: i64,
    pub location: Location,
    pub entries: Vec<StoreListEntry>,
    pub next_after_id: Option<i64>,
}

/// Reads one page of the list a store's device sells from, in one snapshot.
pub fn store_list(
    conn: &mut DbConnection,
    merchant_id: i64,
    query: StoreListQuery,
) -> Result<StoreListPage> {
    conn.read_transaction(|conn| read_page(conn, merchant_id, query, None))
}

/// Like `store_list`, only the items matching `search` the way the items
/// list matches it (every word in the name, SKU or barcode, in any case).
pub fn store_list_matching(
    conn: &mut DbConnection,
    merchant_id: i64,
    query: StoreListQuery,
    search: &str,
) -> Result<StoreListPage> {
    if search.trim().is_empty() {
        return store_list(conn, merchant_id, query);
    }
    conn.read_transaction(|conn| {
        let ids = matching_ids(conn, merchant_id, search, ItemFilter::All)?;
        read_page(conn, merchant_id, query, Some(&ids))
    })
}

/// The store, or `NotFound` if it is not an open store of the merchant.
fn open_store(conn: &mut DbConnection, merchant_id: i64, location_id: i64) -> Result<Location> {
    Ok(locations::table
        .filter(locations::id.eq(location_id))
        .filter(locations::merchant_id.eq(merchant_id))
        .filter(locations::archived_at.is_null())
        .select(LocationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("location"))?
        .into())
}

/// Items a store's list can show: active, and sold in store or (in the
/// `include_all` form) listed online.
fn listable(merchant_id: i64, include_all: bool) -> items::BoxedQuery<'static, DbBackend> {
    let rows = items::table
        .filter(items::merchant_id.eq(merchant_id))
        .filter(items::archived.eq(false))
        .into_boxed();
    if include_all {
        rows.filter(
            items::in_store
                .eq(true)
                .or(items::online.ne(OnlineListing::Hidden.as_str())),
        )
    } else {
        rows.filter(items::in_store.eq(true))
    }
}

fn entry_of(item: &Item, (on_hand, held): (i64, i64)) -> StoreListEntry {
    StoreListEntry {
        id: item.id,
        sku: item.sku.clone(),
        name: item.name.clone(),
        barcode: item.barcode.clone(),
        price: item.price.into(),
        on_hand,
        held,
        sellable_in_store: item.in_store(),
        online: OnlineListingJson(item.online()),
        changed_version: item.changed_version,
    }
}

/// One item as a store's list shows it (in the `include_all` form), with
/// its store: the counter's item view. `NotFound` for an archived item or
/// one neither sold in store nor listed online.
pub fn store_list_entry(
    conn: &mut DbConnection,
    merchant_id: i64,
    location_id: i64,
    item_id: i64,
) -> Result<(Location, StoreListEntry)> {
    conn.read_transaction(|conn| {
        let location = open_store(conn, merchant_id, location_id)?;
        let row: ItemRow = listable(merchant_id, true)
            .filter(items::id.eq(item_id))
            .select(ItemRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("item"))?;
        let item = Item::from_row(row)?;
        let units = units_at(conn, item.id, location.id)?;
        Ok((location, entry_of(&item, units)))
    })
}

/// The item whose barcode or SKU is exactly `code` (what a scanner types),
/// among the items a store's list can show; a barcode match comes first,
/// then items sold in store before online-only ones.
pub fn find_by_code(conn: &mut DbConnection, merchant_id: i64, code: &str) -> Result<Option<i64>> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    let found: Vec<(i64, Option<String>, bool)> = listable(merchant_id, true)
        .filter(items::barcode.eq(code).or(items::sku.eq(code)))
        .order(items::id)
        .select((items::id, items::barcode, items::in_store))
        .load(conn)?;
    Ok(found
        .into_iter()
        .min_by_key(|(id, barcode, in_store)| (barcode.as_deref() != Some(code), !in_store, *id))
        .map(|(id, _, _)| id))
}

fn read_page(
    conn: &mut DbConnection,
    merchant_id: i64,
    query: StoreListQuery,
    only: Option<&[i64]>,
) -> Result<StoreListPage> {
    let limit = query.limit.clamp(1, MAX_PAGE);
    let catalog_version = catalog::current_version(conn, merchant_id)?;
    let location = open_store(conn, merchant_id, query.location_id)?;
    let after_id = query.after_id.unwrap_or(i64::MIN);
    let page_of = |candidates: Option<&[i64]>, wanted: i64| {
        let mut rows = listable(merchant_id, query.include_all).filter(items::id.gt(after_id));
        if let Some(ids) = candidates {
            rows = rows.filter(items::id.eq_any(ids.to_vec()));
        }
        rows.order(items::id)
            .limit(wanted)
            .select(ItemRow::as_select())
    };
    let rows: Vec<ItemRow> = match only {
        None => page_of(None, limit + 1).load(conn)?,
        Some(ids) => {
            // A search may match most of the catalogue: its ids go to the
            // database a chunk at a time (in id order), never past a bind limit.
            let ids: Vec<i64> = ids.iter().copied().filter(|id| *id > after_id).collect();
            let mut rows = Vec::new();
            for chunk in ids.chunks(1000) {
                let wanted = limit + 1 - rows.len() as i64;
                rows.extend(page_of(Some(chunk), wanted).load(conn)?);
                if rows.len() as i64 > limit {
                    break;
                }
            }
            rows
        }
    };
    let has_more = rows.len() as i64 > limit;
    let page: Vec<Item> = rows
        .into_iter()
        .take(limit as usize)
        .map(Item::from_row)
        .collect::<Result<_>>()?;
    let ids: Vec<i64> = page.iter().map(|item| item.id).collect();
    let mut units: HashMap<i64, (i64, i64)> = HashMap::new();
    for chunk in ids.chunks(500) {
        let levels: Vec<(i64, i64, i64)> = stock_levels::table
            .filter(stock_levels::location_id.eq(location.id))
            .filter(stock_levels::item_id.eq_any(chunk))
            .select((
                stock_levels::item_id,
                stock_levels::on_hand,
                stock_levels::held,
            ))
            .load(conn)?;
        units.extend(
            levels
                .into_iter()
                .map(|(item_id, on_hand, held)| (item_id, (on_hand, held))),
        );
    }
    let entries = page
        .iter()
        .map(|item| entry_of(item, units.get(&item.id).copied().unwrap_or((0, 0))))
        .collect();
    Ok(StoreListPage {
        catalog_version,
        location,
        entries,
        next_after_id: if has_more { ids.last().copied() } else { None },
    })
}
