//! Designation changes as the dashboard makes them: one button press on a
//! row, one action applied to many rows, and Undo from the audit log. Each
//! drives the item writer (`items::ItemWriter`), so the rules, versions,
//! audit entries and outbox events are the writer's; this module adds what a
//! press needs around it (the row as it now is, who changed it last).

use super::audit::{self, AuditEntry, AuditField, Undo};
use super::item_list::{self, ItemFilter};
use super::items::{ItemChange, ItemWriter};
use super::{Actor, InventoryError, Item, Result};
use crate::db::DbConnection;
use crate::domain::{
    Designation, DesignationChange, DesignationRuleError, FieldError, OnlineListing,
};

/// The most items one bulk change may touch.
pub const MAX_BULK: usize = 10_000;

/// The result of one designation change.
#[derive(Debug, Clone)]
pub struct DesignationOutcome {
    /// The item as it is now.
    pub item: Item,
    /// Its designations before the change.
    pub before: Designation,
    /// False when the item already had the asked-for designations.
    pub changed: bool,
    /// The merchant's catalog version after the change.
    pub catalog_version: i64,
}

/// Changes one item's designations if it is still at `expected_version`.
pub fn designate(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    expected_version: i64,
    change: DesignationChange,
) -> Result<DesignationOutcome> {
    let done = super::items::change_item(
        conn,
        actor,
        merchant_id,
        item_id,
        expected_version,
        &ItemChange::designation(change),
    )?;
    Ok(DesignationOutcome {
        before: done.before.designation,
        item: done.item,
        changed: done.changed,
        catalog_version: done.catalog_version,
    })
}

/// How a press on a row went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pressed {
    /// The designation changed.
    Applied,
    /// The item already had it.
    AlreadySo,
    /// Someone changed the item since the row was drawn; nothing changed.
    ChangedMeanwhile,
    /// The rules refuse it; nothing changed.
    Refused(DesignationRuleError),
}

/// An item row as the dashboard draws it after a press.
#[derive(Debug, Clone)]
pub struct RowView {
    pub pressed: Pressed,
    /// The item as it is now.
    pub item: Item,
    /// Its stock in each store and what the shop shows of it.
    pub stock: item_list::StockLine,
    /// The merchant's open stores, in the order of `stock.per_store`.
    pub stores: Vec<item_list::StoreColumn>,
    /// The newest audit entry of the item: who changed it last.
    pub last_change: Option<AuditEntry>,
    pub catalog_version: i64,
}

/// A designation button pressed on a row the merchant saw at
/// `seen_version`: the change, and everything the row shows afterwards, in
/// one call.
pub fn press(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    seen_version: i64,
    change: DesignationChange,
) -> Result<RowView> {
    let (pressed, item) = match designate(conn, actor, merchant_id, item_id, seen_version, change) {
        Ok(done) if done.changed => (Pressed::Applied, done.item),
        Ok(done) => (Pressed::AlreadySo, done.item),
        Err(InventoryError::Conflict { current }) => (Pressed::ChangedMeanwhile, *current),
        Err(InventoryError::Rule { item, rule }) => (Pressed::Refused(rule), *item),
        Err(other) => return Err(other),
    };
    row_view(conn, merchant_id, pressed, item)
}

/// The row of an item as it is, for a press that could not be read (a
/// tampered form): nothing changes.
pub fn row(conn: &mut DbConnection, merchant_id: i64, item_id: i64) -> Result<RowView> {
    let item = Item::find(conn, merchant_id, item_id)?;
    row_view(conn, merchant_id, Pressed::AlreadySo, item)
}

fn row_view(
    conn: &mut DbConnection,
    merchant_id: i64,
    pressed: Pressed,
    item: Item,
) -> Result<RowView> {
    conn.read_transaction(|conn| {
        let (stores, mut lines) =
            item_list::stock_lines(conn, merchant_id, std::slice::from_ref(&item))?;
        let stock = lines
            .remove(&item.id)
            .ok_or(InventoryError::NotFound("item"))?;
        Ok(RowView {
            pressed,
            stock,
            stores,
            last_change: audit::last_change(conn, merchant_id, item.id)?,
            catalog_version: super::catalog_version(conn, merchant_id)?,
            item,
        })
    })
}

/// Whether a bulk change may apply to part of the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkMode {
    /// Change nothing unless every selected item can take the change.
    AllOrNothing,
    /// Change the items that can take it; leave and report the others.
    ValidOnly,
}

/// An item of a bulk selection, with the version the merchant saw it at
/// when the page showed it (`None` for "all matching", which were not all shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selected {
    pub id: i64,
    pub seen_version: Option<i64>,
}

impl From<i64> for Selected {
    fn from(id: i64) -> Selected {
        Selected {
            id,
            seen_version: None,
        }
    }
}

impl Selected {
    /// Parses a row's checkbox value: `ID:VERSION`, or a bare `ID`.
    pub fn parse(raw: &str) -> Result<Selected, FieldError> {
        let bad = || FieldError::new("ids", format!("{raw:?} is not an item id"));
        let (id, version) = match raw.trim().split_once(':') {
            Some((id, version)) => (id, Some(version)),
            None => (raw.trim(), None),
        };
        Ok(Selected {
            id: id.parse().map_err(|_| bad())?,
            seen_version: version
                .map(|v| v.parse::<i64>().map_err(|_| bad()))
                .transpose()?,
        })
    }
}

/// What a bulk change applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Rows the merchant ticked.
    Items(Vec<Selected>),
    /// Every item matching a search and filter of the item list.
    Matching { search: String, filter: ItemFilter },
}

/// An item a bulk change could not apply to, and why.
#[derive(Debug, Clone)]
pub struct RefusedItem {
    pub item: Item,
    pub reason: String,
    /// It changed since the merchant saw it (the reason says how it is now).
    pub changed_since_seen: bool,
}

/// The result of a bulk change.
#[derive(Debug, Clone, Default)]
pub struct BulkOutcome {
    /// How many items were selected.
    pub selected: usize,
    /// Items changed, as they are now.
    pub applied: Vec<Item>,
    /// Items that already had the designation.
    pub unchanged: Vec<Item>,
    /// Items that could not take the change, or changed since the merchant
    /// saw them; nothing was written for them.
    pub refused: Vec<RefusedItem>,
    /// With `AllOrNothing` and refusals: the items that could have taken the
    /// change, left as they were, with the version they were checked at.
    pub held_back: Vec<Item>,
    /// The merchant's catalog version afterwards.
    pub catalog_version: i64,
}

/// Applies one designation change to many items in one transaction, at one
/// catalog version. With `AllOrNothing`, a single refusal (a rule, an
/// archived item, an item changed since the merchant saw it) means nothing
/// changes and the outcome lists the refusals.
pub fn designate_many<S: Copy + Into<Selected>>(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    selection: &[S],
    change: DesignationChange,
    mode: BulkMode,
) -> Result<BulkOutcome> {
    let selection = Selection::Items(selection.iter().map(|s| (*s).into()).collect());
    bulk_designate(conn, actor, merchant_id, &selection, change, mode)
}

/// `designate_many` for a selection as the dashboard sends it, including
/// "all matching".
pub fn bulk_designate(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    selection: &Selection,
    change: DesignationChange,
    mode: BulkMode,
) -> Result<BulkOutcome> {
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin(conn, actor, merchant_id)?;
        let selected = resolve(conn, merchant_id, selection)?;
        let ids: Vec<i64> = selected.iter().map(|s| s.id).collect();
        let found = Item::find_many(conn, merchant_id, &ids)?;
        if found.len() != ids.len() {
            return Err(InventoryError::NotFound("item"));
        }
        let mut outcome = BulkOutcome {
            selected: selected.len(),
            ..BulkOutcome::default()
        };
        let mut to_apply = Vec::new();
        for (item, seen) in found.into_iter().zip(&selected) {
            if seen.seen_version.is_some_and(|v| v != item.version) {
                outcome.refused.push(RefusedItem {
                    reason: format!(
                        "Changed by someone else since you looked; it is now {}.",
                        describe(&item)
                    ),
                    item,
                    changed_since_seen: true,
                });
                continue;
            }
            let refusal = if item.archived {
                Some(DesignationRuleError::Archived)
            } else {
                change.apply_to(item.designation).err()
            };
            match refusal {
                Some(rule) => outcome.refused.push(RefusedItem {
                    reason: rule.to_string(),
                    item,
                    changed_since_seen: false,
                }),
                None if change.apply_to(item.designation) == Ok(item.designation) => {
                    outcome.unchanged.push(item)
                }
                None => to_apply.push(item),
            }
        }
        if mode == BulkMode::AllOrNothing && !outcome.refused.is_empty() {
            outcome.held_back = to_apply;
        } else {
            let change = ItemChange::designation(change);
            for item in to_apply {
                if let Some(written) = writer.apply(conn, &item, &change)? {
                    outcome.applied.push(written);
                }
            }
        }
        outcome.catalog_version = writer.catalog_version(conn)?;
        Ok(outcome)
    })
}

/// The items a selection names, once each in id order: refused when it
/// names none or more than `MAX_BULK`. Unknown ids are the caller's to find.
pub(super) fn resolve(
    conn: &mut DbConnection,
    merchant_id: i64,
    selection: &Selection,
) -> Result<Vec<Selected>> {
    let mut selected: Vec<Selected> = match selection {
        Selection::Items(items) => items.clone(),
        Selection::Matching { search, filter } => {
            item_list::matching_ids(conn, merchant_id, search, *filter)?
                .into_iter()
                .map(Selected::from)
                .collect()
        }
    };
    selected.sort_unstable_by_key(|s| s.id);
    selected.dedup_by_key(|s| s.id);
    if selected.is_empty() {
        return Err(FieldError::new("ids", "Select at least one item first.").into());
    }
    if selected.len() > MAX_BULK {
        return Err(FieldError::new(
            "ids",
            format!("Select at most {MAX_BULK} items at once; nothing was changed."),
        )
        .into());
    }
    Ok(selected)
}

/// How an item's designations read in a sentence: "For sale online, sold in store".
pub fn describe(item: &Item) -> String {
    let store = if item.in_store() {
        "sold in store"
    } else {
        "not sold in store"
    };
    let online = match item.online() {
        OnlineListing::Hidden => "Not online",
        listed => listed.label(),
    };
    format!("{online}, {store}")
}

/// Restores the old value of a designation entry, if the item is still as
/// that change left it: a later change by anyone is a Conflict carrying the
/// item as it is, never overwritten. The undo is itself audited and announced.
pub fn undo(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    entry_id: i64,
) -> Result<DesignationOutcome> {
    conn.write_transaction(|conn| {
        let mut writer = ItemWriter::begin(conn, actor, merchant_id)?;
        let entry = audit::entry(conn, merchant_id, entry_id)?;
        let change = match entry.field {
            AuditField::InStore => DesignationChange {
                in_store: Some(entry.old_value == "true"),
                online: None,
            },
            AuditField::Online => DesignationChange {
                in_store: None,
                online: Some(OnlineListing::parse(&entry.old_value)?),
            },
            _ => {
                return Err(FieldError::new(
                    "entry",
                    "Only designation changes can be undone here; edit the item to change its fields",
                )
                .into());
            }
        };
        let item_id = entry.item_id.ok_or(InventoryError::NotFound("item"))?;
        let item = Item::find(conn, merchant_id, item_id)?;
        match entry.undo {
            Undo::ItemArchived => {
                return Err(InventoryError::Rule {
                    item: Box::new(item),
                    rule: DesignationRuleError::Archived,
                });
            }
            Undo::ItemMovedOn | Undo::NotADesignation => {
                return Err(InventoryError::Conflict {
                    current: Box::new(item),
                });
            }
            Undo::Offered => {}
        }
        let before = writer.load(conn, item.id, item.version)?;
        let written = writer.apply(conn, &before, &ItemChange::designation(change))?;
        Ok(DesignationOutcome {
            changed: written.is_some(),
            item: written.unwrap_or_else(|| before.clone()),
            before: before.designation,
            catalog_version: writer.catalog_version(conn)?,
        })
    })
}
