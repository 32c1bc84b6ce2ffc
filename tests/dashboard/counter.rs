//! `/counter`: the store list as a store's device sees it.

use crate::common::demo::{CAMPING_MUG_VIEW_ONLY, TEAPOT_ONLINE_ONLY};
use crate::common::fixtures::other_merchant;
use crate::common::{Backend, sel, spawn_app, text_of};
use crate::on_both_backends;

fn location_ids(app: &crate::common::TestApp) -> Vec<i64> {
    shelfsync::inventory::merchants::Location::all_of(&mut app.conn(), app.demo_merchant_id())
        .expect("locations")
        .into_iter()
        .map(|l| l.id)
        .collect()
}

on_both_backends!(
    the_counter_lists_in_store_items_with_their_stock_there,
    the_toggle_shows_online_only_items_marked_not_sold_here,
    the_counter_of_another_merchants_store_is_not_found
);

async fn the_counter_lists_in_store_items_with_their_stock_there(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let downtown = location_ids(&app)[0];

    let doc = app.get_html(&format!("/counter?location={downtown}")).await;

    assert_eq!(text_of(&doc, "h1").as_deref(), Some("Counter: Downtown"));
    assert_eq!(
        doc.select(&sel("tr.counter-item")).count(),
        40,
        "in-store items only"
    );
    assert!(
        doc.select(&sel(&format!("tr[data-item-id=\"{TEAPOT_ONLINE_ONLY}\"]")))
            .next()
            .is_none()
    );
    let camping = format!("tr[data-item-id=\"{CAMPING_MUG_VIEW_ONLY}\"] td.on-hand");
    assert_eq!(text_of(&doc, &camping).as_deref(), Some("1"));
}

async fn the_toggle_shows_online_only_items_marked_not_sold_here(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let downtown = location_ids(&app)[0];

    let doc = app
        .get_html(&format!("/counter?location={downtown}&show=all"))
        .await;

    let teapot = format!("tr[data-item-id=\"{TEAPOT_ONLINE_ONLY}\"]");
    assert_eq!(
        doc.select(&sel(&teapot))
            .next()
            .and_then(|r| r.value().attr("data-sellable")),
        Some("false")
    );
    assert_eq!(
        text_of(&doc, &format!("{teapot} .badge")).as_deref(),
        Some("Online only — not sold here")
    );
    assert_eq!(doc.select(&sel("tr.counter-item")).count(), 50);
}

async fn the_counter_of_another_merchants_store_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let their_merchant = other_merchant(&app).id;
    let their_store =
        shelfsync::inventory::merchants::Location::all_of(&mut app.conn(), their_merchant)
            .expect("locations")[0]
            .id;

    assert_eq!(
        app.get(&format!("/counter?location={their_store}"))
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/counter?location=abc").await.status(), 400);
    assert_eq!(app.get("/counter").await.status(), 303);
}

on_both_backends!(the_counter_shows_prices_the_way_the_rest_of_the_dashboard_does,);

async fn the_counter_shows_prices_the_way_the_rest_of_the_dashboard_does(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let downtown = location_ids(&app)[0];

    let doc = app.get_html(&format!("/counter?location={downtown}")).await;

    assert_eq!(
        text_of(&doc, "tr.counter-item[data-item-id=\"1\"] td.price").as_deref(),
        Some("$14.50")
    );
}
