//! The public ways to change an item: `change_item` with a typed change and
//! the version the caller saw, and `create_item`. Both drive the item writer
//! (`writer::ItemWriter`) in a transaction of their own.

use diesel::prelude::*;

use super::writer::ItemWriter;
use super::{FieldEdits, Item, ItemFields, ItemUpdate, StockSettings};
use crate::db::DbConnection;
use crate::db::models::{ItemRow, NewItemRow};
use crate::db::schema::items;
use crate::domain::{Barcode, Designation, DesignationChange};
use crate::inventory::audit::{self, AuditField};
use crate::inventory::{Actor, Result, now, outbox};

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
        writer.check_sku(conn, &fields.sku, None)?;
        let version = writer.bump(conn)?;
        let at = now();
        // The merchant's default for the automatic sold-out switch.
        let auto_view_only: bool = crate::db::schema::merchants::table
            .find(merchant_id)
            .select(crate::db::schema::merchants::auto_view_only_default)
            .first(conn)?;
        let row: ItemRow = diesel::insert_into(items::table)
            .values(NewItemRow {
                merchant_id,
                sku: fields.sku.as_str(),
                name: fields.name.as_str(),
                description: fields.description.as_str(),
                price_minor: fields.price.amount_minor,
                currency: fields.price.currency.as_str(),
                barcode: fields.barcode.as_ref().map(Barcode::as_str),
                in_store: designation.in_store(),
                online: designation.online().as_str(),
                changed_version: version,
                created_at: at,
                updated_at: at,
                auto_view_only,
            })
            .returning(items::all_columns)
            .get_result(conn)?;
        let item = Item::from_row(row)?;
        audit::record(
            conn,
            actor,
            &item,
            AuditField::Created,
            "",
            &item.name,
            version,
        )?;
        outbox::item_changed(conn, &item, version)?;
        Ok(item)
    })
}
