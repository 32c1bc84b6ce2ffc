//! Online orders and counter sales: the two channels drawing on one count.
//!
//! Each is one transaction with the merchant locked: every line succeeds or
//! none does. An online order (`online`) takes stock only by conditional
//! decrements, so it never oversells; a counter sale (`counter`) is refused
//! when short unless the device says it happened anyway, and then it is
//! recorded even if the level goes negative. Both run once per idempotency key.
//! This module holds what they share: lines, receipts, and the line checks.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::idempotency::Outcome;
use super::{InventoryError, Item, Result};
use crate::db::DbConnection;
use crate::domain::{FieldError, Quantity};

mod counter;
mod online;

pub use counter::record_sale;
pub use online::place_order;

/// The most lines one order or sale may have.
pub const MAX_LINES: usize = 100;

/// One line of an order or sale, parsed at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub item_id: i64,
    pub quantity: Quantity,
}

/// How an online order reaches the shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fulfilment {
    /// Shipped from any store that fulfils online orders.
    Ship,
    /// Picked up at this store, which must fulfil online orders.
    Pickup { location_id: i64 },
}

/// An online order as the storefront sends it.
#[derive(Debug, Clone)]
pub struct OrderRequest {
    pub lines: Vec<Line>,
    pub fulfilment: Fulfilment,
    /// The storefront's own order number, if it sends one.
    pub external_reference: Option<String>,
}

/// Units of a line taken from one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Allocation {
    pub location_id: i64,
    pub quantity: i64,
    pub on_hand_after: i64,
}

/// One line of a placed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderLineReceipt {
    pub item_id: i64,
    pub sku: String,
    pub quantity: i64,
    /// Units taken from stock, per store.
    pub allocations: Vec<Allocation>,
    /// Units ordered beyond stock (only for items that allow backorder).
    pub backordered: i64,
}

/// A placed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderReceipt {
    /// shelfsync's reference, on every stock movement of the order.
    pub reference: String,
    pub external_reference: Option<String>,
    pub fulfilment: Fulfilment,
    pub lines: Vec<OrderLineReceipt>,
    /// The catalog version at which the order's stock change is visible.
    pub catalog_version: i64,
    /// When shelfsync recorded it: UTC, ISO 8601 without an offset.
    #[schema(value_type = String, example = "2026-11-27T14:05:03.120511")]
    pub recorded_at: NaiveDateTime,
}

/// A sale at a store counter as its device sends it.
#[derive(Debug, Clone)]
pub struct SaleRequest {
    pub location_id: i64,
    pub lines: Vec<Line>,
    /// When the sale happened; now when not given (a device that was offline
    /// sends the time of the sale).
    pub occurred_at: Option<NaiveDateTime>,
    /// Record the sale even when stock is short (it happened); the level may
    /// go negative, which the dashboard flags as a discrepancy to count.
    pub record_anyway: bool,
    pub external_reference: Option<String>,
}

/// One line of a recorded sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SaleLineReceipt {
    pub item_id: i64,
    pub sku: String,
    pub quantity: i64,
    pub on_hand_after: i64,
}

/// A recorded sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SaleReceipt {
    pub reference: String,
    pub external_reference: Option<String>,
    pub location_id: i64,
    /// When the sale happened: UTC, ISO 8601 without an offset.
    #[schema(value_type = String, example = "2026-11-27T14:05:00")]
    pub occurred_at: NaiveDateTime,
    /// When shelfsync recorded it: UTC, ISO 8601 without an offset.
    #[schema(value_type = String, example = "2026-11-27T14:05:03.120511")]
    pub recorded_at: NaiveDateTime,
    pub recorded_anyway: bool,
    pub lines: Vec<SaleLineReceipt>,
    /// True when a line left a level below zero: the store should count it.
    pub discrepancy: bool,
    pub catalog_version: i64,
}

/// The checks an order or a sale passes before it is run once per key.
pub(super) fn check_request(lines: &[Line], external_reference: Option<&str>) -> Result<()> {
    check_lines(lines)?;
    check_external_reference(external_reference)
}

/// How the metrics count an order's or a sale's result: `ok`, `replayed`
/// (its key was seen before), or the class of refusal. Fixed words, so the
/// series stay few.
pub(super) fn result_class<T>(outcome: &Result<Outcome<T>>) -> &'static str {
    match outcome {
        Ok(Outcome::Done {
            replayed: false, ..
        }) => "ok",
        Ok(Outcome::Done { replayed: true, .. } | Outcome::Short { replayed: true, .. }) => {
            "replayed"
        }
        Ok(Outcome::Short { .. }) | Err(InventoryError::InsufficientStock(_)) => {
            "insufficient_stock"
        }
        Err(InventoryError::Invalid(_) | InventoryError::InvalidLine { .. }) => "invalid",
        Err(InventoryError::NotFound(_)) => "not_found",
        Err(InventoryError::IdempotencyKeyReused) => "key_reused",
        Err(InventoryError::NotAllowed(_)) => "not_allowed",
        Err(InventoryError::Unavailable(_)) => "unavailable",
        Err(_) => "error",
    }
}

fn check_lines(lines: &[Line]) -> Result<()> {
    if lines.is_empty() {
        return Err(FieldError::new("lines", "Send at least one line").into());
    }
    if lines.len() > MAX_LINES {
        return Err(
            FieldError::new("lines", format!("Send at most {MAX_LINES} lines at once")).into(),
        );
    }
    let mut seen = HashSet::new();
    for (index, line) in lines.iter().enumerate() {
        if !seen.insert(line.item_id) {
            return Err(InventoryError::InvalidLine {
                line: index,
                error: FieldError::new(
                    "item_id",
                    format!(
                        "Item {} appears on an earlier line; send one line per item",
                        line.item_id
                    ),
                ),
            });
        }
    }
    Ok(())
}

fn check_external_reference(reference: Option<&str>) -> Result<()> {
    match reference {
        Some(r) if r.chars().count() > 100 || r.chars().any(char::is_control) => {
            Err(FieldError::new(
                "reference",
                "A reference is one line of at most 100 characters",
            )
            .into())
        }
        _ => Ok(()),
    }
}

/// A fresh reference such as `ord_5f3a9c0d1e2b`.
pub(super) fn new_reference(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The items of the lines, each checked by `sellable` (which names the
/// problem), in line order.
pub(super) fn line_items(
    conn: &mut DbConnection,
    merchant_id: i64,
    lines: &[Line],
    sellable: impl Fn(&Item) -> Option<String>,
) -> Result<Vec<Item>> {
    let mut items = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let item = match Item::find(conn, merchant_id, line.item_id) {
            Ok(item) => item,
            Err(InventoryError::NotFound(_)) => {
                return Err(InventoryError::InvalidLine {
                    line: index,
                    error: FieldError::new("item_id", format!("There is no item {}", line.item_id)),
                });
            }
            Err(other) => return Err(other),
        };
        if let Some(problem) = sellable(&item) {
            return Err(InventoryError::InvalidLine {
                line: index,
                error: FieldError::new("item_id", problem),
            });
        }
        items.push(item);
    }
    Ok(items)
}
