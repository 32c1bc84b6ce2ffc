//! `GET /api/v1/storefront/items`: the online list for the storefront's server,
//! paged with an opaque cursor and as deltas with `since_version`.
//!
//! A full read is assembled from each item's JSON record, kept in memory by
//! `list_cache::online`; its `catalog_version` is the page's own version, so
//! a page keeps its bytes and ETag while changes happen elsewhere in the
//! list. A delta is cached whole by catalog version.

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::auth::ApiCaller;
use super::errors::ApiError;
use super::params::OnlineListParams;
use crate::domain::TokenScope;
use crate::inventory::InventoryError;
use crate::inventory::list_feed::check_feed_position;
use crate::inventory::lists::{OnlineListEntry, OnlineListQuery, OnlineRecord, online_list};
use crate::web::AppState;
use crate::web::list_cache::online::{Form, Frame, PageRequest};
use crate::web::list_cache::{self, BuiltList, ListKind};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/storefront/items", web::get().to(items));
}

/// One page of the online list, or of its delta.
#[derive(Serialize)]
struct OnlineListBody<'a, T: Serialize> {
    /// The catalog version of the read's first page: follow up with
    /// `since_version=` this to hear of everything that changed since.
    catalog_version: i64,
    /// The `since_version` of a delta; `null` for a full read.
    since_version: Option<i64>,
    /// Entries, and in a delta tombstones (`"removed": true`).
    items: &'a [T],
    /// Pass as `cursor=` for the next page; `null` on the last one.
    next_cursor: Option<String>,
}

/// An item's JSON record, as the pieces of a full read are kept.
pub fn json_piece(entry: &OnlineListEntry) -> Result<Vec<u8>, InventoryError> {
    serde_json::to_vec(entry)
        .map_err(|e| InventoryError::Corrupt(format!("item {}: {e}", entry.id)))
}

/// A body with an empty `items`, split where the records go.
fn envelope(catalog_version: i64, next_cursor: Option<String>) -> Result<(Bytes, Bytes), ApiError> {
    let body = OnlineListBody::<OnlineRecord> {
        catalog_version,
        since_version: None,
        items: &[],
        next_cursor,
    };
    let text = serde_json::to_string(&body)
        .map_err(|e| ApiError::from(InventoryError::Corrupt(e.to_string())))?;
    let split = text
        .find("[]")
        .ok_or_else(|| ApiError::from(InventoryError::Corrupt("list envelope".into())))?;
    let text = Bytes::from(text);
    Ok((text.slice(..=split), text.slice(split + 1..)))
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
    if params.since_version.is_none() {
        let page = PageRequest {
            form: Form::Json {
                include_unlisted: params.include_unlisted,
            },
            after_id: params.cursor.map(|c| c.after_id),
            limit: usize::try_from(params.limit).unwrap_or(1),
        };
        return state
            .online
            .serve(
                &state,
                &req,
                ListKind::ApiJson,
                key,
                merchant_id,
                page,
                json_piece,
                move |outline| {
                    let read_version = params.cursor.map(|c| c.read_version);
                    check_feed_position(outline.version, None, read_version)?;
                    let read_version = read_version.unwrap_or(outline.page_version);
                    let next_cursor = outline
                        .next_after_id
                        .map(|after| params.next_cursor(merchant_id, read_version, after));
                    let (head, tail) = envelope(read_version, next_cursor)?;
                    Ok(Frame {
                        body_version: read_version,
                        head,
                        separator: b",",
                        tail,
                    })
                },
            )
            .await;
    }
    list_cache::serve(&state, &req, ListKind::ApiJson, key, move |conn| {
        let query = OnlineListQuery {
            include_unlisted: params.include_unlisted,
            since_version: params.since_version,
            after_id: params.cursor.map(|c| c.after_id),
            limit: params.limit,
        };
        let page = online_list(conn, merchant_id, query)?;
        let read_version = params.cursor.map(|c| c.read_version);
        check_feed_position(page.catalog_version, params.since_version, read_version)?;
        let body = OnlineListBody {
            catalog_version: read_version.unwrap_or(page.catalog_version),
            since_version: params.since_version,
            next_cursor: page
                .next_after_id
                .map(|after| params.next_cursor(merchant_id, page.catalog_version, after)),
            items: &page.records,
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
