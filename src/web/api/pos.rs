//! `GET /api/v1/pos/items`: the store list for the POS token's store, paged
//! with an opaque cursor and cached whole with an ETag by catalog version.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::Operations;
use super::auth::ApiCaller;
use super::errors::ApiError;
use super::errors::ErrorBody;
use super::params::{StoreInclude, StoreListParams};
use crate::domain::TokenScope;
use crate::inventory::InventoryError;
use crate::inventory::list_feed::check_feed_position;
use crate::inventory::merchants::Location;
use crate::inventory::store_list::{StoreListEntry, StoreListQuery, store_list};
use crate::web::list_cache::{self, BuiltList, ListKind};
use crate::web::{AppState, run};

pub fn register(operations: &mut Operations) {
    operations.add::<__path_items, _, _>(items);
}

/// A store.
#[derive(Serialize, ToSchema)]
#[schema(as = Location)]
struct LocationJson {
    id: i64,
    name: String,
    fulfils_online: bool,
}

/// One page of a store's list.
#[derive(Serialize, ToSchema)]
#[schema(as = StoreListPage)]
struct StoreListBody {
    /// The catalog version of the read's first page.
    catalog_version: i64,
    location: LocationJson,
    items: Vec<StoreListEntry>,
    next_cursor: Option<String>,
}

/// The store list of the token's store: what its counter sells, with the
/// stock there.
#[utoipa::path(
    get,
    path = "/api/v1/pos/items",
    tag = "pos",
    operation_id = "pos_items",
    summary = "Read the store list of the token's store",
    description = "Items sold in the token's store, in id order, with `on_hand` there. Paged with `next_cursor`, revalidated with `ETag` / `If-None-Match` like the online list.",
    security(("api_token" = ["pos"])),
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Records per page, 1 to 1000 (default 100)."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page, unchanged."),
        ("include" = Option<StoreInclude>, Query, description = "`all`: online-only items too, as `\"sellable_in_store\": false`."),
        ("location_id" = Option<i64>, Query, description = "The token's store (optional). Another of the merchant's stores is 403; another merchant's, 404."),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier response: 304 while the page is unchanged."),
    ),
    responses(
        (status = 200, description = "A page of the store list.", body = StoreListBody,
            headers(
                ("ETag" = String, description = "Names this page's content; send it back in `If-None-Match`."),
                ("Cache-Control" = String, description = "`no-cache`: revalidate every time."),
                ("Shelfsync-Catalog-Version" = i64, description = "The body's `catalog_version`."),
            )),
        (status = 304, description = "Not modified: the page is still the one `If-None-Match` names.",
            headers(
                ("ETag" = String, description = "The page's ETag, unchanged."),
                ("Shelfsync-Catalog-Version" = i64, description = "The page's catalog version."),
            )),
        (status = 404, description = "`not_found`: `location_id` names no store of this merchant.", body = ErrorBody),
        (status = 422, description = "`invalid_parameter`: a bad query parameter, named in `details.parameter`.", body = ErrorBody),
    ),
)]
pub(super) async fn items(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let token = caller.require(TokenScope::Pos)?;
    let merchant_id = token.merchant_id;
    let location_id = token
        .location_id
        .ok_or_else(|| InventoryError::Corrupt(format!("pos token {} has no store", token.id)))?;
    let params = StoreListParams::parse(req.query_string(), merchant_id, location_id)?;
    if let Some(asked) = params.location_id.filter(|asked| *asked != location_id) {
        // Another merchant's store does not exist for this token; one of the
        // merchant's other stores does, but this token may not read it.
        let other = run(&state, move |conn| Location::find(conn, merchant_id, asked)).await?;
        return Err(ApiError::wrong_scope(format!(
            "This token belongs to another store; it cannot read the list of {}.",
            other.name
        )));
    }
    let key = format!(
        "api/pos/items\n{merchant_id}\n{location_id}\n{}",
        params.normalised()
    );
    list_cache::serve(&state, &req, ListKind::ApiJson, key, move |conn| {
        let query = StoreListQuery {
            location_id,
            include_all: params.include_all,
            after_id: params.cursor.map(|c| c.after_id),
            limit: params.limit,
        };
        let page = store_list(conn, merchant_id, query)?;
        let read_version = params.cursor.map(|c| c.read_version);
        check_feed_position(page.catalog_version, None, read_version)?;
        let read_version = read_version.unwrap_or(page.catalog_version);
        let body = StoreListBody {
            catalog_version: read_version,
            location: LocationJson {
                id: page.location.id,
                name: page.location.name.clone(),
                fulfils_online: page.location.fulfils_online,
            },
            next_cursor: page.next_after_id.map(|after| {
                params.next_cursor(merchant_id, location_id, page.catalog_version, after)
            }),
            items: page.entries,
        };
        Ok(BuiltList {
            merchant_id,
            catalog_version: page.catalog_version,
            body: serde_json::to_vec(&body)
                .map_err(|e| ApiError::from(InventoryError::Corrupt(e.to_string())))?,
        })
    })
    .await
}
