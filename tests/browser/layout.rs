//! Every dashboard page (but the counter and the shop, drawn elsewhere) fits
//! a 390 px phone and a 1280 px desktop without scrolling sideways: the item
//! list turns into cards on a phone, a long name is cut short rather than
//! pushing the controls off-screen, tables stack their cells. A screenshot of
//! each page at each width lands in `target/screenshots/` (`…-{page}_{width}.png`).

use shelfsync::domain::OnlineListing;

use crate::common::fixtures::new_item;
use crate::common::{Backend, spawn_app, spawn_empty_app};
use crate::driver::Browser;
use crate::{CHAMOMILE_TEA, GEL_PENS, on_both_backends, sign_in};

/// The widths the dashboard is checked at: a phone and a desktop.
const SIZES: [(u32, u32); 2] = [(390, 844), (1280, 900)];

/// The name of an item long enough to push a column off-screen if it could.
const LONG_NAME: &str = "Hand-thrown stoneware serving platter with a speckled oatmeal glaze, a wide rim and two carved handles, extra large";

on_both_backends!(
    every_dashboard_page_fits_a_phone_and_a_desktop_without_scrolling_sideways,
    the_setup_page_fits_a_phone_and_a_desktop
);

/// Opens `path` at each width, waits for `ready`, saves a screenshot and
/// checks that nothing is wider than the viewport.
async fn check_page(browser: &Browser, url: &str, page: &str, ready: &str) {
    for (width, height) in SIZES {
        browser.resize(width, height).await;
        browser.goto(url).await;
        browser.wait_for(ready).await;
        if ready.starts_with("tr.") {
            // Show the first row (or card) rather than the page's head.
            browser.scroll_to(ready).await;
        }
        browser.screenshot(&format!("{page}_{width}")).await;
        let (scroll_width, viewport) = browser.widths().await;
        assert!(
            scroll_width <= viewport,
            "{page} at {width} px is {scroll_width} px wide, the viewport {viewport} px"
        );
    }
}

async fn every_dashboard_page_fits_a_phone_and_a_desktop_without_scrolling_sideways(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let long = new_item(
        &mut app.conn(),
        app.demo_merchant_id(),
        "CG-LONG-NAME-1",
        LONG_NAME,
        true,
        OnlineListing::ForSale,
    );
    let browser = Browser::start("layout", backend).await;
    check_page(&browser, &app.url("/login"), "login", "#email").await;
    sign_in(&browser, &app).await;
    browser.goto(&app.url("/settings/webhooks")).await;
    browser
        .fill("#webhook-url", "https://shop.example/hooks/shelfsync")
        .await;
    browser.click("#new-endpoint button[type=submit]").await;
    browser.wait_for("tr.webhook-endpoint").await;
    let endpoint = browser
        .attr("tr.webhook-endpoint", "data-endpoint-id")
        .await
        .expect("the endpoint's id");
    // A change after the endpoint exists, so its delivery log has a row.
    shelfsync::inventory::designate(
        &mut app.conn(),
        &shelfsync::inventory::Actor::staff("Test"),
        app.demo_merchant_id(),
        long.id,
        long.version,
        shelfsync::inventory::DesignationChange::REMOVE_FROM_ONLINE,
    )
    .expect("the change applies");

    let pages = [
        ("items", "/items".to_owned(), "tr.item-row"),
        (
            "items-long-name",
            "/items?q=CG-LONG".to_owned(),
            "tr.item-row",
        ),
        ("item", format!("/items/{}", CHAMOMILE_TEA.id), "#stock"),
        ("item-new", "/items/new".to_owned(), "#sku"),
        (
            "bulk-edit",
            format!("/items/bulk-edit?ids=1&ids=2&ids={}", long.id),
            "tr.bulk-row",
        ),
        ("activity", "/activity".to_owned(), "tr.audit-entry"),
        ("stores", "/settings/stores".to_owned(), "h1"),
        ("staff", "/settings/staff".to_owned(), "h1"),
        ("shop-settings", "/settings/shop".to_owned(), "h1"),
        ("tokens", "/settings/tokens".to_owned(), "h1"),
        (
            "webhooks",
            "/settings/webhooks".to_owned(),
            "tr.webhook-endpoint",
        ),
        (
            "webhook-log",
            format!("/settings/webhooks/{endpoint}"),
            "tr.delivery",
        ),
        ("account", "/account".to_owned(), "h1"),
        (
            "error-malformed-id",
            "/items/abc".to_owned(),
            "p.error-message",
        ),
        (
            "error-unknown",
            "/no-such-page".to_owned(),
            "p.error-message",
        ),
    ];
    for (page, path, ready) in &pages {
        check_page(&browser, &app.url(path), page, ready).await;
    }

    // At desktop width a long name is cut short: the row stays one line
    // (about 56 px) with its controls on screen.
    browser.resize(1280, 900).await;
    browser.goto(&app.url("/items?q=CG-LONG")).await;
    let row = format!("#item-{}", long.id);
    browser.wait_for(&row).await;
    let height = browser.height_of(&row).await;
    assert!(height <= 57.0, "the row is {height} px high");
    let right = browser
        .script(
            "return document.querySelector(arguments[0] + ' .switch').getBoundingClientRect().right;",
            vec![serde_json::json!(row)],
        )
        .await
        .as_f64()
        .expect("the switch is drawn");
    assert!(right <= 1280.0, "the switch ends at {right} px");

    // The bulk review page: one of three items refuses view-only.
    for (width, height) in SIZES {
        browser.resize(width, height).await;
        browser.goto(&app.url("/items")).await;
        for item in [&CHAMOMILE_TEA, &GEL_PENS] {
            let checkbox = format!("{} input[name=ids]", item.row());
            browser.wait_for(&checkbox).await;
            browser.scroll_to(&checkbox).await;
            browser.click(&checkbox).await;
        }
        browser
            .choose("#bulk-action", "view_online_buy_in_store")
            .await;
        browser.click("#bulk-apply").await;
        browser.wait_for("tr.refused-item").await;
        browser.screenshot(&format!("bulk-review_{width}")).await;
        let (scroll_width, viewport) = browser.widths().await;
        assert!(
            scroll_width <= viewport,
            "the bulk review at {width} px is {scroll_width} px wide"
        );
    }
    browser.close().await;
}

async fn the_setup_page_fits_a_phone_and_a_desktop(backend: Backend) {
    let app = spawn_empty_app(backend).await;
    let browser = Browser::start("layout_setup", backend).await;
    check_page(&browser, &app.url("/setup"), "setup", "#setup-form").await;
    browser.close().await;
}
