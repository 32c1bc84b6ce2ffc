//! Idempotency keys: a stock-changing request runs once per (merchant, key).
//! The key is claimed in the transaction of the effect, under the merchant
//! lock, so of many concurrent retries exactly one performs the effect and the
//! others replay the outcome it stored: the typed result (a receipt) or the
//! shortages of a refusal, as JSON. The HTTP layer maps it to a response.
//! Keys are kept for `retention::Retention::idempotency_keys` (72 hours
//! unless configured), then pruned by the scheduler.

use diesel::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::{InventoryError, Result, catalog, now};
use crate::db::DbConnection;
use crate::db::models::{IdempotencyKeyRow, NewIdempotencyKeyRow};
use crate::db::schema::idempotency_keys;
use crate::domain::{IdempotencyKey, Shortage};

/// SHA-256 of what a request asked for; the same key with another
/// fingerprint is a different request and is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Of an HTTP request: method, path, and the raw body. `scope` adds what
    /// the path leaves implicit (the store of a point-of-sale token).
    pub fn of_request(method: &str, path: &str, scope: &str, body: &[u8]) -> Fingerprint {
        let mut hasher = Sha256::new();
        for part in [method.as_bytes(), path.as_bytes(), scope.as_bytes()] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        hasher.update(body);
        Fingerprint(hex::encode(hasher.finalize()))
    }

    /// Of a request described by its parts (a dashboard form).
    pub fn of_parts(parts: &[&str]) -> Fingerprint {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        Fingerprint(hex::encode(hasher.finalize()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What became of a keyed request, now or for an earlier request with the
/// same key (`replayed`: then nothing happened now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// The effect happened; its result.
    Done { value: T, replayed: bool },
    /// Refused for short stock, which a retry would meet too; nothing changed.
    Short {
        shortages: Vec<Shortage>,
        replayed: bool,
    },
}

impl<T> Outcome<T> {
    pub fn is_replay(&self) -> bool {
        match self {
            Outcome::Done { replayed, .. } | Outcome::Short { replayed, .. } => *replayed,
        }
    }
}

const PERFORMED: &str = "performed";
const REFUSED: &str = "refused";

/// Runs `effect` once for `key` in one write transaction with the merchant
/// locked.
///
/// A stored key with the same fingerprint replays its outcome; with another
/// fingerprint it is `IdempotencyKeyReused`. Otherwise the effect runs in a
/// savepoint: its result is stored with the key; a refusal for short stock
/// rolls the savepoint back and is stored too. Any other error propagates
/// and nothing is stored (bad input, not found, outages: a retry may go
/// differently).
pub fn once<T: Serialize + DeserializeOwned>(
    conn: &mut DbConnection,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    effect: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<Outcome<T>> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        if let Some(stored) = find(conn, merchant_id, key)? {
            if stored.fingerprint != fingerprint.as_str() {
                return Err(InventoryError::IdempotencyKeyReused);
            }
            return replay(&stored);
        }
        // A savepoint, so a refusal undoes the effect but keeps the key.
        match conn.transaction(effect) {
            Ok(value) => {
                store(
                    conn,
                    merchant_id,
                    key,
                    fingerprint,
                    PERFORMED,
                    &to_json(&value)?,
                )?;
                Ok(Outcome::Done {
                    value,
                    replayed: false,
                })
            }
            Err(InventoryError::InsufficientStock(shortages)) => {
                store(
                    conn,
                    merchant_id,
                    key,
                    fingerprint,
                    REFUSED,
                    &to_json(&shortages)?,
                )?;
                Ok(Outcome::Short {
                    shortages,
                    replayed: false,
                })
            }
            Err(other) => Err(other),
        }
    })
}

fn to_json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| InventoryError::Corrupt(format!("an outcome could not be stored: {e}")))
}

fn replay<T: DeserializeOwned>(stored: &IdempotencyKeyRow) -> Result<Outcome<T>> {
    let corrupt = |e: serde_json::Error| {
        InventoryError::Corrupt(format!("idempotency key {}: {e}", stored.id))
    };
    match stored.outcome.as_str() {
        PERFORMED => Ok(Outcome::Done {
            value: serde_json::from_str(&stored.response_body).map_err(corrupt)?,
            replayed: true,
        }),
        REFUSED => Ok(Outcome::Short {
            shortages: serde_json::from_str(&stored.response_body).map_err(corrupt)?,
            replayed: true,
        }),
        other => Err(InventoryError::Corrupt(format!(
            "idempotency key {} has outcome {other:?}",
            stored.id
        ))),
    }
}

fn find(
    conn: &mut DbConnection,
    merchant_id: i64,
    key: &IdempotencyKey,
) -> Result<Option<IdempotencyKeyRow>> {
    Ok(idempotency_keys::table
        .filter(idempotency_keys::merchant_id.eq(merchant_id))
        .filter(idempotency_keys::idempotency_key.eq(key.as_str()))
        .select(IdempotencyKeyRow::as_select())
        .first(conn)
        .optional()?)
}

fn store(
    conn: &mut DbConnection,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    outcome: &str,
    body: &str,
) -> Result<()> {
    diesel::insert_into(idempotency_keys::table)
        .values(NewIdempotencyKeyRow {
            merchant_id,
            idempotency_key: key.as_str(),
            fingerprint: fingerprint.as_str(),
            response_body: body,
            created_at: now(),
            outcome,
        })
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_requests_apart_by_every_part() {
        let base = Fingerprint::of_request("POST", "/api/v1/pos/sales", "location:1", b"{}");
        assert_eq!(
            base,
            Fingerprint::of_request("POST", "/api/v1/pos/sales", "location:1", b"{}")
        );
        assert_ne!(
            base,
            Fingerprint::of_request("POST", "/api/v1/pos/sales", "location:2", b"{}")
        );
        assert_ne!(
            base,
            Fingerprint::of_request("POST", "/api/v1/pos/sales", "location:1", b"{ }")
        );
        // Length prefixes keep parts from running into each other.
        assert_ne!(
            Fingerprint::of_parts(&["ab", "c"]),
            Fingerprint::of_parts(&["a", "bc"])
        );
    }
}
