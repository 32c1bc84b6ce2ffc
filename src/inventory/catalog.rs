//! The per-merchant catalog version, the merchant write lock, and the
//! merchant-wide setting every availability figure depends on (the default
//! online buffer).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

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
            .get_result::<i64>(conn)
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
    Ok(bump(conn, merchant_id)?.catalog_version)
}

/// A bumped catalog version, with the merchant's default online buffer read
/// in the same statement.
pub(super) struct Bumped {
    pub catalog_version: i64,
    pub online_buffer: i64,
}

/// `next_version`, also returning the merchant's default online buffer. On
/// PostgreSQL the bump is also the merchant's write lock (the row stays
/// locked until commit), so it is one statement: the update, the buffer and
/// the notification in one round trip.
pub(super) fn bump(conn: &mut DbConnection, merchant_id: i64) -> Result<Bumped> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        catalog_version: i64,
        #[diesel(sql_type = BigInt)]
        online_buffer: i64,
    }
    let bumped = match conn {
        DbConnection::Postgres(_) => diesel::sql_query(
            "WITH bumped AS (UPDATE merchants SET catalog_version = catalog_version + 1 \
             WHERE id = $1 RETURNING catalog_version, online_buffer) \
             SELECT catalog_version, online_buffer, \
             pg_notify($2, $1::text || ':' || catalog_version::text) IS NULL AS notified \
             FROM bumped",
        )
        .bind::<BigInt, _>(merchant_id)
        .bind::<Text, _>(notify::CATALOG_CHANNEL)
        .get_result::<Row>(conn)
        .optional()?
        .map(|row| Bumped {
            catalog_version: row.catalog_version,
            online_buffer: row.online_buffer,
        }),
        DbConnection::Sqlite(_) => diesel::update(merchants::table.find(merchant_id))
            .set(merchants::catalog_version.eq(merchants::catalog_version + 1))
            .returning((merchants::catalog_version, merchants::online_buffer))
            .get_result::<(i64, i64)>(conn)
            .optional()?
            .map(|(catalog_version, online_buffer)| Bumped {
                catalog_version,
                online_buffer,
            }),
    };
    let bumped = bumped.ok_or(InventoryError::NotFound("merchant"))?;
    let change = CatalogChange {
        merchant_id,
        catalog_version: bumped.catalog_version,
    };
    db::after_commit(move || changes::publish(change));
    Ok(bumped)
}

/// The merchant's current catalog version.
pub fn current_version(conn: &mut DbConnection, merchant_id: i64) -> Result<i64> {
    merchants::table
        .find(merchant_id)
        .select(merchants::catalog_version)
        .get_result(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("merchant"))
}

/// The merchant's default online buffer: units of each item held back from
/// the online count for walk-in customers, unless the item sets its own.
pub(super) fn merchant_buffer(conn: &mut DbConnection, merchant_id: i64) -> Result<i64> {
    merchants::table
        .find(merchant_id)
        .select(merchants::online_buffer)
        .get_result(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("merchant"))
}
