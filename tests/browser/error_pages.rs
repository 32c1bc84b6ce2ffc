//! Error pages in the browser: a malformed id and an unknown address show a
//! 404 page with the dashboard's navigation and a way back that works.

use crate::common::{Backend, spawn_app};
use crate::driver::Browser;
use crate::{on_both_backends, sign_in};

on_both_backends!(a_malformed_id_and_an_unknown_address_show_404_pages);

async fn a_malformed_id_and_an_unknown_address_show_404_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("error_pages", backend).await;
    sign_in(&browser, &app).await;

    browser.goto(&app.url("/items/abc")).await;
    browser.wait_for("p.error-message").await;
    browser.screenshot_widths("malformed-id").await;
    assert_eq!(
        browser
            .attr("p.error-message", "data-status")
            .await
            .as_deref(),
        Some("404")
    );
    assert!(browser.count("header.topbar nav a").await >= 3);

    browser.goto(&app.url("/no-such-page")).await;
    browser.wait_for("p.error-message").await;
    browser.screenshot_widths("unknown-route").await;
    assert_eq!(browser.text("h1").await.as_deref(), Some("Not found"));

    browser.click("p.way-back a").await;
    browser.wait_for("tr.item-row").await;
    browser.close().await;
}
