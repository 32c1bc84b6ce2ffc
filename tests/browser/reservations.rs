//! Reserve for pickup, end to end in Chromium: a shopper reserves two of a
//! view-only item on the shop page and gets the pickup code; the counter at
//! that store lists the reservation; *Picked up* hands it over, and the
//! store's stock is down by two.

use shelfsync::domain::OnlineListing;
use shelfsync::inventory::merchants::{Location, Merchant};

use crate::common::fixtures::{new_item, receive_stock};
use crate::common::{Backend, spawn_app, with_conn};
use crate::driver::Browser;
use crate::{on_both_backends, sign_in};

on_both_backends!(a_shopper_reserves_on_the_shop_page_and_the_counter_hands_it_over);

async fn a_shopper_reserves_on_the_shop_page_and_the_counter_hands_it_over(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (slug, downtown, item) = with_conn(&app.pool, |conn| {
        let slug = Merchant::find(conn, merchant).expect("the shop").slug;
        let downtown = Location::all_of(conn, merchant).expect("stores")[0].id;
        let item = new_item(
            conn,
            merchant,
            "LANTERN",
            "Storm lantern",
            true,
            OnlineListing::ViewOnly,
        )
        .id;
        receive_stock(conn, merchant, item, downtown, 3);
        (slug, downtown, item)
    });
    let browser = Browser::start("reservations", backend).await;

    browser
        .goto(&app.url(&format!("/shop/{slug}/items/{item}")))
        .await;
    let form = format!("#reserve-{downtown}");
    browser.wait_for(&form).await;
    browser.screenshot("1-product-page").await;
    browser
        .fill(&format!("#reserve-{downtown}-name"), "Ana Lima")
        .await;
    browser
        .fill(&format!("#reserve-{downtown}-email"), "ana@example.com")
        .await;
    browser
        .fill(&format!("#reserve-{downtown}-quantity"), "2")
        .await;
    browser.screenshot("2-form-filled").await;
    browser.click(&format!("{form} button[type=submit]")).await;
    browser.wait_for(".pickup-code").await;
    let code = browser.text(".pickup-code").await.expect("the pickup code");
    assert_eq!(code.trim().len(), 6, "{code}");
    browser.screenshot("3-confirmation").await;

    sign_in(&browser, &app).await;
    browser
        .goto(&app.url(&format!("/counter?location={downtown}")))
        .await;
    let row = format!("tr.reservation[data-code=\"{}\"]", code.trim());
    browser.wait_for(&row).await;
    assert_eq!(
        browser.text(&format!("{row} .quantity")).await.as_deref(),
        Some("2")
    );
    browser.screenshot("4-counter-lists-it").await;
    browser.click(&format!("{row} button.pickup-button")).await;
    browser.wait_for(".reservation-notice").await;
    browser.screenshot("5-picked-up").await;

    let on_hand = with_conn(&app.pool, |conn| {
        shelfsync::inventory::stock::on_hand(conn, item, downtown).expect("a level")
    });
    assert_eq!(on_hand, 1, "the stock is down by the two handed over");
    browser
        .goto(&app.url(&format!("/counter?location={downtown}&q=Storm")))
        .await;
    browser.wait_for_text(".counter-item td.on-hand", "1").await;
    browser.screenshot("6-stock-down").await;
    browser.close().await;
}
