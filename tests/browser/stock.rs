//! The stock forms of an item page in a browser: a receipt redraws the stock
//! panel in place through htmx, and a mistake shows beside its field, both
//! without a page reload.

use crate::common::{Backend, spawn_app};
use crate::driver::Browser;
use crate::{mark_page, on_both_backends, page_is_still_marked, sign_in};

on_both_backends!(the_stock_forms_redraw_the_panel_in_place_and_show_mistakes_beside_the_field,);

async fn the_stock_forms_redraw_the_panel_in_place_and_show_mistakes_beside_the_field(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("stock-forms", backend).await;
    sign_in(&browser, &app).await;
    browser.goto(&app.url("/items/1")).await;
    browser.wait_for("#receive-form").await;
    let total: i64 = browser
        .text("#stock-total")
        .await
        .and_then(|t| t.parse().ok())
        .expect("a stock total");
    mark_page(&browser).await;

    browser.fill("#receive-quantity", "4").await;
    browser.click("#receive-form button[type=submit]").await;
    browser
        .wait_for_text("#stock-total", &(total + 4).to_string())
        .await;
    browser.screenshot("received").await;
    let flash = browser
        .text("#flash p.notice.success")
        .await
        .unwrap_or_default();

    browser.fill("#adjust-quantity", "-99999").await;
    browser.fill("#adjust-reason", "Broken").await;
    browser.click("#adjust-form button[type=submit]").await;
    browser
        .wait_for("#adjust-form .field-error[data-field=quantity]")
        .await;
    browser.screenshot("refused").await;

    assert!(flash.starts_with("Received 4"), "{flash}");
    assert_eq!(
        browser.attr("#adjust-quantity", "value").await.as_deref(),
        Some("-99999"),
        "what was typed is kept"
    );
    assert_eq!(
        browser.text("#stock-total").await,
        Some((total + 4).to_string()),
        "nothing more moved"
    );
    assert!(page_is_still_marked(&browser).await, "no page reload");
    browser.close().await;
}
