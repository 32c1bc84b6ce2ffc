//! Signing in through the login form.

use crate::common::{Backend, DEMO_EMAIL, DEMO_PASSWORD, spawn_app};
use crate::driver::Browser;
use crate::on_both_backends;

on_both_backends!(signing_in_through_the_form_opens_the_item_list);

async fn signing_in_through_the_form_opens_the_item_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("sign_in", backend).await;
    browser.goto(&app.url("/items")).await;
    browser.wait_for("#email").await;
    browser.screenshot("login-page").await;

    browser.fill("#email", DEMO_EMAIL).await;
    browser.fill("#password", DEMO_PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;

    browser.wait_for("tr.item-row").await;
    browser.screenshot("item-list").await;
    assert_eq!(
        browser.text(".signout .who").await.as_deref(),
        Some("Sam Rivera")
    );
    assert_eq!(browser.text("p.count").await.as_deref(), Some("60 items"));
    assert_eq!(
        browser.count("tr.item-row").await,
        50,
        "the first page holds 50 items"
    );
    assert_eq!(
        browser.text("nav.pager span").await.as_deref(),
        Some("Page 1 of 2")
    );
    browser.close().await;
}
