//! `GET /api/v1/storefront/items`: the online list for the storefront's server,
//! paged with an opaque cursor, as deltas with `since_version`, and cached with
//! an ETag by catalog version.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::auth::ApiCaller;
use super::errors::ApiError;
use super::params::OnlineListParams;
use crate::domain::TokenScope;
use crate::inventory::lists::{OnlineListQuery, OnlineRecord, online_list};
use crate::web::AppState;
use crate::web::list_cache::{self, BuiltList, ListKind};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/storefront/items", web::get().to(items));
}

/// One page of the online list, or of its delta.
#[derive(Serialize)]
struct OnlineListBody {
    /// The catalog version of the read's first page: follow up with
    /// `since_version=` this to hear of everything that changed since.
    catalog_version: i64,
    /// The `since_version` of a delta; `null` for a full read.
    since_version: Option<i64>,
    /// Entries, and in a delta tombstones (`"removed": true`).
    items: Vec<OnlineRecord>,
    /// Pass as `cursor=` for the next page; `null` on the last one.
    next_cursor: Option<String>,
}

async fn items(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let merchant_id = caller.require(TokenScope::Storefront)?.merchant_id;
    let params = OnlineListParams::parse(req.query_string(), merchant_id)?;
    let key = format!(
        "api/storefront/items\n{merchant_id}\n{}",
        params.normalised()
    );
    list_cache::serve(&state, &req, ListKind::ApiJson, key, move |conn| {
        let query = OnlineListQuery {
            include_unlisted: params.include_unlisted,
            since_version: params.since_version,
            after_id: params.cursor.map(|c| c.after_id),
            limit: params.limit,
        };
        let page = online_list(conn, merchant_id, query)?;
        if let Some(since) = params.since_version
            && since > page.catalog_version
        {
            return Err(ApiError::invalid_parameter(
                "since_version",
                format!(
                    "since_version {since} is ahead of the catalog, which is at version {}; read the full list again.",
                    page.catalog_version
                ),
            ));
        }
        let read_version = params
            .cursor
            .map_or(page.catalog_version, |c| c.read_version);
        if read_version > page.catalog_version {
            return Err(ApiError::invalid_parameter(
                "cursor",
                "cursor is from a newer catalog than this one; read the full list again.",
            ));
        }
        let body = OnlineListBody {
            catalog_version: read_version,
            since_version: params.since_version,
            next_cursor: page
                .next_after_id
                .map(|after| params.next_cursor(merchant_id, page.catalog_version, after)),
            items: page.records,
        };
        Ok(BuiltList {
            merchant_id,
            catalog_version: page.catalog_version,
            body: serde_json::to_vec(&body).map_err(|e| {
                ApiError::from(crate::inventory::InventoryError::Corrupt(e.to_string()))
            })?,
        })
    })
    .await
}
