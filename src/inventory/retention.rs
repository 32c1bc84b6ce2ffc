//! Retention: what old bookkeeping is pruned, and how far back a consumer
//! may still resume.
//!
//! Three kinds of rows grow without end and are pruned by age, on the
//! scheduler, in bounded batches (each its own short transaction, so no lock
//! is held for long and a sale never waits behind a big delete):
//! - webhook delivery log lines that are settled (delivered or given up);
//!   a pending one stays, whatever its age;
//! - outbox events that no consumer still needs: every endpoint of the
//!   merchant that takes the event's type has its cursor past it, and no
//!   delivery log line still names it;
//! - idempotency keys.
//!
//! Events are pruned oldest first, so each merchant's history is a
//! contiguous stretch ending at the present. How far it was cut is recorded
//! per merchant (`pruned_history.through_version`) in the transaction that
//! deletes the events, so every instance reads the same floor: a resume from
//! a version before it — the live stream's `Last-Event-ID`, a webhook
//! redelivery since a version — is `HistoryPruned` instead of a silent gap.
//! The online list's `since_version` delta is not limited by it: the delta
//! is read from the items themselves (a tombstone is an item row that left
//! the list), and items are never pruned.

use std::collections::HashSet;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::outbox::EventPosition;
use super::{InventoryError, Result};
use crate::db::DbConnection;
use crate::db::schema::{
    idempotency_keys, merchants, outbox_events, pruned_history, webhook_deliveries,
    webhook_endpoints,
};
use crate::domain::EventTypes;

/// Rows deleted by one statement; each batch is its own transaction.
const BATCH: i64 = 500;

/// Batches one run deletes at most, so a run (and a shutdown waiting for it)
/// stays short however much is due; the rest waits for the next run.
const BATCHES_PER_RUN: usize = 40;

/// How old each kind of row must be before it is pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Outbox events every consumer has settled.
    pub delivered_events: TimeDelta,
    /// Settled lines of the webhook delivery log.
    pub delivery_logs: TimeDelta,
    /// Idempotency keys: a retry with the same key within this age replays
    /// the first outcome; after it, the key is forgotten.
    pub idempotency_keys: TimeDelta,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            delivered_events: TimeDelta::days(30),
            delivery_logs: TimeDelta::days(30),
            idempotency_keys: TimeDelta::hours(72),
        }
    }
}

/// How many rows one pruning run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub events: usize,
    pub delivery_logs: usize,
    pub idempotency_keys: usize,
    /// The run stopped at its limit with more due: run again soon.
    pub unfinished: bool,
}

/// The batches a run may still delete.
struct Budget(usize);

impl Budget {
    /// Takes one batch; false when none are left.
    fn spend(&mut self) -> bool {
        if self.0 == 0 {
            return false;
        }
        self.0 -= 1;
        true
    }
}

impl Pruned {
    pub fn total(&self) -> usize {
        self.events + self.delivery_logs + self.idempotency_keys
    }
}

/// Deletes everything older than its retention at `now`. Idempotent, and
/// safe to run on several instances at once.
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime, retention: &Retention) -> Result<Pruned> {
    // An age too large to subtract from now keeps everything of its kind.
    let cutoff = |age: TimeDelta| now.checked_sub_signed(age);
    let mut pruned = Pruned::default();
    let budget = &mut Budget(BATCHES_PER_RUN);
    // The log first: an event stays while a log line names it.
    if let Some(before) = cutoff(retention.delivery_logs) {
        pruned.delivery_logs = prune_delivery_logs(conn, before, budget)?;
    }
    if let Some(before) = cutoff(retention.delivered_events) {
        let merchant_ids: Vec<i64> = merchants::table
            .select(merchants::id)
            .order(merchants::id)
            .load(conn)?;
        for merchant_id in merchant_ids {
            pruned.events += prune_events(conn, merchant_id, before, budget)?;
        }
    }
    if let Some(before) = cutoff(retention.idempotency_keys) {
        pruned.idempotency_keys = prune_idempotency_keys(conn, before, budget)?;
    }
    pruned.unfinished = budget.0 == 0;
    Ok(pruned)
}

fn prune_delivery_logs(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    budget: &mut Budget,
) -> Result<usize> {
    let mut total = 0;
    while budget.spend() {
        let deleted =
            conn.write_transaction(|conn| -> Result<usize> {
                let ids: Vec<i64> = webhook_deliveries::table
                    .filter(webhook_deliveries::created_at.lt(before))
                    .filter(webhook_deliveries::status.ne("pending"))
                    .order(webhook_deliveries::id)
                    .limit(BATCH)
                    .select(webhook_deliveries::id)
                    .load(conn)?;
                Ok(diesel::delete(
                    webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)),
                )
                .execute(conn)?)
            })?;
        total += deleted;
        if deleted < BATCH as usize {
            break;
        }
    }
    Ok(total)
}

fn prune_idempotency_keys(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    budget: &mut Budget,
) -> Result<usize> {
    let mut total = 0;
    while budget.spend() {
        let deleted = conn.write_transaction(|conn| -> Result<usize> {
            let ids: Vec<i64> = idempotency_keys::table
                .filter(idempotency_keys::created_at.lt(before))
                .order(idempotency_keys::id)
                .limit(BATCH)
                .select(idempotency_keys::id)
                .load(conn)?;
            Ok(
                diesel::delete(idempotency_keys::table.filter(idempotency_keys::id.eq_any(ids)))
                    .execute(conn)?,
            )
        })?;
        total += deleted;
        if deleted < BATCH as usize {
            break;
        }
    }
    Ok(total)
}

/// One webhook endpoint's claim on the merchant's events.
struct Consumer {
    types: EventTypes,
    cursor: EventPosition,
}

impl Consumer {
    fn needs(&self, event_type: &str, position: EventPosition) -> bool {
        self.types.contains(event_type) && position > self.cursor
    }
}

/// Prunes the merchant's oldest events, batch by batch, up to the first one
/// that is too young or still needed.
fn prune_events(
    conn: &mut DbConnection,
    merchant_id: i64,
    before: NaiveDateTime,
    budget: &mut Budget,
) -> Result<usize> {
    let oldest: Option<NaiveDateTime> = outbox_events::table
        .filter(outbox_events::merchant_id.eq(merchant_id))
        .order((outbox_events::catalog_version, outbox_events::id))
        .select(outbox_events::created_at)
        .first(conn)
        .optional()?;
    if oldest.is_none_or(|at| at >= before) {
        return Ok(0);
    }
    ensure_floor_row(conn, merchant_id)?;
    let mut total = 0;
    while budget.spend() {
        let (deleted, more) =
            conn.write_transaction(|conn| prune_event_batch(conn, merchant_id, before))?;
        total += deleted;
        if !more {
            break;
        }
    }
    Ok(total)
}

/// Deletes up to `BATCH` of the merchant's oldest events that may go, and
/// raises the floor to the last one's version. Says how many went and
/// whether more may follow.
fn prune_event_batch(
    conn: &mut DbConnection,
    merchant_id: i64,
    before: NaiveDateTime,
) -> Result<(usize, bool)> {
    // A no-op update that locks the merchant's endpoints: a redelivery that
    // moves a cursor back either commits first (and this batch reads the new
    // cursor) or waits for this batch and then reads the raised floor.
    let endpoints: Vec<(i64, i64, String)> = diesel::update(
        webhook_endpoints::table.filter(webhook_endpoints::merchant_id.eq(merchant_id)),
    )
    .set(webhook_endpoints::cursor_version.eq(webhook_endpoints::cursor_version))
    .returning((
        webhook_endpoints::cursor_version,
        webhook_endpoints::cursor_event_id,
        webhook_endpoints::event_types,
    ))
    .get_results(conn)?;
    let consumers = endpoints
        .into_iter()
        .map(|(catalog_version, event_id, stored)| {
            Ok(Consumer {
                types: EventTypes::from_stored(&stored).map_err(|e| {
                    InventoryError::Corrupt(format!("a webhook endpoint's types: {}", e.message))
                })?,
                cursor: EventPosition {
                    catalog_version,
                    event_id,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let oldest: Vec<(i64, i64, String, NaiveDateTime)> = outbox_events::table
        .filter(outbox_events::merchant_id.eq(merchant_id))
        .order((outbox_events::catalog_version, outbox_events::id))
        .limit(BATCH)
        .select((
            outbox_events::id,
            outbox_events::catalog_version,
            outbox_events::event_type,
            outbox_events::created_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = oldest.iter().map(|(id, ..)| *id).collect();
    let logged: HashSet<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::event_id.eq_any(&ids))
        .select(webhook_deliveries::event_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let prunable: Vec<(i64, i64)> = oldest
        .iter()
        .take_while(|(id, catalog_version, event_type, created_at)| {
            let position = EventPosition {
                catalog_version: *catalog_version,
                event_id: *id,
            };
            *created_at < before
                && !logged.contains(id)
                && !consumers.iter().any(|c| c.needs(event_type, position))
        })
        .map(|(id, catalog_version, ..)| (*id, *catalog_version))
        .collect();
    let Some(&(_, through)) = prunable.last() else {
        return Ok((0, false));
    };
    let doomed: Vec<i64> = prunable.iter().map(|(id, _)| *id).collect();
    let deleted = diesel::delete(outbox_events::table.filter(outbox_events::id.eq_any(&doomed)))
        .execute(conn)?;
    diesel::update(
        pruned_history::table
            .filter(pruned_history::merchant_id.eq(merchant_id))
            .filter(pruned_history::through_version.lt(through)),
    )
    .set((
        pruned_history::through_version.eq(through),
        pruned_history::pruned_at.eq(super::now()),
    ))
    .execute(conn)?;
    let more = prunable.len() == oldest.len() && oldest.len() as i64 == BATCH;
    Ok((deleted, more))
}

/// Makes sure the merchant has a floor row to raise, outside the pruning
/// transaction: two instances inserting it at once is harmless here.
fn ensure_floor_row(conn: &mut DbConnection, merchant_id: i64) -> Result<()> {
    let exists: i64 = pruned_history::table
        .filter(pruned_history::merchant_id.eq(merchant_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(());
    }
    match diesel::insert_into(pruned_history::table)
        .values((
            pruned_history::merchant_id.eq(merchant_id),
            pruned_history::through_version.eq(0_i64),
            pruned_history::pruned_at.eq(super::now()),
        ))
        .execute(conn)
    {
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

/// The version through which the merchant's events may have been pruned (0
/// when none were): a resume from an earlier version would miss some.
pub fn history_floor(conn: &mut DbConnection, merchant_id: i64) -> Result<i64> {
    Ok(pruned_history::table
        .find(merchant_id)
        .select(pruned_history::through_version)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Refuses a resume from `since` when events after it have been pruned.
pub fn check_history(conn: &mut DbConnection, merchant_id: i64, since: i64) -> Result<()> {
    let floor = history_floor(conn, merchant_id)?;
    if since < floor {
        return Err(InventoryError::HistoryPruned { since, floor });
    }
    Ok(())
}
