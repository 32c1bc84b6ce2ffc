//! The store list a location's device sells from, as a pure function of the
//! database: the items sold in the store with their stock there.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use super::lists::{MAX_PAGE, OnlineListingJson, Price};
use super::merchants::Location;
use super::{InventoryError, Item, Result, catalog};
use crate::db::DbConnection;
use crate::db::models::{ItemRow, LocationRow};
use crate::db::schema::{items, locations, stock_levels};
use crate::domain::OnlineListing;

/// One item of a store's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreListEntry {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub price: Price,
    /// On hand at this store. Negative only after a counter sale recorded
    /// anyway while short: a discrepancy the store should count.
    pub on_hand: i64,
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
    let limit = query.limit.clamp(1, MAX_PAGE);
    conn.read_transaction(|conn| {
        let catalog_version = catalog::current_version(conn, merchant_id)?;
        let location: Location = locations::table
            .filter(locations::id.eq(query.location_id))
            .filter(locations::merchant_id.eq(merchant_id))
            .filter(locations::archived_at.is_null())
            .select(LocationRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("location"))?
            .into();
        let mut rows = items::table
            .filter(items::merchant_id.eq(merchant_id))
            .filter(items::archived.eq(false))
            .into_boxed();
        if !query.include_all {
            rows = rows.filter(items::in_store.eq(true));
        } else {
            rows = rows.filter(
                items::in_store
                    .eq(true)
                    .or(items::online.ne(OnlineListing::Hidden.as_str())),
            );
        }
        if let Some(after_id) = query.after_id {
            rows = rows.filter(items::id.gt(after_id));
        }
        let rows: Vec<ItemRow> = rows
            .order(items::id)
            .limit(limit + 1)
            .select(ItemRow::as_select())
            .load(conn)?;
        let has_more = rows.len() as i64 > limit;
        let page: Vec<Item> = rows
            .into_iter()
            .take(limit as usize)
            .map(Item::from_row)
            .collect::<Result<_>>()?;
        let ids: Vec<i64> = page.iter().map(|item| item.id).collect();
        let mut on_hand: HashMap<i64, i64> = HashMap::new();
        for chunk in ids.chunks(500) {
            let levels: Vec<(i64, i64)> = stock_levels::table
                .filter(stock_levels::location_id.eq(location.id))
                .filter(stock_levels::item_id.eq_any(chunk))
                .select((stock_levels::item_id, stock_levels::on_hand))
                .load(conn)?;
            on_hand.extend(levels);
        }
        let entries = page
            .iter()
            .map(|item| StoreListEntry {
                id: item.id,
                sku: item.sku.clone(),
                name: item.name.clone(),
                barcode: item.barcode.clone(),
                price: item.price.into(),
                on_hand: on_hand.get(&item.id).copied().unwrap_or(0),
                sellable_in_store: item.in_store(),
                online: OnlineListingJson(item.online()),
                changed_version: item.changed_version,
            })
            .collect();
        Ok(StoreListPage {
            catalog_version,
            location,
            entries,
            next_after_id: if has_more { ids.last().copied() } else { None },
        })
    })
}
