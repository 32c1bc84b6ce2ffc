//! The published contract: the OpenAPI 3.1 document of `/api/v1`, derived
//! from the handlers' `#[utoipa::path]` attributes and the types they
//! serialise, and served at `GET /api/v1/openapi.json`. The router takes each
//! path from the same attribute (`Operations::add`), and a test holds the
//! document to the router's list, so neither can drift from the other.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{self, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::errors::ErrorBody;
use super::params::{OnlineInclude, StoreInclude};
use super::{Operations, events, items, orders, pos, reservations, sales, storefront, webhooks};

pub fn register(operations: &mut Operations) {
    operations.add::<__path_openapi_json, _, _>(openapi_json);
}

/// What every operation can answer besides its own responses, the
/// bearer-token scheme, and headers that are optional but never null.
struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, api: &mut openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer sst_…`. A token has one scope, `storefront`, `pos` or `admin`; each operation names the one it needs.",
                    ))
                    .build(),
            ),
        );
        let error = |description: &str| {
            ResponseBuilder::new().description(description).content(
                "application/json",
                openapi::ContentBuilder::new()
                    .schema(Some(RefOr::Ref(openapi::Ref::from_schema_name("Error"))))
                    .build(),
            )
        };
        let unauthorized =
            error("`unauthorized`: no token, or one that is unknown or revoked.").build();
        let wrong_scope = error(
            "`wrong_scope`: a valid token of another scope (or of another store, for a store's list).",
        )
        .build();
        let unavailable =
            error("`unavailable`: the database is away; retry after `Retry-After` seconds.")
                .header(
                    "Retry-After",
                    openapi::HeaderBuilder::new()
                        .schema(Some(
                            openapi::ObjectBuilder::new().schema_type(openapi::Type::Integer),
                        ))
                        .description(Some("Seconds to wait before retrying."))
                        .build(),
                )
                .build();
        for path in api.paths.paths.values_mut() {
            for operation in [
                &mut path.get,
                &mut path.put,
                &mut path.post,
                &mut path.delete,
                &mut path.patch,
            ]
            .into_iter()
            .flatten()
            {
                // A header is sent or not; it can't be null (utoipa makes
                // an optional header nullable).
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(parameter) = parameter
                        && parameter.parameter_in == ParameterIn::Header
                        && let Some(RefOr::T(Schema::Object(object))) = &mut parameter.schema
                        && let SchemaType::Array(types) = &object.schema_type
                    {
                        let types: Vec<Type> = types
                            .iter()
                            .filter(|t| **t != Type::Null)
                            .cloned()
                            .collect();
                        object.schema_type = match types.as_slice() {
                            [one] => SchemaType::Type(one.clone()),
                            _ => SchemaType::Array(types),
                        };
                    }
                }
                let responses = &mut operation.responses.responses;
                if operation.security.is_some() {
                    responses
                        .entry("401".into())
                        .or_insert_with(|| unauthorized.clone().into());
                    responses
                        .entry("403".into())
                        .or_insert_with(|| wrong_scope.clone().into());
                }
                responses
                    .entry("503".into())
                    .or_insert_with(|| unavailable.clone().into());
            }
        }
    }
}

/// The document, derived once from the handlers and their types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "shelfsync API",
        version = "1",
        description = include_str!("contract.md"),
        license(name = "MIT"),
    ),
    paths(
        storefront::items,
        events::events,
        orders::create,
        reservations::create,
        reservations::show,
        reservations::cancel,
        pos::items,
        sales::create,
        items::show,
        items::patch,
        webhooks::list,
        webhooks::create,
        webhooks::show,
        webhooks::change,
        webhooks::delete,
        webhooks::rotate,
        webhooks::redeliver,
        webhooks::deliveries,
        openapi_json,
    ),
    components(schemas(ErrorBody, events::EventJson, OnlineInclude, StoreInclude)),
    modifiers(&SharedResponses),
    tags(
        (name = "storefront", description = "The online store's server: the online list, live events, orders, reservations for pickup. `storefront` tokens."),
        (name = "pos", description = "A store's device: its store list and its sales. `pos` tokens, each bound to one store."),
        (name = "admin", description = "Back-office tools: read and change items, manage webhook endpoints. `admin` tokens."),
        (name = "contract", description = "This document. No token."),
    ),
)]
pub struct ApiContract;

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiContract::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| panic!("the OpenAPI document should serialise: {e}"))
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "contract",
    operation_id = "openapi_document",
    summary = "This OpenAPI 3.1 document",
    responses((status = 200, description = "The contract of `/api/v1`.", content_type = "application/json", body = Object)),
)]
pub(super) async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}
