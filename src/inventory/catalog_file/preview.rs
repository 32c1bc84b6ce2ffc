//! The preview of an import: what every row of a file would do to the
//! catalogue (new item, changed item with its field-by-field diff, or
//! nothing), every problem with its row and column, and the items not in the
//! file that `archive_missing` would archive. Nothing is written here.

use std::borrow::Cow;
use std::collections::HashMap;

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::FileProblem;
use super::columns::Columns;
use super::mapping::{Mapping, Target};
use super::reading::read_table;
use super::row_plan::{diffs, plan_row};
use crate::db::DbConnection;
use crate::db::models::ItemRow;
use crate::db::schema::items;
use crate::domain::Designation;
use crate::inventory::items::{ItemFields, StockSettings};
use crate::inventory::lists::merchant_levels;
use crate::inventory::merchants::{Location, Merchant};
use crate::inventory::{Item, Result};

/// How a file is read and applied.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Archive the merchant's active items whose SKU the file doesn't have.
    pub archive_missing: bool,
    /// Columns mapped by the merchant: (column header, field name).
    pub choices: Vec<(String, String)>,
}

/// One field that changes, in the file's words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diff {
    /// A column name: `price`, `online`, `stock:Downtown`, …
    pub field: String,
    pub old: String,
    pub new: String,
}

/// What one row of the file will do.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The spreadsheet row (the header is row 1).
    pub row: usize,
    /// The item it changes (id, version as previewed); `None` for a new one.
    pub existing: Option<(i64, i64)>,
    pub fields: ItemFields,
    pub designation: Designation,
    pub archived: bool,
    pub settings: StockSettings,
    /// Stock levels the file sets to another count (every level it names,
    /// for a new item).
    pub counts: Vec<Count>,
    pub diffs: Vec<Diff>,
}

impl Planned {
    pub fn sku(&self) -> &str {
        self.fields.sku.as_str()
    }

    pub fn name(&self) -> &str {
        self.fields.name.as_str()
    }
}

/// A stock level as the file counts it (`before`: on hand when the preview was made).
pub use crate::inventory::stock::Count;

/// An active item the file doesn't name, which `archive_missing` archives.
#[derive(Debug, Clone)]
pub struct Missing {
    pub id: i64,
    pub version: i64,
    pub sku: String,
    pub name: String,
}

/// Everything an import would do, and everything wrong with the file.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    /// Data rows read (image-only rows of a Shopify export are not counted).
    pub rows: usize,
    pub new: Vec<Planned>,
    pub changed: Vec<Planned>,
    pub unchanged: usize,
    pub archived: Vec<Missing>,
    pub problems: Vec<FileProblem>,
    /// The file's header and what each column was taken to mean.
    pub columns: Vec<(String, String)>,
    /// Columns no mapping places yet (the merchant must map them).
    pub unmapped: Vec<String>,
    /// The file's stock columns: (column, store, store name).
    stock_columns: Vec<(usize, i64, String)>,
}

impl Preview {
    /// Whether applying it would change anything at all.
    pub fn changes_anything(&self) -> bool {
        !self.new.is_empty() || !self.changed.is_empty() || !self.archived.is_empty()
    }

    /// A planned row's field-by-field diff, old → new: every value for a new
    /// item.
    pub fn diffs_of<'p>(&self, planned: &'p Planned) -> Cow<'p, [Diff]> {
        if planned.existing.is_some() {
            Cow::Borrowed(&planned.diffs)
        } else {
            Cow::Owned(diffs(planned, None, &self.stock_columns))
        }
    }

    /// A digest of every change and of the state it was computed against
    /// (item versions, stock levels): applying refuses when it differs.
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for planned in self.new.iter().chain(&self.changed) {
            hash.update(format!(
                "{}|{:?}|{:?}|",
                planned.row, planned.existing, planned.counts
            ));
            for diff in self.diffs_of(planned).iter() {
                hash.update(format!("{}={}>{}|", diff.field, diff.old, diff.new));
            }
        }
        for missing in &self.archived {
            hash.update(format!("archive {} {}|", missing.id, missing.version));
        }
        hash.update(format!("unchanged {}", self.unchanged));
        hex::encode(hash.finalize())
    }
}

/// Reads the file and works out what it would change for the merchant,
/// against one snapshot of the catalogue.
pub fn preview(
    conn: &mut DbConnection,
    merchant_id: i64,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<Preview> {
    conn.read_transaction(|conn| plan_import(conn, merchant_id, bytes, options))
        .map(|(preview, _)| preview)
}

/// `preview` inside the caller's transaction (apply's, under the merchant
/// lock), with the merchant's items by SKU as it read them.
pub(super) fn plan_import(
    conn: &mut DbConnection,
    merchant_id: i64,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<(Preview, HashMap<String, Item>)> {
    let mut preview = Preview::default();
    let table = match read_table(bytes) {
        Ok(table) => table,
        Err(problems) => {
            preview.problems = problems;
            return Ok((preview, HashMap::new()));
        }
    };
    let (_, unplaced) = Mapping::detect(&table.header);
    preview.unmapped = unplaced
        .iter()
        .map(|i| table.header[*i].clone())
        .filter(|column| !options.choices.iter().any(|(c, _)| c == column))
        .collect();
    let mapping = match Mapping::with_choices(&table.header, &options.choices) {
        Ok(mapping) => mapping,
        Err(problems) => {
            preview.columns = described(&table.header, &Mapping::detect(&table.header).0);
            preview.problems = problems;
            return Ok((preview, HashMap::new()));
        }
    };
    preview.columns = described(&table.header, &mapping);
    let merchant = Merchant::find(conn, merchant_id)?;
    let stores = Location::all_of(conn, merchant_id)?;
    let columns = match Columns::new(&table, &mapping, &stores) {
        Ok(columns) => columns,
        Err(problems) => {
            preview.problems = problems;
            return Ok((preview, HashMap::new()));
        }
    };
    preview.stock_columns = columns.stock.clone();
    let existing = Existing::load(conn, merchant_id)?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in columns.rows(&table) {
        preview.rows += 1;
        let planned = match plan_row(&row, &columns, &existing, merchant.currency) {
            Ok(planned) => planned,
            Err(problems) => {
                preview.problems.extend(problems);
                continue;
            }
        };
        if let Some(first) = seen.insert(planned.sku().to_owned(), row.number) {
            preview.problems.push(FileProblem::row(
                row.number,
                Some(columns.header_of(&Target::Sku)),
                format!(
                    "SKU {} is on row {first} too: a SKU may appear once",
                    planned.sku()
                ),
            ));
            continue;
        }
        if planned.existing.is_none() {
            preview.new.push(planned);
        } else if planned.diffs.is_empty() {
            preview.unchanged += 1;
        } else {
            preview.changed.push(planned);
        }
    }
    if options.archive_missing && preview.problems.is_empty() {
        preview.archived = existing
            .items
            .values()
            .filter(|item| !item.archived && !seen.contains_key(&item.sku))
            .map(|item| Missing {
                id: item.id,
                version: item.version,
                sku: item.sku.clone(),
                name: item.name.clone(),
            })
            .collect();
        preview.archived.sort_by_key(|m| m.id);
    }
    preview.problems.sort_by_key(|p| p.row);
    Ok((preview, existing.items))
}

/// Each column's header and the field it was taken as.
fn described(header: &[String], mapping: &Mapping) -> Vec<(String, String)> {
    header
        .iter()
        .zip(&mapping.targets)
        .map(|(column, target)| (column.clone(), target.name()))
        .collect()
}

/// The merchant's items by SKU, with their stock levels.
pub(super) struct Existing {
    pub(super) items: HashMap<String, Item>,
    pub(super) levels: HashMap<(i64, i64), i64>,
}

impl Existing {
    fn load(conn: &mut DbConnection, merchant_id: i64) -> Result<Existing> {
        let rows: Vec<ItemRow> = items::table
            .filter(items::merchant_id.eq(merchant_id))
            .select(ItemRow::as_select())
            .load(conn)?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in rows {
            let item = Item::from_row(row)?;
            found.insert(item.sku.clone(), item);
        }
        let levels = merchant_levels(conn, merchant_id)?;
        Ok(Existing {
            items: found,
            levels,
        })
    }
}
