//! Settings → Webhooks in a browser: adding an endpoint shows its secret
//! once, and a bad URL is refused beside the field.

use crate::common::{Backend, spawn_app};
use crate::driver::Browser;
use crate::{on_both_backends, sign_in};

on_both_backends!(adding_a_webhook_endpoint_shows_its_secret_once_and_refuses_a_bad_url);

async fn adding_a_webhook_endpoint_shows_its_secret_once_and_refuses_a_bad_url(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("webhooks", backend).await;
    sign_in(&browser, &app).await;
    browser.goto(&app.url("/settings/webhooks")).await;
    browser.wait_for("#webhook-url").await;

    browser
        .fill("#webhook-url", "ftp://shop.example/hooks")
        .await;
    browser.click("#new-endpoint button[type=submit]").await;
    browser.wait_for(".field-error[data-field=url]").await;
    browser.screenshot("refused").await;
    browser
        .fill("#webhook-url", "https://shop.example/hooks/shelfsync")
        .await;
    browser.click("#new-endpoint button[type=submit]").await;
    browser.wait_for("#new-webhook-secret").await;
    browser.screenshot("added").await;
    let secret = browser
        .text("#new-webhook-secret")
        .await
        .expect("the secret");

    assert!(secret.starts_with("whsec_"));
    assert_eq!(browser.count("tr.webhook-endpoint").await, 1);
    browser.goto(&app.url("/settings/webhooks")).await;
    browser.wait_for("tr.webhook-endpoint").await;
    assert_eq!(
        browser.count("#new-webhook-secret").await,
        0,
        "shown only once"
    );
    browser.close().await;
}
