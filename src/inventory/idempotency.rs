//! Idempotency keys: a stock-changing request runs once per (merchant, key).
//! The key is claimed in the transaction of the effect, under the merchant
//! lock (taken first by `once`, at the effect's first write by
//! `once_lock_last`), so of many concurrent retries exactly one performs the
//! effect and the others replay the outcome it stored: the typed result (a receipt) or the
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
            return replay_same(&stored, fingerprint);
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

/// `once` for an effect that takes the merchant lock itself, at its first
/// write, so that the lock is held only for the writes and the commit.
///
/// The effect reads and checks first, unlocked, then takes the lock through
/// its catalog version (`catalog::bump`, as `stock::Ledger::open` does) and
/// writes. What it read may have changed before the lock was taken: the item
/// writer's version checks then refuse with Conflict, and a concurrent
/// request with the same key shows as the key's unique index refusing the
/// second insert. Either way the whole transaction is rolled back and run
/// again from the start (after a few tries, with the lock taken first). A
/// refusal for short stock rolls back the effect and stores the refusal in a
/// transaction of its own.
pub fn once_lock_last<T: Serialize + DeserializeOwned>(
    conn: &mut DbConnection,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    mut effect: impl FnMut(&mut DbConnection) -> Result<T>,
) -> Result<Outcome<T>> {
    for _ in 0..UNLOCKED_TRIES {
        let attempt = keyed(conn, merchant_id, key, fingerprint, |conn| {
            let value = effect(conn).map_err(Attempt::from_effect)?;
            Ok(Outcome::Done {
                value,
                replayed: false,
            })
        });
        let attempt = match attempt {
            // Nothing was written; the refusal is stored on its own.
            Err(Attempt::Failed(InventoryError::InsufficientStock(shortages))) => {
                keyed(conn, merchant_id, key, fingerprint, |_| {
                    Ok(Outcome::Short {
                        shortages,
                        replayed: false,
                    })
                })
            }
            other => other,
        };
        match attempt {
            Ok(outcome) => return Ok(outcome),
            // Raced a change, or a retry stored its outcome first: the next
            // try runs again or replays it.
            Err(Attempt::Raced) => {
                log::debug!("merchant {merchant_id}: a request raced a change; trying again");
            }
            Err(Attempt::Failed(other)) => return Err(other),
        }
    }
    log::info!("merchant {merchant_id}: a request raced {UNLOCKED_TRIES} times; locking first");
    once(conn, merchant_id, key, fingerprint, effect)
}

/// One transaction of `once_lock_last`: the key's stored outcome if it has
/// one, otherwise `outcome`'s, stored with the key (a concurrent store of
/// the same key is `Raced`).
fn keyed<T: Serialize + DeserializeOwned>(
    conn: &mut DbConnection,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    outcome: impl FnOnce(&mut DbConnection) -> Result<Outcome<T>, Attempt>,
) -> Result<Outcome<T>, Attempt> {
    conn.write_transaction(|conn| {
        if let Some(stored) = find(conn, merchant_id, key)? {
            return replay_same(&stored, fingerprint).map_err(Attempt::Failed);
        }
        let outcome = outcome(conn)?;
        let (kind, body) = match &outcome {
            Outcome::Done { value, .. } => (PERFORMED, to_json(value)?),
            Outcome::Short { shortages, .. } => (REFUSED, to_json(shortages)?),
        };
        store(conn, merchant_id, key, fingerprint, kind, &body).map_err(Attempt::from_store)?;
        Ok(outcome)
    })
}

/// How often `once_lock_last` runs an effect that raced before it takes the
/// lock first.
const UNLOCKED_TRIES: usize = 3;

/// Why an unlocked attempt ended without an outcome.
enum Attempt {
    /// What it read changed before it locked, or the key was taken meanwhile.
    Raced,
    Failed(InventoryError),
}

impl Attempt {
    fn from_effect(error: InventoryError) -> Attempt {
        match error {
            InventoryError::Conflict { .. } => Attempt::Raced,
            other => Attempt::Failed(other),
        }
    }

    fn from_store(error: InventoryError) -> Attempt {
        match error {
            InventoryError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Attempt::Raced,
            other => Attempt::Failed(other),
        }
    }
}

impl From<diesel::result::Error> for Attempt {
    fn from(error: diesel::result::Error) -> Attempt {
        Attempt::Failed(error.into())
    }
}

impl From<InventoryError> for Attempt {
    fn from(error: InventoryError) -> Attempt {
        Attempt::Failed(error)
    }
}

/// The stored outcome of a key, if it was stored for the same request.
fn replay_same<T: DeserializeOwned>(
    stored: &IdempotencyKeyRow,
    fingerprint: &Fingerprint,
) -> Result<Outcome<T>> {
    if stored.fingerprint != fingerprint.as_str() {
        return Err(InventoryError::IdempotencyKeyReused);
    }
    replay(stored)
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
        .get_result(conn)
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
