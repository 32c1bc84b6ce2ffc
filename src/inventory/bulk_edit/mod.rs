//! The bulk editor: a grid of many items' fields, designations, stock
//! settings and stock counts, saved all or nothing through the item writer in
//! one transaction and recorded as one bulk edit, which Undo restores item by
//! item under the versioned rule. Also the columns each person last chose.
//!
//! Every row carries the item version it was drawn at: a row whose item moved
//! on since is a conflict, never saved over, until the person confirms the
//! version they were shown. A count is saved only when its cell differs from
//! the level the grid showed, so an untouched cell never undoes a sale.

use diesel::prelude::*;

use super::designations::{Selection, resolve};
use super::item_list::{self, StoreColumn};
use super::{InventoryError, Item, Result};
use crate::db::DbConnection;
use crate::db::schema::bulk_edit_columns;

mod save;
mod undo;

pub use save::{CellError, Conflict, Refusal, RowInput, SaveOutcome, SavedEdit, save};
pub use undo::{BulkEditRecord, LeftAlone, Undone, recent, undo};

/// A column of the grid: an item value, or the count at one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Name,
    Sku,
    Price,
    Barcode,
    Description,
    InStore,
    Online,
    OnlineBuffer,
    Backorder,
    /// On hand at the store with this id.
    Stock(i64),
}

impl Column {
    /// The item's own columns, in the order the grid shows them.
    pub const FIELDS: [Column; 9] = [
        Column::Name,
        Column::Sku,
        Column::Price,
        Column::Barcode,
        Column::Description,
        Column::InStore,
        Column::Online,
        Column::OnlineBuffer,
        Column::Backorder,
    ];

    /// What a person sees before choosing any.
    pub const DEFAULT: [Column; 3] = [Column::Name, Column::Sku, Column::Price];

    /// The form's and the stored name: `price`, `stock-3`.
    pub fn key(self) -> String {
        match self {
            Column::Stock(store) => format!("stock-{store}"),
            field => field.field_name().to_owned(),
        }
    }

    /// The field a message about this column names (`stock` for every store).
    pub fn field_name(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Sku => "sku",
            Column::Price => "price",
            Column::Barcode => "barcode",
            Column::Description => "description",
            Column::InStore => "in_store",
            Column::Online => "online",
            Column::OnlineBuffer => "online_buffer",
            Column::Backorder => "backorder",
            Column::Stock(_) => "stock",
        }
    }

    /// The heading of an item column (a stock column is headed by its store).
    pub fn label(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::Sku => "SKU",
            Column::Price => "Price",
            Column::Barcode => "Barcode",
            Column::Description => "Description",
            Column::InStore => "In store",
            Column::Online => "Online",
            Column::OnlineBuffer => "Online buffer",
            Column::Backorder => "Backorder",
            Column::Stock(_) => "Stock",
        }
    }

    pub fn parse(raw: &str) -> Option<Column> {
        if let Some(store) = raw.strip_prefix("stock-") {
            return store.parse().ok().map(Column::Stock);
        }
        Column::FIELDS.into_iter().find(|c| c.field_name() == raw)
    }

    /// Whether the cell is a checkbox: an absent value means unticked.
    pub fn is_flag(self) -> bool {
        matches!(self, Column::InStore | Column::Backorder)
    }
}

/// The columns `staff_id` last chose, or the default.
pub fn chosen_columns(conn: &mut DbConnection, staff_id: i64) -> Result<Vec<Column>> {
    let stored: Option<String> = bulk_edit_columns::table
        .find(staff_id)
        .select(bulk_edit_columns::chosen)
        .first(conn)
        .optional()?;
    let columns: Vec<Column> = stored
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(Column::parse)
        .collect();
    Ok(if columns.is_empty() {
        Column::DEFAULT.to_vec()
    } else {
        columns
    })
}

/// Remembers the columns `staff_id` chose, for the next time they open the editor.
pub fn choose_columns(conn: &mut DbConnection, staff_id: i64, columns: &[Column]) -> Result<()> {
    let mut keys: Vec<String> = Vec::new();
    for column in columns {
        if !keys.contains(&column.key()) {
            keys.push(column.key());
        }
    }
    let stored = keys.join(",");
    conn.write_transaction(|conn| {
        diesel::delete(bulk_edit_columns::table.find(staff_id)).execute(conn)?;
        diesel::insert_into(bulk_edit_columns::table)
            .values((
                bulk_edit_columns::staff_id.eq(staff_id),
                bulk_edit_columns::chosen.eq(&stored),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// The grid as the editor draws it.
#[derive(Debug, Clone)]
pub struct Grid {
    /// The merchant's open stores, in the order of each row's `on_hand`.
    pub stores: Vec<StoreColumn>,
    /// The columns shown, in order (stock columns only of open stores).
    pub columns: Vec<Column>,
    pub rows: Vec<GridRow>,
}

/// One item of the grid as it is now.
#[derive(Debug, Clone)]
pub struct GridRow {
    pub item: Item,
    /// On hand at each store of `Grid::stores`.
    pub on_hand: Vec<i64>,
}

impl GridRow {
    /// On hand at one store (0 where none was ever counted).
    pub fn on_hand_at(&self, stores: &[StoreColumn], store: i64) -> i64 {
        stores
            .iter()
            .position(|s| s.location_id == store)
            .and_then(|at| self.on_hand.get(at).copied())
            .unwrap_or(0)
    }
}

/// The grid for a selection, with `choosing` (remembered for `staff_id`
/// from now on) or else the columns they last chose; stock columns of
/// stores that are not open are left out. Unknown or another merchant's ids
/// are NotFound.
pub fn open(
    conn: &mut DbConnection,
    staff_id: i64,
    merchant_id: i64,
    selection: &Selection,
    choosing: Option<&[Column]>,
) -> Result<Grid> {
    if let Some(columns) = choosing {
        choose_columns(conn, staff_id, columns)?;
    }
    conn.read_transaction(|conn| {
        let columns = chosen_columns(conn, staff_id)?;
        let columns = columns.as_slice();
        let selected = resolve(conn, merchant_id, selection)?;
        let ids: Vec<i64> = selected.iter().map(|s| s.id).collect();
        let items = Item::find_many(conn, merchant_id, &ids)?;
        if items.len() != ids.len() {
            return Err(InventoryError::NotFound("item"));
        }
        grid_of(conn, merchant_id, items, columns)
    })
}

fn grid_of(
    conn: &mut DbConnection,
    merchant_id: i64,
    items: Vec<Item>,
    columns: &[Column],
) -> Result<Grid> {
    let (stores, mut lines) = item_list::stock_lines(conn, merchant_id, &items)?;
    let columns = columns
        .iter()
        .copied()
        .filter(|column| match column {
            Column::Stock(store) => stores.iter().any(|s| s.location_id == *store),
            _ => true,
        })
        .collect();
    let rows = items
        .into_iter()
        .map(|item| GridRow {
            on_hand: lines
                .remove(&item.id)
                .map(|line| line.per_store)
                .unwrap_or_default(),
            item,
        })
        .collect();
    Ok(Grid {
        stores,
        columns,
        rows,
    })
}
