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
use utoipa::ToSchema;

use super::Operations;
use super::auth::ApiCaller;
use super::errors::ApiError;
use super::errors::ErrorBody;
use super::params::{OnlineInclude, OnlineListParams};
use crate::domain::TokenScope;
use crate::inventory::InventoryError;
use crate::inventory::list_feed::{ListContext, check_feed_position};
use crate::inventory::lists::{OnlineListEntry, OnlineListQuery, OnlineRecord, online_list};
use crate::web::AppState;
use crate::web::list_cache::online::{Form, Frame, PageRequest};
use crate::web::list_cache::{self, BuiltList, ListKind};

pub fn register(operations: &mut Operations) {
    operations.add::<__path_items, _, _>(items);
}

/// One page of the online list, or of its delta.
#[derive(Serialize, ToSchema)]
#[schema(as = OnlineListPage)]
pub struct OnlineListBody<'a> {
    /// The catalog version of the read's first page: follow up with
    /// `since_version=` this to hear of everything that changed since.
    catalog_version: i64,
    /// The `since_version` of a delta; `null` for a full read.
    since_version: Option<i64>,
    /// Entries, and in a delta tombstones (`"removed": true`).
    items: &'a [OnlineRecord],
    /// Pass as `cursor=` for the next page; `null` on the last one.
    next_cursor: Option<String>,
}

/// An item's JSON record, as the pieces of a full read are kept (the same in
/// any shop context).
pub fn json_piece(_: &ListContext, entry: &OnlineListEntry) -> Result<Vec<u8>, InventoryError> {
    serde_json::to_vec(entry)
        .map_err(|e| InventoryError::Corrupt(format!("item {}: {e}", entry.id)))
}

/// A body with an empty `items`, split where the records go.
fn envelope(catalog_version: i64, next_cursor: Option<String>) -> Result<(Bytes, Bytes), ApiError> {
    let body = OnlineListBody {
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

/// The online list: every item listed online, with what a shopper may buy
/// and where it is in stock; or, with `since_version`, what changed since.
#[utoipa::path(
    get,
    path = "/api/v1/storefront/items",
    tag = "storefront",
    operation_id = "storefront_items",
    summary = "Read the online list, or its changes since a version",
    description = "Items in id order. Page with `next_cursor`; a cursor keeps the rest of its read's query. With `since_version`, only what changed after that catalog version, with tombstones (`\"removed\": true`) for items that left the list. Every response has a strong `ETag`: send it back in `If-None-Match` for a bodiless 304 while the page is unchanged.",
    security(("api_token" = ["storefront"])),
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Records per page, 1 to 1000 (default 100)."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page, unchanged. It carries the read's `since_version` and `include`."),
        ("since_version" = Option<i64>, Query, minimum = 0, description = "Only changes after this catalog version, with tombstones. Ahead of the catalog: 422, read the whole list again."),
        ("include" = Option<OnlineInclude>, Query, description = "`unlisted`: store-only items too, as `\"listed_online\": false`."),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier response: 304 while the page is unchanged."),
    ),
    responses(
        (status = 200, description = "A page of the online list or of its delta.", body = OnlineListBody<'static>,
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
        (status = 422, description = "`invalid_parameter`: a bad query parameter, named in `details.parameter` (`limit`, `cursor`, `since_version`, `include`, or one the endpoint doesn't take).", body = ErrorBody),
    ),
)]
pub(super) async fn items(
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
