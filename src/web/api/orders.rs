//! `POST /api/v1/storefront/orders`: the online store records an order, and
//! the stock it takes is gone from the counter's count at once.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::Operations;
use super::auth::ApiCaller;
use super::errors::{ApiError, ErrorBody};
use super::stock_request::{
    LineJson, fingerprint, id, idempotency_key, json_object, lines, optional_text, reply,
};
use crate::domain::TokenScope;
use crate::inventory::Actor;
use crate::inventory::orders::{Fulfilment, OrderReceipt, OrderRequest, place_order};
use crate::web::{AppState, run};

pub fn register(operations: &mut Operations) {
    operations.add::<__path_create, _, _>(create);
}

/// An online order as the storefront sends it.
#[derive(utoipa::ToSchema)]
#[schema(as = OrderRequest)]
#[allow(dead_code)] // Described for the contract; `create` parses it by hand to name each bad field.
struct OrderJson {
    #[schema(min_items = 1)]
    lines: Vec<LineJson>,
    fulfilment: Fulfilment,
    /// The storefront's own order number.
    reference: Option<String>,
}

/// A placed order.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Described for the contract; `reply` writes it.
struct OrderPlaced {
    order: OrderReceipt,
}

/// `{"type": "ship"}` or `{"type": "pickup", "location_id": 3}`.
fn fulfilment(value: Option<&Value>) -> Result<Fulfilment, ApiError> {
    let invalid = || {
        ApiError::invalid_field(
            "fulfilment",
            "fulfilment must be {\"type\": \"ship\"} or {\"type\": \"pickup\", \"location_id\": …}",
        )
    };
    let Some(Value::Object(object)) = value else {
        return Err(invalid());
    };
    match object.get("type").and_then(Value::as_str) {
        Some("ship") => Ok(Fulfilment::Ship),
        Some("pickup") => Ok(Fulfilment::Pickup {
            location_id: id(object.get("location_id"), "fulfilment.location_id")?,
        }),
        _ => Err(invalid()),
    }
}

/// Records an online order: its stock is gone from the stores' counts at once.
#[utoipa::path(
    post,
    path = "/api/v1/storefront/orders",
    tag = "storefront",
    operation_id = "storefront_create_order",
    summary = "Place an online order",
    description = "All or nothing: when stock is short nothing is recorded (409). Send a fresh `Idempotency-Key` per order; a retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`, and no second order.",
    security(("api_token" = ["storefront"])),
    params(
        ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "A fresh random value (such as a UUID) per order; resend it to retry safely."),
    ),
    request_body = OrderJson,
    responses(
        (status = 201, description = "The order is placed.", body = OrderPlaced,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the answer to an earlier request with this key."))),
        (status = 400, description = "`bad_request`: the body is not a JSON object; `idempotency_key_required`: no or a malformed `Idempotency-Key`.", body = ErrorBody),
        (status = 409, description = "`insufficient_stock`: nothing was recorded; `details` names the first short line and `details.lines` every one.", body = ErrorBody,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the answer to an earlier request with this key."))),
        (status = 422, description = "`invalid_field`: a bad field, named in `details.field` (`lines[0].quantity`, `fulfilment.location_id`, …); `idempotency_key_reused`: the key was used for another body.", body = ErrorBody),
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
    let object = json_object(&body)?;
    let request = OrderRequest {
        lines: lines(&object)?,
        fulfilment: fulfilment(object.get("fulfilment"))?,
        external_reference: optional_text(&object, "reference")?,
    };
    let (merchant_id, actor) = (token.merchant_id, Actor::api_token(&token.name));
    let outcome = run(&state, move |conn| {
        place_order(conn, &actor, merchant_id, &key, &fingerprint, &request)
    })
    .await?;
    Ok(reply("order", &outcome))
}
