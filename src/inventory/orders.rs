//! Online orders and counter sales: the two channels drawing on one count.
//!
//! Each is one transaction with the merchant locked: every line succeeds or
//! none does. An online order takes stock only by conditional decrements, so
//! it never oversells; a counter sale is refused when short unless the device
//! says it happened anyway, and then it is recorded even if the level goes
//! negative. Both run once per idempotency key.

use std::collections::HashSet;

use chrono::{NaiveDateTime, TimeDelta};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::idempotency::{self, Fingerprint, Outcome};
use super::merchants::{Location, Merchant};
use super::stock::{self, Ledger, Movement};
use super::{Actor, InventoryError, Item, Result, now};
use crate::db::DbConnection;
use crate::domain::{
    FieldError, IdempotencyKey, MovementKind, OnlineListing, Quantity, Shortage, available_online,
    online_buffer,
};

/// The most lines one order or sale may have.
pub const MAX_LINES: usize = 100;

/// How far in the future a sale's `occurred_at` may lie (device clocks drift).
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// One line of an order or sale, parsed at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub item_id: i64,
    pub quantity: Quantity,
}

/// How an online order reaches the shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub location_id: i64,
    pub quantity: i64,
    pub on_hand_after: i64,
}

/// One line of a placed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReceipt {
    /// shelfsync's reference, on every stock movement of the order.
    pub reference: String,
    pub external_reference: Option<String>,
    pub fulfilment: Fulfilment,
    pub lines: Vec<OrderLineReceipt>,
    /// The catalog version at which the order's stock change is visible.
    pub catalog_version: i64,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLineReceipt {
    pub item_id: i64,
    pub sku: String,
    pub quantity: i64,
    pub on_hand_after: i64,
}

/// A recorded sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleReceipt {
    pub reference: String,
    pub external_reference: Option<String>,
    pub location_id: i64,
    pub occurred_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
    pub recorded_anyway: bool,
    pub lines: Vec<SaleLineReceipt>,
    /// True when a line left a level below zero: the store should count it.
    pub discrepancy: bool,
    pub catalog_version: i64,
}

/// Places an online order once per key: all lines or none, never more than
/// is available online.
pub fn place_order(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    request: &OrderRequest,
) -> Result<Outcome<OrderReceipt>> {
    check_lines(&request.lines)?;
    check_external_reference(request.external_reference.as_deref())?;
    idempotency::once(conn, merchant_id, key, fingerprint, |conn| {
        take_order(conn, actor, merchant_id, key, request)
    })
}

/// Records a counter sale once per key: all lines or none.
pub fn record_sale(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    request: &SaleRequest,
) -> Result<Outcome<SaleReceipt>> {
    check_lines(&request.lines)?;
    check_external_reference(request.external_reference.as_deref())?;
    if let Some(at) = request.occurred_at
        && at > now() + CLOCK_SKEW
    {
        return Err(FieldError::new(
            "occurred_at",
            "A sale cannot have happened in the future; check the device's clock",
        )
        .into());
    }
    idempotency::once(conn, merchant_id, key, fingerprint, |conn| {
        take_sale(conn, actor, merchant_id, key, request)
    })
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
fn new_reference(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The items of the lines, each checked by `sellable` (which names the
/// problem), in line order.
fn line_items(
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

fn take_order(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    key: &IdempotencyKey,
    request: &OrderRequest,
) -> Result<OrderReceipt> {
    let merchant = Merchant::find(conn, merchant_id)?;
    let stores = Location::all_of(conn, merchant_id)?;
    let fulfilling: Vec<i64> = match request.fulfilment {
        Fulfilment::Ship => stores
            .iter()
            .filter(|store| store.fulfils_online)
            .map(|store| store.id)
            .collect(),
        Fulfilment::Pickup { location_id } => {
            let store = stores
                .iter()
                .find(|store| store.id == location_id)
                .ok_or_else(|| {
                    FieldError::new(
                        "fulfilment.location_id",
                        format!("There is no store {location_id}"),
                    )
                })?;
            if !store.fulfils_online {
                return Err(FieldError::new(
                    "fulfilment.location_id",
                    format!("{} does not hand out online orders", store.name),
                )
                .into());
            }
            vec![store.id]
        }
    };
    let items = line_items(conn, merchant_id, &request.lines, |item| {
        (item.archived || item.online() != OnlineListing::ForSale)
            .then(|| format!("{} is not for sale online", item.sku))
    })?;

    // Plan every line from one consistent read (the merchant lock holds the
    // levels still), refusing the whole order if any line is short.
    let mut plans = Vec::with_capacity(items.len());
    let mut shortages = Vec::new();
    for (item, line) in items.iter().zip(&request.lines) {
        let mut levels: Vec<(i64, i64)> = Vec::new();
        let mut all_fulfilling = Vec::new();
        for store in stores.iter().filter(|store| store.fulfils_online) {
            let on_hand = stock::on_hand(conn, item.id, store.id)?;
            all_fulfilling.push(on_hand);
            if fulfilling.contains(&store.id) {
                levels.push((store.id, on_hand));
            }
        }
        let online = available_online(
            all_fulfilling,
            online_buffer(item.online_buffer, merchant.online_buffer),
        );
        let here: i64 = levels.iter().map(|(_, q)| (*q).max(0)).sum();
        let available = online.min(here);
        let wanted = line.quantity.get();
        let taking = if wanted <= available {
            wanted
        } else if item.allow_backorder {
            available
        } else {
            shortages.push(Shortage {
                item_id: item.id,
                sku: item.sku.clone(),
                location_id: match request.fulfilment {
                    Fulfilment::Pickup { location_id } => Some(location_id),
                    Fulfilment::Ship => None,
                },
                requested: wanted,
                available,
            });
            continue;
        };
        // Fullest store first, so an order splits across as few as possible.
        levels.sort_by_key(|(id, q)| (-q, *id));
        plans.push((item, wanted, taking, levels));
    }
    if !shortages.is_empty() {
        return Err(InventoryError::InsufficientStock(shortages));
    }

    let reference = new_reference("ord");
    let reason = match (&request.fulfilment, &request.external_reference) {
        (_, Some(external)) => format!("Online order {external}"),
        (Fulfilment::Ship, None) => "Online order, shipped".to_owned(),
        (Fulfilment::Pickup { .. }, None) => "Online order, picked up".to_owned(),
    };
    let touched: Vec<&Item> = items.iter().collect();
    let mut ledger = Ledger::open(
        conn,
        merchant_id,
        actor,
        key.as_str(),
        &reference,
        None,
        &touched,
    )?;
    let mut lines = Vec::with_capacity(plans.len());
    for (item, wanted, taking, levels) in plans {
        let mut allocations = Vec::new();
        let mut left = taking;
        for (location_id, on_hand) in levels {
            if left == 0 {
                break;
            }
            let from_here = left.min(on_hand.max(0));
            if from_here == 0 {
                continue;
            }
            let movement = Movement {
                kind: MovementKind::OnlineOrder,
                reason: &reason,
            };
            let Some(taken) = ledger.take(conn, item, location_id, from_here, movement)? else {
                // Unreachable while the merchant lock holds the levels still;
                // if it ever happens, refuse rather than oversell.
                return Err(InventoryError::InsufficientStock(vec![Shortage {
                    item_id: item.id,
                    sku: item.sku.clone(),
                    location_id: Some(location_id),
                    requested: wanted,
                    available: stock::on_hand(conn, item.id, location_id)?.max(0),
                }]));
            };
            allocations.push(Allocation {
                location_id,
                quantity: from_here,
                on_hand_after: taken.on_hand_after,
            });
            left -= from_here;
        }
        lines.push(OrderLineReceipt {
            item_id: item.id,
            sku: item.sku.clone(),
            quantity: wanted,
            allocations,
            backordered: wanted - taking,
        });
    }
    let recorded_at = ledger.recorded_at();
    let catalog_version = ledger.close(conn)?;
    log::info!(
        "merchant {merchant_id}: online order {reference} of {} line(s) by {} at catalog version {catalog_version}",
        lines.len(),
        actor.as_str()
    );
    Ok(OrderReceipt {
        reference,
        external_reference: request.external_reference.clone(),
        fulfilment: request.fulfilment,
        lines,
        catalog_version,
        recorded_at,
    })
}

fn take_sale(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    key: &IdempotencyKey,
    request: &SaleRequest,
) -> Result<SaleReceipt> {
    let location = Location::find(conn, merchant_id, request.location_id).map_err(|e| match e {
        InventoryError::NotFound(_) => FieldError::new(
            "location_id",
            format!("There is no store {}", request.location_id),
        )
        .into(),
        other => other,
    })?;
    let record_anyway = request.record_anyway;
    let items = line_items(conn, merchant_id, &request.lines, |item| {
        if record_anyway {
            // It happened: record it whatever the designation says now.
            None
        } else if item.archived {
            Some(format!("{} is archived", item.sku))
        } else if !item.in_store() {
            Some(format!("{} is not sold in store", item.sku))
        } else {
            None
        }
    })?;
    let reference = new_reference("sale");
    let reason = match (&request.external_reference, record_anyway) {
        (Some(external), false) => format!("Sale {external} at the counter"),
        (Some(external), true) => format!("Sale {external} at the counter, recorded anyway"),
        (None, false) => "Sale at the counter".to_owned(),
        (None, true) => "Sale at the counter, recorded anyway".to_owned(),
    };
    let touched: Vec<&Item> = items.iter().collect();
    let mut ledger = Ledger::open(
        conn,
        merchant_id,
        actor,
        key.as_str(),
        &reference,
        request.occurred_at,
        &touched,
    )?;
    // Each line takes its units in one conditional statement; a short line
    // is noted and the rest still tried, so the refusal names every short
    // line. Any refusal rolls the whole sale back (the caller's savepoint).
    let mut lines = Vec::with_capacity(items.len());
    let mut shortages = Vec::new();
    for (item, line) in items.iter().zip(&request.lines) {
        let quantity = line.quantity.get();
        let movement = Movement {
            kind: MovementKind::StoreSale,
            reason: &reason,
        };
        let recorded = if record_anyway {
            Some(ledger.apply(conn, item, location.id, -quantity, movement)?)
        } else {
            ledger.take(conn, item, location.id, quantity, movement)?
        };
        match recorded {
            Some(recorded) => lines.push(SaleLineReceipt {
                item_id: item.id,
                sku: item.sku.clone(),
                quantity,
                on_hand_after: recorded.on_hand_after,
            }),
            None => shortages.push(Shortage {
                item_id: item.id,
                sku: item.sku.clone(),
                location_id: Some(location.id),
                requested: quantity,
                available: stock::on_hand(conn, item.id, location.id)?.max(0),
            }),
        }
    }
    if !shortages.is_empty() {
        return Err(InventoryError::InsufficientStock(shortages));
    }
    let recorded_at = ledger.recorded_at();
    let occurred_at = request.occurred_at.unwrap_or(recorded_at);
    let catalog_version = ledger.close(conn)?;
    let discrepancy = lines.iter().any(|line| line.on_hand_after < 0);
    if discrepancy {
        log::warn!(
            "merchant {merchant_id} location {}: sale {reference} recorded anyway left a negative level",
            location.id
        );
    }
    Ok(SaleReceipt {
        reference,
        external_reference: request.external_reference.clone(),
        location_id: location.id,
        occurred_at,
        recorded_at,
        recorded_anyway: record_anyway,
        lines,
        discrepancy,
        catalog_version,
    })
}
