//! The merchant's own settings: shop name and slug (an old slug keeps
//! redirecting), currency, time zone, the storefront URL pattern that the
//! shop's *Buy online* links follow, and the stock defaults (the online
//! buffer lives in `stock::settings`; the automatic sold-out switch for new
//! items here), and the limits of holds for pickup (most units, how long).
//!
//! The name and slug show on the shop page and in every list's context, so
//! changing them moves the catalog version like any other catalog change:
//! caches and live clients hear of it. Each setting that changes writes an
//! activity entry naming who changed it, in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{About, AuditField};
use super::merchants::{self as shop, Merchant};
use super::{Actor, Result, catalog, now};
use crate::db::DbConnection;
use crate::db::schema::{items, merchant_slugs, merchants};
use crate::domain::{Currency, FieldError, Slug, StorefrontUrl, TimeZone, line};

/// The shop settings form as typed.
#[derive(Debug, Clone, Default)]
pub struct ShopSettingsInput<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub currency: &'a str,
    pub time_zone: &'a str,
    pub auto_view_only_default: bool,
    /// Where *Buy online* leads; empty for none.
    pub storefront_url_pattern: &'a str,
    /// The most units one hold for pickup may hold; `None` leaves it as it is.
    pub reservation_max_quantity: Option<&'a str>,
    /// How long a hold lasts, in hours; `None` leaves it as it is.
    pub reservation_hold_hours: Option<&'a str>,
}

/// The most a merchant may let one hold for pickup hold.
pub const MAX_RESERVATION_QUANTITY: i64 = 100;

/// The longest a hold may last: two weeks.
pub const MAX_HOLD_HOURS: i64 = 24 * 14;

/// The settings after their rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopSettings {
    pub name: String,
    pub slug: Slug,
    pub currency: Currency,
    pub time_zone: TimeZone,
    pub auto_view_only_default: bool,
    pub storefront_url: Option<StorefrontUrl>,
    pub reservation_max_quantity: Option<i64>,
    pub reservation_hold_hours: Option<i64>,
}

/// A whole number from `low` to `high` typed in `field`.
fn whole_number(
    raw: &str,
    field: &'static str,
    label: &str,
    low: i64,
    high: i64,
) -> std::result::Result<i64, FieldError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (low..=high).contains(n))
        .ok_or_else(|| {
            FieldError::new(
                field,
                format!("{label} must be a whole number from {low} to {high}"),
            )
        })
}

impl ShopSettings {
    pub fn parse(input: &ShopSettingsInput) -> std::result::Result<ShopSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = line(input.name, "name", "Shop name", 100, true)
            .map_err(|e| errors.push(e))
            .ok();
        let slug = Slug::parse(input.slug).map_err(|e| errors.push(e)).ok();
        let currency = Currency::parse(input.currency)
            .map_err(|e| errors.push(FieldError::new("currency", e.message)))
            .ok();
        let time_zone = TimeZone::parse(input.time_zone)
            .map_err(|e| errors.push(e))
            .ok();
        let storefront_url = StorefrontUrl::parse(input.storefront_url_pattern)
            .map_err(|e| errors.push(e))
            .ok();
        let reservation_max_quantity = input.reservation_max_quantity.and_then(|raw| {
            whole_number(
                raw,
                "reservation_max_quantity",
                "The most units per reservation",
                1,
                MAX_RESERVATION_QUANTITY,
            )
            .map_err(|e| errors.push(e))
            .ok()
        });
        let reservation_hold_hours = input.reservation_hold_hours.and_then(|raw| {
            whole_number(
                raw,
                "reservation_hold_hours",
                "How long a reservation is held (hours)",
                1,
                MAX_HOLD_HOURS,
            )
            .map_err(|e| errors.push(e))
            .ok()
        });
        match (name, slug, currency, time_zone, storefront_url) {
            (Some(name), Some(slug), Some(currency), Some(time_zone), Some(storefront_url))
                if errors.is_empty() =>
            {
                Ok(ShopSettings {
                    name,
                    slug,
                    currency,
                    time_zone,
                    auto_view_only_default: input.auto_view_only_default,
                    storefront_url,
                    reservation_max_quantity,
                    reservation_hold_hours,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Saves the shop settings in one transaction. A taken slug and a currency
/// change while items have prices are refused on their fields, changing
/// nothing.
pub fn save_shop_settings(
    conn: &mut DbConnection,
    actor: &Actor,
    merchant_id: i64,
    settings: &ShopSettings,
) -> Result<Merchant> {
    conn.write_transaction(|conn| {
        catalog::lock_merchant(conn, merchant_id)?;
        let before = Merchant::find(conn, merchant_id)?;
        if settings.currency != before.currency {
            let priced: i64 = items::table
                .filter(items::merchant_id.eq(merchant_id))
                .count()
                .get_result(conn)?;
            if priced > 0 {
                return Err(FieldError::new(
                    "currency",
                    format!(
                        "The currency can't change while items have prices: {priced} item(s) are priced in {}. Nothing was changed.",
                        before.currency.as_str()
                    ),
                )
                .into());
            }
        }
        let slug_moves = settings.slug.as_str() != before.slug;
        if slug_moves {
            if shop::slug_taken(conn, &settings.slug, Some(merchant_id))? {
                return Err(shop::slug_taken_error(&settings.slug));
            }
            // Moving back to an old slug takes it out of the redirects.
            diesel::delete(merchant_slugs::table.find(settings.slug.as_str())).execute(conn)?;
            diesel::insert_into(merchant_slugs::table)
                .values((
                    merchant_slugs::slug.eq(&before.slug),
                    merchant_slugs::merchant_id.eq(merchant_id),
                    merchant_slugs::created_at.eq(now()),
                ))
                .execute(conn)?;
        }
        diesel::update(merchants::table.find(merchant_id))
            .set((
                merchants::name.eq(&settings.name),
                merchants::slug.eq(settings.slug.as_str()),
                merchants::currency.eq(settings.currency.as_str()),
                merchants::time_zone.eq(settings.time_zone.name()),
                merchants::auto_view_only_default.eq(settings.auto_view_only_default),
                merchants::storefront_url_pattern
                    .eq(settings.storefront_url.as_ref().map(StorefrontUrl::as_str)),
                merchants::reservation_max_quantity.eq(settings
                    .reservation_max_quantity
                    .unwrap_or(before.reservation_max_quantity)),
                merchants::reservation_hold_hours.eq(settings
                    .reservation_hold_hours
                    .unwrap_or(before.reservation_hold_hours)),
            ))
            .execute(conn)?;
        let link_moves = settings.storefront_url != before.storefront_url;
        let version = if slug_moves || link_moves || settings.name != before.name {
            // The shop page and the lists' context show them.
            catalog::next_version(conn, merchant_id)?
        } else {
            before.catalog_version
        };
        let about = About::settings(merchant_id, version);
        for (field, old, new) in [
            (AuditField::ShopName, before.name.as_str(), settings.name.as_str()),
            (AuditField::Slug, &before.slug, settings.slug.as_str()),
            (
                AuditField::Currency,
                before.currency.as_str(),
                settings.currency.as_str(),
            ),
            (
                AuditField::TimeZone,
                before.time_zone.name(),
                settings.time_zone.name(),
            ),
            (
                AuditField::AutoViewOnlyDefault,
                &before.auto_view_only_default.to_string(),
                &settings.auto_view_only_default.to_string(),
            ),
            (
                AuditField::StorefrontUrl,
                before.storefront_url.as_ref().map_or("", StorefrontUrl::as_str),
                settings.storefront_url.as_ref().map_or("", StorefrontUrl::as_str),
            ),
            (
                AuditField::ReservationMaxQuantity,
                &before.reservation_max_quantity.to_string(),
                &settings
                    .reservation_max_quantity
                    .unwrap_or(before.reservation_max_quantity)
                    .to_string(),
            ),
            (
                AuditField::ReservationHoldHours,
                &before.reservation_hold_hours.to_string(),
                &settings
                    .reservation_hold_hours
                    .unwrap_or(before.reservation_hold_hours)
                    .to_string(),
            ),
        ] {
            about.record(conn, actor, field, old, new)?;
        }
        Merchant::find(conn, merchant_id)
    })
}

/// The shop's previous slugs, newest first, as the settings page lists them.
pub fn old_slugs(
    conn: &mut DbConnection,
    merchant_id: i64,
) -> Result<Vec<(String, NaiveDateTime)>> {
    Ok(merchant_slugs::table
        .filter(merchant_slugs::merchant_id.eq(merchant_id))
        .order(merchant_slugs::created_at.desc())
        .select((merchant_slugs::slug, merchant_slugs::created_at))
        .load(conn)?)
}
