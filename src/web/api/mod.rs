//! The JSON API under `/api/v1`, for the storefront's server, the store
//! devices and back-office integrations. Bearer tokens with a scope.

pub mod auth;
pub mod contract;
pub mod errors;
pub mod events;
pub mod items;
pub mod orders;
pub mod params;
pub mod pos;
pub mod reservations;
pub mod sales;
pub mod stock_request;
pub mod storefront;
pub mod token_checks;
pub mod webhooks;

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpResponse, Responder, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::path::HttpMethod;

use crate::inventory::Item;
use crate::inventory::lists::{OnlineListingJson, Price};
use errors::ApiError;

/// Where the API is mounted; the contract's paths start with it.
pub const PREFIX: &str = "/api/v1";

/// Registers `/api/v1`, with JSON and query errors in the API's own shape.
pub fn config(cfg: &mut web::ServiceConfig) {
    let mut operations = Operations::default();
    register(&mut operations);
    let mut scope = web::scope(PREFIX)
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
            ApiError::invalid_parameter("query", format!("The query string is not valid: {err}"))
                .into()
        }));
    for resource in operations.resources() {
        scope = scope.service(resource);
    }
    cfg.service(scope.default_service(web::to(|| async {
        Err::<HttpResponse, ApiError>(ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "not_found",
            "No such API endpoint.",
        ))
    })));
}

/// Every operation of the API, each module adding its own.
fn register(operations: &mut Operations) {
    storefront::register(operations);
    events::register(operations);
    orders::register(operations);
    reservations::register(operations);
    pos::register(operations);
    sales::register(operations);
    items::register(operations);
    webhooks::register(operations);
    contract::register(operations);
}

/// The (method, path) of every operation registered under `/api/v1`, as the
/// router serves them, so a test can hold the published contract to them.
pub fn registered_operations() -> Vec<(String, String)> {
    let mut operations = Operations::default();
    register(&mut operations);
    operations
        .routes
        .iter()
        .map(|(path, method, _)| (method.to_string(), format!("{PREFIX}{path}")))
        .collect()
}

/// The API's routes, each added at the method and path its
/// `#[utoipa::path]` documents: a path is written once, in the contract, and
/// the router takes it from there.
#[derive(Default)]
pub struct Operations {
    /// Path below `/api/v1`, method, route.
    routes: Vec<(String, Method, actix_web::Route)>,
}

impl Operations {
    /// Adds `handler` where `P`, the operation `#[utoipa::path]` generated
    /// for it (`__path_<handler>`), says it is served.
    pub fn add<P, F, Args>(&mut self, handler: F)
    where
        P: utoipa::Path,
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let documented = P::path();
        let path = documented
            .strip_prefix(PREFIX)
            .unwrap_or_else(|| panic!("API paths start with {PREFIX}: {documented}"))
            .to_owned();
        for method in P::methods() {
            let method = actix_method(&method);
            let route = web::method(method.clone()).to(handler.clone());
            self.routes.push((path.clone(), method, route));
        }
    }

    /// One resource per path, answering a method it does not serve with
    /// 405 and the methods it does in `Allow`.
    fn resources(self) -> Vec<actix_web::Resource> {
        let mut by_path: Vec<(String, Vec<Method>, Vec<actix_web::Route>)> = Vec::new();
        for (path, method, route) in self.routes {
            match by_path.iter_mut().find(|(p, _, _)| *p == path) {
                Some((_, methods, routes)) => {
                    methods.push(method);
                    routes.push(route);
                }
                None => by_path.push((path, vec![method], vec![route])),
            }
        }
        by_path
            .into_iter()
            .map(|(path, methods, routes)| {
                let allow = methods
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                routes
                    .into_iter()
                    .fold(web::resource(path), |resource, route| resource.route(route))
                    .default_service(web::to(move || {
                        let allow = allow.clone();
                        async move { errors::method_not_allowed(&allow) }
                    }))
            })
            .collect()
    }
}

fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// An item as the API returns it from writes and in conflicts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Item)]
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
    /// UTC, ISO 8601 without an offset.
    #[schema(value_type = String, example = "2026-11-27T10:15:02.123456")]
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
