//! The bulk edits the activity page lists, and Undo of one: every item still
//! as the edit left it is restored; items changed since are listed and left
//! alone unless the person confirms them.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::save::conflict_of;
use crate::db::DbConnection;
use crate::db::schema::{bulk_edit_items, bulk_edits};
use crate::domain::{
    Barcode, Currency, Description, DesignationChange, FieldError, ItemName, Money, OnlineListing,
    Sku,
};
use crate::inventory::designations::Selected;
use crate::inventory::items::{FieldEdits, ItemChange, ItemUpdate, ItemWriter, StockSettings};
use crate::inventory::{Actor, InventoryError, Item, Result};

/// A bulk edit as the activity page lists it.
#[derive(Debug, Clone)]
pub struct BulkEditRecord {
    pub id: i64,
    pub actor: String,
    pub actor_email: String,
    pub item_count: i64,
    pub catalog_version: i64,
    pub created_at: NaiveDateTime,
    /// Some of its items are not undone yet.
    pub undoable: bool,
    /// It changed item values (not only counts, which Undo leaves), and
    /// every one of them is undone.
    pub undone: bool,
}

impl BulkEditRecord {
    /// "Bulk edit of 20 items by Ann Owner".
    pub fn summary(&self) -> String {
        format!(
            "Bulk edit of {} item{} by {}",
            self.item_count,
            if self.item_count == 1 { "" } else { "s" },
            self.actor
        )
    }
}

/// The merchant's newest bulk edits, newest first.
pub fn recent(
    conn: &mut DbConnection,
    merchant_id: i64,
    limit: i64,
) -> Result<Vec<BulkEditRecord>> {
    let rows: Vec<(i64, String, String, i64, i64, NaiveDateTime)> = bulk_edits::table
        .filter(bulk_edits::merchant_id.eq(merchant_id))
        .order(bulk_edits::id.desc())
        .limit(limit)
        .select((
            bulk_edits::id,
            bulk_edits::actor,
            bulk_edits::actor_email,
            bulk_edits::item_count,
            bulk_edits::catalog_version,
            bulk_edits::created_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|row| row.0).collect();
    let mut open = HashSet::new();
    let mut restorable = HashSet::new();
    let states: Vec<(i64, bool)> = bulk_edit_items::table
        .filter(bulk_edit_items::bulk_edit_id.eq_any(&ids))
        .select((bulk_edit_items::bulk_edit_id, bulk_edit_items::undone))
        .distinct()
        .load(conn)?;
    for (id, undone) in states {
        restorable.insert(id);
        if !undone {
            open.insert(id);
        }
    }
    Ok(rows
        .into_iter()
        .map(
            |(id, actor, actor_email, item_count, catalog_version, created_at)| BulkEditRecord {
                undoable: open.contains(&id),
                undone: restorable.contains(&id) && !open.contains(&id),
                id,
                actor,
                actor_email,
                item_count,
                catalog_version,
                created_at,
            },
        )
        .collect())
}

/// An item Undo left alone because it changed after the bulk edit.
#[derive(Debug, Clone)]
pub struct LeftAlone {
    /// The item as it is now.
    pub item: Item,
    pub changed_by: String,
    pub changed_at: NaiveDateTime,
}

/// What an Undo did.
#[derive(Debug, Clone)]
pub struct Undone {
    /// Items restored to their values before the bulk edit, as they are now.
    pub restored: Vec<Item>,
    /// Items changed since, left as they are; confirm their version to undo them too.
    pub left_alone: Vec<LeftAlone>,
    pub catalog_version: i64,
}

/// An item's values before a bulk edit: entry id, item id, the item version
/// the edit produced, then the values in `restore`'s order.
type BeforeRow = (
    i64,
    i64,
    i64,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    bool,
    String,
    Option<i64>,
    bool,
);

/// Restores the values a bulk edit changed, item by item, for every item
/// still as the edit left it, or at the version in `confirmed` (the person
/// saw it changed since and chose to undo it anyway). The others are left
/// alone and listed. Counts are not undone: they recorded what was on the
/// shelf. Each restore is audited and announced like any change.
pub fn undo(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    bulk_edit_id: i64,
    confirmed: &[Selected],
) -> Result<Undone> {
    let acting = actor.doing(&format!("undo of bulk edit {bulk_edit_id}"));
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin(conn, &acting, merchant_id)?;
        bulk_edits::table
            .filter(bulk_edits::id.eq(bulk_edit_id))
            .filter(bulk_edits::merchant_id.eq(merchant_id))
            .select(bulk_edits::id)
            .first::<i64>(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("bulk edit"))?;
        let befores: Vec<BeforeRow> = bulk_edit_items::table
            .filter(bulk_edit_items::bulk_edit_id.eq(bulk_edit_id))
            .filter(bulk_edit_items::undone.eq(false))
            .order(bulk_edit_items::id)
            .select((
                bulk_edit_items::id,
                bulk_edit_items::item_id,
                bulk_edit_items::item_version,
                bulk_edit_items::sku,
                bulk_edit_items::name,
                bulk_edit_items::description,
                bulk_edit_items::price_minor,
                bulk_edit_items::currency,
                bulk_edit_items::barcode,
                bulk_edit_items::in_store,
                bulk_edit_items::online,
                bulk_edit_items::online_buffer,
                bulk_edit_items::allow_backorder,
            ))
            .load(conn)?;
        let mut undone = Undone {
            restored: Vec::new(),
            left_alone: Vec::new(),
            catalog_version: 0,
        };
        for before in befores {
            let (entry_id, item_id, version_after) = (before.0, before.1, before.2);
            let expected = confirmed
                .iter()
                .find(|s| s.id == item_id)
                .and_then(|s| s.seen_version)
                .unwrap_or(version_after);
            let item = match writer.load(conn, item_id, expected) {
                Ok(item) => item,
                Err(InventoryError::Conflict { current }) => {
                    let conflict = conflict_of(conn, merchant_id, &current)?;
                    undone.left_alone.push(LeftAlone {
                        item: conflict.item,
                        changed_by: conflict.changed_by,
                        changed_at: conflict.changed_at,
                    });
                    continue;
                }
                Err(other) => return Err(other),
            };
            let item = restore(conn, &mut writer, item, &before)?;
            diesel::update(bulk_edit_items::table.find(entry_id))
                .set(bulk_edit_items::undone.eq(true))
                .execute(conn)?;
            undone.restored.push(item);
        }
        undone.catalog_version = writer.catalog_version(conn)?;
        Ok(undone)
    })
}

/// An item set back to the values a bulk edit found it with.
fn restore(
    conn: &mut DbConnection,
    writer: &mut ItemWriter<'_>,
    item: Item,
    before: &BeforeRow,
) -> Result<Item> {
    let (
        _,
        _,
        _,
        sku,
        name,
        description,
        price_minor,
        currency,
        barcode,
        in_store,
        online,
        buffer,
        backorder,
    ) = before;
    let stored =
        |e: FieldError| InventoryError::Corrupt(format!("bulk edit of item {}: {e}", item.id));
    let currency = Currency::parse(currency).map_err(stored)?;
    let fields = FieldEdits {
        sku: Some(Sku::parse(sku).map_err(stored)?),
        name: Some(ItemName::parse(name).map_err(stored)?),
        description: Some(Description::parse(description).map_err(stored)?),
        price: Some(Money::from_minor(*price_minor, currency).map_err(stored)?),
        barcode: Some(Barcode::parse_optional(barcode.as_deref().unwrap_or("")).map_err(stored)?),
    };
    let online = OnlineListing::parse(online).map_err(stored)?;
    let designation = if item.archived {
        DesignationChange::default()
    } else {
        DesignationChange {
            in_store: Some(*in_store).filter(|v| *v != item.in_store()),
            online: Some(online).filter(|v| *v != item.online()),
        }
    };
    let change = ItemChange::Update(ItemUpdate {
        fields,
        designation,
    });
    let mut item = writer.apply(conn, &item, &change)?.unwrap_or(item);
    let settings = StockSettings {
        online_buffer: *buffer,
        allow_backorder: *backorder,
        auto_view_only: item.auto_view_only,
    };
    if settings != StockSettings::of(&item) {
        item = writer
            .apply(conn, &item, &ItemChange::StockSettings(settings))?
            .unwrap_or(item);
    }
    Ok(item)
}
