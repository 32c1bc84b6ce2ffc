//! The dashboard and the shop under their Content-Security-Policy: htmx
//! still swaps rows, and Chromium reports no violation on the main pages.

use crate::common::{Backend, spawn_app};
use crate::driver::Browser;
use crate::{ESPRESSO_CUPS, SPECKLED_MUG, on_both_backends, sign_in};

on_both_backends!(the_main_pages_run_under_the_policy_without_a_violation);

async fn the_main_pages_run_under_the_policy_without_a_violation(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("content_security", backend).await;

    browser.goto(&app.url("/login")).await;
    browser.wait_for("#email").await;
    assert_eq!(
        browser.csp_violations().await,
        Vec::<String>::new(),
        "/login"
    );
    sign_in(&browser, &app).await;

    // htmx works under the policy: a designation press swaps its row in place.
    browser.goto(&app.url(&SPECKLED_MUG.search_path())).await;
    browser.wait_for(&SPECKLED_MUG.row()).await;
    browser.click(&SPECKLED_MUG.button("sell_online")).await;
    browser
        .wait_for_attr(&SPECKLED_MUG.row(), "data-online", "for_sale")
        .await;
    browser.screenshot("row-swapped-under-the-policy").await;
    assert_eq!(
        browser.csp_violations().await,
        Vec::<String>::new(),
        "/items"
    );

    for path in [
        "/items".to_owned(),
        format!("/items/{}", ESPRESSO_CUPS.id),
        "/items/new".to_owned(),
        "/counter?location=1".to_owned(),
        "/activity".to_owned(),
        "/settings/tokens".to_owned(),
        "/settings/webhooks".to_owned(),
        "/shop/corner-goods".to_owned(),
        "/shop/corner-goods/items/3".to_owned(),
    ] {
        browser.goto(&app.url(&path)).await;
        browser.wait_for("main").await;
        assert_eq!(
            browser.csp_violations().await,
            Vec::<String>::new(),
            "{path}"
        );
    }

    // The check can fail: an inline script is blocked and reported.
    let ran = browser
        .script(
            "var s = document.createElement('script'); \
             s.textContent = 'window.__inlineRan = true;'; \
             document.head.appendChild(s); \
             return window.__inlineRan === true;",
            vec![],
        )
        .await;
    assert_eq!(
        ran,
        serde_json::Value::Bool(false),
        "inline scripts are blocked"
    );
    let reported = browser.csp_violations().await;
    assert!(
        reported.iter().any(|line| line.contains("script-src")),
        "the blocked inline script is reported: {reported:?}"
    );
    browser.close().await;
}
