//! `POST /shop/{merchant}/items/{id}/reserve`: a shopper's *Reserve for
//! pickup* form. Checked against the visitor's form token (`csrf::check_shop`),
//! parsed here, and made by `reservations::reserve` with every rule; the
//! answer is a confirmation page with the pickup code, or the product page
//! again with each message beside its field (422), or with the limit reached
//! (429). Nothing is held unless the whole request was accepted.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::AppState;
use super::client_address::client_address;
use super::errors::HtmlError;
use super::shop::initial_of;
use super::shop_item::{ReserveAttempt, draw, front_of, in_shop, not_here};
use crate::domain::{Contact, FieldError, shopper_name};
use crate::inventory::merchants::{Location, Merchant};
use crate::inventory::reservations::{self, Reservation, ReservationRequest};
use crate::inventory::{Actor, InventoryError, Item};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/shop/{slug}/items/{id}/reserve", web::post().to(reserve));
}

/// The form as posted.
#[derive(Debug, Clone, Default, Deserialize)]
struct ReserveForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    location_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    quantity: String,
}

#[derive(Template)]
#[template(path = "shop/reserved.html")]
struct ReservedPage {
    shop_name: String,
    slug: String,
    item_name: String,
    store: Location,
    reservation: Reservation,
    /// When it expires, in the shop's time zone.
    expires: String,
}

impl ReservedPage {
    fn initial(&self, name: &str) -> String {
        initial_of(name)
    }
}

async fn reserve(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<ReserveForm>,
) -> Result<HttpResponse, HtmlError> {
    let (slug, id) = path.into_inner();
    let front = front_of(&slug);
    reserve_item(&state, &req, &slug, &id, form.into_inner())
        .await
        .map_err(|error| in_shop(error, front))
}

/// The form's values as the service takes them, or every field's mistake.
fn parse(
    form: &ReserveForm,
    item_id: i64,
    location_id: i64,
) -> Result<ReservationRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = shopper_name(&form.name).map_err(|e| errors.push(e)).ok();
    let contact = Contact::parse(Some(&form.email), Some(&form.phone))
        .map_err(|e| errors.push(e))
        .ok();
    let quantity = form
        .quantity
        .trim()
        .parse::<i64>()
        .map_err(|_| {
            errors.push(FieldError::new(
                "quantity",
                "Enter how many, as a whole number",
            ))
        })
        .ok();
    match (name, contact, quantity) {
        (Some(name), Some(contact), Some(quantity)) if errors.is_empty() => {
            Ok(ReservationRequest {
                item_id,
                location_id,
                quantity,
                name,
                contact,
                client_address: None,
            })
        }
        _ => Err(errors),
    }
}

async fn reserve_item(
    state: &AppState,
    req: &HttpRequest,
    slug: &str,
    id: &str,
    form: ReserveForm,
) -> Result<HttpResponse, HtmlError> {
    let merchant_id = state
        .online
        .merchant_of_slug(state, slug)
        .await
        .map_err(|e| match e {
            InventoryError::NotFound(_) => not_here(),
            other => other.into(),
        })?;
    let item_id = id.parse::<i64>().map_err(|_| not_here())?;
    crate::web::csrf::check_shop(req, &form.csrf_token)?;
    let location_id = form
        .location_id
        .trim()
        .parse::<i64>()
        .map_err(|_| HtmlError::BadRequest("Choose the store to pick it up at.".into()))?;
    let attempt = |errors: Vec<FieldError>, notice: Option<String>| ReserveAttempt {
        location_id,
        name: form.name.clone(),
        email: form.email.clone(),
        phone: form.phone.clone(),
        quantity: form.quantity.clone(),
        errors,
        notice,
    };
    let token = form.csrf_token.clone();
    let sent_back = |attempt: ReserveAttempt, status: StatusCode| async move {
        let body = draw(state, merchant_id, item_id, token, Some(attempt)).await?;
        Ok::<_, HtmlError>(
            HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(body),
        )
    };
    let mut request = match parse(&form, item_id, location_id) {
        Ok(request) => request,
        Err(errors) => {
            return sent_back(attempt(errors, None), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    request.client_address = Some(client_address(req));
    let actor = Actor::shopper(&request.name);
    let made = super::run(state, move |conn| {
        let reservation = reservations::reserve(conn, &actor, merchant_id, &request)?;
        let merchant = Merchant::find(conn, merchant_id)?;
        let item = Item::find(conn, merchant_id, reservation.item_id)?;
        let store = Location::find_any(conn, merchant_id, reservation.location_id)?;
        Ok((reservation, merchant, item, store))
    })
    .await;
    match made {
        Ok((reservation, merchant, item, store)) => {
            log::info!(
                "merchant {merchant_id} item {item_id}: reserved {} on the shop page",
                reservation.pickup_code
            );
            let page = ReservedPage {
                expires: merchant
                    .time_zone
                    .show(reservation.expires_at, "%A %-d %B %Y, %H:%M"),
                shop_name: merchant.name,
                slug: merchant.slug,
                item_name: item.name,
                store,
                reservation,
            };
            let body = page
                .render()
                .map_err(|e| HtmlError::Internal(format!("reservation confirmation: {e}")))?;
            Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(body))
        }
        Err(InventoryError::Invalid(error)) => {
            sent_back(attempt(vec![error], None), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(InventoryError::TooMany(message)) => {
            sent_back(
                attempt(Vec::new(), Some(message)),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
        Err(InventoryError::NotFound(_)) => Err(not_here()),
        Err(other) => Err(other.into()),
    }
}
