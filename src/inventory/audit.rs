//! The audit log: who changed which field of which item, from what to what,
//! when and at which catalog version; and undo of a designation change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    Actor, DesignationChange, DesignationOutcome, InventoryError, Item, Result, designate, now,
};
use crate::db::DbConnection;
use crate::db::models::{AuditEntryRow, NewAuditEntryRow};
use crate::db::schema::{audit_entries, items};
use crate::domain::OnlineListing;

/// The audit field name of the in-store flag.
pub const FIELD_IN_STORE: &str = "in_store";
/// The audit field name of the online listing.
pub const FIELD_ONLINE: &str = "online";

pub(super) fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    item: &Item,
    field: &str,
    old_value: &str,
    new_value: &str,
    catalog_version: i64,
) -> Result<()> {
    diesel::insert_into(audit_entries::table)
        .values(NewAuditEntryRow {
            merchant_id: item.merchant_id,
            item_id: item.id,
            actor: actor.as_str(),
            field,
            old_value,
            new_value,
            catalog_version,
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

/// One audit entry with the item's current name and sku, for display.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub item_sku: String,
    pub actor: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub catalog_version: i64,
    pub created_at: NaiveDateTime,
}

impl AuditEntry {
    /// Whether Undo can restore the old value through the designation path.
    pub fn is_designation(&self) -> bool {
        self.field == FIELD_IN_STORE || self.field == FIELD_ONLINE
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` to read the next (older) page.
    pub next_before: Option<i64>,
}

/// The merchant's audit log, newest first, optionally for one item.
pub fn entries(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<AuditPage> {
    let limit = limit.clamp(1, 500);
    let mut query = audit_entries::table
        .inner_join(items::table)
        .filter(audit_entries::merchant_id.eq(merchant_id))
        .into_boxed();
    if let Some(item_id) = item_id {
        query = query.filter(audit_entries::item_id.eq(item_id));
    }
    if let Some(before) = before {
        query = query.filter(audit_entries::id.lt(before));
    }
    let rows: Vec<(AuditEntryRow, String, String)> = query
        .order(audit_entries::id.desc())
        .limit(limit + 1)
        .select((AuditEntryRow::as_select(), items::name, items::sku))
        .load(conn)?;
    let has_more = rows.len() as i64 > limit;
    let entries: Vec<AuditEntry> = rows
        .into_iter()
        .take(limit as usize)
        .map(|(row, item_name, item_sku)| AuditEntry {
            id: row.id,
            item_id: row.item_id,
            item_name,
            item_sku,
            actor: row.actor,
            field: row.field,
            old_value: row.old_value,
            new_value: row.new_value,
            catalog_version: row.catalog_version,
            created_at: row.created_at,
        })
        .collect();
    let next_before = if has_more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before,
    })
}

/// The newest designation entry of an item, to say who changed it last.
pub fn last_change(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
) -> Result<Option<AuditEntry>> {
    let page = entries(conn, merchant_id, Some(item_id), None, 1)?;
    Ok(page.entries.into_iter().next())
}

/// Restores the old value of a designation entry through `designate`, at the
/// item's current version, so the undo is itself audited and announced.
pub fn undo(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    entry_id: i64,
) -> Result<DesignationOutcome> {
    let row: AuditEntryRow = audit_entries::table
        .filter(audit_entries::id.eq(entry_id))
        .filter(audit_entries::merchant_id.eq(merchant_id))
        .select(AuditEntryRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("audit entry"))?;
    let change = match row.field.as_str() {
        FIELD_IN_STORE => DesignationChange {
            in_store: Some(row.old_value == "true"),
            online: None,
        },
        FIELD_ONLINE => DesignationChange {
            in_store: None,
            online: Some(OnlineListing::parse(&row.old_value)?),
        },
        _ => {
            return Err(InventoryError::Invalid(crate::domain::FieldError::new(
                "entry",
                "Only designation changes can be undone here; edit the item to change its fields",
            )));
        }
    };
    let item = Item::find(conn, merchant_id, row.item_id)?;
    designate(conn, actor, merchant_id, item.id, item.version, change)
}
