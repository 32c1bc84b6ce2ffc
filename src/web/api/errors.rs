//! Errors as the JSON API shows them:
//! `{"error": {"code": "...", "message": "...", "details": ...}}` with the
//! right 4xx. A 500 is logged with its cause and shown without it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::ItemJson;
use crate::inventory::list_feed::FeedPositionError;
use crate::inventory::{InventoryError, Shortage};

/// Every error's body: `{"error": {"code", "message", "details"}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

/// What went wrong, for a program (`code`) and for its developer (`message`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail<'a> {
    /// Stable, snake_case; branch on it. See the codes in the API's description.
    #[schema(example = "invalid_parameter")]
    pub code: &'a str,
    /// A sentence saying what to do about it; wording may change.
    pub message: &'a str,
    /// More about the error, by code: `{"parameter"}` for `invalid_parameter`,
    /// `{"field"}` for `invalid_field`, `{"current": Item}` for
    /// `version_conflict` and `designation_rule`, the short lines for
    /// `insufficient_stock`; `null` when there is nothing more.
    #[schema(value_type = Option<Object>)]
    pub details: &'a Value,
}

/// An API error: status, a stable machine code, a message for a developer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, snake_case; clients branch on it.
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl From<FeedPositionError> for ApiError {
    fn from(error: FeedPositionError) -> ApiError {
        let parameter = match error {
            FeedPositionError::SinceAhead { .. } => "since_version",
            FeedPositionError::CursorAhead => "cursor",
        };
        ApiError::invalid_parameter(parameter, error.to_string())
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    /// 401: no token, or one that is unknown or revoked.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: a valid token of the wrong scope.
    pub fn wrong_scope(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "wrong_scope", message)
    }

    /// 422 naming a query or body parameter.
    pub fn invalid_parameter(parameter: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            message,
        )
        .with_details(json!({ "parameter": parameter }))
    }

    /// 400: a body that is not the JSON the endpoint takes.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422 naming a body field, such as `lines[2].quantity`.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
            .with_details(json!({ "field": field }))
    }

    /// 400: a stock-changing request without an `Idempotency-Key` header.
    pub fn idempotency_key_required(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "idempotency_key_required", message)
    }

    /// 410: the events after `since` are no longer all kept, so a resume from
    /// it would have a gap; `instead` says what the client does now.
    pub fn history_pruned(since: i64, floor: i64, instead: &str) -> ApiError {
        ApiError::new(
            StatusCode::GONE,
            "history_pruned",
            format!(
                "Version {since} is older than the retained history, which starts at version {floor}: {instead}."
            ),
        )
        .with_details(json!({ "since_version": since, "oldest_version": floor }))
    }

    /// The JSON body this error is sent with.
    pub fn body(&self) -> Value {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &self.message,
                details: &self.details,
            },
        };
        serde_json::to_value(&body).unwrap_or(Value::Null)
    }
}

/// 405 for a method a path does not serve, naming those it does in `Allow`.
pub fn method_not_allowed(allow: &str) -> HttpResponse {
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("This endpoint takes {allow}."),
    );
    HttpResponse::build(error.status)
        .insert_header((actix_web::http::header::ALLOW, allow.to_owned()))
        .json(error.body())
}

/// 409 for short stock: names the first short line's item, store and the
/// quantity available, and lists every short line.
fn insufficient_stock(shortages: &[Shortage]) -> ApiError {
    let message = shortages
        .iter()
        .map(|s| {
            let place = match s.location_id {
                Some(id) => format!("at location {id}"),
                None => "online".to_owned(),
            };
            format!(
                "{} has {} available {place}, {} asked for",
                s.sku, s.available, s.requested
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let first = shortages.first();
    ApiError::new(
        StatusCode::CONFLICT,
        "insufficient_stock",
        format!("Not enough stock; nothing was recorded. {message}."),
    )
    .with_details(json!({
        "item_id": first.map(|s| s.item_id),
        "sku": first.map(|s| s.sku.clone()),
        "location_id": first.and_then(|s| s.location_id),
        "available": first.map(|s| s.available),
        "requested": first.map(|s| s.requested),
        "lines": shortages,
    }))
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl From<InventoryError> for ApiError {
    fn from(error: InventoryError) -> ApiError {
        match error {
            InventoryError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            InventoryError::Invalid(field) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", field.message.clone())
                    .with_details(json!({ "field": field.field }))
            }
            InventoryError::Conflict { current } => ApiError::new(
                StatusCode::CONFLICT,
                "version_conflict",
                format!(
                    "The item changed since the version you sent; it is now at version {}. Re-read it and send that version to apply your change.",
                    current.version
                ),
            )
            .with_details(json!({ "current": ItemJson::from(current.as_ref()) })),
            InventoryError::Rule { rule, item } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "designation_rule", rule.to_string())
                    .with_details(json!({ "current": ItemJson::from(item.as_ref()) }))
            }
            InventoryError::InvalidLine { line, error } => ApiError::invalid_field(
                &format!("lines[{line}].{}", error.field),
                error.message,
            ),
            InventoryError::InsufficientStock(shortages) => insufficient_stock(&shortages),
            InventoryError::IdempotencyKeyReused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request. Use a fresh key for a new request; resend the same body to retry.",
            ),
            InventoryError::NotAllowed(message) => ApiError::wrong_scope(message),
            InventoryError::TooMany(message) => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_reservations", message)
            }
            InventoryError::Closed(message) => {
                ApiError::new(StatusCode::CONFLICT, "reservation_closed", message)
            }
            InventoryError::LinkSpent(message) => {
                ApiError::new(StatusCode::GONE, "link_spent", message)
            }
            InventoryError::HistoryPruned { since, floor } => ApiError::history_pruned(
                since,
                floor,
                "read the full list (GET /api/v1/storefront/items without since_version) and go on from its catalog_version",
            ),
            InventoryError::Unavailable(detail) => {
                log::error!("database unavailable: {detail}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The database is unavailable; retry shortly.",
                )
            }
            other => {
                log::error!("internal error: {other}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "shelfsync could not finish the request.",
                )
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // The database is away: ask clients to come back shortly, as the
            // dashboard's error pages do.
            response.insert_header((actix_web::http::header::RETRY_AFTER, "5"));
        }
        response.json(self.body())
    }
}
