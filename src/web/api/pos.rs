//! `GET /api/v1/pos/items`: the store list for the POS token's store, paged
//! with an opaque cursor and cached whole with an ETag by catalog version.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::auth::ApiCaller;
use super::errors::ApiError;
use super::params::StoreListParams;
use crate::domain::TokenScope;
use crate::inventory::InventoryError;
use crate::inventory::list_feed::check_feed_position;
use crate::inventory::merchants::Location;
use crate::inventory::store_list::{StoreListEntry, StoreListQuery, store_list};
use crate::web::list_cache::{self, BuiltList, ListKind};
use crate::web::{AppState, run};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/pos/items", web::get().to(items));
}

#[derive(Serialize)]
struct LocationJson {
    id: i64,
    name: String,
    fulfils_online: bool,
}

/// One page of a store's list.
#[derive(Serialize)]
struct StoreListBody {
    /// The catalog version of the read's first page.
    catalog_version: i64,
    location: LocationJson,
    items: Vec<StoreListEntry>,
    next_cursor: Option<String>,
}

async fn items(
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
