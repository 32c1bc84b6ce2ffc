//! Merchants, their stores and their staff accounts.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use diesel::prelude::*;

use super::{InventoryError, Result, now};
use crate::db::DbConnection;
use crate::db::models::{LocationRow, MerchantRow, NewMerchantRow, NewStaffRow, StaffRow};
use crate::db::schema::{locations, merchants, staff};
use crate::domain::{Currency, Email, FieldError, Slug};

/// A tenant: one shop business with its own catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    pub id: i64,
    /// The URL name of its hosted storefront, `/shop/{slug}`.
    pub slug: String,
    pub name: String,
    pub currency: Currency,
    pub catalog_version: i64,
    /// Units of each item held back from the online count for walk-in
    /// customers, unless the item says otherwise.
    pub online_buffer: i64,
}

impl TryFrom<MerchantRow> for Merchant {
    type Error = InventoryError;

    fn try_from(row: MerchantRow) -> Result<Merchant> {
        let currency = Currency::parse(&row.currency)
            .map_err(|e| InventoryError::Corrupt(format!("merchant {}: {}", row.id, e.message)))?;
        Ok(Merchant {
            id: row.id,
            slug: row.slug,
            name: row.name,
            currency,
            catalog_version: row.catalog_version,
            online_buffer: row.online_buffer,
        })
    }
}

impl Merchant {
    pub fn find(conn: &mut DbConnection, merchant_id: i64) -> Result<Merchant> {
        merchants::table
            .find(merchant_id)
            .select(MerchantRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("merchant"))?
            .try_into()
    }

    /// The merchant with this slug; a string that can't be a slug is NotFound
    /// without asking the database.
    pub fn by_slug(conn: &mut DbConnection, slug: &str) -> Result<Merchant> {
        let slug = Slug::parse(slug).map_err(|_| InventoryError::NotFound("merchant"))?;
        merchants::table
            .filter(merchants::slug.eq(slug.as_str()))
            .select(MerchantRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("merchant"))?
            .try_into()
    }

    /// Whether any merchant exists (an empty database gets the demo).
    pub fn any(conn: &mut DbConnection) -> Result<bool> {
        Ok(merchants::table
            .select(merchants::id)
            .first::<i64>(conn)
            .optional()?
            .is_some())
    }
}

/// Creates a merchant with an empty catalogue at catalog version 0.
pub fn create_merchant(
    conn: &mut DbConnection,
    slug: &str,
    name: &str,
    currency: Currency,
) -> Result<Merchant> {
    let slug = Slug::parse(slug)?;
    let row: MerchantRow = diesel::insert_into(merchants::table)
        .values(NewMerchantRow {
            slug: slug.as_str(),
            name,
            currency: currency.as_str(),
            created_at: now(),
        })
        .returning(merchants::all_columns)
        .get_result(conn)?;
    row.try_into()
}

/// A physical store of a merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    /// Whether online orders may be shipped from (and picked up at) this store.
    pub fulfils_online: bool,
}

impl From<LocationRow> for Location {
    fn from(row: LocationRow) -> Location {
        Location {
            id: row.id,
            merchant_id: row.merchant_id,
            name: row.name,
            fulfils_online: row.fulfils_online,
        }
    }
}

impl Location {
    /// The merchant's stores in the order they were added.
    pub fn all_of(conn: &mut DbConnection, merchant_id: i64) -> Result<Vec<Location>> {
        Ok(locations::table
            .filter(locations::merchant_id.eq(merchant_id))
            .order(locations::id)
            .select(LocationRow::as_select())
            .load(conn)?
            .into_iter()
            .map(Location::from)
            .collect())
    }

    /// A store of this merchant; another merchant's store is NotFound.
    pub fn find(conn: &mut DbConnection, merchant_id: i64, location_id: i64) -> Result<Location> {
        Ok(locations::table
            .filter(locations::id.eq(location_id))
            .filter(locations::merchant_id.eq(merchant_id))
            .select(LocationRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("location"))?
            .into())
    }
}

/// A staff member who can sign in to the merchant's dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: i64,
    pub merchant_id: i64,
    pub email: String,
    pub display_name: String,
    /// Bumped to sign the member out everywhere.
    pub session_epoch: i64,
    /// False once deactivated: no sign-in, no session.
    pub active: bool,
}

impl From<StaffRow> for Staff {
    fn from(row: StaffRow) -> Staff {
        Staff {
            id: row.id,
            merchant_id: row.merchant_id,
            email: row.email,
            display_name: row.display_name,
            session_epoch: row.session_epoch,
            active: row.deactivated_at.is_none(),
        }
    }
}

impl Staff {
    pub fn find(conn: &mut DbConnection, staff_id: i64) -> Result<Staff> {
        Ok(staff::table
            .find(staff_id)
            .select(StaffRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("staff member"))?
            .into())
    }
}

/// The shortest password a staff account may have.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Creates a staff account, storing only an argon2 hash of the password.
pub fn create_staff(
    conn: &mut DbConnection,
    merchant_id: i64,
    email: &Email,
    display_name: &str,
    password: &str,
) -> Result<Staff> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(FieldError::new(
            "password",
            format!("Password must be at least {MIN_PASSWORD_LEN} characters"),
        )
        .into());
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| InventoryError::Corrupt(format!("could not hash a password: {e}")))?
        .to_string();
    let row: StaffRow = diesel::insert_into(staff::table)
        .values(NewStaffRow {
            merchant_id,
            email: email.as_str(),
            display_name: display_name.trim(),
            password_hash: &hash,
            created_at: now(),
        })
        .returning(staff::all_columns)
        .get_result(conn)?;
    Ok(row.into())
}

/// A staff account as sign-in reads it: the member, the stored password
/// hash, and whether the account may sign in.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub staff: Staff,
    pub password_hash: String,
    pub active: bool,
}

/// The account with this email (any case), or `None`. One short read; the
/// password is checked later, without a connection (`password_matches`).
pub fn credentials(conn: &mut DbConnection, email: &str) -> Result<Option<Credentials>> {
    let Ok(email) = Email::parse(email) else {
        return Ok(None);
    };
    let row: Option<StaffRow> = staff::table
        .filter(staff::email.eq(email.as_str()))
        .select(StaffRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|row| Credentials {
        password_hash: row.password_hash.clone(),
        active: row.deactivated_at.is_none(),
        staff: Staff::from(row),
    }))
}

/// Whether `password` matches the stored hash. CPU-bound (argon2, tens of
/// milliseconds): call it on a blocking thread, holding no connection. With
/// no stored hash (an unknown email) it verifies against a decoy hash of the
/// same cost, so timing does not reveal which emails have accounts.
pub fn password_matches(stored: Option<&str>, password: &str) -> bool {
    const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2hlbGZzeW5jZGVjb3k$0Uo9rV7pVQ5vO1m8U2xV0q4Hq2N3fXbqk3x5cQm3b5U";
    let known = stored.is_some();
    let matched = PasswordHash::new(stored.unwrap_or(DECOY))
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    known && matched
}

/// The staff member with this email and password, or `None`. Takes the same
/// time for an unknown email as for a wrong password. Holds the connection
/// while hashing: for tools and tests; the dashboard signs in through
/// `sign_in::sign_in`, which does not.
pub fn authenticate(conn: &mut DbConnection, email: &str, password: &str) -> Result<Option<Staff>> {
    let found = credentials(conn, email)?;
    let matched = password_matches(found.as_ref().map(|c| c.password_hash.as_str()), password);
    Ok(found.filter(|c| matched && c.active).map(|c| c.staff))
}

/// Deactivates a staff member of this merchant: they can no longer sign in,
/// and every session of theirs ends at once. Deactivating twice does nothing more.
pub fn deactivate_staff(conn: &mut DbConnection, merchant_id: i64, staff_id: i64) -> Result<Staff> {
    conn.write_transaction(|conn| {
        let found = staff::table
            .filter(staff::id.eq(staff_id))
            .filter(staff::merchant_id.eq(merchant_id))
            .select(staff::id)
            .first::<i64>(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("staff member"))?;
        diesel::update(
            staff::table
                .find(found)
                .filter(staff::deactivated_at.is_null()),
        )
        .set(staff::deactivated_at.eq(now()))
        .execute(conn)?;
        end_all_sessions(conn, found)?;
        Staff::find(conn, found)
    })
}

/// The merchant's staff, in the order they were added.
pub fn staff_of(conn: &mut DbConnection, merchant_id: i64) -> Result<Vec<Staff>> {
    Ok(staff::table
        .filter(staff::merchant_id.eq(merchant_id))
        .order(staff::id)
        .select(StaffRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Staff::from)
        .collect())
}

/// The merchant's staff member with this email (any case).
pub fn staff_by_email(conn: &mut DbConnection, merchant_id: i64, email: &str) -> Result<Staff> {
    let email = Email::parse(email)?;
    Ok(staff::table
        .filter(staff::merchant_id.eq(merchant_id))
        .filter(staff::email.eq(email.as_str()))
        .select(StaffRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("staff member"))?
        .into())
}

/// Signs a staff member out of every session.
pub fn end_all_sessions(conn: &mut DbConnection, staff_id: i64) -> Result<()> {
    diesel::update(staff::table.find(staff_id))
        .set(staff::session_epoch.eq(staff::session_epoch + 1))
        .execute(conn)?;
    Ok(())
}
