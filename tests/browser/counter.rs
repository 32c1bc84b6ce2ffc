//! The counter page is live: a change made elsewhere — here stock received
//! through the service, as an online order or another device would move it —
//! shows in the open page without a reload.

use crate::common::{Backend, spawn_app, with_conn};
use crate::driver::Browser;
use crate::{
    SPECKLED_MUG, catalog_version, mark_page, on_both_backends, page_is_still_marked, sign_in,
};

on_both_backends!(a_stock_change_elsewhere_shows_at_the_counter_without_a_reload);

async fn a_stock_change_elsewhere_shows_at_the_counter_without_a_reload(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let downtown = with_conn(&app.pool, |conn| {
        shelfsync::inventory::merchants::Location::all_of(conn, merchant)
    })
    .expect("the demo's stores")[0]
        .id;
    let browser = Browser::start("counter_live", backend).await;
    sign_in(&browser, &app).await;
    browser
        .goto(&app.url(&format!("/counter?location={downtown}")))
        .await;
    // The note shows once the page's event stream is connected.
    browser.wait_for("#counter-live:not([hidden])").await;
    mark_page(&browser).await;
    let cell = format!("tr[data-item-id=\"{}\"] td.on-hand", SPECKLED_MUG.id);
    let before: i64 = browser
        .text(&cell)
        .await
        .and_then(|t| t.parse().ok())
        .expect("the mug's stock here");
    let version_before = catalog_version(&browser).await;
    browser.screenshot("before").await;

    with_conn(&app.pool, |conn| {
        crate::common::fixtures::receive_stock(conn, merchant, SPECKLED_MUG.id, downtown, 5)
    });

    browser
        .wait_for_text(&cell, &(before + 5).to_string())
        .await;
    browser.screenshot("after").await;
    assert!(
        page_is_still_marked(&browser).await,
        "the page was not reloaded"
    );
    assert!(
        catalog_version(&browser).await > version_before,
        "the header's catalog version moved too"
    );
    browser.close().await;
}
