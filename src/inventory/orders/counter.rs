//! Counter sales: what a store's device records. Refused when short unless
//! the device says the sale happened anyway; then recorded even below zero,
//! which flags a discrepancy for the store to count.

use chrono::TimeDelta;

use super::{
    SaleLineReceipt, SaleReceipt, SaleRequest, check_request, line_items, new_reference,
    result_class,
};
use crate::db::DbConnection;
use crate::domain::{FieldError, IdempotencyKey, MovementKind, Shortage};
use crate::inventory::idempotency::{self, Fingerprint, Outcome};
use crate::inventory::merchants::Location;
use crate::inventory::stock::{self, Ledger, Movement};
use crate::inventory::{Actor, InventoryError, Item, Result, now};

/// How far in the future a sale's `occurred_at` may lie (device clocks drift).
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// Records a counter sale once per key: all lines or none. Counted in the
/// metrics by its result.
pub fn record_sale(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    request: &SaleRequest,
) -> Result<Outcome<SaleReceipt>> {
    let outcome = sell(conn, actor, merchant_id, key, fingerprint, request);
    crate::metrics::record_counter_sale(result_class(&outcome));
    outcome
}

fn sell(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    request: &SaleRequest,
) -> Result<Outcome<SaleReceipt>> {
    if let Some(at) = request.occurred_at
        && at > now() + CLOCK_SKEW
    {
        return Err(FieldError::new(
            "occurred_at",
            "A sale cannot have happened in the future; check the device's clock",
        )
        .into());
    }
    check_request(&request.lines, request.external_reference.as_deref())?;
    // A sale's only read-then-write is its conditional take, so the merchant
    // lock waits until its catalog version (`Ledger::open`): the store, the
    // items and the key are read before it.
    idempotency::once_lock_last(conn, merchant_id, key, fingerprint, |conn| {
        take_sale(conn, actor, merchant_id, key, request)
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
            // If it took held units, closing the ledger lets go the newest
            // holds that no longer fit.
            Some(ledger.apply(conn, item, location.id, -quantity, movement)?)
        } else {
            // Units held for pickup are not for sale without the cashier's
            // say-so: short, like units that aren't there.
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
                available: stock::available_at(conn, item.id, location.id)?,
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
