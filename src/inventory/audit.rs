//! The audit log: who changed which field of which item, from what to what,
//! when, at which catalog version and to which item version. Entries are
//! written only by the item writer (`items::change`); this module reads them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Actor, InventoryError, Item, Result, now};
use crate::db::DbConnection;
use crate::db::models::{AuditEntryRow, NewAuditEntryRow};
use crate::db::schema::{audit_entries, items};

/// What an audit entry is about. Stored as text; the names are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditField {
    /// The item was created (new value: its name).
    Created,
    Sku,
    Name,
    Description,
    Price,
    Barcode,
    InStore,
    Online,
    /// Archived or active.
    Status,
    OnlineBuffer,
    AllowBackorder,
    AutoViewOnly,
}

impl AuditField {
    pub const ALL: [AuditField; 12] = [
        AuditField::Created,
        AuditField::Sku,
        AuditField::Name,
        AuditField::Description,
        AuditField::Price,
        AuditField::Barcode,
        AuditField::InStore,
        AuditField::Online,
        AuditField::Status,
        AuditField::OnlineBuffer,
        AuditField::AllowBackorder,
        AuditField::AutoViewOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditField::Created => "created",
            AuditField::Sku => "sku",
            AuditField::Name => "name",
            AuditField::Description => "description",
            AuditField::Price => "price",
            AuditField::Barcode => "barcode",
            AuditField::InStore => "in_store",
            AuditField::Online => "online",
            AuditField::Status => "status",
            AuditField::OnlineBuffer => "online_buffer",
            AuditField::AllowBackorder => "allow_backorder",
            AuditField::AutoViewOnly => "auto_view_only",
        }
    }

    pub fn parse(raw: &str) -> Option<AuditField> {
        AuditField::ALL.into_iter().find(|f| f.as_str() == raw)
    }

    /// A designation, which Undo can restore.
    pub fn is_designation(self) -> bool {
        matches!(self, AuditField::InStore | AuditField::Online)
    }
}

impl std::fmt::Display for AuditField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes one entry for a change of `item` (as it is after the change).
pub(super) fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    item: &Item,
    field: AuditField,
    old_value: &str,
    new_value: &str,
    catalog_version: i64,
) -> Result<()> {
    diesel::insert_into(audit_entries::table)
        .values(NewAuditEntryRow {
            merchant_id: item.merchant_id,
            item_id: item.id,
            actor: actor.as_str(),
            field: field.as_str(),
            old_value,
            new_value,
            catalog_version,
            created_at: now(),
            item_version: Some(item.version),
        })
        .execute(conn)?;
    Ok(())
}

/// Whether an entry can be undone now, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// The item is still as this change left it.
    Offered,
    /// Only designation changes are undone from the log.
    NotADesignation,
    /// The item changed again since; undoing would overwrite that.
    ItemMovedOn,
    /// The item is archived; restore it first.
    ItemArchived,
}

impl Undo {
    fn of(field: AuditField, entry_version: Option<i64>, item: (i64, bool)) -> Undo {
        let (item_version, archived) = item;
        if !field.is_designation() {
            Undo::NotADesignation
        } else if archived {
            Undo::ItemArchived
        } else if entry_version != Some(item_version) {
            Undo::ItemMovedOn
        } else {
            Undo::Offered
        }
    }

    pub fn is_offered(self) -> bool {
        self == Undo::Offered
    }

    /// Why Undo is not offered, for a person.
    pub fn reason(self) -> &'static str {
        match self {
            Undo::Offered => "",
            Undo::NotADesignation => "Edit the item to change this back",
            Undo::ItemMovedOn => "Changed again since; can no longer be undone",
            Undo::ItemArchived => "The item is archived; restore it to undo",
        }
    }
}

/// One audit entry with the item's current name and sku, for display.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub item_sku: String,
    pub actor: String,
    pub field: AuditField,
    pub old_value: String,
    pub new_value: String,
    pub catalog_version: i64,
    /// The item version this change produced (unknown for old entries).
    pub item_version: Option<i64>,
    pub created_at: NaiveDateTime,
    pub undo: Undo,
}

impl AuditEntry {
    /// Whether this entry changed a designation.
    pub fn is_designation(&self) -> bool {
        self.field.is_designation()
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` to read the next (older) page.
    pub next_before: Option<i64>,
}

type EntryWithItem = (AuditEntryRow, String, String, i64, bool);

fn entry_from(row: EntryWithItem) -> Result<AuditEntry> {
    let (row, item_name, item_sku, item_version, archived) = row;
    let field = AuditField::parse(&row.field).ok_or_else(|| {
        InventoryError::Corrupt(format!("audit entry {}: field {:?}", row.id, row.field))
    })?;
    Ok(AuditEntry {
        id: row.id,
        item_id: row.item_id,
        item_name,
        item_sku,
        actor: row.actor,
        field,
        old_value: row.old_value,
        new_value: row.new_value,
        catalog_version: row.catalog_version,
        item_version: row.item_version,
        created_at: row.created_at,
        undo: Undo::of(field, row.item_version, (item_version, archived)),
    })
}

/// Which entries to read.
#[derive(Default)]
struct Scope {
    item_id: Option<i64>,
    entry_id: Option<i64>,
    /// Entries older than this id.
    before: Option<i64>,
}

/// Entries of the merchant in `scope`, newest first, at most `limit` + 1 (so
/// the caller can tell whether there are more).
fn load(
    conn: &mut DbConnection,
    merchant_id: i64,
    scope: Scope,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    let mut query = audit_entries::table
        .inner_join(items::table)
        .filter(audit_entries::merchant_id.eq(merchant_id))
        .into_boxed();
    if let Some(item_id) = scope.item_id {
        query = query.filter(audit_entries::item_id.eq(item_id));
    }
    if let Some(entry_id) = scope.entry_id {
        query = query.filter(audit_entries::id.eq(entry_id));
    }
    if let Some(before) = scope.before {
        query = query.filter(audit_entries::id.lt(before));
    }
    let rows: Vec<EntryWithItem> = query
        .order(audit_entries::id.desc())
        .limit(limit + 1)
        .select((
            AuditEntryRow::as_select(),
            items::name,
            items::sku,
            items::version,
            items::archived,
        ))
        .load(conn)?;
    rows.into_iter().map(entry_from).collect()
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
    let scope = Scope {
        item_id,
        before,
        ..Scope::default()
    };
    let mut entries = load(conn, merchant_id, scope, limit)?;
    let has_more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
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

/// One entry of this merchant; another merchant's entry is NotFound.
pub fn entry(conn: &mut DbConnection, merchant_id: i64, entry_id: i64) -> Result<AuditEntry> {
    let scope = Scope {
        entry_id: Some(entry_id),
        ..Scope::default()
    };
    load(conn, merchant_id, scope, 1)?
        .into_iter()
        .next()
        .ok_or(InventoryError::NotFound("audit entry"))
}

/// The newest entry of an item, to say who changed it last.
pub fn last_change(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
) -> Result<Option<AuditEntry>> {
    let page = entries(conn, merchant_id, Some(item_id), None, 1)?;
    Ok(page.entries.into_iter().next())
}
