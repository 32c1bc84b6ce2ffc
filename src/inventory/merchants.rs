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
}

impl From<StaffRow> for Staff {
    fn from(row: StaffRow) -> Staff {
        Staff {
            id: row.id,
            merchant_id: row.merchant_id,
            email: row.email,
            display_name: row.display_name,
            session_epoch: row.session_epoch,
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

/// The staff member with this email and password, or `None`. Takes the same
/// time for an unknown email as for a wrong password.
pub fn authenticate(conn: &mut DbConnection, email: &str, password: &str) -> Result<Option<Staff>> {
    let row: Option<StaffRow> = match Email::parse(email) {
        Ok(email) => staff::table
            .filter(staff::email.eq(email.as_str()))
            .select(StaffRow::as_select())
            .first(conn)
            .optional()?,
        Err(_) => None,
    };
    // A fixed hash to verify against when the email is unknown, so timing does
    // not reveal which emails have accounts.
    const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2hlbGZzeW5jZGVjb3k$0Uo9rV7pVQ5vO1m8U2xV0q4Hq2N3fXbqk3x5cQm3b5U";
    let stored = row.as_ref().map_or(DECOY, |r| r.password_hash.as_str());
    let matches = PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    Ok(row.filter(|_| matches).map(Staff::from))
}

/// Signs a staff member out of every session.
pub fn end_all_sessions(conn: &mut DbConnection, staff_id: i64) -> Result<()> {
    diesel::update(staff::table.find(staff_id))
        .set(staff::session_epoch.eq(staff::session_epoch + 1))
        .execute(conn)?;
    Ok(())
}
