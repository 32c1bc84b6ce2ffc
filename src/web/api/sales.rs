//! `POST /api/v1/pos/sales`: the device at a store records a sale there, and
//! the online store sees the new count at once.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::auth::ApiCaller;
use super::errors::ApiError;
use super::stock_request::{
    fingerprint, idempotency_key, json_object, lines, optional_text, reply,
};
use crate::domain::TokenScope;
use crate::inventory::orders::{SaleRequest, record_sale};
use crate::inventory::{Actor, InventoryError};
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/pos/sales", web::post().to(create));
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let token = caller.require(TokenScope::Pos)?;
    let location_id = token.location_id.ok_or_else(|| {
        ApiError::from(InventoryError::Corrupt(format!(
            "pos token {} has no store",
            token.id
        )))
    })?;
    let key = idempotency_key(&req)?;
    // The store is implied by the token, so it is part of what was asked.
    let fingerprint = fingerprint(&req, &format!("location:{location_id}"), &body);
    let object = json_object(&body)?;
    let occurred_at = match object.get("occurred_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => Some(
            chrono::DateTime::parse_from_rfc3339(raw.trim())
                .map_err(|_| {
                    ApiError::invalid_field(
                        "occurred_at",
                        "occurred_at must be an RFC 3339 time such as 2026-11-27T14:05:00Z",
                    )
                })?
                .naive_utc(),
        ),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "occurred_at",
                "occurred_at must be an RFC 3339 time such as 2026-11-27T14:05:00Z",
            ));
        }
    };
    let record_anyway = match object.get("record_anyway") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "record_anyway",
                "record_anyway must be true or false",
            ));
        }
    };
    let request = SaleRequest {
        location_id,
        lines: lines(&object)?,
        occurred_at,
        record_anyway,
        external_reference: optional_text(&object, "reference")?,
    };
    let (merchant_id, actor) = (token.merchant_id, Actor::api_token(&token.name));
    let outcome = run(&state, move |conn| {
        record_sale(conn, &actor, merchant_id, &key, &fingerprint, &request)
    })
    .await?;
    Ok(reply("sale", &outcome))
}
