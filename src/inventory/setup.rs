//! Opening a shop: a merchant, its first store and its owner, in one
//! transaction. From the command line (`shelfsync merchant create`) any time;
//! from the dashboard's setup page only while the database has no merchant,
//! and only once even when two setup forms are submitted at the same moment.

use diesel::prelude::*;

use super::merchants::{self, Location, Merchant, Staff};
use super::{InventoryError, Result, stores};
use crate::db::DbConnection;
use crate::db::models::AppSettingRow;
use crate::db::schema::app_settings;
use crate::domain::{Currency, Email, FieldError, NewPassword, Role, Slug, TimeZone, line};

/// The `app_settings` row the setup page writes first: a second setup
/// transaction trips over its primary key, whoever checked first.
const SETUP_MARK: &str = "setup_completed";

/// A new shop as typed into the setup page or given to the command line.
#[derive(Debug, Clone, Default)]
pub struct ShopInput<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    /// Empty: USD.
    pub currency: &'a str,
    /// Empty: UTC.
    pub time_zone: &'a str,
    /// Empty from the command line: no store yet.
    pub store_name: &'a str,
    pub store_address: &'a str,
    pub owner_name: &'a str,
    pub owner_email: &'a str,
    pub owner_password: &'a str,
}

/// A new shop whose every value passed its rule.
#[derive(Debug, Clone)]
pub struct NewShop {
    name: String,
    slug: Slug,
    currency: Currency,
    time_zone: TimeZone,
    store: Option<stores::StoreDetails>,
    owner_name: String,
    owner_email: Email,
    owner_password: NewPassword,
}

impl NewShop {
    /// Parses every field, collecting every mistake with its field name.
    /// `store_required`: the setup page asks for the first store.
    pub fn parse(
        input: &ShopInput,
        store_required: bool,
    ) -> std::result::Result<NewShop, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut keep = |e: FieldError| errors.push(e);
        let name = line(input.name, "name", "Shop name", 100, true)
            .map_err(&mut keep)
            .ok();
        let slug = Slug::parse(input.slug).map_err(&mut keep).ok();
        let currency = match input.currency.trim() {
            "" => Currency::parse("USD"),
            raw => Currency::parse(raw),
        }
        .map_err(|e| FieldError::new("currency", e.message))
        .map_err(&mut keep)
        .ok();
        let time_zone = match input.time_zone.trim() {
            "" => Ok(TimeZone::UTC),
            raw => TimeZone::parse(raw),
        }
        .map_err(&mut keep)
        .ok();
        let store = if store_required || !input.store_name.trim().is_empty() {
            stores::StoreDetails::parse(&stores::StoreInput {
                name: input.store_name,
                address: input.store_address,
                hours: "",
                fulfils_online: true,
            })
            .map_err(|store_errors| {
                for e in store_errors {
                    keep(FieldError::new(
                        match e.field {
                            "address" => "store_address",
                            _ => "store_name",
                        },
                        e.message,
                    ));
                }
            })
            .ok()
            .map(Some)
        } else {
            Some(None)
        };
        let owner_email = Email::parse(input.owner_email)
            .map_err(|e| FieldError::new("owner_email", e.message))
            .map_err(&mut keep)
            .ok();
        let owner_name = match input.owner_name.trim() {
            "" => Ok(input
                .owner_email
                .trim()
                .split('@')
                .next()
                .unwrap_or_default()
                .to_owned()),
            raw => line(raw, "owner_name", "Your name", 100, true),
        }
        .map_err(&mut keep)
        .ok();
        let owner_password = NewPassword::parse(input.owner_password, "owner_password")
            .map_err(&mut keep)
            .ok();
        match (
            name,
            slug,
            currency,
            time_zone,
            store,
            owner_name,
            owner_email,
            owner_password,
        ) {
            (
                Some(name),
                Some(slug),
                Some(currency),
                Some(time_zone),
                Some(store),
                Some(owner_name),
                Some(owner_email),
                Some(owner_password),
            ) if errors.is_empty() => Ok(NewShop {
                name,
                slug,
                currency,
                time_zone,
                store,
                owner_name,
                owner_email,
                owner_password,
            }),
            _ => Err(errors),
        }
    }
}

/// The shop as it was opened.
#[derive(Debug, Clone)]
pub struct OpenedShop {
    pub merchant: Merchant,
    pub store: Option<Location>,
    pub owner: Staff,
}

/// Whether the setup page is still open: no merchant exists yet.
pub fn setup_open(conn: &mut DbConnection) -> Result<bool> {
    Ok(!Merchant::any(conn)?)
}

/// Opens a shop (the command line): merchant, first store if given, owner.
pub fn open_shop(conn: &mut DbConnection, shop: &NewShop) -> Result<OpenedShop> {
    conn.write_transaction(|conn| insert_shop(conn, shop))
}

/// The setup page: opens the first shop of this database, or refuses once
/// any merchant exists. Of two setups racing each other exactly one wins:
/// each writes the setup mark first, and the second trips over its key.
pub fn first_setup(conn: &mut DbConnection, shop: &NewShop) -> Result<OpenedShop> {
    let done = || {
        InventoryError::NotAllowed(
            "This shelfsync is already set up; sign in instead. Nothing was created.".into(),
        )
    };
    let outcome = conn.write_transaction(|conn| {
        let marked = diesel::insert_into(app_settings::table)
            .values(AppSettingRow {
                name: SETUP_MARK.to_owned(),
                value: shop.slug.as_str().to_owned(),
            })
            .execute(conn);
        match marked {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => return Err(done()),
            Err(other) => return Err(other.into()),
        }
        if Merchant::any(conn)? {
            return Err(done());
        }
        insert_shop(conn, shop)
    });
    match outcome {
        // PostgreSQL reports the loser of the race as a failed transaction.
        Err(InventoryError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation
            | diesel::result::DatabaseErrorKind::SerializationFailure,
            _,
        ))) => Err(done()),
        other => other,
    }
}

fn insert_shop(conn: &mut DbConnection, shop: &NewShop) -> Result<OpenedShop> {
    let merchant =
        merchants::insert_merchant(conn, &shop.slug, &shop.name, shop.currency, shop.time_zone)?;
    let owner = merchants::insert_staff(
        conn,
        merchant.id,
        &shop.owner_email,
        &shop.owner_name,
        Some(&shop.owner_password),
        Role::Owner,
        None,
    )
    .map_err(|e| match e {
        InventoryError::Invalid(error) => FieldError::new("owner_email", error.message).into(),
        other => other,
    })?;
    let store = match &shop.store {
        Some(details) => Some(
            stores::insert_store(conn, &super::Actor::of(&owner), merchant.id, details).map_err(
                |e| match e {
                    InventoryError::Invalid(error) => {
                        FieldError::new("store_name", error.message).into()
                    }
                    other => other,
                },
            )?,
        ),
        None => None,
    };
    let merchant = Merchant::find(conn, merchant.id)?;
    Ok(OpenedShop {
        merchant,
        store,
        owner,
    })
}
