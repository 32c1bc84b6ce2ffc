//! `/api/v1/storefront/reservations`: the online store's server makes holds
//! for pickup for its shoppers (`POST`, once per `Idempotency-Key`), reads
//! one (`GET`) and cancels one (`DELETE`, which releases its units). The
//! rules are the shop page's, in `reservations`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::Operations;
use super::auth::ApiCaller;
use super::errors::{ApiError, ErrorBody};
use super::stock_request::{IDEMPOTENT_REPLAYED, fingerprint, id, idempotency_key, json_object};
use crate::domain::{Contact, TokenScope, shopper_name};
use crate::inventory::idempotency::Outcome;
use crate::inventory::reservations::{self, Reservation, ReservationRequest};
use crate::inventory::{Actor, InventoryError};
use crate::web::{AppState, run};

pub fn register(operations: &mut Operations) {
    operations.add::<__path_create, _, _>(create);
    operations.add::<__path_show, _, _>(show);
    operations.add::<__path_cancel, _, _>(cancel);
}

/// A hold for pickup as the storefront asks for it.
#[derive(utoipa::ToSchema)]
#[schema(as = ReservationRequest)]
#[allow(dead_code)] // Described for the contract; `create` parses it by hand to name each bad field.
struct ReservationJson {
    #[schema(minimum = 1, example = 12)]
    item_id: i64,
    #[schema(minimum = 1, example = 1)]
    location_id: i64,
    /// 1 to the shop's maximum per reservation (2 unless the merchant set another).
    #[schema(minimum = 1, example = 1)]
    quantity: i64,
    /// The shopper's name, as the counter will ask for it.
    #[schema(example = "Ana Lima", min_length = 1, max_length = 100)]
    name: String,
    /// The shopper's email; send this or `phone`.
    #[schema(example = "ana@example.com")]
    email: Option<String>,
    /// The shopper's phone number; send this or `email`.
    #[schema(example = "+1 555 010 0199")]
    phone: Option<String>,
}

/// A reservation, as every reservation operation answers.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Described for the contract; `body_of` writes it.
struct ReservationBody {
    reservation: Reservation,
}

fn body_of(reservation: &Reservation) -> Value {
    json!({ "reservation": reservation })
}

/// A required string field of the body.
fn text<'a>(object: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, ApiError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ApiError::invalid_field(
            field,
            format!("{field} must be a string"),
        )),
    }
}

/// A whole quantity: anything else names the field.
fn quantity(object: &Map<String, Value>) -> Result<i64, ApiError> {
    match object.get("quantity") {
        None => Err(ApiError::invalid_field("quantity", "quantity is required")),
        Some(value) => value
            .as_i64()
            .ok_or_else(|| ApiError::invalid_field("quantity", "quantity must be a whole number")),
    }
}

fn request_of(object: &Map<String, Value>) -> Result<ReservationRequest, ApiError> {
    let item_id = id(object.get("item_id"), "item_id")?;
    let location_id = id(object.get("location_id"), "location_id")?;
    let quantity = quantity(object)?;
    let field = |e: crate::domain::FieldError| ApiError::invalid_field(e.field, e.message);
    let name = shopper_name(text(object, "name")?.unwrap_or("")).map_err(field)?;
    let contact = Contact::parse(text(object, "email")?, text(object, "phone")?).map_err(field)?;
    Ok(ReservationRequest {
        item_id,
        location_id,
        quantity,
        name,
        contact,
        client_address: None,
    })
}

/// The reservation id of the path; anything but a positive number is a 404.
fn reservation_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "reservation not found"))
}

/// Holds units of an item at a store for a shopper to pick up and pay there.
#[utoipa::path(
    post,
    path = "/api/v1/storefront/reservations",
    tag = "storefront",
    operation_id = "storefront_create_reservation",
    summary = "Reserve an item for pickup at a store",
    description = "Holds `quantity` units at the store until `expires_at` (the shop's hold time, 48 hours unless set otherwise): they stay on hand but are no longer available online, to other reservations or at the counter. The item must be listed online and sold in store. At most 5 open reservations per email or phone per shop. Send a fresh `Idempotency-Key` per reservation; a retry with the same key and body gets the first answer again with `Idempotent-Replayed: true`.",
    security(("api_token" = ["storefront"])),
    params(
        ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "A fresh random value (such as a UUID) per reservation; resend it to retry safely."),
    ),
    request_body = ReservationJson,
    responses(
        (status = 201, description = "The units are held; `reservation.pickup_code` is what the shopper says at the counter.", body = ReservationBody,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the answer to an earlier request with this key."))),
        (status = 400, description = "`bad_request`: the body is not a JSON object; `idempotency_key_required`: no or a malformed `Idempotency-Key`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such item (another merchant's items included).", body = ErrorBody),
        (status = 422, description = "`invalid_field`: a bad field, named in `details.field` (`quantity` above the shop's maximum or what the store has free, `location_id` of a store without it, `item_id` of an item not offered for pickup, `email`, `phone`, `name`); `idempotency_key_reused`: the key was used for another body.", body = ErrorBody),
        (status = 429, description = "`too_many_reservations`: this email or phone has the most open reservations the shop allows.", body = ErrorBody),
    ),
)]
pub(super) async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let token = caller.require(TokenScope::Storefront)?;
    let key = idempotency_key(&req)?;
    let fingerprint = fingerprint(&req, "", &body);
    let request = request_of(&json_object(&body)?)?;
    let merchant_id = token.merchant_id;
    let actor = Actor::shopper(&request.name).doing(&format!("via API token “{}”", token.name));
    let outcome = run(&state, move |conn| {
        reservations::reserve_once(conn, &actor, merchant_id, &key, &fingerprint, &request)
    })
    .await?;
    match outcome {
        Outcome::Done { value, replayed } => {
            let mut response = HttpResponse::Created();
            if replayed {
                response.insert_header((IDEMPOTENT_REPLAYED, "true"));
            }
            Ok(response.json(body_of(&value)))
        }
        // A hold is never refused as a short order is (it says how many
        // are free on its field), so a stored refusal can't be one.
        Outcome::Short { shortages, .. } => {
            Err(ApiError::from(InventoryError::InsufficientStock(shortages)))
        }
    }
}

/// One reservation, whatever became of it.
#[utoipa::path(
    get,
    path = "/api/v1/storefront/reservations/{id}",
    tag = "storefront",
    operation_id = "storefront_show_reservation",
    summary = "Read a reservation",
    security(("api_token" = ["storefront"])),
    params(("id" = String, Path, example = "1", description = "The reservation's id.")),
    responses(
        (status = 200, description = "The reservation; `status` is `open`, `picked_up`, `released` or `expired`.", body = ReservationBody),
        (status = 404, description = "`not_found`: no such reservation (another merchant's included).", body = ErrorBody),
    ),
)]
pub(super) async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = caller.require(TokenScope::Storefront)?;
    let reservation_id = reservation_id(&id)?;
    let merchant_id = token.merchant_id;
    let reservation = run(&state, move |conn| {
        Reservation::find(conn, merchant_id, reservation_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body_of(&reservation)))
}

/// Cancels a reservation: its units are free again.
#[utoipa::path(
    delete,
    path = "/api/v1/storefront/reservations/{id}",
    tag = "storefront",
    operation_id = "storefront_cancel_reservation",
    summary = "Cancel a reservation",
    description = "Releases an open reservation's units (`status` becomes `released`). One that was picked up, released or expired already is 409 `reservation_closed`, and nothing changes.",
    security(("api_token" = ["storefront"])),
    params(("id" = String, Path, example = "1", description = "The reservation's id.")),
    responses(
        (status = 200, description = "The reservation, released.", body = ReservationBody),
        (status = 404, description = "`not_found`: no such reservation (another merchant's included).", body = ErrorBody),
        (status = 409, description = "`reservation_closed`: it was picked up, released or expired already.", body = ErrorBody),
    ),
)]
pub(super) async fn cancel(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = caller.require(TokenScope::Storefront)?;
    let reservation_id = reservation_id(&id)?;
    let merchant_id = token.merchant_id;
    let actor = Actor::api_token(&token.name);
    let reservation = run(&state, move |conn| {
        reservations::release(conn, &actor, merchant_id, reservation_id, None)
    })
    .await?;
    log::info!(
        "merchant {merchant_id}: reservation {} cancelled through the API",
        reservation.pickup_code
    );
    Ok(HttpResponse::Ok().json(body_of(&reservation)))
}
