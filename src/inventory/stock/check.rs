//! The checks behind `shelfsync check`: every stock level against the sum
//! of its movements, and the open holds for pickup at each store against
//! what is on hand there.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::db::schema::{items, locations};
use crate::inventory::Result;

/// A stock level that differs from the sum of its movements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerMismatch {
    pub merchant_id: i64,
    pub item_id: i64,
    pub sku: String,
    pub location_id: i64,
    pub location_name: String,
    pub on_hand: i64,
    pub ledger_sum: i64,
}

/// Compares every stock level with the sum of its movements (and finds
/// movements whose level is missing); returns each difference.
pub fn verify_ledger(conn: &mut DbConnection) -> Result<Vec<LedgerMismatch>> {
    #[derive(QueryableByName)]
    struct Difference {
        #[diesel(sql_type = BigInt)]
        item_id: i64,
        #[diesel(sql_type = BigInt)]
        location_id: i64,
        #[diesel(sql_type = BigInt)]
        on_hand: i64,
        #[diesel(sql_type = BigInt)]
        ledger_sum: i64,
    }
    conn.read_transaction(|conn| {
        let differences: Vec<Difference> = diesel::sql_query(
            "SELECT item_id, location_id, on_hand, ledger_sum FROM ( \
                SELECT l.item_id AS item_id, l.location_id AS location_id, l.on_hand AS on_hand, \
                       CAST(COALESCE((SELECT SUM(m.quantity) FROM stock_movements m \
                                      WHERE m.item_id = l.item_id AND m.location_id = l.location_id), 0) \
                            AS BIGINT) AS ledger_sum \
                FROM stock_levels l \
                UNION ALL \
                SELECT m.item_id, m.location_id, CAST(0 AS BIGINT), CAST(SUM(m.quantity) AS BIGINT) \
                FROM stock_movements m \
                WHERE NOT EXISTS (SELECT 1 FROM stock_levels l \
                                  WHERE l.item_id = m.item_id AND l.location_id = m.location_id) \
                GROUP BY m.item_id, m.location_id \
             ) AS levels WHERE on_hand <> ledger_sum ORDER BY item_id, location_id",
        )
        .load(conn)?;
        let mut mismatches = Vec::with_capacity(differences.len());
        for difference in differences {
            let (merchant_id, sku): (i64, String) = items::table
                .find(difference.item_id)
                .select((items::merchant_id, items::sku))
                .first(conn)?;
            let location_name: String = locations::table
                .find(difference.location_id)
                .select(locations::name)
                .first(conn)?;
            mismatches.push(LedgerMismatch {
                merchant_id,
                item_id: difference.item_id,
                sku,
                location_id: difference.location_id,
                location_name,
                on_hand: difference.on_hand,
                ledger_sum: difference.ledger_sum,
            });
        }
        Ok(mismatches)
    })
}

/// A store whose open holds of an item exceed what it has on hand, or whose
/// level's count of held units (`recorded`) is not what its open holds add
/// up to (`held`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldMismatch {
    pub merchant_id: i64,
    pub item_id: i64,
    pub location_id: i64,
    pub on_hand: i64,
    pub held: i64,
    pub recorded: i64,
}

/// Every (item, store) whose open holds exceed its on-hand level (a level
/// below zero counting as none), or differ from the level's count of them.
pub fn verify_holds(conn: &mut DbConnection) -> Result<Vec<HoldMismatch>> {
    #[derive(QueryableByName)]
    struct Over {
        #[diesel(sql_type = BigInt)]
        merchant_id: i64,
        #[diesel(sql_type = BigInt)]
        item_id: i64,
        #[diesel(sql_type = BigInt)]
        location_id: i64,
        #[diesel(sql_type = BigInt)]
        on_hand: i64,
        #[diesel(sql_type = BigInt)]
        held: i64,
        #[diesel(sql_type = BigInt)]
        recorded: i64,
    }
    conn.read_transaction(|conn| {
        // Each level with what its open holds add up to, then each open
        // hold's store that has no level at all.
        let over: Vec<Over> = diesel::sql_query(
            "SELECT merchant_id, item_id, location_id, on_hand, held, recorded FROM ( \
                SELECT i.merchant_id AS merchant_id, l.item_id AS item_id, \
                       l.location_id AS location_id, l.on_hand AS on_hand, \
                       CAST(COALESCE((SELECT SUM(r.quantity) FROM reservations r \
                                      WHERE r.item_id = l.item_id AND r.location_id = l.location_id \
                                        AND r.status = 'open'), 0) AS BIGINT) AS held, \
                       l.held AS recorded \
                FROM stock_levels l JOIN items i ON i.id = l.item_id \
                UNION ALL \
                SELECT r.merchant_id, r.item_id, r.location_id, CAST(0 AS BIGINT), \
                       CAST(SUM(r.quantity) AS BIGINT), CAST(0 AS BIGINT) \
                FROM reservations r WHERE r.status = 'open' AND NOT EXISTS ( \
                    SELECT 1 FROM stock_levels l \
                    WHERE l.item_id = r.item_id AND l.location_id = r.location_id) \
                GROUP BY r.merchant_id, r.item_id, r.location_id \
             ) AS holds \
             WHERE held > (CASE WHEN on_hand > 0 THEN on_hand ELSE 0 END) OR held <> recorded \
             ORDER BY item_id, location_id",
        )
        .load(conn)?;
        Ok(over
            .into_iter()
            .map(|o| HoldMismatch {
                merchant_id: o.merchant_id,
                item_id: o.item_id,
                location_id: o.location_id,
                on_hand: o.on_hand,
                held: o.held,
                recorded: o.recorded,
            })
            .collect())
    })
}
