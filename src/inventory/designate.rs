//! Designation changes: the one path by which an item's in-store flag and
//! online listing change, alone or in bulk.

use super::{Actor, InventoryError, Item, Result, catalog, items};
use crate::db::DbConnection;
use crate::domain::{Designation, DesignationRuleError, OnlineListing};

/// What a merchant asked to change; `None` leaves that designation as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DesignationChange {
    pub in_store: Option<bool>,
    pub online: Option<OnlineListing>,
}

impl DesignationChange {
    pub const SELL_ONLINE: DesignationChange = DesignationChange {
        in_store: None,
        online: Some(OnlineListing::ForSale),
    };
    pub const VIEW_ONLINE_BUY_IN_STORE: DesignationChange = DesignationChange {
        in_store: None,
        online: Some(OnlineListing::ViewOnly),
    };
    pub const REMOVE_FROM_ONLINE: DesignationChange = DesignationChange {
        in_store: None,
        online: Some(OnlineListing::Hidden),
    };
    pub const SELL_IN_STORE: DesignationChange = DesignationChange {
        in_store: Some(true),
        online: None,
    };
    pub const STOP_SELLING_IN_STORE: DesignationChange = DesignationChange {
        in_store: Some(false),
        online: None,
    };

    pub(super) fn apply_to(
        self,
        current: Designation,
    ) -> Result<Designation, DesignationRuleError> {
        current.change(self.in_store, self.online)
    }
}

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
///
/// In one transaction: checks the version, enforces the rules, writes the
/// flags, bumps the item and catalog versions, records an audit entry per
/// changed designation and an outbox event announcing the new listing.
pub fn designate(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    expected_version: i64,
    change: DesignationChange,
) -> Result<DesignationOutcome> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let item = Item::find(conn, merchant_id, item_id)?;
        if item.archived {
            return Err(InventoryError::NotFound("item"));
        }
        if item.version != expected_version {
            return Err(InventoryError::Conflict {
                current: Box::new(item),
            });
        }
        let before = item.designation;
        let next = change
            .apply_to(before)
            .map_err(|rule| InventoryError::Rule {
                item: Box::new(item.clone()),
                rule,
            })?;
        if next == before {
            let catalog_version = catalog::current_version(conn, merchant_id)?;
            return Ok(DesignationOutcome {
                item,
                before,
                changed: false,
                catalog_version,
            });
        }
        let catalog_version = catalog::next_version(conn, merchant_id)?;
        let item = write_designation(conn, actor, &item, next, catalog_version)?;
        Ok(DesignationOutcome {
            item,
            before,
            changed: true,
            catalog_version,
        })
    })
}

/// Writes a designation a person chose, with its audit entries and outbox event.
fn write_designation(
    conn: &mut DbConnection,
    actor: &Actor,
    item: &Item,
    next: Designation,
    catalog_version: i64,
) -> Result<Item> {
    items::write_change(conn, actor, item, None, Some(next), catalog_version, false)
}

/// Writes a designation shelfsync chose by itself (the automatic
/// "view online, buy in store" switch), through the same path as a person's:
/// checked against the rules, versioned, audited as shelfsync and announced.
/// The caller holds the write transaction and the merchant lock.
pub(super) fn switch_automatically(
    conn: &mut DbConnection,
    item: &Item,
    change: DesignationChange,
    catalog_version: i64,
) -> Result<Item> {
    let next = change
        .apply_to(item.designation)
        .map_err(|rule| InventoryError::Rule {
            item: Box::new(item.clone()),
            rule,
        })?;
    items::write_change(
        conn,
        &Actor::system(),
        item,
        None,
        Some(next),
        catalog_version,
        true,
    )
}

/// Whether a bulk change may apply to part of the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkMode {
    /// Change nothing unless every selected item can take the change.
    AllOrNothing,
    /// Change the items that can take it; leave and report the others.
    ValidOnly,
}

/// An item a bulk change could not apply to, and why.
#[derive(Debug, Clone)]
pub struct RefusedItem {
    pub item: Item,
    pub reason: String,
}

/// The result of a bulk change.
#[derive(Debug, Clone, Default)]
pub struct BulkOutcome {
    /// Items changed, as they are now.
    pub applied: Vec<Item>,
    /// Items that already had the designation.
    pub unchanged: Vec<Item>,
    /// Items that could not take the change; nothing was written for them.
    pub refused: Vec<RefusedItem>,
    /// With `AllOrNothing` and refusals: the items that could have taken the
    /// change, left as they were.
    pub held_back: Vec<Item>,
    /// The merchant's catalog version afterwards.
    pub catalog_version: i64,
}

/// Applies one designation change to many items in one transaction, at one
/// catalog version. With `AllOrNothing`, a single refusal means nothing changes
/// and the outcome lists the refusals.
pub fn designate_many(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_ids: &[i64],
    change: DesignationChange,
    mode: BulkMode,
) -> Result<BulkOutcome> {
    let mut ids = item_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let found = Item::find_many(conn, merchant_id, &ids)?;
        if found.len() != ids.len() {
            return Err(InventoryError::NotFound("item"));
        }
        let mut outcome = BulkOutcome::default();
        let mut to_apply = Vec::new();
        for item in found {
            if item.archived {
                outcome.refused.push(RefusedItem {
                    reason: "The item is archived. Restore it first.".to_owned(),
                    item,
                });
                continue;
            }
            match change.apply_to(item.designation) {
                Ok(next) if next == item.designation => outcome.unchanged.push(item),
                Ok(next) => to_apply.push((item, next)),
                Err(rule) => outcome.refused.push(RefusedItem {
                    reason: rule.to_string(),
                    item,
                }),
            }
        }
        let refuse_all = mode == BulkMode::AllOrNothing && !outcome.refused.is_empty();
        if refuse_all || to_apply.is_empty() {
            outcome.held_back = to_apply.into_iter().map(|(item, _)| item).collect();
            outcome.catalog_version = catalog::current_version(conn, merchant_id)?;
            return Ok(outcome);
        }
        let catalog_version = catalog::next_version(conn, merchant_id)?;
        for (item, next) in to_apply {
            outcome.applied.push(write_designation(
                conn,
                actor,
                &item,
                next,
                catalog_version,
            )?);
        }
        outcome.catalog_version = catalog_version;
        Ok(outcome)
    })
}
