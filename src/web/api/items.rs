//! `GET` and `PATCH /api/v1/items/{id}` (admin tokens): read an item with its
//! version, and change its designations and fields with that version in one
//! transaction, through the item writer (`inventory::change_item`) that every
//! dashboard edit and designation button goes through too.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::auth::ApiCaller;
use super::errors::{ApiError, ErrorBody};
use super::{ItemJson, Operations};
use crate::domain::{
    Barcode, Currency, Description, FieldError, ItemName, Money, OnlineListing, Sku, TokenScope,
};
use crate::inventory::lists::OnlineListingJson;
use crate::inventory::{
    self, Actor, DesignationChange, FieldEdits, Item, ItemChange, ItemUpdate, change_item,
};
use crate::web::{AppState, run};

pub fn register(operations: &mut Operations) {
    operations.add::<__path_show, _, _>(show);
    operations.add::<__path_patch, _, _>(patch);
}

/// An item and the catalog version it was read or changed at.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ItemResponse)]
struct ItemBody {
    item: ItemJson,
    /// The merchant's catalog version after the request.
    catalog_version: i64,
    /// For a PATCH: false when the item already had every value sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    changed: Option<bool>,
}

/// An item id from the path; anything else names no item.
fn item_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "item not found"))
}

#[utoipa::path(
    get,
    path = "/api/v1/items/{id}",
    tag = "admin",
    operation_id = "show_item",
    summary = "Read an item with its version",
    security(("api_token" = ["admin"])),
    params(("id" = String, Path, example = "1", description = "The item's id.")),
    responses(
        (status = 200, description = "The item.", body = ItemBody),
        (status = 404, description = "`not_found`: no such item (another merchant's items included).", body = ErrorBody),
    ),
)]
pub(super) async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = caller.require(TokenScope::Admin)?.merchant_id;
    let item_id = item_id(&id)?;
    let (item, catalog_version) = run(&state, move |conn| {
        conn.read_transaction(|conn| {
            Ok((
                Item::find(conn, merchant_id, item_id)?,
                inventory::catalog_version(conn, merchant_id)?,
            ))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(ItemBody {
        item: ItemJson::from(&item),
        catalog_version,
        changed: None,
    }))
}

#[utoipa::path(
    patch,
    path = "/api/v1/items/{id}",
    tag = "admin",
    operation_id = "change_item",
    summary = "Change an item's designations and fields",
    description = "Send the item's `version` as you read it with the values to change; everything sent is applied together, as one new item version and one catalog version, or not at all. A stale version is 409, never a silent overwrite.",
    security(("api_token" = ["admin"])),
    params(("id" = String, Path, example = "1", description = "The item's id.")),
    request_body = ItemPatch,
    responses(
        (status = 200, description = "The item after the change; `changed` is false when it already had every value sent.", body = ItemBody),
        (status = 400, description = "`bad_request`: the body is not a JSON object.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such item (another merchant's items included).", body = ErrorBody),
        (status = 409, description = "`version_conflict`: the item changed since `version`; `details.current` is the item now.", body = ErrorBody),
        (status = 422, description = "`invalid_field`: a bad or read-only field, named in `details.field`; `designation_rule`: e.g. view-only needs the item sold in store, `details.current` is the item.", body = ErrorBody),
    ),
)]
pub(super) async fn patch(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let token = caller.require(TokenScope::Admin)?;
    let merchant_id = token.merchant_id;
    let actor = Actor::api_token(&token.name);
    let item_id = item_id(&id)?;
    crate::web::input::check_json(&body).map_err(crate::web::input::json_refusal)?;
    let (version, update) = parse_patch(&body)?;
    let outcome = run(&state, move |conn| {
        change_item(
            conn,
            &actor,
            merchant_id,
            item_id,
            version,
            &ItemChange::Update(update),
        )
    })
    .await?;
    if outcome.changed {
        log::info!(
            "merchant {merchant_id}: item {item_id} changed through the API at catalog version {}",
            outcome.catalog_version
        );
    }
    Ok(HttpResponse::Ok().json(ItemBody {
        item: ItemJson::from(&outcome.item),
        catalog_version: outcome.catalog_version,
        changed: Some(outcome.changed),
    }))
}

/// 422 naming a field of the body.
fn invalid_field(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
        .with_details(json!({ "field": field }))
}

fn field_error(error: FieldError) -> ApiError {
    invalid_field(error.field, error.message)
}

fn text<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid_field(field, format!("{field} must be a string"))),
    }
}

/// A change to an item: its `version` and any of the values below.
#[derive(utoipa::ToSchema)]
#[schema(as = ItemChange)]
#[allow(dead_code)] // Described for the contract; `parse_patch` reads it by hand to name each bad field.
struct ItemPatch {
    /// The item's version as you read it.
    #[schema(minimum = 0)]
    version: i64,
    /// For sale at the store counter.
    #[schema(required = false)]
    in_store: bool,
    #[schema(required = false)]
    online: OnlineListingJson,
    #[schema(required = false)]
    sku: String,
    #[schema(required = false)]
    name: String,
    #[schema(required = false)]
    description: String,
    #[schema(required = false)]
    price: PriceJson,
    /// `null` removes it.
    #[schema(nullable)]
    barcode: Option<String>,
}

/// A price to set: minor units and an ISO 4217 currency.
#[derive(utoipa::ToSchema)]
#[schema(as = PriceInput)]
#[allow(dead_code)] // Described for the contract; `parse_price` reads it by hand.
struct PriceJson {
    /// Minor units (cents), 0 or more.
    #[schema(minimum = 0)]
    amount: i64,
    #[schema(example = "USD")]
    currency: String,
}

/// The fields a PATCH body may carry.
const WRITABLE: [&str; 8] = [
    "version",
    "in_store",
    "online",
    "sku",
    "name",
    "description",
    "price",
    "barcode",
];

/// Parses `{"version": 3, "in_store": true, "online": "for_sale", "name": …,
/// "price": {"amount": 1450, "currency": "USD"}, "barcode": null, …}`; every
/// field but `version` is optional and an absent one is left as it is.
fn parse_patch(body: &Value) -> Result<(i64, ItemUpdate), ApiError> {
    let Value::Object(body) = body else {
        return Err(ApiError::bad_request("The body must be a JSON object."));
    };
    if let Some(unknown) = body.keys().find(|k| !WRITABLE.contains(&k.as_str())) {
        let why = if ["id", "archived", "changed_version", "updated_at"].contains(&unknown.as_str())
        {
            format!("{unknown} is read-only")
        } else {
            format!(
                "Unknown field {unknown:?}; a change may carry {}",
                WRITABLE.join(", ")
            )
        };
        return Err(invalid_field(unknown, why));
    }
    let version = match body.get("version") {
        Some(Value::Number(n)) => n.as_i64().filter(|v| *v >= 0),
        _ => None,
    }
    .ok_or_else(|| {
        invalid_field(
            "version",
            "Send the item's version as you read it, e.g. \"version\": 3; a stale one is refused with 409",
        )
    })?;
    let in_store = match body.get("in_store") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(invalid_field("in_store", "in_store must be true or false")),
    };
    let online = text(body, "online")?
        .map(OnlineListing::parse)
        .transpose()
        .map_err(field_error)?;
    let sku = text(body, "sku")?
        .map(Sku::parse)
        .transpose()
        .map_err(field_error)?;
    let name = text(body, "name")?
        .map(ItemName::parse)
        .transpose()
        .map_err(field_error)?;
    let description = text(body, "description")?
        .map(Description::parse)
        .transpose()
        .map_err(field_error)?;
    let barcode = match body.get("barcode") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Barcode::parse_optional(s).map_err(field_error)?),
        Some(_) => return Err(invalid_field("barcode", "barcode must be a string or null")),
    };
    let price = body.get("price").map(parse_price).transpose()?;
    Ok((
        version,
        ItemUpdate {
            fields: FieldEdits {
                sku,
                name,
                description,
                price,
                barcode,
            },
            designation: DesignationChange { in_store, online },
        },
    ))
}

fn parse_price(price: &Value) -> Result<Money, ApiError> {
    let shape = || {
        invalid_field(
            "price",
            "price must be {\"amount\": <minor units, e.g. 1450 for 14.50>, \"currency\": \"USD\"}",
        )
    };
    let Value::Object(price) = price else {
        return Err(shape());
    };
    if price.keys().any(|k| k != "amount" && k != "currency") {
        return Err(shape());
    }
    let amount = price
        .get("amount")
        .and_then(Value::as_i64)
        .ok_or_else(shape)?;
    let currency = price
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(shape)?;
    let currency = Currency::parse(currency)
        .map_err(|e| invalid_field("price", format!("price.currency: {}", e.message)))?;
    Money::from_minor(amount, currency).map_err(field_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(body: Value) -> String {
        let error = parse_patch(&body).expect_err("invalid");
        error.details["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn a_patch_needs_a_version_and_names_each_bad_field() {
        assert_eq!(field_of(json!({"online": "for_sale"})), "version");
        assert_eq!(field_of(json!({"version": "3"})), "version");
        assert_eq!(field_of(json!({"version": 3, "online": "sold"})), "online");
        assert_eq!(
            field_of(json!({"version": 3, "in_store": "yes"})),
            "in_store"
        );
        assert_eq!(field_of(json!({"version": 3, "price": 14.5})), "price");
        assert_eq!(
            field_of(json!({"version": 3, "price": {"amount": -1, "currency": "USD"}})),
            "price"
        );
        assert_eq!(field_of(json!({"version": 3, "name": ""})), "name");
        assert_eq!(field_of(json!({"version": 3, "colour": "red"})), "colour");
        assert_eq!(field_of(json!({"version": 3, "id": 4})), "id");
    }

    #[test]
    fn a_patch_carries_only_what_was_sent() {
        let (version, update) = parse_patch(&json!({
            "version": 3,
            "online": "view_only",
            "price": {"amount": 1450, "currency": "usd"},
            "barcode": null
        }))
        .expect("valid");
        assert_eq!(version, 3);
        assert_eq!(update.designation.online, Some(OnlineListing::ViewOnly));
        assert_eq!(update.designation.in_store, None);
        assert_eq!(update.fields.price.map(|p| p.amount_minor), Some(1450));
        assert_eq!(update.fields.barcode, Some(None));
        assert_eq!(update.fields.name, None);
    }
}
