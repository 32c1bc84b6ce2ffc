//! Item names are the merchant's text, never markup: not in the list, not in
//! the row htmx swaps in, not in the flash, not on the shop page.

use shelfsync::domain::{Designation, OnlineListing};
use shelfsync::inventory::Actor;
use shelfsync::inventory::items::{ItemInput, create_item};

use crate::common::fixtures::{item_input, parse_item};
use crate::common::{Backend, spawn_app};
use crate::driver::Browser;
use crate::{mark_page, on_both_backends, page_is_still_marked, sign_in};

const SCRIPT_NAME: &str = "<script>alert(1)</script>";
const IMG_DESCRIPTION: &str = "<img src=x onerror=alert(2)>";

on_both_backends!(an_item_named_like_a_script_shows_as_text_and_runs_nothing);

async fn an_item_named_like_a_script_shows_as_text_and_runs_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let fields = parse_item(&ItemInput {
        description: IMG_DESCRIPTION,
        ..item_input("XSS-1", SCRIPT_NAME, "5.00")
    })
    .expect("a name with angle brackets is allowed");
    let designation = Designation::new(true, OnlineListing::Hidden).expect("in store, not online");
    let item = create_item(
        &mut app.conn(),
        &Actor::staff("Sam Rivera"),
        app.demo_merchant_id(),
        &fields,
        designation,
    )
    .expect("the item is created");
    let row = format!("#item-{}", item.id);
    let browser = Browser::start("escaping", backend).await;
    sign_in(&browser, &app).await;
    browser.goto(&app.url("/items?q=XSS-1")).await;
    browser.wait_for(&row).await;
    browser.screenshot("list").await;
    assert_eq!(browser.open_dialog().await, None, "no alert on the list");
    assert_eq!(
        browser.text(&format!("{row} td.name a")).await.as_deref(),
        Some(SCRIPT_NAME)
    );
    assert_eq!(
        browser.count("main script").await,
        0,
        "the name adds no script element"
    );
    mark_page(&browser).await;

    browser
        .click(&format!("{row} button[name=action][value=sell_online]"))
        .await;

    // It holds no stock, so the shop will show it sold out, and the toast says so.
    let expected = format!(
        "{SCRIPT_NAME} is for sale online but sold out online (0 available): receive stock or allow backorder"
    );
    browser.wait_for_text("#flash p.notice", &expected).await;
    browser.screenshot("swapped-row").await;
    assert_eq!(browser.open_dialog().await, None, "no alert after the swap");
    assert!(
        page_is_still_marked(&browser).await,
        "the row changed without a page reload"
    );
    assert_eq!(
        browser.text(&format!("{row} td.name a")).await.as_deref(),
        Some(SCRIPT_NAME)
    );
    assert_eq!(
        browser.text("#flash p.notice").await.as_deref(),
        Some(expected.as_str())
    );
    assert_eq!(
        browser.count("main script, #flash script").await,
        0,
        "the swapped row and flash add no script element"
    );

    browser.goto(&app.url("/shop/corner-goods")).await;
    let product = format!("article.product[data-item-id=\"{}\"]", item.id);
    browser.wait_for(&product).await;
    browser.scroll_to(&product).await;
    browser.screenshot("shop").await;
    assert_eq!(
        browser.open_dialog().await,
        None,
        "no alert on the shop page"
    );
    assert_eq!(
        browser.text(&format!("{product} h2")).await.as_deref(),
        Some(SCRIPT_NAME)
    );
    assert_eq!(
        browser
            .text(&format!("{product} p.description"))
            .await
            .as_deref(),
        Some(IMG_DESCRIPTION)
    );
    assert_eq!(
        // The card's schema.org block is data, not a script that runs.
        browser
            .count("main script:not([type=\"application/ld+json\"]), main img")
            .await,
        0,
        "neither the name nor the description adds elements"
    );
    browser.close().await;
}
