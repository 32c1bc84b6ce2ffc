//! The designation buttons on a row: the row changes in place without a page
//! reload, the header's catalog version and the flash follow, the shop shows
//! the result, and a change made meanwhile in another session is shown before
//! anything is overwritten.

use shelfsync::domain::Email;
use shelfsync::inventory::merchants;

use crate::common::{Backend, TestApp, new_client, spawn_app};
use crate::driver::Browser;
use crate::{
    CHAMOMILE_TEA, DemoItem, ESPRESSO_CUPS, GREETING_CARD, LINEN_TEA_TOWEL, SPECKLED_MUG,
    catalog_version, mark_page, offered_actions, on_both_backends, page_is_still_marked, sign_in,
};

const SHOP: &str = "/shop/corner-goods";

/// Another staff member, signed in on their own client, presses `action` on
/// `item` as their page drew it at `version`.
async fn press_in_another_session(app: &TestApp, item: &DemoItem, version: &str, action: &str) {
    let email = "alex@cornergoods.example";
    let password = "alex-has-a-long-password";
    merchants::create_staff(
        &mut app.conn(),
        app.demo_merchant_id(),
        &Email::parse(email).expect("a valid email"),
        "Alex Chen",
        password,
    )
    .expect("a second staff member can be added");
    let alex = new_client();
    app.login_as(&alex, email, password).await;
    let token = app.csrf_token_of(&alex).await;
    let response = alex
        .post(app.url(&format!("/items/{}/designation", item.id)))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", token)
        .form(&[("action", action), ("version", version)])
        .send()
        .await
        .expect("the other session's press should reach the server");
    assert_eq!(response.status(), 200, "the other session's press applies");
}

on_both_backends!(
    a_press_leaves_the_row_where_it_was_keeps_focus_and_undo_in_the_toast_reverts_it,
    a_row_changed_in_another_session_is_redrawn_live_with_a_highlight_and_does_not_move,
    selling_online_swaps_the_row_in_place_and_lists_the_item_in_the_shop,
    view_online_buy_in_store_swaps_the_row_in_place,
    a_change_from_another_session_is_shown_in_the_row_and_applies_on_the_second_press
);

async fn selling_online_swaps_the_row_in_place_and_lists_the_item_in_the_shop(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("sell_online", backend).await;
    sign_in(&browser, &app).await;
    let item = &SPECKLED_MUG;
    browser.goto(&app.url(SHOP)).await;
    browser.wait_for("article.product").await;
    let listed = format!("article.product[data-item-id=\"{}\"]", item.id);
    assert_eq!(
        browser.count(&listed).await,
        0,
        "not online, so not in the shop"
    );
    browser.goto(&app.url(&item.search_path())).await;
    browser
        .wait_for_attr(&item.row(), "data-online", "hidden")
        .await;
    let version_before = catalog_version(&browser).await;
    mark_page(&browser).await;
    browser.screenshot("before-press").await;

    browser.click(&item.button("sell_online")).await;

    let confirmation = "Speckled mug is now for sale online";
    browser
        .wait_for_attr(&item.row(), "data-online", "for_sale")
        .await;
    browser
        .wait_for_text(&item.row_notice(), confirmation)
        .await;
    browser.screenshot("after-press").await;
    assert!(
        page_is_still_marked(&browser).await,
        "the row changed without a page reload"
    );
    assert_eq!(
        browser.attr(&item.row(), "data-in-store").await.as_deref(),
        Some("true")
    );
    let notice_class = browser.attr(&item.row_notice(), "class").await;
    assert_eq!(notice_class.as_deref(), Some("notice success"));
    let offered = offered_actions(&browser, item).await;
    assert!(
        offered.contains(&"remove_from_online".to_owned()),
        "{offered:?}"
    );
    assert!(!offered.contains(&"sell_online".to_owned()), "{offered:?}");
    browser
        .eventually("the header's catalog version to go up", async || {
            (catalog_version(&browser).await > version_before).then_some(())
        })
        .await;
    let version_after = catalog_version(&browser).await;
    assert_eq!(
        browser.text("#catalog-version").await,
        Some(format!("v{version_after}"))
    );
    assert_eq!(
        browser.text("#flash p.notice.success").await.as_deref(),
        Some(confirmation)
    );

    browser.goto(&app.url(SHOP)).await;
    let product = item.shop_product("for_sale");
    browser.wait_for(&product).await;
    browser.scroll_to(&product).await;
    browser.screenshot("shop").await;
    assert_eq!(
        browser.text(&format!("{product} h2")).await.as_deref(),
        Some(item.name)
    );
    browser.close().await;
}

async fn view_online_buy_in_store_swaps_the_row_in_place(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("view_only", backend).await;
    sign_in(&browser, &app).await;
    let item = &ESPRESSO_CUPS;
    browser.goto(&app.url(&item.search_path())).await;
    browser
        .wait_for_attr(&item.row(), "data-online", "for_sale")
        .await;
    let version_before = catalog_version(&browser).await;
    mark_page(&browser).await;
    browser.screenshot("before-press").await;

    browser
        .click(&item.button("view_online_buy_in_store"))
        .await;

    let confirmation = "Espresso cup pair is now view online, buy in store";
    browser
        .wait_for_attr(&item.row(), "data-online", "view_only")
        .await;
    browser
        .wait_for_text(&item.row_notice(), confirmation)
        .await;
    browser.screenshot("after-press").await;
    assert!(
        page_is_still_marked(&browser).await,
        "the row changed without a page reload"
    );
    assert_eq!(
        browser.attr(&item.row(), "data-in-store").await.as_deref(),
        Some("true")
    );
    let offered = offered_actions(&browser, item).await;
    assert!(offered.contains(&"sell_online".to_owned()), "{offered:?}");
    assert!(
        !offered.contains(&"view_online_buy_in_store".to_owned()),
        "{offered:?}"
    );
    assert!(
        !offered.contains(&"stop_selling_in_store".to_owned()),
        "a view-only item must stay in store: {offered:?}"
    );
    browser
        .eventually("the header's catalog version to go up", async || {
            (catalog_version(&browser).await > version_before).then_some(())
        })
        .await;

    browser.goto(&app.url(SHOP)).await;
    let product = item.shop_product("view_only");
    browser.wait_for(&product).await;
    browser.scroll_to(&product).await;
    browser.screenshot("shop").await;
    let availability = browser
        .text(&format!("{product} p.availability"))
        .await
        .expect("the shop says where to buy it");
    assert!(
        availability.starts_with("See it here — buy it in store at"),
        "{availability}"
    );
    browser.close().await;
}

async fn a_change_from_another_session_is_shown_in_the_row_and_applies_on_the_second_press(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("conflict", backend).await;
    sign_in(&browser, &app).await;
    let item = &LINEN_TEA_TOWEL;
    browser.goto(&app.url(&item.search_path())).await;
    browser
        .wait_for_attr(&item.row(), "data-online", "hidden")
        .await;
    let drawn_version = browser
        .attr(&item.row(), "data-version")
        .await
        .expect("a row version");
    mark_page(&browser).await;
    // The list is live: a row changed elsewhere redraws itself. To keep this
    // row as drawn before the other change (as when the connection drops),
    // the live redraw's fetch fails; the press itself goes through htmx.
    browser
        .script(
            "window.fetch = function () { return Promise.reject(new Error('offline')); };",
            vec![],
        )
        .await;
    press_in_another_session(&app, item, &drawn_version, "view_online_buy_in_store").await;
    browser.screenshot("drawn-before-the-other-change").await;

    browser.click(&item.button("sell_online")).await;

    browser
        .wait_for_attr(&item.row(), "data-online", "view_only")
        .await;
    browser
        .wait_for(&format!("{}.warning", item.row_notice()))
        .await;
    browser.screenshot("conflict-shown").await;
    let warning = browser
        .text(&item.row_notice())
        .await
        .expect("the row explains");
    let (who, what) = warning
        .split_once(" — ")
        .unwrap_or_else(|| panic!("{warning:?}"));
    let time = who
        .strip_prefix("Changed by Alex Chen at ")
        .and_then(|rest| rest.strip_suffix(" UTC"))
        .unwrap_or_else(|| panic!("names who changed it: {warning:?}"));
    let is_clock_time = time.len() == 5 && time.chars().nth(2) == Some(':');
    assert!(is_clock_time, "a time like 14:02 UTC: {warning:?}");
    assert_eq!(
        what,
        "now View online, buy in store, sold in store; press again to apply"
    );
    let new_version = browser.attr(&item.row(), "data-version").await;
    assert_ne!(
        new_version.as_deref(),
        Some(drawn_version.as_str()),
        "the row carries the version it shows"
    );
    assert!(
        page_is_still_marked(&browser).await,
        "the conflict was shown without a page reload"
    );

    browser.click(&item.button("sell_online")).await;

    browser
        .wait_for_attr(&item.row(), "data-online", "for_sale")
        .await;
    browser
        .wait_for_text(&item.row_notice(), "Linen tea towel is now for sale online")
        .await;
    browser.screenshot("second-press-applied").await;
    let notice_class = browser.attr(&item.row_notice(), "class").await;
    assert_eq!(notice_class.as_deref(), Some("notice success"));
    assert!(
        page_is_still_marked(&browser).await,
        "the second press applied without a page reload"
    );
    browser.close().await;
}

/// Presses `action` on the item's row of the full list at `width`, checks the
/// row did not move and focus stayed on the control, then presses Undo in the
/// toast and checks the designation is back.
async fn press_and_undo(
    browser: &Browser,
    app: &TestApp,
    (width, height): (u32, u32),
    item: &DemoItem,
    (action, control, online): (&str, &str, &str),
) {
    browser.resize(width, height).await;
    browser.goto(&app.url("/items")).await;
    let row = item.row();
    browser.wait_for_attr(&row, "data-online", "hidden").await;
    browser.scroll_to(&row).await;
    let top_before = browser.top_of(&row).await;
    browser
        .screenshot(&format!("{action}-before_{width}"))
        .await;

    browser.click(&item.button(action)).await;

    browser.wait_for_attr(&row, "data-online", online).await;
    let pressed = format!("{row} [data-control={control}]");
    browser
        .eventually("focus to come back to the control pressed", async || {
            browser.focused_is(&pressed).await.then_some(())
        })
        .await;
    let top_after = browser.top_of(&row).await;
    assert!(
        (top_after - top_before).abs() <= 2.0,
        "at {width} px the row moved from {top_before} to {top_after}"
    );
    assert_eq!(
        browser.attr(&pressed, "aria-pressed").await.as_deref(),
        Some("true")
    );
    browser.wait_for("#flash form.toast-undo button").await;
    browser
        .screenshot(&format!("{action}-pressed_{width}"))
        .await;

    browser.click("#flash form.toast-undo button").await;

    browser.wait_for_attr(&row, "data-online", "hidden").await;
    browser
        .wait_for_text(
            "#flash p.notice.success",
            &format!("Undone: {} is back to Not online, sold in store", item.name),
        )
        .await;
    let top_undone = browser.top_of(&row).await;
    assert!(
        (top_undone - top_before).abs() <= 2.0,
        "at {width} px Undo moved the row from {top_before} to {top_undone}"
    );
    browser
        .screenshot(&format!("{action}-undone_{width}"))
        .await;
}

async fn a_press_leaves_the_row_where_it_was_keeps_focus_and_undo_in_the_toast_reverts_it(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("calm_press", backend).await;
    sign_in(&browser, &app).await;
    mark_page(&browser).await;

    press_and_undo(
        &browser,
        &app,
        (390, 844),
        &CHAMOMILE_TEA,
        ("view_online_buy_in_store", "online-view_only", "view_only"),
    )
    .await;
    press_and_undo(
        &browser,
        &app,
        (1280, 900),
        &SPECKLED_MUG,
        ("sell_online", "online-for_sale", "for_sale"),
    )
    .await;

    // The in-store switch: one control, focus stays on it.
    let row = GREETING_CARD.row();
    browser.scroll_to(&row).await;
    let top_before = browser.top_of(&row).await;
    browser
        .click(&format!("{row} button.switch[role=switch]"))
        .await;
    browser.wait_for_attr(&row, "data-in-store", "false").await;
    browser
        .eventually("focus to come back to the switch", async || {
            browser
                .focused_is(&format!("{row} [data-control=in-store]"))
                .await
                .then_some(())
        })
        .await;
    assert_eq!(
        browser
            .attr(&format!("{row} button.switch"), "aria-checked")
            .await
            .as_deref(),
        Some("false")
    );
    assert!((browser.top_of(&row).await - top_before).abs() <= 2.0);
    browser.screenshot("switch-off_1280").await;
    browser.close().await;
}

async fn a_row_changed_in_another_session_is_redrawn_live_with_a_highlight_and_does_not_move(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("live_rows", backend).await;
    sign_in(&browser, &app).await;
    browser.resize(1280, 900).await;
    browser.goto(&app.url("/items")).await;
    let item = &LINEN_TEA_TOWEL;
    let row = item.row();
    browser.wait_for_attr(&row, "data-online", "hidden").await;
    browser.wait_for("#items-live:not([hidden])").await;
    browser.scroll_to(&row).await;
    mark_page(&browser).await;
    browser
        .script(
            "window.__highlighted = false;
             new MutationObserver(function () {
               if (document.querySelector('tr.item-row.changed-live')) window.__highlighted = true;
             }).observe(document.body, {subtree: true, childList: true, attributes: true});",
            vec![],
        )
        .await;
    let top_before = browser.top_of(&row).await;
    let version = browser
        .attr(&row, "data-version")
        .await
        .expect("a row version");

    press_in_another_session(&app, item, &version, "view_online_buy_in_store").await;

    browser
        .wait_for_attr(&row, "data-online", "view_only")
        .await;
    browser.screenshot("changed-live_1280").await;
    assert_eq!(
        browser.script("return window.__highlighted;", vec![]).await,
        serde_json::Value::Bool(true),
        "the row was highlighted"
    );
    assert!(
        page_is_still_marked(&browser).await,
        "redrawn without a reload"
    );
    let top_after = browser.top_of(&row).await;
    assert!(
        (top_after - top_before).abs() <= 2.0,
        "the row moved from {top_before} to {top_after}"
    );
    browser.close().await;
}
