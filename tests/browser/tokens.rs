//! The tokens page in the browser: the Store field shows only for the pos
//! scope, and the one-time secret names its token and has a copy button.

use serde_json::Value;

use crate::common::{Backend, spawn_app};
use crate::driver::Browser;
use crate::{on_both_backends, sign_in};

on_both_backends!(the_store_field_is_for_pos_tokens_and_the_secret_copies);

async fn store_field_shown(browser: &Browser) -> bool {
    browser
        .script(
            "return document.getElementById('token-location').getClientRects().length > 0;",
            Vec::new(),
        )
        .await
        == Value::Bool(true)
}

async fn the_store_field_is_for_pos_tokens_and_the_secret_copies(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("tokens", backend).await;
    sign_in(&browser, &app).await;

    browser.goto(&app.url("/settings/tokens")).await;
    browser.wait_for("#token-scope").await;
    browser.choose("#token-scope", "storefront").await;
    assert!(
        !store_field_shown(&browser).await,
        "no Store field for a storefront token"
    );
    browser.screenshot_widths("storefront-scope").await;

    browser.choose("#token-scope", "pos").await;
    assert!(
        store_field_shown(&browser).await,
        "the Store field for a pos token"
    );
    browser.fill("#token-name", "Till 1").await;
    browser
        .click("form[action='/settings/tokens'] button[type=submit]")
        .await;

    browser.wait_for("#new-token-secret").await;
    assert_eq!(
        browser.text(".new-token .new-token-name").await.as_deref(),
        Some("Till 1")
    );
    browser.click(".new-token button[data-copy]").await;
    browser
        .wait_for_text(".new-token .copy-status", "Copied")
        .await;
    browser.screenshot_widths("new-secret").await;
    browser.close().await;
}
