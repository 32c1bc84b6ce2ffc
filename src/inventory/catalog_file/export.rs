//! The catalogue export: CSV in chunks of `CHUNK` items, read in id order
//! with a cursor, so 100k items never sit in memory at once. Each chunk is
//! read in its own transaction: an item changed during a long export is
//! written as it was when its chunk was read.

use std::collections::HashMap;

use diesel::prelude::*;

use super::{COLUMNS, STOCK_PREFIX, flag_cell, neutralised, online_cell};
use crate::db::DbConnection;
use crate::db::models::ItemRow;
use crate::db::schema::{items, stock_levels};
use crate::inventory::item_list::{ItemFilter, matching};
use crate::inventory::merchants::Location;
use crate::inventory::{InventoryError, Item, Result};

/// Items per chunk.
const CHUNK: i64 = 1000;

/// An export in progress: call `next_chunk` until it answers `None`.
#[derive(Debug, Clone)]
pub struct CatalogExport {
    merchant_id: i64,
    search: String,
    filter: ItemFilter,
    /// The open stores, one stock column each.
    stores: Vec<Location>,
    /// The last item id written.
    after: i64,
    header_written: bool,
    finished: bool,
}

impl CatalogExport {
    /// The export of the merchant's items matching a search and a filter, as
    /// the dashboard's list shows them (empty search: every item the filter
    /// shows).
    pub fn start(
        conn: &mut DbConnection,
        merchant_id: i64,
        search: &str,
        filter: ItemFilter,
    ) -> Result<CatalogExport> {
        Ok(CatalogExport {
            merchant_id,
            search: search.to_owned(),
            filter,
            stores: Location::all_of(conn, merchant_id)?,
            after: 0,
            header_written: false,
            finished: false,
        })
    }

    /// The header row.
    pub fn header(&self) -> Vec<String> {
        COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .chain(
                self.stores
                    .iter()
                    .map(|s| format!("{STOCK_PREFIX}{}", s.name)),
            )
            .collect()
    }

    /// The next piece of the file (the header comes with the first), or
    /// `None` when every item has been written.
    pub fn next_chunk(&mut self, conn: &mut DbConnection) -> Result<Option<Vec<u8>>> {
        if self.finished {
            return Ok(None);
        }
        let mut out = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
        if !self.header_written {
            out.write_record(self.header()).map_err(write_error)?;
            self.header_written = true;
        }
        let (rows, on_hand) = conn.read_transaction(|conn| {
            let rows = matching(conn.backend(), self.merchant_id, &self.search, self.filter)
                .filter(items::id.gt(self.after))
                .order(items::id.asc())
                .limit(CHUNK)
                .select(ItemRow::as_select())
                .load(conn)?;
            let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
            let on_hand = levels(conn, &ids)?;
            Ok::<_, InventoryError>((rows, on_hand))
        })?;
        if (rows.len() as i64) < CHUNK {
            self.finished = true;
        }
        for row in rows {
            let item = Item::from_row(row)?;
            self.after = item.id;
            out.write_record(self.record(&item, &on_hand))
                .map_err(write_error)?;
        }
        let bytes = out
            .into_inner()
            .map_err(|e| InventoryError::Unavailable(e.to_string()))?;
        Ok((!bytes.is_empty()).then_some(bytes))
    }

    fn record(&self, item: &Item, on_hand: &HashMap<(i64, i64), i64>) -> Vec<String> {
        let text = |s: &str| neutralised(s).into_owned();
        let mut record = vec![
            text(&item.sku),
            text(&item.name),
            text(&item.description),
            item.price.decimal(),
            text(item.barcode.as_deref().unwrap_or("")),
            flag_cell(item.in_store()).to_owned(),
            online_cell(item.online()).to_owned(),
            flag_cell(item.archived).to_owned(),
            item.online_buffer
                .map(|b| b.to_string())
                .unwrap_or_default(),
            flag_cell(item.allow_backorder).to_owned(),
        ];
        record.extend(self.stores.iter().map(|store| {
            on_hand
                .get(&(item.id, store.id))
                .copied()
                .unwrap_or(0)
                .to_string()
        }));
        record
    }
}

/// On-hand counts of the items, by (item, store).
fn levels(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<(i64, i64), i64>> {
    Ok(stock_levels::table
        .filter(stock_levels::item_id.eq_any(ids))
        .select((
            stock_levels::item_id,
            stock_levels::location_id,
            stock_levels::on_hand,
        ))
        .load::<(i64, i64, i64)>(conn)?
        .into_iter()
        .map(|(item, store, count)| ((item, store), count))
        .collect())
}

fn write_error(error: csv::Error) -> InventoryError {
    InventoryError::Unavailable(format!("writing the CSV file failed: {error}"))
}
