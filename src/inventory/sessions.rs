//! Dashboard sessions of staff members, kept on the server.
//!
//! The session cookie carries only a random secret; the row it names (by the
//! secret's SHA-256) says whose session it is and whether it is still open.
//! So signing out ends the session itself, not just the browser's copy of the
//! cookie: a copied cookie is worthless afterwards. A session is open while
//! it has not been ended, has not expired, and was begun under the staff
//! member's current `session_epoch`; bumping the epoch ends every session of
//! that person at once ("sign out everywhere") with one small write.

use chrono::TimeDelta;
use diesel::prelude::*;
use rand::RngCore;

use super::merchants::{self, Merchant, Staff};
use super::{Result, now, tokens};
use crate::db::DbConnection;
use crate::db::models::{MerchantRow, NewStaffSessionRow, StaffRow};
use crate::db::schema::{merchants as merchants_table, staff, staff_sessions};

/// How long a session lasts after sign-in, on the server and in the cookie.
pub const LIFETIME: TimeDelta = TimeDelta::hours(12);

/// Checks an email and password and, when they match, begins a session:
/// the staff member and the secret for their cookie, or `None`. Holds the
/// connection while hashing and is not throttled: for tools and tests; the
/// dashboard signs in through `sign_in::sign_in`.
pub fn sign_in(
    conn: &mut DbConnection,
    email: &str,
    password: &str,
) -> Result<Option<(Staff, String)>> {
    let Some(staff) = merchants::authenticate(conn, email, password)? else {
        return Ok(None);
    };
    let secret = begin(conn, &staff)?;
    Ok(Some((staff, secret)))
}

/// Begins a session for `staff` and returns the secret its cookie carries.
/// The person's ended, expired and superseded sessions are cleared out on the
/// way, so the table holds about one row per signed-in browser.
pub fn begin(conn: &mut DbConnection, staff: &Staff) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let hash = tokens::hash(&secret);
    let started = now();
    conn.write_transaction(|conn| {
        diesel::delete(
            staff_sessions::table
                .filter(staff_sessions::staff_id.eq(staff.id))
                .filter(
                    staff_sessions::ended_at
                        .is_not_null()
                        .or(staff_sessions::expires_at.le(started))
                        .or(staff_sessions::epoch.ne(staff.session_epoch)),
                ),
        )
        .execute(conn)?;
        diesel::insert_into(staff_sessions::table)
            .values(NewStaffSessionRow {
                staff_id: staff.id,
                secret_hash: &hash,
                epoch: staff.session_epoch,
                created_at: started,
                expires_at: started + LIFETIME,
            })
            .execute(conn)?;
        Ok(secret)
    })
}

/// The staff member and merchant of the open session with this secret, or
/// `None` when it was ended, has expired, or never existed. One query.
pub fn signed_in(conn: &mut DbConnection, secret: &str) -> Result<Option<(Staff, Merchant)>> {
    let found = staff_sessions::table
        .inner_join(staff::table.inner_join(merchants_table::table))
        .filter(staff_sessions::secret_hash.eq(tokens::hash(secret)))
        .filter(staff_sessions::ended_at.is_null())
        .filter(staff_sessions::expires_at.gt(now()))
        .filter(staff_sessions::epoch.eq(staff::session_epoch))
        .filter(staff::deactivated_at.is_null())
        .select((StaffRow::as_select(), MerchantRow::as_select()))
        .get_result::<(StaffRow, MerchantRow)>(conn)
        .optional()?;
    found
        .map(|(staff, merchant)| Ok((Staff::try_from(staff)?, Merchant::try_from(merchant)?)))
        .transpose()
}

/// Ends the session with this secret (sign out). Ending an ended or unknown
/// session does nothing.
pub fn end(conn: &mut DbConnection, secret: &str) -> Result<()> {
    diesel::update(
        staff_sessions::table
            .filter(staff_sessions::secret_hash.eq(tokens::hash(secret)))
            .filter(staff_sessions::ended_at.is_null()),
    )
    .set(staff_sessions::ended_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// Ends every session of this staff member, in every browser (sign out everywhere).
pub fn end_everywhere(conn: &mut DbConnection, staff_id: i64) -> Result<()> {
    merchants::end_all_sessions(conn, staff_id)
}
