//! Many stock counts recorded at once, as `count` movements on the ledger of
//! one request: a catalogue import's stock columns and the bulk editor's.

use crate::db::DbConnection;
use crate::domain::MovementKind;
use crate::inventory::lists::StockIndex;
use crate::inventory::{Actor, Item, Result};

use super::{Ledger, Movement};

/// What was counted of an item at one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub store: i64,
    pub counted: i64,
    /// On hand as it stands in the transaction that records the count.
    pub before: i64,
}

/// Records `counted` as `count` movements (only where the count differs
/// from the level) under one reference, `reason` naming what they came from
/// (`import of stock.csv`, `bulk edit`); `what` prefixes the reference.
/// Called under the merchant lock, in the transaction that read `before`.
/// With `stock` (a batch writer's, current in this transaction) the ledger
/// holds its writes and makes them many rows per statement.
/// Returns the catalog version the movements carry.
pub(in crate::inventory) fn record_counts(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    what: &str,
    reason: &str,
    counted: &[(Item, &[Count])],
    stock: Option<StockIndex>,
) -> Result<i64> {
    let key = format!("{what}-{:032x}", rand::random::<u128>());
    let items: Vec<&Item> = counted.iter().map(|(item, _)| item).collect();
    let mut ledger = Ledger::open(conn, merchant_id, actor, &key, &key, None, &items)?;
    if let Some(stock) = stock {
        ledger = ledger.holding(stock);
    }
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
    ledger.close(conn)
}
