//! `POST /api/v1/pos/sales`: the device at a store records a sale there, and
//! the online store sees the new count at once.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::Operations;
use super::auth::ApiCaller;
use super::errors::{ApiError, ErrorBody};
use super::stock_request::{
    LineJson, fingerprint, idempotency_key, json_object, lines, optional_text, reply,
};
use crate::domain::TokenScope;
use crate::inventory::orders::{SaleReceipt, SaleRequest, record_sale};
use crate::inventory::{Actor, InventoryError};
use crate::web::{AppState, run};

pub fn register(operations: &mut Operations) {
    operations.add::<__path_create, _, _>(create);
}

/// A sale at the token's store as its device sends it.
#[derive(utoipa::ToSchema)]
#[schema(as = SaleRequest)]
#[allow(dead_code)] // Described for the contract; `create` parses it by hand to name each bad field.
struct SaleJson {
    #[schema(min_items = 1)]
    lines: Vec<LineJson>,
    /// When the sale happened (RFC 3339); now when left out.
    #[schema(format = DateTime)]
    occurred_at: Option<String>,
    /// Record it even when stock is short (it happened); the level may go
    /// below zero and is flagged.
    record_anyway: Option<bool>,
    /// The device's own receipt number.
    reference: Option<String>,
}

/// A recorded sale.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Described for the contract; `reply` writes it.
struct SaleRecorded {
    sale: SaleReceipt,
}

/// Records a sale at the token's store: the online store sees the new count at once.
#[utoipa::path(
    post,
    path = "/api/v1/pos/sales",
    tag = "pos",
    operation_id = "pos_record_sale",
    summary = "Record a sale at the token's store",
    description = "All or nothing: when stock is short nothing is recorded (409) unless `record_anyway` is true. Send a fresh `Idempotency-Key` per sale; a retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`, and no second sale.",
    security(("api_token" = ["pos"])),
    params(
        ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "A fresh random value (such as a UUID) per sale; resend it to retry safely."),
    ),
    request_body = SaleJson,
    responses(
        (status = 201, description = "The sale is recorded.", body = SaleRecorded,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the answer to an earlier request with this key."))),
        (status = 400, description = "`bad_request`: the body is not a JSON object; `idempotency_key_required`: no or a malformed `Idempotency-Key`.", body = ErrorBody),
        (status = 409, description = "`insufficient_stock`: nothing was recorded; `details` names the first short line and `details.lines` every one.", body = ErrorBody,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the answer to an earlier request with this key."))),
        (status = 422, description = "`invalid_field`: a bad field, named in `details.field`; `idempotency_key_reused`: the key was used for another body.", body = ErrorBody),
    ),
)]
pub(super) async fn create(
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
