//! Idempotency keys: a stock-changing request runs once per (merchant, key).
//! The key is claimed in the transaction of the effect, under the merchant
//! lock, so of many concurrent retries exactly one performs the effect and the
//! others replay the response it stored.

use chrono::TimeDelta;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::{InventoryError, Result, catalog, now};
use crate::db::DbConnection;
use crate::db::models::{IdempotencyKeyRow, NewIdempotencyKeyRow};
use crate::db::schema::idempotency_keys;
use crate::domain::IdempotencyKey;

/// How long a key is remembered at least; older ones are purged now and then.
pub const RETENTION: TimeDelta = TimeDelta::hours(72);

/// Purge expired keys on every this-many-th new key, to keep the table small
/// without a background job.
const PURGE_EVERY: i64 = 256;

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

/// The answer a request got, stored for retries: a status and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// What became of a keyed request.
#[derive(Debug)]
pub enum Outcome<T> {
    /// The effect happened now; `response` is stored for retries.
    Performed { value: T, response: StoredResponse },
    /// The request was refused now for a reason a retry would meet too (short
    /// stock); nothing changed, and the refusal is stored for retries.
    Refused {
        error: InventoryError,
        response: StoredResponse,
    },
    /// An earlier request with this key and fingerprint already ran; this is
    /// its response, and nothing happened now.
    Replayed(StoredResponse),
}

impl<T> Outcome<T> {
    /// The response to send, whichever way it went.
    pub fn response(&self) -> &StoredResponse {
        match self {
            Outcome::Performed { response, .. }
            | Outcome::Refused { response, .. }
            | Outcome::Replayed(response) => response,
        }
    }

    pub fn is_replay(&self) -> bool {
        matches!(self, Outcome::Replayed(_))
    }
}

/// Runs `effect` once for `key` in one write transaction with the merchant
/// locked.
///
/// A stored key with the same fingerprint replays its response; with another
/// fingerprint it is `IdempotencyKeyReused`. Otherwise the effect runs in a
/// savepoint: on success `render` makes the response to store; on failure
/// `refusal` may make one (the savepoint is rolled back, the key is stored
/// with the refusal), or return `None` so the error propagates and nothing is
/// stored (bad input, not found, outages: a retry may go differently).
pub fn once<T>(
    conn: &mut DbConnection,
    merchant_id: i64,
    key: &IdempotencyKey,
    fingerprint: &Fingerprint,
    effect: impl FnOnce(&mut DbConnection) -> Result<T>,
    render: impl FnOnce(&T) -> StoredResponse,
    refusal: impl FnOnce(&InventoryError) -> Option<StoredResponse>,
) -> Result<Outcome<T>> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        if let Some(stored) = find(conn, merchant_id, key)? {
            return if stored.fingerprint == fingerprint.as_str() {
                Ok(Outcome::Replayed(StoredResponse {
                    status: u16::try_from(stored.status).map_err(|_| {
                        InventoryError::Corrupt(format!(
                            "idempotency key {} has status {}",
                            stored.id, stored.status
                        ))
                    })?,
                    body: stored.response_body,
                }))
            } else {
                Err(InventoryError::IdempotencyKeyReused)
            };
        }
        // A savepoint, so a refusal undoes the effect but keeps the key.
        match conn.transaction(effect) {
            Ok(value) => {
                let response = render(&value);
                store(conn, merchant_id, key, fingerprint, &response)?;
                Ok(Outcome::Performed { value, response })
            }
            Err(error) => match refusal(&error) {
                Some(response) => {
                    store(conn, merchant_id, key, fingerprint, &response)?;
                    Ok(Outcome::Refused { error, response })
                }
                None => Err(error),
            },
        }
    })
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
    response: &StoredResponse,
) -> Result<()> {
    let at = now();
    let id: i64 = diesel::insert_into(idempotency_keys::table)
        .values(NewIdempotencyKeyRow {
            merchant_id,
            idempotency_key: key.as_str(),
            fingerprint: fingerprint.as_str(),
            status: i32::from(response.status),
            response_body: &response.body,
            created_at: at,
        })
        .returning(idempotency_keys::id)
        .get_result(conn)?;
    if id % PURGE_EVERY == 0 {
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::merchant_id.eq(merchant_id))
                .filter(idempotency_keys::created_at.lt(at - RETENTION)),
        )
        .execute(conn)?;
    }
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
