//! Another merchant's data is a 404 on every route, never a 403 that confirms it exists.

use serde_json::json;
use shelfsync::domain::TokenScope;

use crate::common::fixtures::other_merchant;
use crate::common::{Backend, spawn_app};
use crate::on_both_backends;

use super::support::{error_of, get, patch, read, read_all, token, token_for};

on_both_backends!(another_merchants_data_is_404_on_every_route);

async fn another_merchants_data_is_404_on_every_route(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = other_merchant(&app);
    let admin = token(&app, TokenScope::Admin);
    let pos = token(&app, TokenScope::Pos);
    let storefront = token(&app, TokenScope::Storefront);

    for item in &other.items {
        let (status, _, body) =
            read(get(&app, &admin, &format!("/api/v1/items/{}", item.id)).await).await;
        assert_eq!(status, 404, "GET another merchant's item");
        assert_eq!(error_of(&body).0, "not_found");
        let (status, _, _) = read(
            patch(
                &app,
                &admin,
                item.id,
                json!({"version": item.version, "online": "hidden"}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 404, "PATCH another merchant's item");
    }
    let (status, _, _) = read(
        get(
            &app,
            &pos,
            &format!("/api/v1/pos/items?location_id={}", other.location_id),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404, "another merchant's store");

    // The lists never show the other merchant's items, and its cursors don't work here.
    let other_ids: Vec<i64> = other.items.iter().map(|i| i.id).collect();
    for path in [
        "/api/v1/storefront/items?limit=1000&include=unlisted",
        "/api/v1/storefront/items?since_version=0&limit=1000",
    ] {
        let read = read_all(&app, &storefront, path).await;
        assert!(
            read.records
                .iter()
                .all(|r| !other_ids.contains(&r["id"].as_i64().expect("id"))),
            "{path}"
        );
    }
    let other_storefront = token_for(&app, other.id, TokenScope::Storefront);
    let (_, _, theirs) =
        read(get(&app, &other_storefront, "/api/v1/storefront/items?limit=1").await).await;
    let cursor = theirs["next_cursor"].as_str().expect("a cursor");
    let (status, _, body) = read(
        get(
            &app,
            &storefront,
            &format!("/api/v1/storefront/items?cursor={cursor}"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(error_of(&body).1["parameter"], "cursor");

    let item = &other.items[0];
    let unchanged =
        shelfsync::inventory::Item::find(&mut app.conn(), other.id, item.id).expect("item");
    assert_eq!(unchanged.version, item.version);
}
