//! `/api/v1/webhooks/endpoints` (admin tokens): the merchant's webhook
//! endpoints without the dashboard — list, add (the secret is in the answer
//! this once), change, delete, rotate the secret, redeliver every event since
//! a version, and page through an endpoint's delivery log. Each calls the
//! same service function as the dashboard's settings page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::Operations;
use super::auth::ApiCaller;
use super::errors::{ApiError, ErrorBody};
use crate::domain::{EventTypes, FieldError, TokenScope, WebhookUrl};
use crate::inventory::webhooks::history::{self, LogCursor, LogQuery};
use crate::inventory::webhooks::{
    self, DeliveryLogEntry, DeliveryStatus, EndpointChange, IssuedSecret, WebhookEndpoint,
};
use crate::web::{AppState, run};

pub fn register(operations: &mut Operations) {
    operations.add::<__path_list, _, _>(list);
    operations.add::<__path_create, _, _>(create);
    operations.add::<__path_show, _, _>(show);
    operations.add::<__path_change, _, _>(change);
    operations.add::<__path_delete, _, _>(delete);
    operations.add::<__path_rotate, _, _>(rotate);
    operations.add::<__path_redeliver, _, _>(redeliver);
    operations.add::<__path_deliveries, _, _>(deliveries);
}

/// A webhook endpoint as the API shows it (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = WebhookEndpoint)]
pub struct EndpointJson {
    pub id: i64,
    /// Where events are POSTed.
    pub url: String,
    /// Whether events are being sent; a disabled endpoint keeps its place.
    pub enabled: bool,
    /// The event types sent to it, sorted.
    pub event_types: Vec<String>,
    /// The first characters of the current secret, to tell secrets apart.
    pub secret_hint: String,
    /// Until when the secret replaced by the last rotation still signs too.
    #[schema(value_type = Option<String>, example = "2026-11-27T10:15:02.123456")]
    pub previous_secret_expires_at: Option<chrono::NaiveDateTime>,
    /// Every event up to this catalog version has been delivered or given up.
    pub delivered_through_version: i64,
    #[schema(value_type = String, example = "2026-11-27T10:15:02.123456")]
    pub created_at: chrono::NaiveDateTime,
}

impl From<&WebhookEndpoint> for EndpointJson {
    fn from(endpoint: &WebhookEndpoint) -> EndpointJson {
        EndpointJson {
            id: endpoint.id,
            url: endpoint.url.clone(),
            enabled: endpoint.enabled,
            event_types: endpoint
                .event_types
                .names()
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
            secret_hint: endpoint.secret_hint.clone(),
            previous_secret_expires_at: endpoint.previous_secret_expires_at,
            delivered_through_version: endpoint.cursor.catalog_version,
            created_at: endpoint.created_at,
        }
    }
}

/// The answer to `GET /webhooks/endpoints`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    pub endpoints: Vec<EndpointJson>,
}

/// The answer to a create or a rotation: the endpoint, and its new signing
/// secret (`whsec_…`), which is shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    pub endpoint: EndpointJson,
    pub secret: String,
}

impl From<IssuedSecret> for EndpointWithSecret {
    fn from(issued: IssuedSecret) -> EndpointWithSecret {
        EndpointWithSecret {
            endpoint: EndpointJson::from(&issued.endpoint),
            secret: issued.secret,
        }
    }
}

/// The answer to `POST …/redeliver`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedeliveryJson {
    pub endpoint_id: i64,
    /// Every event after this catalog version is queued again.
    pub since_version: i64,
    /// How many events now wait for the endpoint, in order.
    pub queued: i64,
}

/// One line of the delivery log: one event to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryJson {
    pub id: i64,
    /// The event id receivers see (`evt_…`, also the `webhook-id` header).
    pub event_id: String,
    pub catalog_version: i64,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    #[schema(value_type = String, example = "delivered")]
    pub status: &'static str,
    /// Attempts made, resends included.
    pub attempts: i32,
    #[schema(value_type = Option<String>, example = "2026-11-27T10:15:02.123456")]
    pub next_attempt_at: Option<chrono::NaiveDateTime>,
    #[schema(value_type = Option<String>, example = "2026-11-27T10:15:02.123456")]
    pub last_attempt_at: Option<chrono::NaiveDateTime>,
    /// The receiver's last HTTP status, when it answered.
    pub last_status_code: Option<i32>,
    /// Why the last attempt did not count: at most a short excerpt of the answer.
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>, example = "2026-11-27T10:15:02.123456")]
    pub delivered_at: Option<chrono::NaiveDateTime>,
}

impl From<DeliveryLogEntry> for DeliveryJson {
    fn from(entry: DeliveryLogEntry) -> DeliveryJson {
        DeliveryJson {
            event_id: entry.public_event_id(),
            id: entry.id,
            catalog_version: entry.catalog_version,
            event_type: entry.event_type,
            status: entry.status.as_str(),
            attempts: entry.attempts,
            next_attempt_at: entry.next_attempt_at,
            last_attempt_at: entry.last_attempt_at,
            last_status_code: entry.last_status_code,
            last_error: entry.last_error,
            delivered_at: entry.delivered_at,
        }
    }
}

/// The answer to `GET …/deliveries`: newest event first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryJson>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The body of a create (`url` required) or a change (any of the fields).
#[derive(ToSchema)]
#[schema(as = WebhookEndpointRequest)]
#[allow(dead_code)] // Described for the contract; `parse_body` reads it field by field to name each bad one.
struct EndpointRequest {
    /// `https://…`, or `http://` to a host that resolves to a public address.
    #[schema(example = "https://shop.example.com/hooks/shelfsync")]
    url: Option<String>,
    /// Event types to send; on create, the storefront types when left out.
    #[schema(example = json!(["item.listing_changed", "item.stock_changed"]))]
    event_types: Option<Vec<String>>,
    /// Pause (false) or resume (true) deliveries; a new endpoint starts enabled.
    enabled: Option<bool>,
}

/// An endpoint id from the path; anything else names no endpoint.
fn endpoint_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "webhook endpoint not found",
        )
    })
}

fn admin(caller: &ApiCaller) -> Result<i64, ApiError> {
    Ok(caller.require(TokenScope::Admin)?.merchant_id)
}

fn invalid(error: FieldError) -> ApiError {
    ApiError::invalid_field(error.field, error.message)
}

/// The body of a create or a change, read field by field so a wrong type
/// is a 422 naming the field rather than a generic 400.
fn parse_body(body: &Value, creating: bool) -> Result<EndpointChange, ApiError> {
    let fields = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("The body must be a JSON object."))?;
    if let Some(unknown) = fields
        .keys()
        .find(|key| !matches!(key.as_str(), "url" | "event_types" | "enabled"))
    {
        return Err(ApiError::invalid_field(
            unknown,
            format!(
                "{unknown:?} is not a webhook endpoint field; use url, event_types and enabled"
            ),
        ));
    }
    let url = match fields.get("url") {
        None if creating => {
            return Err(ApiError::invalid_field("url", "url is required"));
        }
        None => None,
        Some(Value::String(raw)) => Some(WebhookUrl::parse(raw).map_err(invalid)?),
        Some(_) => return Err(ApiError::invalid_field("url", "url must be a string")),
    };
    let event_types = match fields.get("event_types") {
        None | Some(Value::Null) if creating => Some(EventTypes::storefront()),
        None | Some(Value::Null) => None,
        Some(Value::Array(names)) => {
            let names = names
                .iter()
                .map(|name| {
                    name.as_str().ok_or_else(|| {
                        ApiError::invalid_field("event_types", "event_types must be strings")
                    })
                })
                .collect::<Result<Vec<&str>, ApiError>>()?;
            Some(EventTypes::parse(names).map_err(invalid)?)
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "event_types",
                "event_types must be an array of event type names",
            ));
        }
    };
    let enabled = match fields.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(enabled)) => Some(*enabled),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "enabled",
                "enabled must be true or false",
            ));
        }
    };
    Ok(EndpointChange {
        url,
        enabled,
        event_types,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks/endpoints",
    tag = "admin",
    operation_id = "webhook_endpoints_list",
    summary = "List the webhook endpoints",
    security(("api_token" = ["admin"])),
    responses(
        (status = 200, description = "Every endpoint, oldest first; never a secret.", body = EndpointList),
    ),
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = admin(&caller)?;
    let endpoints = run(&state, move |conn| {
        webhooks::list_endpoints(conn, merchant_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(EndpointList {
        endpoints: endpoints.iter().map(EndpointJson::from).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks/endpoints/{id}",
    tag = "admin",
    operation_id = "webhook_endpoints_show",
    summary = "Show a webhook endpoint",
    security(("api_token" = ["admin"])),
    params(("id" = String, Path, example = "1", description = "The endpoint's id.")),
    responses(
        (status = 200, description = "The endpoint; never its secret.", body = EndpointJson),
        (status = 404, description = "`not_found`: no such endpoint of this merchant.", body = ErrorBody)
    ),
)]
pub(super) async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = admin(&caller)?;
    let endpoint_id = endpoint_id(&id)?;
    let endpoint = run(&state, move |conn| {
        webhooks::find_endpoint(conn, merchant_id, endpoint_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(EndpointJson::from(&endpoint)))
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks/endpoints",
    tag = "admin",
    operation_id = "webhook_endpoints_create",
    summary = "Add a webhook endpoint",
    description = "Deliveries to it are signed per Standard Webhooks with the returned `whsec_` secret. The URL must reach a public address.",
    security(("api_token" = ["admin"])),
    request_body = EndpointRequest,
    responses(
        (status = 201, description = "Added; `secret` is shown this once.", body = EndpointWithSecret,
            headers(("Location" = String, description = "The new endpoint."))),
        (status = 400, description = "`bad_request`: the body is not a JSON object.", body = ErrorBody),
        (status = 422, description = "`invalid_field`: a bad field, named in `details.field` (a URL that is not public, an unknown event type, …).", body = ErrorBody)
    ),
)]
pub(super) async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = admin(&caller)?;
    let change = parse_body(&body, true)?;
    let (Some(url), Some(event_types)) = (change.url, change.event_types) else {
        return Err(ApiError::invalid_field("url", "url is required"));
    };
    let destinations = state.push.destinations;
    if change.enabled == Some(false) {
        return Err(ApiError::invalid_field(
            "enabled",
            "A new endpoint starts enabled; PATCH it with \"enabled\": false to pause it.",
        ));
    }
    let issued = run(&state, move |conn| {
        webhooks::create_endpoint(conn, merchant_id, &url, &event_types, destinations)
    })
    .await?;
    log::info!(
        "merchant {merchant_id}: API token {} added webhook endpoint {}",
        caller.token.id,
        issued.endpoint.id
    );
    state.push.dispatcher.wake();
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/webhooks/endpoints/{}", issued.endpoint.id),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(EndpointWithSecret::from(issued)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/endpoints/{id}",
    tag = "admin",
    operation_id = "webhook_endpoints_change",
    summary = "Change a webhook endpoint",
    security(("api_token" = ["admin"])),
    params(("id" = String, Path, example = "1", description = "The endpoint's id.")),
    request_body = EndpointRequest,
    responses(
        (status = 200, description = "The endpoint as changed.", body = EndpointJson),
        (status = 400, description = "`bad_request`: the body is not a JSON object.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such endpoint of this merchant.", body = ErrorBody),
        (status = 422, description = "`invalid_field`: a bad field, named in `details.field` (a URL that is not public, an unknown event type, …).", body = ErrorBody)
    ),
)]
pub(super) async fn change(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = admin(&caller)?;
    let endpoint_id = endpoint_id(&id)?;
    let change = parse_body(&body, false)?;
    let destinations = state.push.destinations;
    let endpoint = run(&state, move |conn| {
        webhooks::change_endpoint(conn, merchant_id, endpoint_id, &change, destinations)
    })
    .await?;
    state.push.dispatcher.wake();
    Ok(HttpResponse::Ok().json(EndpointJson::from(&endpoint)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/endpoints/{id}",
    tag = "admin",
    operation_id = "webhook_endpoints_delete",
    summary = "Delete a webhook endpoint",
    security(("api_token" = ["admin"])),
    params(("id" = String, Path, example = "1", description = "The endpoint's id.")),
    responses(
        (status = 204, description = "Deleted; nothing more is sent to it."),
        (status = 404, description = "`not_found`: no such endpoint of this merchant.", body = ErrorBody)
    ),
)]
pub(super) async fn delete(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = admin(&caller)?;
    let endpoint_id = endpoint_id(&id)?;
    run(&state, move |conn| {
        webhooks::delete_endpoint(conn, merchant_id, endpoint_id)
    })
    .await?;
    log::info!(
        "merchant {merchant_id}: API token {} removed webhook endpoint {endpoint_id}",
        caller.token.id
    );
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks/endpoints/{id}/rotate",
    tag = "admin",
    operation_id = "webhook_endpoints_rotate",
    summary = "Rotate the signing secret",
    security(("api_token" = ["admin"])),
    params(("id" = String, Path, example = "1", description = "The endpoint's id.")),
    responses(
        (status = 200, description = "The new `secret`, shown this once; the previous one keeps signing too until `previous_secret_expires_at`.", body = EndpointWithSecret),
        (status = 404, description = "`not_found`: no such endpoint of this merchant.", body = ErrorBody)
    ),
)]
pub(super) async fn rotate(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = admin(&caller)?;
    let endpoint_id = endpoint_id(&id)?;
    let grace = state.push.secret_grace;
    let issued = run(&state, move |conn| {
        webhooks::rotate_secret(conn, merchant_id, endpoint_id, grace)
    })
    .await?;
    log::info!(
        "merchant {merchant_id}: API token {} rotated the secret of webhook endpoint {endpoint_id}",
        caller.token.id
    );
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(EndpointWithSecret::from(issued)))
}

#[derive(Debug, Deserialize)]
pub(super) struct RedeliverQuery {
    since_version: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks/endpoints/{id}/redeliver",
    tag = "admin",
    operation_id = "webhook_endpoints_redeliver",
    summary = "Redeliver every event since a version",
    security(("api_token" = ["admin"])),
    params(("id" = String, Path, example = "1", description = "The endpoint's id."),
        ("since_version" = i64, Query, description = "Every event after this catalog version is queued again, in order.")),
    responses(
        (status = 202, description = "Queued.", body = RedeliveryJson),
        (status = 404, description = "`not_found`: no such endpoint of this merchant.", body = ErrorBody),
        (status = 410, description = "`history_pruned`: `since_version` is older than the retained history (events before `details.oldest_version` were pruned); nothing was queued.", body = ErrorBody),
        (status = 422, description = "`invalid_parameter`: `since_version` is missing, not a whole number, or ahead of the catalog.", body = ErrorBody),
    ),
)]
pub(super) async fn redeliver(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    query: web::Query<RedeliverQuery>,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = admin(&caller)?;
    let endpoint_id = endpoint_id(&id)?;
    let raw = query.since_version.as_deref().map(str::trim).unwrap_or("");
    let since = raw.parse::<i64>().map_err(|_| {
        ApiError::invalid_parameter(
            "since_version",
            format!("since_version must be a catalog version (a whole number), not {raw:?}."),
        )
    })?;
    let done = run(&state, move |conn| {
        webhooks::redeliver_since(conn, merchant_id, endpoint_id, since)
    })
    .await
    .map_err(|error| match error {
        crate::inventory::InventoryError::Invalid(field) => {
            ApiError::invalid_parameter(field.field, field.message)
        }
        crate::inventory::InventoryError::HistoryPruned { since, floor } => {
            ApiError::history_pruned(
                since,
                floor,
                &format!("redeliver since version {floor} or later, and read the full list (GET /api/v1/storefront/items) for what came before"),
            )
        }
        other => other.into(),
    })?;
    log::info!(
        "merchant {merchant_id}: API token {} re-queued webhook endpoint {endpoint_id} since version {since}",
        caller.token.id
    );
    state.push.dispatcher.wake();
    Ok(HttpResponse::Accepted().json(RedeliveryJson {
        endpoint_id: done.endpoint.id,
        since_version: done.since_version,
        queued: done.queued,
    }))
}

#[derive(Debug, Deserialize)]
pub(super) struct DeliveriesQuery {
    status: Option<String>,
    event_type: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

impl DeliveriesQuery {
    fn parse(&self) -> Result<LogQuery, ApiError> {
        let param = |error: FieldError| ApiError::invalid_parameter(error.field, error.message);
        let statuses = match self.status.as_deref() {
            None | Some("") => Vec::new(),
            Some(raw) => vec![DeliveryStatus::from_param(raw).map_err(param)?],
        };
        let event_type = match self.event_type.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(LogQuery::event_type(raw).map_err(param)?),
        };
        let before = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(LogCursor::parse(raw, "cursor").map_err(param)?),
        };
        let limit = match self.limit.as_deref() {
            None | Some("") => 100,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=history::MAX_LOG_PAGE).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_parameter(
                        "limit",
                        format!(
                            "limit must be a whole number from 1 to {}, not {raw:?}",
                            history::MAX_LOG_PAGE
                        ),
                    )
                })?,
        };
        Ok(LogQuery {
            statuses,
            event_type,
            before,
            limit,
        })
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks/endpoints/{id}/deliveries",
    tag = "admin",
    operation_id = "webhook_endpoints_deliveries",
    summary = "Page through the delivery log",
    security(("api_token" = ["admin"])),
    params(("id" = String, Path, example = "1", description = "The endpoint's id."),
        ("status" = Option<String>, Query, description = "`pending`, `delivered` or `failed`."),
        ("event_type" = Option<String>, Query, description = "One event type."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page."),
        ("limit" = Option<i64>, Query, description = "1 to 500, default 100.")),
    responses(
        (status = 200, description = "Newest event first.", body = DeliveryPage),
        (status = 404, description = "`not_found`: no such endpoint of this merchant.", body = ErrorBody),
        (status = 422, description = "`invalid_parameter`: a bad filter, cursor or limit, named in `details.parameter`.", body = ErrorBody),
    ),
)]
pub(super) async fn deliveries(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = admin(&caller)?;
    let endpoint_id = endpoint_id(&id)?;
    let query = query.parse()?;
    let page = run(&state, move |conn| {
        history::delivery_log(conn, merchant_id, endpoint_id, &query)
    })
    .await?;
    Ok(HttpResponse::Ok().json(DeliveryPage {
        deliveries: page.entries.into_iter().map(DeliveryJson::from).collect(),
        next_cursor: page.next.map(|cursor| cursor.to_string()),
    }))
}
