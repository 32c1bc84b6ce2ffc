//! The scan-first counter and the shop in Chromium, at a phone's 390×844 and
//! a desktop's 1280×900: no page scrolls sideways; a barcode typed with
//! Enter (as a scanner does) opens the item, a sale lowers the count here and
//! what the shop offers online, and the same form sent twice records once.

use serde_json::json;
use shelfsync::inventory::Item;
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::stock::{movements, on_hand};

use crate::common::fixtures::receive_stock;
use crate::common::{Backend, TestApp, html, spawn_app, text_of, with_conn};
use crate::driver::Browser;
use crate::{
    ESPRESSO_CUPS, SPECKLED_MUG, mark_page, on_both_backends, page_is_still_marked, sign_in,
};

const SHOP: &str = "/shop/corner-goods";
/// The view-only camping mug: its page lists the stores that have it.
const CAMPING_MUG: i64 = 3;
/// The WebDriver key for Enter, which a barcode scanner types after the code.
const ENTER: &str = "\u{E007}";

const SIZES: [(u32, u32); 2] = [(390, 844), (1280, 900)];

fn downtown(app: &TestApp) -> i64 {
    with_conn(&app.pool, |conn| {
        Location::all_of(conn, app.demo_merchant_id())
    })
    .expect("the demo's stores")[0]
        .id
}

/// How wide the page is against its viewport.
async fn widths(browser: &Browser) -> (i64, i64) {
    let measured = browser
        .script(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await;
    let width = |i: usize| measured[i].as_i64().expect("a width in pixels");
    (width(0), width(1))
}

/// What the shop page says about the item's online availability.
async fn shop_availability(app: &TestApp, item_id: i64) -> String {
    let body = app.get(SHOP).await.text().await.expect("the shop page");
    text_of(
        &html(&body),
        &format!("article.product[data-item-id=\"{item_id}\"] .availability"),
    )
    .expect("the item is on the shop page")
}

async fn on_hand_shown(browser: &Browser) -> i64 {
    browser
        .text("#counter-on-hand")
        .await
        .and_then(|t| t.parse().ok())
        .expect("the count here is a number")
}

on_both_backends!(
    the_counter_and_the_shop_fit_a_phone_and_a_desktop,
    a_scanned_code_opens_the_item_and_a_sale_lowers_the_count_here_and_online,
    a_double_tapped_sale_records_once
);

async fn the_counter_and_the_shop_fit_a_phone_and_a_desktop(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = downtown(&app);
    let browser = Browser::start("counter_and_shop_widths", backend).await;
    sign_in(&browser, &app).await;
    let pages = [
        (
            "counter",
            format!("/counter?location={store}"),
            "tr.counter-item",
        ),
        (
            "counter_item",
            format!("/counter/items/{}?location={store}", ESPRESSO_CUPS.id),
            "#counter-sale",
        ),
        ("shop", SHOP.to_owned(), "article.product"),
        (
            "shop_item",
            format!("{SHOP}/items/{CAMPING_MUG}"),
            ".product-stores",
        ),
    ];

    for (width, height) in SIZES {
        browser.resize(width, height).await;
        for (name, path, ready) in &pages {
            browser.goto(&app.url(path)).await;
            browser.wait_for(ready).await;
            browser.screenshot(&format!("{name}_{width}")).await;

            let (page, viewport) = widths(&browser).await;

            assert!(
                page <= viewport,
                "{path} is {page}px wide in a {viewport}px viewport"
            );
        }
    }
    // On a phone the counter's rows are cards: the count and the action show.
    browser.resize(390, 844).await;
    browser
        .goto(&app.url(&format!("/counter?location={store}")))
        .await;
    browser.wait_for("tr.counter-item").await;
    browser.scroll_to("tr.counter-item:nth-child(3)").await;
    browser.screenshot("counter_cards_390").await;
    let shown = browser
        .script(
            "const row = document.querySelector('tr.counter-item');
             const box = el => el.getBoundingClientRect();
             const visible = el => box(el).width > 0 && box(el).right <= window.innerWidth;
             return ['td.name', 'td.on-hand', 'td.status', 'td.actions .button']
               .map(css => visible(row.querySelector(css)));",
            vec![],
        )
        .await;
    assert_eq!(shown, json!([true, true, true, true]));
    let button_height = browser
        .script(
            "return document.querySelector('tr.counter-item td.actions .button')
               .getBoundingClientRect().height;",
            vec![],
        )
        .await;
    assert!(
        button_height.as_f64().unwrap_or(0.0) >= 44.0,
        "a touch target: {button_height}"
    );
    browser.close().await;
}

async fn a_scanned_code_opens_the_item_and_a_sale_lowers_the_count_here_and_online(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let store = downtown(&app);
    with_conn(&app.pool, |conn| {
        receive_stock(conn, merchant, ESPRESSO_CUPS.id, store, 6)
    });
    let barcode = with_conn(&app.pool, |conn| {
        Item::find(conn, merchant, ESPRESSO_CUPS.id)
    })
    .expect("the cups")
    .barcode
    .expect("demo items have barcodes");
    let online_before = shop_availability(&app, ESPRESSO_CUPS.id).await;
    let browser = Browser::start("counter_scan_sale", backend).await;
    sign_in(&browser, &app).await;
    browser.resize(390, 844).await;
    browser
        .goto(&app.url(&format!("/counter?location={store}")))
        .await;
    browser.wait_for("tr.counter-item").await;
    let focused = browser
        .script(
            "return document.activeElement && document.activeElement.id;",
            vec![],
        )
        .await;
    assert_eq!(focused, json!("counter-q"), "the scan box has the focus");
    browser.screenshot("scan_box_390").await;

    browser
        .fill("#counter-q", &format!("{barcode}{ENTER}"))
        .await;

    browser.wait_for("#counter-sale").await;
    browser
        .wait_for_text("#counter-item-name", ESPRESSO_CUPS.name)
        .await;
    let before = on_hand_shown(&browser).await;
    browser.screenshot("item_opened_390").await;

    browser.click("#counter-sale button[type=submit]").await;

    browser
        .wait_for_text("#counter-on-hand", &(before - 1).to_string())
        .await;
    let told = browser
        .text("#flash .notice.success")
        .await
        .expect("a confirmation");
    assert!(told.starts_with("Sold 1 × Espresso cup pair"), "{told}");
    browser.screenshot("sold_390").await;
    let online_after = shop_availability(&app, ESPRESSO_CUPS.id).await;
    let count = |text: &str| -> i64 {
        text.split_whitespace()
            .find_map(|word| word.parse().ok())
            .unwrap_or_else(|| panic!("a count in {text:?}"))
    };
    assert_eq!(
        count(&online_after),
        count(&online_before) - 1,
        "{online_before} → {online_after}"
    );

    // The next scan, typed with no field focused, opens the next item.
    let next = with_conn(&app.pool, |conn| {
        Item::find(conn, merchant, SPECKLED_MUG.id)
    })
    .expect("the mug")
    .barcode
    .expect("demo items have barcodes");
    browser.type_keys(&format!("{next}{ENTER}")).await;
    browser
        .wait_for_text("#counter-item-name", SPECKLED_MUG.name)
        .await;
    browser.screenshot("next_scan_390").await;
    browser
        .goto(&app.url(&format!(
            "/counter/items/{}?location={store}",
            ESPRESSO_CUPS.id
        )))
        .await;
    browser.wait_for("#counter-live:not([hidden])").await;

    // Live: a sale elsewhere shows on the open item without a reload.
    mark_page(&browser).await;
    with_conn(&app.pool, |conn| {
        receive_stock(conn, merchant, ESPRESSO_CUPS.id, store, 2)
    });
    browser
        .wait_for_text("#counter-on-hand", &(before + 1).to_string())
        .await;
    assert!(page_is_still_marked(&browser).await, "not reloaded");
    browser.resize(1280, 900).await;
    browser.screenshot("live_1280").await;
    browser.close().await;
}

async fn a_double_tapped_sale_records_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let store = downtown(&app);
    with_conn(&app.pool, |conn| {
        receive_stock(conn, merchant, ESPRESSO_CUPS.id, store, 4)
    });
    let level =
        || with_conn(&app.pool, |conn| on_hand(conn, ESPRESSO_CUPS.id, store)).expect("level");
    let ledger = || {
        with_conn(&app.pool, |conn| {
            movements(conn, merchant, ESPRESSO_CUPS.id, 1000)
        })
        .expect("movements")
        .len()
    };
    let browser = Browser::start("counter_double_tap", backend).await;
    sign_in(&browser, &app).await;
    browser
        .goto(&app.url(&format!(
            "/counter/items/{}?location={store}",
            ESPRESSO_CUPS.id
        )))
        .await;
    browser.wait_for("#counter-sale").await;
    let (here, entries) = (level(), ledger());

    // Both taps send the form as drawn, at once, as a double tap does.
    let statuses = browser
        .script(
            "const form = document.getElementById('counter-sale');
             const send = () => fetch(form.action, {
               method: 'POST', body: new URLSearchParams(new FormData(form)),
               redirect: 'manual', credentials: 'same-origin' });
             return Promise.all([send(), send()]).then(rs => rs.map(r => r.type));",
            vec![],
        )
        .await;

    assert_eq!(statuses, json!(["opaqueredirect", "opaqueredirect"]));
    assert_eq!(level(), here - 1);
    assert_eq!(ledger(), entries + 1);
    browser
        .goto(&app.url(&format!(
            "/counter/items/{}?location={store}",
            ESPRESSO_CUPS.id
        )))
        .await;
    browser
        .wait_for_text("#counter-on-hand", &(here - 1).to_string())
        .await;
    browser.screenshot("after_double_tap").await;

    // More than the count here: asked first, on a phone, then recorded anyway.
    browser.resize(390, 844).await;
    let too_many = here + 5;
    browser.fill("#sale-quantity", &too_many.to_string()).await;
    browser.click("#counter-sale button[type=submit]").await;
    browser.wait_for("#counter-confirm").await;
    assert_eq!(level(), here - 1, "nothing recorded before the answer");
    browser.scroll_to("#counter-confirm").await;
    browser.screenshot("asked_first_390").await;
    let (page, viewport) = widths(&browser).await;
    assert!(page <= viewport, "{page}px in {viewport}px");

    browser.click("#counter-confirm button[type=submit]").await;

    browser
        .wait_for_text("#counter-on-hand", &(here - 1 - too_many).to_string())
        .await;
    assert_eq!(level(), here - 1 - too_many);
    browser.wait_for("#counter-on-hand.negative").await;
    browser.screenshot("recorded_anyway_390").await;
    browser.close().await;
}
