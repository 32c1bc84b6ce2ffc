//! What the stock-changing endpoints share: the `Idempotency-Key` header, the
//! request fingerprint, parsing order and sale lines into domain values with
//! errors that name the field, and answering with the request's outcome.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::errors::ApiError;
use crate::domain::{IdempotencyKey, Quantity};
use crate::inventory::InventoryError;
use crate::inventory::idempotency::{Fingerprint, Outcome};
use crate::inventory::orders::Line;

/// One line of an order or sale, as the contract describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Described for the contract; `lines` parses it by hand to name each bad field.
pub struct LineJson {
    #[schema(minimum = 1, example = 1)]
    pub item_id: i64,
    #[schema(minimum = 1, maximum = 1_000_000_000, example = 1)]
    pub quantity: i64,
}

/// The request header carrying the client's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The response header marking a replayed response.
pub const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";

/// The request's idempotency key; a missing or malformed one is a 400.
pub fn idempotency_key(req: &HttpRequest) -> Result<IdempotencyKey, ApiError> {
    let Some(raw) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Err(ApiError::idempotency_key_required(
            "Send an Idempotency-Key header with a fresh random value (such as a UUID) per request; resend the same key to retry safely.",
        ));
    };
    let raw = raw.to_str().unwrap_or("\u{0}");
    IdempotencyKey::parse(raw).map_err(|e| ApiError::idempotency_key_required(e.message))
}

/// The fingerprint of this request: method, path, `scope`, raw body.
pub fn fingerprint(req: &HttpRequest, scope: &str, body: &[u8]) -> Fingerprint {
    Fingerprint::of_request(req.method().as_str(), req.path(), scope, body)
}

/// The body as a JSON object; anything else is a 400, and a string holding
/// a control character is a 422 naming its field.
pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value = serde_json::from_slice::<Value>(body)
        .map_err(|error| ApiError::bad_request(format!("The body is not valid JSON: {error}")))?;
    crate::web::input::check_json(&value).map_err(crate::web::input::json_refusal)?;
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(ApiError::bad_request("The body must be a JSON object.")),
    }
}

/// A whole number from JSON, or a 422 naming `field`.
fn whole(value: &Value, field: &str) -> Result<i64, ApiError> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(v) => Ok(v),
            None if n
                .as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f.abs() > 1e9) =>
            {
                Err(ApiError::invalid_field(
                    field,
                    Quantity::too_large("quantity").message,
                ))
            }
            None => Err(ApiError::invalid_field(
                field,
                format!("{field} must be a whole number, not {n}"),
            )),
        },
        other => Err(ApiError::invalid_field(
            field,
            format!("{field} must be a whole number, not {other}"),
        )),
    }
}

/// A positive id from JSON, or a 422 naming `field`.
pub fn id(value: Option<&Value>, field: &str) -> Result<i64, ApiError> {
    let Some(value) = value else {
        return Err(ApiError::invalid_field(
            field,
            format!("{field} is required"),
        ));
    };
    let id = whole(value, field)?;
    if id < 1 {
        return Err(ApiError::invalid_field(
            field,
            format!("{field} must be a positive id"),
        ));
    }
    Ok(id)
}

/// The `lines` of an order or sale: `[{"item_id": 12, "quantity": 2}, …]`.
pub fn lines(body: &Map<String, Value>) -> Result<Vec<Line>, ApiError> {
    let Some(Value::Array(raw)) = body.get("lines") else {
        return Err(ApiError::invalid_field(
            "lines",
            "lines must be a list of {\"item_id\", \"quantity\"}",
        ));
    };
    let mut lines = Vec::with_capacity(raw.len());
    for (index, line) in raw.iter().enumerate() {
        let Value::Object(line) = line else {
            return Err(ApiError::invalid_field(
                &format!("lines[{index}]"),
                "Each line must be an object with item_id and quantity",
            ));
        };
        let item_id = id(line.get("item_id"), &format!("lines[{index}].item_id"))?;
        let field = format!("lines[{index}].quantity");
        let Some(quantity) = line.get("quantity") else {
            return Err(ApiError::invalid_field(&field, "quantity is required"));
        };
        let quantity = Quantity::new(whole(quantity, &field)?, "quantity")
            .map_err(|e| ApiError::invalid_field(&field, e.message))?;
        lines.push(Line { item_id, quantity });
    }
    Ok(lines)
}

/// An optional string field (`reference`).
pub fn optional_text(body: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        Some(Value::String(_)) => Ok(None),
        Some(_) => Err(ApiError::invalid_field(
            field,
            format!("{field} must be a string"),
        )),
    }
}

/// Answers a keyed request with its outcome, now or replayed: 201 with
/// `{"<name>": receipt}`, or 409 `insufficient_stock` naming the short lines.
/// A replay carries `Idempotent-Replayed: true` and the same body.
pub fn reply<T: serde::Serialize>(name: &'static str, outcome: &Outcome<T>) -> HttpResponse {
    let (status, body) = match outcome {
        Outcome::Done { value, .. } => (StatusCode::CREATED, serde_json::json!({ name: value })),
        Outcome::Short { shortages, .. } => {
            let error = ApiError::from(InventoryError::InsufficientStock(shortages.clone()));
            (error.status, error.body())
        }
    };
    let mut response = HttpResponse::build(status);
    response.content_type("application/json");
    if outcome.is_replay() {
        response.insert_header((IDEMPOTENT_REPLAYED, "true"));
    }
    response.body(body.to_string())
}
