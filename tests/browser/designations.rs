//! The designation buttons on a row: the row changes in place without a page
//! reload, the header's catalog version and the flash follow, the shop shows
//! the result, and a change made meanwhile in another session is shown before
//! anything is overwritten.

use shelfsync::domain::Email;
use shelfsync::inventory::merchants;

use crate::common::{TestApp, new_client, spawn_app};
use crate::driver::Browser;
use crate::{
    DemoItem, ESPRESSO_CUPS, LINEN_TEA_TOWEL, SPECKLED_MUG, catalog_version, mark_page,
    on_both_backends, page_is_still_marked, sign_in,
};

const SHOP: &str = "/shop/corner-goods";

fn shop_product(item: &DemoItem, online: &str) -> String {
    format!(
        "article.product[data-item-id=\"{}\"][data-online=\"{online}\"]",
        item.id
    )
}

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

on_both_backends! {
    async fn selling_online_swaps_the_row_in_place_and_lists_the_item_in_the_shop(backend) {
        let app = spawn_app(backend).await;
        let browser = Browser::start("sell_online", backend).await;
        sign_in(&browser, &app).await;
        browser.goto(&app.url(SHOP)).await;
        browser.wait_for("article.product").await;
        assert_eq!(browser.count(&format!("article.product[data-item-id=\"{}\"]", SPECKLED_MUG.id)).await, 0,
            "the shop does not list an item that is not online");
        browser.goto(&app.url(&SPECKLED_MUG.search_path())).await;
        browser.wait_for_attr(&SPECKLED_MUG.row(), "data-online", "hidden").await;
        let version_before = catalog_version(&browser).await;
        mark_page(&browser).await;
        browser.screenshot("01-before-press").await;

        browser.click(&SPECKLED_MUG.button("sell_online")).await;

        let row = SPECKLED_MUG.row();
        browser.wait_for_attr(&row, "data-online", "for_sale").await;
        browser.wait_for_text(&format!("{row} p.row-notice"), "Speckled mug is now for sale online").await;
        browser.screenshot("02-after-press").await;
        assert!(page_is_still_marked(&browser).await, "the row changed without a page reload");
        assert_eq!(browser.attr(&row, "data-in-store").await.as_deref(), Some("true"));
        assert_eq!(browser.attr(&format!("{row} p.row-notice"), "class").await.as_deref(),
            Some("notice success row-notice"));
        let buttons = browser.attrs(&format!("{row} button[name=action]"), "value").await;
        assert!(!buttons.contains(&"sell_online".to_owned()), "{buttons:?}");
        assert!(buttons.contains(&"remove_from_online".to_owned()), "{buttons:?}");
        browser.eventually("the header's catalog version to go up", async || {
            (catalog_version(&browser).await > version_before).then_some(())
        }).await;
        let version_after = catalog_version(&browser).await;
        assert_eq!(browser.text("#catalog-version").await, Some(format!("v{version_after}")));
        assert_eq!(browser.text("#flash p.notice.success").await.as_deref(),
            Some("Speckled mug is now for sale online"));

        browser.goto(&app.url(SHOP)).await;
        browser.wait_for(&shop_product(&SPECKLED_MUG, "for_sale")).await;
        browser.screenshot("03-shop").await;
        let product = shop_product(&SPECKLED_MUG, "for_sale");
        assert_eq!(browser.text(&format!("{product} h2")).await.as_deref(), Some("Speckled mug"));
        browser.close().await;
    }

    async fn view_online_buy_in_store_swaps_the_row_in_place(backend) {
        let app = spawn_app(backend).await;
        let browser = Browser::start("view_only", backend).await;
        sign_in(&browser, &app).await;
        browser.goto(&app.url(&ESPRESSO_CUPS.search_path())).await;
        browser.wait_for_attr(&ESPRESSO_CUPS.row(), "data-online", "for_sale").await;
        let version_before = catalog_version(&browser).await;
        mark_page(&browser).await;
        browser.screenshot("01-before-press").await;

        browser.click(&ESPRESSO_CUPS.button("view_online_buy_in_store")).await;

        let row = ESPRESSO_CUPS.row();
        browser.wait_for_attr(&row, "data-online", "view_only").await;
        browser.wait_for_text(&format!("{row} p.row-notice"),
            "Espresso cup pair is now view online, buy in store").await;
        browser.screenshot("02-after-press").await;
        assert!(page_is_still_marked(&browser).await, "the row changed without a page reload");
        assert_eq!(browser.attr(&row, "data-in-store").await.as_deref(), Some("true"));
        let buttons = browser.attrs(&format!("{row} button[name=action]"), "value").await;
        assert!(buttons.contains(&"sell_online".to_owned()), "{buttons:?}");
        assert!(!buttons.contains(&"view_online_buy_in_store".to_owned()), "{buttons:?}");
        assert!(!buttons.contains(&"stop_selling_in_store".to_owned()),
            "a view-only item must stay in store: {buttons:?}");
        browser.eventually("the header's catalog version to go up", async || {
            (catalog_version(&browser).await > version_before).then_some(())
        }).await;

        browser.goto(&app.url(SHOP)).await;
        browser.wait_for(&shop_product(&ESPRESSO_CUPS, "view_only")).await;
        browser.screenshot("03-shop").await;
        let availability = browser
            .text(&format!("{} p.availability", shop_product(&ESPRESSO_CUPS, "view_only")))
            .await
            .expect("the shop says where to buy it");
        assert!(availability.starts_with("See it here — buy it in store at"), "{availability}");
        browser.close().await;
    }

    async fn a_change_from_another_session_is_shown_in_the_row_and_applies_on_the_second_press(backend) {
        let app = spawn_app(backend).await;
        let browser = Browser::start("conflict", backend).await;
        sign_in(&browser, &app).await;
        browser.goto(&app.url(&LINEN_TEA_TOWEL.search_path())).await;
        let row = LINEN_TEA_TOWEL.row();
        browser.wait_for_attr(&row, "data-online", "hidden").await;
        let drawn_version = browser.attr(&row, "data-version").await.expect("the row has a version");
        mark_page(&browser).await;
        press_in_another_session(&app, &LINEN_TEA_TOWEL, &drawn_version, "view_online_buy_in_store").await;
        browser.screenshot("01-drawn-before-the-other-change").await;

        browser.click(&LINEN_TEA_TOWEL.button("sell_online")).await;

        let notice = format!("{row} p.row-notice");
        browser.wait_for_attr(&row, "data-online", "view_only").await;
        browser.wait_for(&format!("{notice}.warning")).await;
        browser.screenshot("02-conflict-shown").await;
        let warning = browser.text(&notice).await.expect("the row explains the conflict");
        let (who, rest) = warning.split_once(" — ").unwrap_or_else(|| panic!("{warning:?}"));
        let time = who.strip_prefix("Changed by Alex Chen at ").unwrap_or_else(|| panic!("{warning:?}"));
        assert!(time.len() == 5 && time.as_bytes()[2] == b':', "a time like 14:02: {warning:?}");
        assert_eq!(rest, "now View online, buy in store, sold in store; press again to apply");
        let new_version = browser.attr(&row, "data-version").await.expect("the row has a version");
        assert_ne!(new_version, drawn_version, "the row carries the version it now shows");
        assert!(page_is_still_marked(&browser).await, "the conflict was shown without a page reload");

        browser.click(&LINEN_TEA_TOWEL.button("sell_online")).await;

        browser.wait_for_attr(&row, "data-online", "for_sale").await;
        browser.wait_for_text(&notice, "Linen tea towel is now for sale online").await;
        browser.screenshot("03-second-press-applied").await;
        assert_eq!(browser.attr(&notice, "class").await.as_deref(), Some("notice success row-notice"));
        assert!(page_is_still_marked(&browser).await, "the second press applied without a page reload");
        browser.close().await;
    }
}
