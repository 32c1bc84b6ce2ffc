//! Merchants, their stores and their staff accounts.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use diesel::prelude::*;

use super::{InventoryError, Result, now};
use crate::db::DbConnection;
use crate::db::models::{LocationRow, MerchantRow, NewMerchantRow, NewStaffRow, StaffRow};
use crate::db::schema::{locations, merchant_slugs, merchants, staff};
use crate::domain::{
    Currency, Email, FieldError, NewPassword, Role, Slug, StorefrontUrl, TimeZone,
};

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
    /// The dashboard shows every time in this zone (the API stays in UTC).
    pub time_zone: TimeZone,
    /// Whether new items switch to view-only by themselves when sold out online.
    pub auto_view_only_default: bool,
    /// Where the shop's *Buy online* leads, if the merchant has an online store.
    pub storefront_url: Option<StorefrontUrl>,
    /// The most units a shopper may reserve for pickup at once.
    pub reservation_max_quantity: i64,
    /// How long a hold for pickup lasts, in hours.
    pub reservation_hold_hours: i64,
}

impl TryFrom<MerchantRow> for Merchant {
    type Error = InventoryError;

    fn try_from(row: MerchantRow) -> Result<Merchant> {
        let currency = Currency::parse(&row.currency)
            .map_err(|e| InventoryError::Corrupt(format!("merchant {}: {}", row.id, e.message)))?;
        let time_zone = TimeZone::parse(&row.time_zone)
            .map_err(|e| InventoryError::Corrupt(format!("merchant {}: {}", row.id, e.message)))?;
        let storefront_url = StorefrontUrl::parse(
            row.storefront_url_pattern.as_deref().unwrap_or(""),
        )
        .map_err(|e| InventoryError::Corrupt(format!("merchant {}: {}", row.id, e.message)))?;
        Ok(Merchant {
            id: row.id,
            slug: row.slug,
            name: row.name,
            currency,
            catalog_version: row.catalog_version,
            online_buffer: row.online_buffer,
            time_zone,
            auto_view_only_default: row.auto_view_only_default,
            storefront_url,
            reservation_max_quantity: row.reservation_max_quantity,
            reservation_hold_hours: row.reservation_hold_hours,
        })
    }
}

impl Merchant {
    pub fn find(conn: &mut DbConnection, merchant_id: i64) -> Result<Merchant> {
        merchants::table
            .find(merchant_id)
            .select(MerchantRow::as_select())
            .get_result(conn)
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
            .get_result(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("merchant"))?
            .try_into()
    }

    /// Every merchant, in the order they were created.
    pub fn all(conn: &mut DbConnection) -> Result<Vec<Merchant>> {
        merchants::table
            .order(merchants::id)
            .select(MerchantRow::as_select())
            .load(conn)?
            .into_iter()
            .map(Merchant::try_from)
            .collect()
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

/// Creates a merchant with an empty catalogue at catalog version 0, in UTC.
pub fn create_merchant(
    conn: &mut DbConnection,
    slug: &str,
    name: &str,
    currency: Currency,
) -> Result<Merchant> {
    let slug = Slug::parse(slug)?;
    insert_merchant(conn, &slug, name, currency, TimeZone::UTC)
}

/// Inserts a merchant whose slug no shop uses, now or as an old address;
/// a taken slug is refused on the `slug` field.
pub(super) fn insert_merchant(
    conn: &mut DbConnection,
    slug: &Slug,
    name: &str,
    currency: Currency,
    time_zone: TimeZone,
) -> Result<Merchant> {
    if slug_taken(conn, slug, None)? {
        return Err(slug_taken_error(slug));
    }
    let inserted = diesel::insert_into(merchants::table)
        .values(NewMerchantRow {
            slug: slug.as_str(),
            name,
            currency: currency.as_str(),
            created_at: now(),
            time_zone: time_zone.name(),
        })
        .returning(merchants::all_columns)
        .get_result::<MerchantRow>(conn);
    match inserted {
        Ok(row) => row.try_into(),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(slug_taken_error(slug)),
        Err(other) => Err(other.into()),
    }
}

/// Whether a shop other than `except` has this slug, now or as an old
/// address that still redirects.
pub(super) fn slug_taken(
    conn: &mut DbConnection,
    slug: &Slug,
    except: Option<i64>,
) -> Result<bool> {
    let current: Option<i64> = merchants::table
        .filter(merchants::slug.eq(slug.as_str()))
        .select(merchants::id)
        .get_result(conn)
        .optional()?;
    let old: Option<i64> = merchant_slugs::table
        .find(slug.as_str())
        .select(merchant_slugs::merchant_id)
        .get_result(conn)
        .optional()?;
    Ok([current, old]
        .into_iter()
        .flatten()
        .any(|owner| Some(owner) != except))
}

pub(super) fn slug_taken_error(slug: &Slug) -> InventoryError {
    FieldError::new(
        "slug",
        format!(
            "Another shop already uses “{}”; choose another",
            slug.as_str()
        ),
    )
    .into()
}

/// The shop that used to be at `/shop/{slug}`, for a 301 to its new address.
pub fn renamed_shop(conn: &mut DbConnection, slug: &str) -> Result<Option<Merchant>> {
    let owner: Option<i64> = merchant_slugs::table
        .find(slug)
        .select(merchant_slugs::merchant_id)
        .get_result(conn)
        .optional()?;
    owner.map(|id| Merchant::find(conn, id)).transpose()
}

/// A physical store of a merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    /// Whether online orders may be shipped from (and picked up at) this store.
    pub fulfils_online: bool,
    /// Free text, as the shop page shows it.
    pub address: String,
    /// Opening hours, free text over one or more lines.
    pub hours: String,
    /// An archived store keeps its ledger but is in no list, picker or new token.
    pub archived: bool,
}

impl From<LocationRow> for Location {
    fn from(row: LocationRow) -> Location {
        Location {
            id: row.id,
            merchant_id: row.merchant_id,
            name: row.name,
            fulfils_online: row.fulfils_online,
            address: row.address,
            hours: row.hours,
            archived: row.archived_at.is_some(),
        }
    }
}

impl Location {
    /// The merchant's open stores (not archived) in the order they were added.
    pub fn all_of(conn: &mut DbConnection, merchant_id: i64) -> Result<Vec<Location>> {
        Ok(locations::table
            .filter(locations::merchant_id.eq(merchant_id))
            .filter(locations::archived_at.is_null())
            .order(locations::id)
            .select(LocationRow::as_select())
            .load(conn)?
            .into_iter()
            .map(Location::from)
            .collect())
    }

    /// Every store of the merchant, archived ones included (the stores page).
    pub fn every_of(conn: &mut DbConnection, merchant_id: i64) -> Result<Vec<Location>> {
        Ok(locations::table
            .filter(locations::merchant_id.eq(merchant_id))
            .order(locations::id)
            .select(LocationRow::as_select())
            .load(conn)?
            .into_iter()
            .map(Location::from)
            .collect())
    }

    /// An open store of this merchant; another merchant's store, or an
    /// archived one, is NotFound.
    pub fn find(conn: &mut DbConnection, merchant_id: i64, location_id: i64) -> Result<Location> {
        let store = Location::find_any(conn, merchant_id, location_id)?;
        if store.archived {
            return Err(InventoryError::NotFound("location"));
        }
        Ok(store)
    }

    /// A store of this merchant, archived or not; another merchant's is NotFound.
    pub fn find_any(
        conn: &mut DbConnection,
        merchant_id: i64,
        location_id: i64,
    ) -> Result<Location> {
        Ok(locations::table
            .filter(locations::id.eq(location_id))
            .filter(locations::merchant_id.eq(merchant_id))
            .select(LocationRow::as_select())
            .get_result(conn)
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
    pub role: Role,
    /// A cashier's store: the only one whose stock they may change.
    pub location_id: Option<i64>,
    /// A deactivated person can't sign in; their history keeps their name.
    pub active: bool,
    /// Whether they have set a password (an invited person has not, yet).
    pub has_password: bool,
}

impl TryFrom<StaffRow> for Staff {
    type Error = InventoryError;

    fn try_from(row: StaffRow) -> Result<Staff> {
        let role = Role::parse(&row.role)
            .map_err(|e| InventoryError::Corrupt(format!("staff {}: {}", row.id, e.message)))?;
        Ok(Staff {
            id: row.id,
            merchant_id: row.merchant_id,
            email: row.email,
            display_name: row.display_name,
            session_epoch: row.session_epoch,
            role,
            location_id: row.location_id,
            active: row.deactivated_at.is_none(),
            has_password: !row.password_hash.is_empty(),
        })
    }
}

impl Staff {
    pub fn find(conn: &mut DbConnection, staff_id: i64) -> Result<Staff> {
        staff::table
            .find(staff_id)
            .select(StaffRow::as_select())
            .get_result(conn)
            .optional()?
            .ok_or(InventoryError::NotFound("staff member"))?
            .try_into()
    }
}

pub use crate::domain::MIN_PASSWORD_LEN;

/// Creates an owner's account, storing only an argon2 hash of the password.
pub fn create_staff(
    conn: &mut DbConnection,
    merchant_id: i64,
    email: &Email,
    display_name: &str,
    password: &str,
) -> Result<Staff> {
    let password = NewPassword::parse(password, "password")?;
    insert_staff(
        conn,
        merchant_id,
        email,
        display_name,
        Some(&password),
        Role::Owner,
        None,
    )
}

/// The stored form of a password: an argon2 hash with a fresh salt.
pub(super) fn hash_password(password: &NewPassword) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map_err(|e| InventoryError::Corrupt(format!("could not hash a password: {e}")))?
        .to_string())
}

/// Inserts a staff account; without a password nobody can sign in as it
/// until one is set through an invitation link. An email in use is refused
/// on the `email` field.
pub(super) fn insert_staff(
    conn: &mut DbConnection,
    merchant_id: i64,
    email: &Email,
    display_name: &str,
    password: Option<&NewPassword>,
    role: Role,
    location_id: Option<i64>,
) -> Result<Staff> {
    let hash = password.map(hash_password).transpose()?.unwrap_or_default();
    let taken = staff::table
        .filter(staff::email.eq(email.as_str()))
        .select(staff::id)
        .first::<i64>(conn)
        .optional()?
        .is_some();
    let email_taken = || {
        InventoryError::from(FieldError::new(
            "email",
            "That email already has a shelfsync account",
        ))
    };
    if taken {
        return Err(email_taken());
    }
    let inserted = diesel::insert_into(staff::table)
        .values(NewStaffRow {
            merchant_id,
            email: email.as_str(),
            display_name: display_name.trim(),
            password_hash: &hash,
            created_at: now(),
            role: role.as_str(),
            location_id,
        })
        .returning(staff::all_columns)
        .get_result::<StaffRow>(conn);
    match inserted {
        Ok(row) => row.try_into(),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(email_taken()),
        Err(other) => Err(other.into()),
    }
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
    row.map(|row| {
        Ok(Credentials {
            password_hash: row.password_hash.clone(),
            active: row.deactivated_at.is_none(),
            staff: Staff::try_from(row)?,
        })
    })
    .transpose()
}

/// Whether `password` matches the stored hash. CPU-bound (argon2, tens of
/// milliseconds): call it on a blocking thread, holding no connection. With
/// no stored hash (an unknown email) it verifies against a decoy hash of the
/// same cost, so timing does not reveal which emails have accounts.
pub fn password_matches(stored: Option<&str>, password: &str) -> bool {
    const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2hlbGZzeW5jZGVjb3k$0Uo9rV7pVQ5vO1m8U2xV0q4Hq2N3fXbqk3x5cQm3b5U";
    // An invited person has no password yet: verify against the decoy too,
    // so a pending invitation can't be told apart by timing either.
    let stored = stored.filter(|hash| !hash.is_empty());
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

/// The merchant's staff member with this email (any case).
pub fn staff_by_email(conn: &mut DbConnection, merchant_id: i64, email: &str) -> Result<Staff> {
    let email = Email::parse(email)?;
    staff::table
        .filter(staff::merchant_id.eq(merchant_id))
        .filter(staff::email.eq(email.as_str()))
        .select(StaffRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or(InventoryError::NotFound("staff member"))?
        .try_into()
}

/// Signs a staff member out of every session.
pub fn end_all_sessions(conn: &mut DbConnection, staff_id: i64) -> Result<()> {
    diesel::update(staff::table.find(staff_id))
        .set(staff::session_epoch.eq(staff::session_epoch + 1))
        .execute(conn)?;
    Ok(())
}
