//! Online orders: drawn only from stores that fulfil online orders, never
//! more than is available online (after the buffer), split across as few
//! stores as possible; backordered beyond stock only for items that allow it.

use super::{
    Allocation, Fulfilment, OrderLineReceipt, OrderReceipt, OrderRequest, check_request,
    line_items, new_reference, result_class,
};
use crate::db::DbConnection;
use crate::domain::FieldError;
use crate::domain::{
    IdempotencyKey, MovementKind, OnlineListing, Shortage, available_online, online_buffer,
};
use crate::inventory::idempotency::{self, Fingerprint, Outcome};
use crate::inventory::merchants::{Location, Merchant};
use crate::inventory::stock::{self, Ledger, Movement};
use crate::inventory::{Actor, InventoryError, Item, Result};

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
    let outcome = order(conn, actor, merchant_id, key, fingerprint, request);
    crate::metrics::record_online_order(result_class(&outcome));
    outcome
}

fn order(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    request: &OrderRequest,
) -> Result<Outcome<OrderReceipt>> {
    check_request(&request.lines, request.external_reference.as_deref())?;
    // The merchant lock first: the order plans its allocation from the
    // levels it reads.
    idempotency::once(conn, merchant_id, key, fingerprint, |conn| {
        take_order(conn, actor, merchant_id, key, request)
    })
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
            // Units held for pickup there are not for sale online.
            let free = stock::available_at(conn, item.id, store.id)?;
            all_fulfilling.push(free);
            if fulfilling.contains(&store.id) {
                levels.push((store.id, free));
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
                    available: stock::available_at(conn, item.id, location_id)?,
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
