//! Many stock counts recorded at once, as `count` movements on the ledger of
//! one request: a catalogue import's stock columns and the bulk editor's.

use crate::db::DbConnection;
use crate::domain::MovementKind;
use crate::inventory::items::ItemWriter;
use crate::inventory::{Item, Result};

use super::{Ledger, Movement};

/// What was counted of an item at one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub store: i64,
    pub counted: i64,
    /// On hand as it stands in the transaction that records the count.
    pub before: i64,
}

/// A new reference (and idempotency key) for the counts of one request,
/// `what` naming it: `import-…`, `bulk-edit-…`.
pub(in crate::inventory) fn counts_key(what: &str) -> String {
    format!("{what}-{:032x}", rand::random::<u128>())
}

/// Records `counted` as `count` movements (only where the count differs
/// from the level) under the reference `key` (`counts_key`), `reason`
/// naming what they came from (`import of stock.csv`, `bulk edit`).
/// Called inside `writer`'s batch, in the transaction that read `before`,
/// once or part by part: the movements carry the batch's catalog version,
/// and the moved items are announced through the batch.
/// Returns the catalog version the movements carry.
pub(in crate::inventory) fn record_counts(
    conn: &mut DbConnection,
    writer: &mut ItemWriter<'_>,
    key: &str,
    reason: &str,
    counted: &[(Item, &[Count])],
) -> Result<i64> {
    if counted.is_empty() {
        return writer.catalog_version(conn);
    }
    let items: Vec<&Item> = counted.iter().map(|(item, _)| item).collect();
    let mut ledger = Ledger::open_in_batch(conn, writer, key, key, &items)?;
    for (item, counts) in counted {
        for count in counts.iter() {
            let delta = count.counted - count.before;
            if delta != 0 {
                ledger.apply_held(
                    conn,
                    item,
                    count.store,
                    delta,
                    Movement {
                        kind: MovementKind::Count,
                        reason,
                    },
                )?;
            }
        }
    }
    ledger.close_into(conn, writer)
}
