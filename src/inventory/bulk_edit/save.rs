//! Saving the grid: every row checked with the item form's rules, then
//! written all or nothing through the item writer's batch mode, and recorded
//! as one bulk edit.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{bulk_edit_items, bulk_edits};
use crate::db::{DbConnection, ROWS_PER_INSERT, insert_rows};
use crate::domain::{
    Barcode, Currency, Description, DesignationChange, DesignationRuleError, FieldError, ItemName,
    Money, OnlineListing, Sku, StockCount,
};
use crate::inventory::audit;
use crate::inventory::designations::MAX_BULK;
use crate::inventory::items::{
    FieldEdits, ItemChange, ItemUpdate, ItemWriter, StockSettings, parse_buffer,
};
use crate::inventory::stock::{Count, counts_key, record_counts};
use crate::inventory::{Actor, InventoryError, Item, Result, now};

use super::{Column, Grid, grid_of};

/// One row of the grid as posted, before parsing.
#[derive(Debug, Clone, Default)]
pub struct RowInput {
    pub item_id: i64,
    /// The item version the grid was drawn at.
    pub seen_version: i64,
    /// The version the person confirmed saving over, after a conflict.
    pub confirmed_version: Option<i64>,
    /// The text of each cell by column key; a flag column's key is absent
    /// when unticked.
    pub cells: HashMap<String, String>,
    /// The level each stock cell showed when the grid was drawn, by column key.
    pub shown_counts: HashMap<String, String>,
}

/// A problem with one cell, shown beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub item_id: i64,
    /// The column key (`price`, `stock-3`).
    pub column: String,
    pub message: String,
}

/// A row whose item changed since the grid was drawn: not saved until the
/// person confirms its current version.
#[derive(Debug, Clone)]
pub struct Conflict {
    /// The item as it is now.
    pub item: Item,
    /// Who changed it last, and when.
    pub changed_by: String,
    pub changed_at: NaiveDateTime,
}

/// How a save ended.
#[derive(Debug)]
pub enum SaveOutcome {
    /// Every row was saved.
    Saved(SavedEdit),
    /// Nothing was saved: the problems, the conflicts, and the grid as it is now.
    Refused(Refusal),
}

/// What a saved bulk edit did.
#[derive(Debug, Clone)]
pub struct SavedEdit {
    /// The activity entry, when anything changed.
    pub bulk_edit_id: Option<i64>,
    /// How many items changed (values or counts).
    pub changed: usize,
    pub catalog_version: i64,
}

/// Why nothing was saved.
#[derive(Debug)]
pub struct Refusal {
    pub errors: Vec<CellError>,
    pub conflicts: Vec<Conflict>,
    /// The grid's items as they are now, in the posted order.
    pub grid: Grid,
}

/// A row parsed into the changes it asks for.
#[derive(Debug, Default)]
struct RowEdit {
    fields: FieldEdits,
    in_store: Option<bool>,
    online: Option<OnlineListing>,
    online_buffer: Option<Option<i64>>,
    backorder: Option<bool>,
    /// (store, level the grid showed, counted): `None` when the shown level
    /// was unreadable, which counts as changed.
    counts: Vec<(i64, Option<i64>, i64)>,
}

impl RowEdit {
    /// Parses every cell of `columns` with the item form's rules and
    /// messages: the cells that parse, and every problem of the others, each
    /// with its column (the good cells still count for the checks across rows).
    fn parse(row: &RowInput, columns: &[Column], currency: Currency) -> (RowEdit, Vec<CellError>) {
        let mut edit = RowEdit::default();
        let mut errors = Vec::new();
        for column in columns {
            let key = column.key();
            let raw = row.cells.get(&key).map(String::as_str);
            let text = raw.unwrap_or_default();
            let parsed: std::result::Result<(), FieldError> = match column {
                Column::Name => ItemName::parse(text).map(|v| edit.fields.name = Some(v)),
                Column::Sku => Sku::parse(text).map(|v| edit.fields.sku = Some(v)),
                Column::Price => {
                    Money::parse_decimal(text, currency).map(|v| edit.fields.price = Some(v))
                }
                Column::Barcode => {
                    Barcode::parse_optional(text).map(|v| edit.fields.barcode = Some(v))
                }
                Column::Description => {
                    Description::parse(text).map(|v| edit.fields.description = Some(v))
                }
                Column::InStore => {
                    edit.in_store = Some(raw.is_some());
                    Ok(())
                }
                Column::Online => OnlineListing::parse(text).map(|v| edit.online = Some(v)),
                Column::OnlineBuffer => {
                    parse_buffer(text, "online_buffer").map(|v| edit.online_buffer = Some(v))
                }
                Column::Backorder => {
                    edit.backorder = Some(raw.is_some());
                    Ok(())
                }
                Column::Stock(store) => StockCount::parse(text, "stock").map(|counted| {
                    let shown = row
                        .shown_counts
                        .get(&key)
                        .and_then(|s| s.trim().parse::<i64>().ok());
                    edit.counts.push((*store, shown, counted.get()));
                }),
            };
            if let Err(error) = parsed {
                errors.push(CellError {
                    item_id: row.item_id,
                    column: key,
                    message: error.message,
                });
            }
        }
        (edit, errors)
    }

    /// The field edits that differ from what the item has: an untouched
    /// row asks the writer for nothing.
    fn fields(&self, item: &Item) -> FieldEdits {
        let edits = &self.fields;
        FieldEdits {
            sku: edits.sku.clone().filter(|v| v.as_str() != item.sku),
            name: edits.name.clone().filter(|v| v.as_str() != item.name),
            description: edits
                .description
                .clone()
                .filter(|v| v.as_str() != item.description),
            price: edits.price.filter(|v| *v != item.price),
            barcode: edits
                .barcode
                .clone()
                .filter(|v| v.as_ref().map(Barcode::as_str) != item.barcode.as_deref()),
        }
    }

    /// The designation part, leaving out what the item already has (so an
    /// archived item's unchanged designations are not a change).
    fn designation(&self, item: &Item) -> DesignationChange {
        DesignationChange {
            in_store: self.in_store.filter(|v| *v != item.in_store()),
            online: self.online.filter(|v| *v != item.online()),
        }
    }

    /// The stock settings the row asks for, if it shows any of them.
    fn settings(&self, item: &Item) -> Option<StockSettings> {
        if self.online_buffer.is_none() && self.backorder.is_none() {
            return None;
        }
        Some(StockSettings {
            online_buffer: self.online_buffer.unwrap_or(item.online_buffer),
            allow_backorder: self.backorder.unwrap_or(item.allow_backorder),
            auto_view_only: item.auto_view_only,
        })
    }
}

/// Why a save stopped after it began writing: rolled back either way.
enum Abort {
    Cell(CellError),
    Failed(InventoryError),
}

impl From<diesel::result::Error> for Abort {
    fn from(error: diesel::result::Error) -> Abort {
        Abort::Failed(error.into())
    }
}

impl From<InventoryError> for Abort {
    fn from(error: InventoryError) -> Abort {
        Abort::Failed(error)
    }
}

/// Saves every row of a grid, or none: any cell that breaks a rule, a SKU
/// used twice in the grid or by an item outside it, or a row whose item
/// changed since the grid was drawn (and not confirmed) refuses the whole
/// save. Unknown ids, another merchant's items and stores are NotFound; more
/// rows than `MAX_BULK` is Invalid. Recorded as one bulk edit by `actor`.
pub fn save(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    currency: Currency,
    columns: &[Column],
    rows: &[RowInput],
) -> Result<SaveOutcome> {
    if rows.is_empty() {
        return Err(FieldError::new("ids", "Select at least one item first.").into());
    }
    if rows.len() > MAX_BULK {
        return Err(FieldError::new(
            "ids",
            format!("Edit at most {MAX_BULK} items at once; nothing was saved."),
        )
        .into());
    }
    let mut ids: Vec<i64> = rows.iter().map(|row| row.item_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != rows.len() {
        return Err(
            FieldError::new("ids", "An item is in the grid twice; nothing was saved.").into(),
        );
    }
    let mut errors = Vec::new();
    let edits: Vec<RowEdit> = rows
        .iter()
        .map(|row| {
            let (edit, mut row_errors) = RowEdit::parse(row, columns, currency);
            errors.append(&mut row_errors);
            edit
        })
        .collect();
    let acting = actor.doing("bulk edit");
    let outcome = conn.write_transaction(|conn| {
        let writer = ItemWriter::begin_batch_for(conn, &acting, merchant_id, &ids)?;
        // Each row's item through the writer's version check: a row whose
        // item moved on is a conflict carrying the item as it is now.
        let mut items = Vec::with_capacity(rows.len());
        let mut conflicts = Vec::new();
        for row in rows {
            match writer.load(conn, row.item_id, expected_version(row)) {
                Ok(item) => items.push(item),
                Err(InventoryError::Conflict { current }) => {
                    conflicts.push(conflict_of(conn, merchant_id, &current)?);
                    items.push(*current);
                }
                Err(other) => return Err(other.into()),
            }
        }
        let grid = grid_of(conn, merchant_id, items, columns)?;
        if grid.columns.len() != columns.len() {
            return Err(Abort::Failed(InventoryError::NotFound("store")));
        }
        check(conn, &writer, rows, &edits, &grid, &mut errors)?;
        if !errors.is_empty() || !conflicts.is_empty() {
            return Ok(SaveOutcome::Refused(Refusal {
                errors: std::mem::take(&mut errors),
                conflicts,
                grid,
            }));
        }
        let saved = write(conn, writer, actor, merchant_id, rows, &edits, &grid)?;
        Ok(SaveOutcome::Saved(saved))
    });
    match outcome {
        Ok(outcome) => Ok(outcome),
        Err(Abort::Failed(error)) => Err(error),
        // A rule only the writer could see, which `check` should have
        // caught first: nothing was saved; the grid as it is now, with the
        // message beside its cell rather than a 500.
        Err(Abort::Cell(error)) => {
            let items = Item::find_many(conn, merchant_id, &ids)?;
            let mut by_id: HashMap<i64, Item> = items.into_iter().map(|i| (i.id, i)).collect();
            let items = rows
                .iter()
                .filter_map(|row| by_id.remove(&row.item_id))
                .collect();
            let grid = conn.read_transaction(|conn| grid_of(conn, merchant_id, items, columns))?;
            Ok(SaveOutcome::Refused(Refusal {
                errors: vec![error],
                conflicts: Vec::new(),
                grid,
            }))
        }
    }
}

/// The version a row expects its item at: the confirmed one after a conflict.
fn expected_version(row: &RowInput) -> i64 {
    row.confirmed_version.unwrap_or(row.seen_version)
}

/// A row whose item moved on: the item as it is, and who changed it last.
pub(super) fn conflict_of(
    conn: &mut DbConnection,
    merchant_id: i64,
    current: &Item,
) -> Result<Conflict> {
    let last = audit::last_change(conn, merchant_id, current.id)?;
    Ok(Conflict {
        changed_by: last
            .as_ref()
            .map_or_else(|| "someone".to_owned(), |e| e.actor.clone()),
        changed_at: last.map_or(current.updated_at, |e| e.created_at),
        item: current.clone(),
    })
}

/// The rules across rows and against the catalogue: SKUs unique in the
/// grid and outside it, and the designation rules.
fn check(
    conn: &mut DbConnection,
    writer: &ItemWriter<'_>,
    rows: &[RowInput],
    edits: &[RowEdit],
    grid: &Grid,
    errors: &mut Vec<CellError>,
) -> Result<()> {
    let mut skus: HashMap<&str, usize> = HashMap::new();
    for edit in edits {
        if let Some(sku) = &edit.fields.sku {
            *skus.entry(sku.as_str()).or_default() += 1;
        }
    }
    for ((row, edit), current) in rows.iter().zip(edits).zip(&grid.rows) {
        let item = &current.item;
        let cell = |column: Column, message: String| CellError {
            item_id: row.item_id,
            column: column.key(),
            message,
        };
        if let Some(sku) = &edit.fields.sku {
            if skus.get(sku.as_str()).copied().unwrap_or(0) > 1 {
                errors.push(cell(
                    Column::Sku,
                    format!("SKU {} is used by more than one row here", sku.as_str()),
                ));
            } else if sku.as_str() != item.sku {
                // Against the whole catalogue; an item of the grid holding it
                // is not yet moved off it, so a swap is refused here too.
                match writer.check_sku(conn, sku, Some(item.id)) {
                    Ok(()) => {}
                    Err(InventoryError::Invalid(error)) => {
                        errors.push(cell(Column::Sku, error.message));
                    }
                    Err(other) => return Err(other),
                }
            }
        }
        let change = edit.designation(item);
        if !change.is_empty() {
            let refused = if item.archived {
                Some(DesignationRuleError::Archived)
            } else {
                change.apply_to(item.designation).err()
            };
            if let Some(rule) = refused {
                let column = if edit.online.is_some() {
                    Column::Online
                } else {
                    Column::InStore
                };
                errors.push(cell(column, rule.to_string()));
            }
        }
    }
    Ok(())
}

/// Writes every row through the item writer, then the counts on the
/// ledger, then the bulk edit's record.
fn write(
    conn: &mut DbConnection,
    mut writer: ItemWriter<'_>,
    actor: &Actor,
    merchant_id: i64,
    rows: &[RowInput],
    edits: &[RowEdit],
    grid: &Grid,
) -> std::result::Result<SavedEdit, Abort> {
    let mut changed_values: Vec<(Item, i64)> = Vec::new();
    let mut counted: Vec<(Item, Vec<Count>)> = Vec::new();
    for ((row, edit), current) in rows.iter().zip(edits).zip(&grid.rows) {
        // Loaded through `writer.load` in this transaction, under the lock.
        let before = current.item.clone();
        let mut item = before.clone();
        let update = ItemUpdate {
            fields: edit.fields(&item),
            designation: edit.designation(&item),
        };
        if !update.fields.is_empty() || !update.designation.is_empty() {
            let change = ItemChange::Update(update);
            item = applied(writer.apply(conn, &item, &change), row, &item)?;
        }
        if let Some(settings) = edit.settings(&item) {
            let change = ItemChange::StockSettings(settings);
            item = applied(writer.apply(conn, &item, &change), row, &item)?;
        }
        if item.version != before.version {
            changed_values.push((before, item.version));
        }
        let counts: Vec<Count> = edit
            .counts
            .iter()
            .filter(|(_, shown, counted)| *shown != Some(*counted))
            .map(|(store, _, counted)| Count {
                store: *store,
                counted: *counted,
                before: current.on_hand_at(&grid.stores, *store),
            })
            .filter(|count| count.counted != count.before)
            .collect();
        if !counts.is_empty() {
            counted.push((item, counts));
        }
    }
    let mut changed: HashSet<i64> = changed_values.iter().map(|(i, _)| i.id).collect();
    changed.extend(counted.iter().map(|(i, _)| i.id));
    // The counts are recorded inside the batch, at its catalog version.
    let catalog_version = if counted.is_empty() {
        writer.catalog_version(conn)?
    } else {
        let counted: Vec<(Item, &[Count])> = counted
            .iter()
            .map(|(item, counts)| (item.clone(), counts.as_slice()))
            .collect();
        let key = counts_key("bulk-edit");
        record_counts(conn, &mut writer, &key, "bulk edit", &counted)?
    };
    writer.finish(conn)?;
    if changed.is_empty() {
        return Ok(SavedEdit {
            bulk_edit_id: None,
            changed: 0,
            catalog_version,
        });
    }
    let bulk_edit_id: i64 = diesel::insert_into(bulk_edits::table)
        .values((
            bulk_edits::merchant_id.eq(merchant_id),
            bulk_edits::actor.eq(actor.as_str()),
            bulk_edits::actor_email.eq(actor.email()),
            bulk_edits::item_count.eq(changed.len() as i64),
            bulk_edits::catalog_version.eq(catalog_version),
            bulk_edits::created_at.eq(now()),
        ))
        .returning(bulk_edits::id)
        .get_result(conn)?;
    let befores: Vec<_> = changed_values
        .iter()
        .map(|(before, version_after)| {
            (
                bulk_edit_items::bulk_edit_id.eq(bulk_edit_id),
                bulk_edit_items::item_id.eq(before.id),
                bulk_edit_items::item_version.eq(*version_after),
                bulk_edit_items::sku.eq(before.sku.as_str()),
                bulk_edit_items::name.eq(before.name.as_str()),
                bulk_edit_items::description.eq(before.description.as_str()),
                bulk_edit_items::price_minor.eq(before.price.amount_minor),
                bulk_edit_items::currency.eq(before.price.currency.as_str()),
                bulk_edit_items::barcode.eq(before.barcode.as_deref()),
                bulk_edit_items::in_store.eq(before.in_store()),
                bulk_edit_items::online.eq(before.online().as_str()),
                bulk_edit_items::online_buffer.eq(before.online_buffer),
                bulk_edit_items::allow_backorder.eq(before.allow_backorder),
            )
        })
        .collect();
    for chunk in befores.chunks(ROWS_PER_INSERT) {
        insert_rows!(conn, bulk_edit_items::table, chunk)?;
    }
    log::info!(
        "merchant {merchant_id}: bulk edit {bulk_edit_id} by {}: {} items changed at catalog version {catalog_version}",
        actor.as_str(),
        changed.len()
    );
    Ok(SavedEdit {
        bulk_edit_id: Some(bulk_edit_id),
        changed: changed.len(),
        catalog_version,
    })
}

/// The item after a writer's change; a refusal only the writer could see
/// becomes a message beside the row's cell.
fn applied(
    written: Result<Option<Item>>,
    row: &RowInput,
    item: &Item,
) -> std::result::Result<Item, Abort> {
    match written {
        Ok(after) => Ok(after.unwrap_or_else(|| item.clone())),
        Err(InventoryError::Invalid(error)) => Err(Abort::Cell(CellError {
            item_id: row.item_id,
            column: Column::FIELDS
                .into_iter()
                .find(|c| c.field_name() == error.field)
                .unwrap_or(Column::Name)
                .key(),
            message: error.message,
        })),
        Err(InventoryError::Rule { rule, .. }) => Err(Abort::Cell(CellError {
            item_id: row.item_id,
            column: Column::Online.key(),
            message: rule.to_string(),
        })),
        Err(other) => Err(Abort::Failed(other)),
    }
}
