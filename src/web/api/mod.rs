//! The JSON API under `/api/v1`, for the storefront's server, the store
//! devices and back-office integrations. Bearer tokens with a scope.

pub mod auth;
pub mod errors;
pub mod events;
pub mod items;
pub mod orders;
pub mod params;
pub mod pos;
pub mod sales;
pub mod stock_request;
pub mod storefront;
pub mod webhooks;

use actix_web::web;
use serde::Serialize;

use crate::inventory::Item;
use crate::inventory::lists::{OnlineListingJson, Price};
use errors::ApiError;

/// Registers `/api/v1`, with JSON and query errors in the API's own shape.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(1024 * 1024)
                    .error_handler(|err, _| {
                        ApiError::bad_request(format!(
                            "The body is not valid JSON for this endpoint: {err}"
                        ))
                        .into()
                    }),
            )
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ApiError::invalid_parameter(
                    "query",
                    format!("The query string is not valid: {err}"),
                )
                .into()
            }))
            .configure(storefront::config)
            .configure(events::config)
            .configure(orders::config)
            .configure(pos::config)
            .configure(sales::config)
            .configure(items::config)
            .configure(webhooks::config)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, ApiError>(ApiError::new(
                    actix_web::http::StatusCode::NOT_FOUND,
                    "not_found",
                    "No such API endpoint.",
                ))
            })),
    );
}

/// An item as the API returns it from writes and in conflicts.
#[derive(Debug, Clone, Serialize)]
pub struct ItemJson {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: Price,
    pub barcode: Option<String>,
    pub in_store: bool,
    pub online: OnlineListingJson,
    pub archived: bool,
    /// Send this back with a change; a stale one is refused with 409.
    pub version: i64,
    /// The catalog version at which the item last changed.
    pub changed_version: i64,
    pub updated_at: chrono::NaiveDateTime,
}

impl From<&Item> for ItemJson {
    fn from(item: &Item) -> ItemJson {
        ItemJson {
            id: item.id,
            sku: item.sku.clone(),
            name: item.name.clone(),
            description: item.description.clone(),
            price: item.price.into(),
            barcode: item.barcode.clone(),
            in_store: item.in_store(),
            online: OnlineListingJson(item.online()),
            archived: item.archived,
            version: item.version,
            changed_version: item.changed_version,
            updated_at: item.updated_at,
        }
    }
}
