//! `/settings/shop` (owners): the shop's name and slug, currency, time zone,
//! the storefront URL pattern that *Buy online* on the shop follows, the
//! limits of reservations (holds for pickup), and stock defaults (the default online buffer posts to
//! `/settings/online-buffer`, handled with the other stock forms).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::items::render;
use super::{Layout, Notice, see_other, set_flash};
use crate::domain::{FieldError, TimeZone};
use crate::inventory::InventoryError;
use crate::inventory::permissions::Permission;
use crate::inventory::settings::{self, ShopSettings, ShopSettingsInput};
use crate::web::auth::CurrentStaff;
use crate::web::errors::HtmlError;
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/shop", web::get().to(show))
        .route("/settings/shop", web::post().to(save));
}

#[derive(Debug, Clone, Default, Deserialize)]
struct ShopForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    time_zone: String,
    auto_view_only_default: Option<String>,
    /// Where the shop's *Buy online* leads: a URL with `{sku}` and/or `{id}`.
    #[serde(default)]
    storefront_url_pattern: String,
    /// The most units one reservation may hold (absent: left as it is).
    reservation_max_quantity: Option<String>,
    /// How long a reservation is held, in hours (absent: left as it is).
    reservation_hold_hours: Option<String>,
}

#[derive(Template)]
#[template(path = "settings/shop.html")]
struct ShopPage {
    layout: Layout,
    form: ShopForm,
    errors: Vec<FieldError>,
    online_buffer: i64,
    old_slugs: Vec<String>,
    time_zones: Vec<&'static str>,
}

impl ShopPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn page(
    state: &AppState,
    current: &CurrentStaff,
    typed: Option<(ShopForm, Vec<FieldError>)>,
) -> Result<HttpResponse, HtmlError> {
    let merchant_id = current.merchant.id;
    let old_slugs = run(state, move |conn| settings::old_slugs(conn, merchant_id))
        .await?
        .into_iter()
        .map(|(slug, _)| slug)
        .collect();
    let merchant = &current.merchant;
    let status = if typed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (form, errors) = typed.unwrap_or_else(|| {
        (
            ShopForm {
                name: merchant.name.clone(),
                slug: merchant.slug.clone(),
                currency: merchant.currency.as_str().to_owned(),
                time_zone: merchant.time_zone.name().to_owned(),
                auto_view_only_default: merchant.auto_view_only_default.then(|| "1".into()),
                storefront_url_pattern: merchant
                    .storefront_url
                    .as_ref()
                    .map(|url| url.as_str().to_owned())
                    .unwrap_or_default(),
                reservation_max_quantity: Some(merchant.reservation_max_quantity.to_string()),
                reservation_hold_hours: Some(merchant.reservation_hold_hours.to_string()),
            },
            Vec::new(),
        )
    });
    let mut response = render(&ShopPage {
        layout: Layout::new(current, "settings"),
        form,
        errors,
        online_buffer: merchant.online_buffer,
        old_slugs,
        time_zones: TimeZone::names().collect(),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn show(
    state: web::Data<AppState>,
    current: CurrentStaff,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageShop)?;
    page(&state, &current, None).await
}

async fn save(
    state: web::Data<AppState>,
    current: CurrentStaff,
    form: web::Form<ShopForm>,
) -> Result<HttpResponse, HtmlError> {
    current.require(Permission::ManageShop)?;
    let form = form.into_inner();
    let parsed = ShopSettings::parse(&ShopSettingsInput {
        name: &form.name,
        slug: &form.slug,
        currency: &form.currency,
        time_zone: &form.time_zone,
        auto_view_only_default: form.auto_view_only_default.is_some(),
        storefront_url_pattern: &form.storefront_url_pattern,
        reservation_max_quantity: form.reservation_max_quantity.as_deref(),
        reservation_hold_hours: form.reservation_hold_hours.as_deref(),
    });
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(errors) => return page(&state, &current, Some((form, errors))).await,
    };
    let (merchant_id, actor) = (current.merchant.id, current.actor());
    match run(&state, move |conn| {
        settings::save_shop_settings(conn, &actor, merchant_id, &parsed)
    })
    .await
    {
        Ok(merchant) => {
            log::info!(
                "merchant {merchant_id}: staff {} saved the shop settings",
                current.staff.id
            );
            set_flash(
                &current.session,
                Notice::success(format!(
                    "Saved. Your online shop is at /shop/{}",
                    merchant.slug
                )),
            );
            Ok(see_other("/settings/shop"))
        }
        Err(InventoryError::Invalid(error)) => {
            page(&state, &current, Some((form, vec![error]))).await
        }
        Err(other) => Err(other.into()),
    }
}
