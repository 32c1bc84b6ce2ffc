//! The public ways to change an item: `change_item` with a typed change and
//! the version the caller saw, and `create_item`. Both drive the item writer
//! (`writer::ItemWriter`) in a transaction of their own.

use super::writer::ItemWriter;
use super::{FieldEdits, Item, ItemFields, ItemUpdate, StockSettings};
use crate::db::DbConnection;
use crate::domain::{Designation, DesignationChange};
use crate::inventory::{Actor, Result};

/// A change a person asks of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    /// Field edits and designation changes together (the item form, the
    /// API's PATCH, a designation button).
    Update(ItemUpdate),
    /// Archive (`true`) or restore (`false`). An archived item leaves both lists.
    Archive(bool),
    /// How the item's stock shows online; may switch it at once.
    StockSettings(StockSettings),
}

impl ItemChange {
    /// A designation change alone.
    pub fn designation(change: DesignationChange) -> ItemChange {
        ItemChange::Update(ItemUpdate {
            fields: FieldEdits::default(),
            designation: change,
        })
    }

    /// Every field set to these values (the item form).
    pub fn fields(fields: &ItemFields) -> ItemChange {
        ItemChange::Update(ItemUpdate {
            fields: FieldEdits {
                sku: Some(fields.sku.clone()),
                name: Some(fields.name.clone()),
                description: Some(fields.description.clone()),
                price: Some(fields.price),
                barcode: Some(fields.barcode.clone()),
            },
            designation: DesignationChange::default(),
        })
    }
}

/// An item after `change_item`.
#[derive(Debug, Clone)]
pub struct ItemChanged {
    /// The item as it is now.
    pub item: Item,
    /// The item as it was.
    pub before: Item,
    /// False when the item already had every asked-for value.
    pub changed: bool,
    /// The merchant's catalog version after the change.
    pub catalog_version: i64,
}

/// Changes one item if it is still at `expected_version`: all of it or none
/// of it, in one transaction, at one catalog version, as one item version.
///
/// Checks, in this order: the item exists (NotFound), the version (Conflict),
/// an archived item's designations (Rule: restore it first), the designation
/// rule (Rule), a duplicate SKU or a bad buffer (Invalid).
pub fn change_item(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    expected_version: i64,
    change: &ItemChange,
) -> Result<ItemChanged> {
    if let ItemChange::StockSettings(settings) = change {
        settings.check()?;
    }
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin(conn, actor, merchant_id)?;
        let before = writer.load(conn, item_id, expected_version)?;
        let written = writer.apply(conn, &before, change)?;
        Ok(ItemChanged {
            changed: written.is_some(),
            item: written.unwrap_or_else(|| before.clone()),
            before,
            catalog_version: writer.catalog_version(conn)?,
        })
    })
}

/// Creates an item with its initial designations, audited and announced.
pub fn create_item(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    fields: &ItemFields,
    designation: Designation,
) -> Result<Item> {
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin(conn, actor, merchant_id)?;
        writer.create(conn, fields, designation)
    })
}
