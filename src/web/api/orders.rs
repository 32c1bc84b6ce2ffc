//! `POST /api/v1/storefront/orders`: the online store records an order, and
//! the stock it takes is gone from the counter's count at once.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::auth::ApiCaller;
use super::errors::ApiError;
use super::stock_request::{
    fingerprint, id, idempotency_key, json_object, lines, optional_text, reply,
};
use crate::domain::TokenScope;
use crate::inventory::Actor;
use crate::inventory::orders::{Fulfilment, OrderRequest, place_order};
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/storefront/orders", web::post().to(create));
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

async fn create(
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
