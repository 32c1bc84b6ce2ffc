//! The per-merchant catalog version, the merchant write lock, and the
//! merchant-wide setting every availability figure depends on (the default
//! online buffer).

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::changes::{self, CatalogChange};
use super::{InventoryError, Result};
use crate::db::schema::merchants;
use crate::db::{self, DbConnection, notify};

/// Serialises writers of one merchant for the rest of the transaction, and
/// fails with NotFound if the merchant does not exist.
///
/// SQLite's `BEGIN IMMEDIATE` already holds the database write lock; on
/// PostgreSQL the merchant row is locked so read-then-write sequences within
/// the transaction see no concurrent change and catalog versions commit in order.
pub(super) fn lock_merchant(conn: &mut DbConnection, merchant_id: i64) -> Result<()> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = BigInt)]
        #[allow(dead_code)]
        id: i64,
    }
    let found = match conn {
        DbConnection::Postgres(_) => {
            diesel::sql_query("SELECT id FROM merchants WHERE id = $1 FOR UPDATE")
                .bind::<BigInt, _>(merchant_id)
                .get_result::<Locked>(conn)
                .optional()?
                .is_some()
        }
        DbConnection::Sqlite(_) => merchants::table
            .find(merchant_id)
            .select(merchants::id)
            .first::<i64>(conn)
            .optional()?
            .is_some(),
    };
    if found {
        Ok(())
    } else {
        Err(InventoryError::NotFound("merchant"))
    }
}

/// Bumps the merchant's catalog version and returns the new value; once the
/// transaction commits, the change is announced on the catalog-change feed,
/// here and (on PostgreSQL) to the other instances.
pub(super) fn next_version(conn: &mut DbConnection, merchant_id: i64) -> Result<i64> {
    let version: i64 = diesel::update(merchants::table.find(merchant_id))
        .set(merchants::catalog_version.eq(merchants::catalog_version + 1))
        .returning(merchants::catalog_version)
        .get_result(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("merchant"))?;
    let change = CatalogChange {
        merchant_id,
        catalog_version: version,
    };
    notify::notify(conn, &change.to_payload())?;
    db::after_commit(move || changes::publish(change));
    Ok(version)
}

/// The merchant's current catalog version.
pub fn current_version(conn: &mut DbConnection, merchant_id: i64) -> Result<i64> {
    merchants::table
        .find(merchant_id)
        .select(merchants::catalog_version)
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("merchant"))
}

/// The merchant's default online buffer: units of each item held back from
/// the online count for walk-in customers, unless the item sets its own.
pub(super) fn merchant_buffer(conn: &mut DbConnection, merchant_id: i64) -> Result<i64> {
    merchants::table
        .find(merchant_id)
        .select(merchants::online_buffer)
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("merchant"))
}
