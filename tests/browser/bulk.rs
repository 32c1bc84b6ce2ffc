//! Ticking rows and applying one change to all of them with the bulk bar.

use crate::common::{Backend, spawn_app};
use crate::driver::Browser;
use crate::{
    CHAMOMILE_TEA, DemoItem, GEL_PENS, GREETING_CARD, LINEN_TEA_TOWEL, on_both_backends, sign_in,
};

fn checkbox(item: &DemoItem) -> String {
    format!("{} input[name=ids][form=bulk]", item.row())
}

on_both_backends!(
    bulk_selling_online_changes_the_ticked_rows_and_says_how_many,
    a_bulk_change_that_some_items_refuse_lists_them_and_applies_to_the_rest_on_request
);

async fn bulk_selling_online_changes_the_ticked_rows_and_says_how_many(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("bulk", backend).await;
    sign_in(&browser, &app).await;
    browser.goto(&app.url("/items?filter=in_store_only")).await;
    let chosen = [&CHAMOMILE_TEA, &GREETING_CARD, &LINEN_TEA_TOWEL];
    for item in chosen {
        browser
            .wait_for_attr(&item.row(), "data-online", "hidden")
            .await;
        browser.click(&checkbox(item)).await;
    }
    browser.choose("#bulk-action", "sell_online").await;
    browser.screenshot("ticked").await;
    assert_eq!(browser.count("input[name=ids][form=bulk]:checked").await, 3);

    browser.click("#bulk-apply").await;

    browser
        .wait_for_text("#flash p.notice.success", "Sell online: 3 items changed.")
        .await;
    assert_eq!(
        browser
            .attr("#filter option[selected]", "value")
            .await
            .as_deref(),
        Some("in_store_only"),
        "the merchant is back in the list they were working in"
    );
    for item in chosen {
        assert_eq!(
            browser.count(&item.row()).await,
            0,
            "{} left the in-store-only list",
            item.name
        );
    }
    browser.goto(&app.url("/items?filter=for_sale")).await;
    browser.scroll_to(&CHAMOMILE_TEA.row()).await;
    browser.screenshot("applied").await;
    for item in chosen {
        assert_eq!(
            browser.attr(&item.row(), "data-online").await.as_deref(),
            Some("for_sale"),
            "{} is for sale online",
            item.name
        );
        assert_eq!(
            browser.attr(&item.row(), "data-in-store").await.as_deref(),
            Some("true"),
            "{} is still sold in store",
            item.name
        );
    }
    assert_eq!(
        browser.count("input[name=ids][form=bulk]:checked").await,
        0,
        "the list comes back with nothing ticked"
    );
    browser.close().await;
}

async fn a_bulk_change_that_some_items_refuse_lists_them_and_applies_to_the_rest_on_request(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("bulk_refused", backend).await;
    sign_in(&browser, &app).await;
    let can_take_it = [&CHAMOMILE_TEA, &GREETING_CARD];
    for item in can_take_it.into_iter().chain([&GEL_PENS]) {
        browser.wait_for(&item.row()).await;
        browser.click(&checkbox(item)).await;
    }
    browser
        .choose("#bulk-action", "view_online_buy_in_store")
        .await;
    browser.screenshot("ticked").await;
    assert_eq!(
        browser.count("input[name=ids][form=bulk]:checked").await,
        3,
        "choosing the action keeps the ticks"
    );

    browser.click("#bulk-apply").await;

    browser.wait_for("tr.refused-item").await;
    browser.screenshot("review").await;
    assert_eq!(browser.count("tr.refused-item").await, 1);
    assert_eq!(
        browser.text("tr.refused-item td.name").await.as_deref(),
        Some(GEL_PENS.name)
    );
    assert_eq!(
        browser.text("#apply-valid").await.as_deref(),
        Some("Apply to the 2 other items only")
    );

    browser.click("#apply-valid").await;

    browser
        .wait_for_text(
            "#flash p.notice.success",
            "View online, buy in store: 2 items changed.",
        )
        .await;
    browser.scroll_to(&CHAMOMILE_TEA.row()).await;
    browser.screenshot("applied-to-the-rest").await;
    for item in can_take_it {
        assert_eq!(
            browser.attr(&item.row(), "data-online").await.as_deref(),
            Some("view_only"),
            "{} is view online, buy in store",
            item.name
        );
    }
    assert_eq!(
        browser
            .attr(&GEL_PENS.row(), "data-online")
            .await
            .as_deref(),
        Some("for_sale"),
        "the refused item is left as it was"
    );
    assert_eq!(
        browser
            .attr(&GEL_PENS.row(), "data-in-store")
            .await
            .as_deref(),
        Some("false")
    );
    browser.close().await;
}
