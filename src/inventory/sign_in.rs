//! Signing staff in to the dashboard, guarded.
//!
//! - **Throttling.** After `MAX_FAILURES` failed sign-ins within `WINDOW` for
//!   one email (whether or not an account has it) or from one client address,
//!   further attempts for it are refused without checking the password until
//!   the oldest of those failures leaves the window. Failures are rows in the
//!   database, so every instance counts the same ones.
//! - **No connection while hashing.** The stored hash is read, the connection
//!   goes back to the pool, argon2 runs, and only then is a connection taken
//!   again to record the outcome: a flood of guesses can't starve the sales
//!   of connections. Run `sign_in` on a blocking thread.
//! - **No enumeration.** An unknown email, a deactivated account and a wrong
//!   password get the same outcome, after the same amount of hashing.
//! - **Activity.** A sign-in and a lockout of a known account are recorded as
//!   `SignInEvent`s, shown in the merchant's activity log.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::merchants::{self, Credentials, Staff};
use super::{InventoryError, Result, now, sessions};
use crate::db::models::{NewSignInEventRow, NewSignInFailureRow, SignInEventRow};
use crate::db::schema::{sign_in_events, sign_in_failures, staff};
use crate::db::{DbConnection, Pool};
use crate::domain::Email;

/// Failed sign-ins per email or per address before further ones are refused.
pub const MAX_FAILURES: usize = 5;
/// How long a failure counts.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);

/// Longest email key stored; longer input is cut (it can't be an account's).
const MAX_KEY_CHARS: usize = 254;

/// One attempt, as typed, and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// The client's address (see the README: the connection's peer address).
    pub address: &'a str,
}

/// How an attempt ended.
#[derive(Debug)]
pub enum Outcome {
    /// A new session: its staff member and the secret for the cookie.
    SignedIn { staff: Staff, secret: String },
    /// The email and password do not match an active account.
    Refused,
    /// Too many recent failures for this email or address: try again after `retry_after`.
    Throttled { retry_after: TimeDelta },
}

/// Signs a staff member in, throttled (see the module comment). Takes
/// connections from `pool` only around the password check, never during it.
pub fn sign_in(pool: &Pool, attempt: Attempt<'_>) -> Result<Outcome> {
    sign_in_checking(pool, attempt, merchants::password_matches)
}

/// `sign_in` with the password check given: `check(stored hash, password)`
/// runs while no connection of `pool` is taken (tests watch the pool then).
pub fn sign_in_checking(
    pool: &Pool,
    attempt: Attempt<'_>,
    check: impl FnOnce(Option<&str>, &str) -> bool,
) -> Result<Outcome> {
    let email_key = email_key(attempt.email);
    let keys = [("email", email_key.as_str()), ("address", attempt.address)];
    let found = {
        let mut conn = connection(pool)?;
        if let Some(retry_after) = lockout(&mut conn, &keys, now())? {
            return Ok(Outcome::Throttled { retry_after });
        }
        merchants::credentials(&mut conn, attempt.email)?
    };
    let matched = check(
        found.as_ref().map(|c| c.password_hash.as_str()),
        attempt.password,
    );
    let mut conn = connection(pool)?;
    match found {
        Some(Credentials {
            staff,
            active: true,
            ..
        }) if matched => {
            let secret = sessions::begin(&mut conn, &staff)?;
            let at = now();
            conn.write_transaction(|conn| {
                diesel::delete(
                    sign_in_failures::table
                        .filter(sign_in_failures::kind.eq("email"))
                        .filter(sign_in_failures::key.eq(&email_key)),
                )
                .execute(conn)?;
                record_event(conn, &staff, EventKind::SignedIn, attempt.address, at)
            })?;
            Ok(Outcome::SignedIn { staff, secret })
        }
        found => {
            let at = now();
            let locked_now = conn.write_transaction(|conn| {
                for (kind, key) in keys {
                    record_failure(conn, kind, key, at)?;
                }
                let locked = lockout(conn, &keys, at)?.is_some();
                if locked && let Some(found) = &found {
                    record_event(
                        conn,
                        &found.staff,
                        EventKind::LockedOut,
                        attempt.address,
                        at,
                    )?;
                }
                Ok::<_, InventoryError>(locked)
            })?;
            if locked_now {
                log::warn!(
                    "sign-in locked for {} minutes after {MAX_FAILURES} failures (address {}{})",
                    WINDOW.num_minutes(),
                    attempt.address,
                    found.map_or(String::new(), |f| format!(
                        ", staff {} of merchant {}",
                        f.staff.id, f.staff.merchant_id
                    ))
                );
            }
            Ok(Outcome::Refused)
        }
    }
}

fn connection(pool: &Pool) -> Result<crate::db::PooledConnection> {
    pool.get()
        .map_err(|e| InventoryError::Unavailable(e.to_string()))
}

/// The email as throttling keys it: as an account would store it, or, when
/// it is no email at all, lower-cased and cut to a bounded length.
fn email_key(raw: &str) -> String {
    match Email::parse(raw) {
        Ok(email) => email.as_str().to_owned(),
        Err(_) => raw
            .trim()
            .to_lowercase()
            .chars()
            .take(MAX_KEY_CHARS)
            .collect(),
    }
}

/// How long until every key is below `MAX_FAILURES` failures within the
/// window, or `None` when none is locked.
fn lockout(
    conn: &mut DbConnection,
    keys: &[(&str, &str)],
    at: NaiveDateTime,
) -> Result<Option<TimeDelta>> {
    let mut wait: Option<TimeDelta> = None;
    for &(kind, key) in keys {
        // The failure whose leaving the window unlocks the key: the
        // MAX_FAILURES-th newest inside it.
        let unlocking: Option<NaiveDateTime> = sign_in_failures::table
            .filter(sign_in_failures::kind.eq(kind))
            .filter(sign_in_failures::key.eq(key))
            .filter(sign_in_failures::failed_at.gt(at - WINDOW))
            .order(sign_in_failures::failed_at.desc())
            .offset(MAX_FAILURES as i64 - 1)
            .select(sign_in_failures::failed_at)
            .first(conn)
            .optional()?;
        if let Some(failed_at) = unlocking {
            let left = (failed_at + WINDOW - at).max(TimeDelta::seconds(1));
            wait = Some(wait.map_or(left, |w| w.max(left)));
        }
    }
    Ok(wait)
}

/// Records a failure for one key, dropping the key's failures that left the window.
fn record_failure(conn: &mut DbConnection, kind: &str, key: &str, at: NaiveDateTime) -> Result<()> {
    diesel::delete(
        sign_in_failures::table
            .filter(sign_in_failures::kind.eq(kind))
            .filter(sign_in_failures::key.eq(key))
            .filter(sign_in_failures::failed_at.le(at - WINDOW)),
    )
    .execute(conn)?;
    diesel::insert_into(sign_in_failures::table)
        .values(NewSignInFailureRow {
            kind,
            key,
            failed_at: at,
        })
        .execute(conn)?;
    Ok(())
}

/// What a sign-in event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    SignedIn,
    /// The account reached `MAX_FAILURES` failures and is locked for a while.
    LockedOut,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignedIn => "signed_in",
            EventKind::LockedOut => "locked_out",
        }
    }

    fn parse(raw: &str) -> Option<EventKind> {
        [EventKind::SignedIn, EventKind::LockedOut]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

fn record_event(
    conn: &mut DbConnection,
    staff: &Staff,
    kind: EventKind,
    address: &str,
    at: NaiveDateTime,
) -> Result<()> {
    diesel::insert_into(sign_in_events::table)
        .values(NewSignInEventRow {
            merchant_id: staff.merchant_id,
            staff_id: staff.id,
            kind: kind.as_str(),
            address,
            created_at: at,
        })
        .execute(conn)?;
    Ok(())
}

/// A sign-in or lockout of one of the merchant's staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInEvent {
    pub id: i64,
    pub kind: EventKind,
    /// The staff member's display name.
    pub staff_name: String,
    pub staff_email: String,
    pub address: String,
    pub created_at: NaiveDateTime,
}

/// The merchant's newest sign-in events, newest first.
pub fn recent_events(
    conn: &mut DbConnection,
    merchant_id: i64,
    limit: i64,
) -> Result<Vec<SignInEvent>> {
    let rows: Vec<(SignInEventRow, String, String)> = sign_in_events::table
        .inner_join(staff::table)
        .filter(sign_in_events::merchant_id.eq(merchant_id))
        .order(sign_in_events::id.desc())
        .limit(limit)
        .select((
            SignInEventRow::as_select(),
            staff::display_name,
            staff::email,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(row, staff_name, staff_email)| {
            let kind = EventKind::parse(&row.kind).ok_or_else(|| {
                InventoryError::Corrupt(format!("sign-in event {}: kind {:?}", row.id, row.kind))
            })?;
            Ok(SignInEvent {
                id: row.id,
                kind,
                staff_name,
                staff_email,
                address: row.address,
                created_at: row.created_at,
            })
        })
        .collect()
}
