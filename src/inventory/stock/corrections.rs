//! Corrections a person records from the stock panel: a receipt, a signed
//! adjustment, or a count. Each runs once per idempotency key, so a form
//! submitted twice moves the level once.

use crate::db::DbConnection;
use crate::domain::{
    Adjustment, FieldError, IdempotencyKey, MAX_QUANTITY, MovementKind, Quantity, Reason,
    StockCount,
};
use crate::inventory::idempotency::{self, Fingerprint, Outcome};
use crate::inventory::merchants::Location;
use crate::inventory::{Actor, InventoryError, Item, Result};

use super::ledger::{Ledger, Movement, StockMovement};
use super::levels::on_hand;

/// A correction of a store's stock made by a person in the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// Units delivered to the store.
    Receive(Quantity),
    /// A signed correction: breakage, loss, found stock.
    Adjust(Adjustment),
    /// What a physical count found; the level is set to it.
    Count(StockCount),
}

impl Correction {
    pub fn kind(self) -> MovementKind {
        match self {
            Correction::Receive(_) => MovementKind::Receipt,
            Correction::Adjust(_) => MovementKind::Adjustment,
            Correction::Count(_) => MovementKind::Count,
        }
    }

    fn fingerprint_part(self) -> String {
        match self {
            Correction::Receive(q) => format!("receive:{}", q.get()),
            Correction::Adjust(a) => format!("adjust:{}", a.get()),
            Correction::Count(c) => format!("count:{}", c.get()),
        }
    }
}

/// A stock correction with where, why, and the key that makes a resubmitted
/// form harmless.
#[derive(Debug, Clone)]
pub struct CorrectionRequest {
    pub item_id: i64,
    pub location_id: i64,
    pub correction: Correction,
    pub reason: Reason,
    pub key: IdempotencyKey,
}

/// A correction as recorded, and whether it was recorded by an earlier
/// submission with the same key (then nothing happened now).
#[derive(Debug, Clone)]
pub struct Corrected {
    pub movement: StockMovement,
    pub replayed: bool,
}

/// Receives, adjusts or counts one item's stock at one store, once per key.
///
/// An adjustment that would leave the level below zero is refused: that is
/// what a count is for.
pub fn correct(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    request: &CorrectionRequest,
) -> Result<Corrected> {
    correct_logged_at(conn, actor, merchant_id, request, log::Level::Info)
}

/// `correct`, logging the movement at `level`.
fn correct_logged_at(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    request: &CorrectionRequest,
    level: log::Level,
) -> Result<Corrected> {
    let fingerprint = Fingerprint::of_parts(&[
        "correction",
        &request.item_id.to_string(),
        &request.location_id.to_string(),
        &request.correction.fingerprint_part(),
        request.reason.as_str(),
    ]);
    let outcome = idempotency::once(conn, merchant_id, &request.key, &fingerprint, |conn| {
        apply_correction(conn, actor, merchant_id, request, level)
    })?;
    match outcome {
        Outcome::Done { value, replayed } => Ok(Corrected {
            movement: value,
            replayed,
        }),
        // A correction never draws on stock, so it is never refused as short.
        Outcome::Short { shortages, .. } => Err(InventoryError::InsufficientStock(shortages)),
    }
}

fn apply_correction(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    request: &CorrectionRequest,
    level: log::Level,
) -> Result<StockMovement> {
    let item = Item::find(conn, merchant_id, request.item_id)?;
    let location = Location::find(conn, merchant_id, request.location_id).map_err(|e| match e {
        InventoryError::NotFound(_) => {
            FieldError::new("location_id", "Choose one of your stores").into()
        }
        other => other,
    })?;
    let before = on_hand(conn, item.id, location.id)?;
    let delta = match request.correction {
        Correction::Receive(quantity) => quantity.get(),
        Correction::Adjust(adjustment) => {
            let after = before + adjustment.get();
            if after < 0 {
                return Err(FieldError::new(
                    "quantity",
                    format!(
                        "{} has {before} at {}; taking {} would leave {after}. Record a count instead.",
                        item.name,
                        location.name,
                        -adjustment.get()
                    ),
                )
                .into());
            }
            adjustment.get()
        }
        Correction::Count(counted) => counted.get() - before,
    };
    if (before + delta).abs() > MAX_QUANTITY * 10 {
        return Err(FieldError::new(
            "quantity",
            "That would take the level past what shelfsync can hold",
        )
        .into());
    }
    let reference = format!(
        "{}-{}",
        request.correction.kind().as_str(),
        request.key.as_str()
    );
    let mut ledger = Ledger::open(
        conn,
        merchant_id,
        actor,
        request.key.as_str(),
        &reference,
        None,
        &[&item],
    )?;
    let movement = ledger.apply(
        conn,
        &item,
        location.id,
        delta,
        Movement {
            kind: request.correction.kind(),
            reason: request.reason.as_str(),
        },
    )?;
    ledger.close(conn)?;
    log::log!(
        level,
        "merchant {merchant_id} item {}: {} {delta:+} at location {} by {}, now {}",
        item.id,
        movement.kind.as_str(),
        location.id,
        actor.as_str(),
        movement.on_hand_after
    );
    Ok(movement)
}

/// Receives `quantity` units at a store (the demo seed and tests); returns
/// the on-hand quantity after the receipt. Logged at debug only: the seed
/// records a hundred of them and says so in one line of its own.
pub fn receive(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    item_id: i64,
    location_id: i64,
    quantity: Quantity,
    key: IdempotencyKey,
) -> Result<i64> {
    let request = CorrectionRequest {
        item_id,
        location_id,
        correction: Correction::Receive(quantity),
        reason: Reason::parse("Received")?,
        key,
    };
    Ok(
        correct_logged_at(conn, actor, merchant_id, &request, log::Level::Debug)?
            .movement
            .on_hand_after,
    )
}
