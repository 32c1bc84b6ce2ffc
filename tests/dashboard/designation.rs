//! The designation buttons: htmx swaps the row in place; without JavaScript
//! the same form redirects back; conflicts and rule breaks are explained.

use shelfsync::inventory::{Actor, DesignationChange, Item, designate};

use crate::common::demo::{CAMPING_MUG_VIEW_ONLY, SPECKLED_MUG_IN_STORE_ONLY, TEAPOT_ONLINE_ONLY};
use crate::common::fixtures::other_merchant;
use crate::common::{Backend, attr_of, row_fragment, sel, spawn_app, text_of};
use crate::on_both_backends;
use crate::support::{row_state, version_of};

fn button_values(doc: &scraper::Html, item_id: i64) -> Vec<String> {
    doc.select(&sel(&format!("tr#item-{item_id} button[name=action]")))
        .filter_map(|b| b.value().attr("value").map(str::to_owned))
        .collect()
}

on_both_backends!(
    each_row_offers_only_the_buttons_that_make_sense,
    sell_online_via_htmx_returns_the_new_row_the_message_and_the_catalog_version,
    without_javascript_the_form_redirects_back_with_the_message,
    a_redirect_back_never_leaves_the_site,
    a_stale_version_shows_who_changed_it_and_the_next_press_applies,
    an_invalid_combination_shows_the_rule_and_the_fix_in_the_toast,
    tampered_form_values_change_nothing_and_say_why,
    another_merchants_item_is_not_found,
    a_press_on_an_archived_item_is_refused_with_the_reason_in_the_toast
);

async fn each_row_offers_only_the_buttons_that_make_sense(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let doc = app.get_html("/items?per_page=50&q=mug").await;

    assert_eq!(
        button_values(&doc, SPECKLED_MUG_IN_STORE_ONLY),
        vec![
            "view_online_buy_in_store",
            "sell_online",
            "stop_selling_in_store"
        ]
    );
    assert_eq!(
        button_values(&doc, CAMPING_MUG_VIEW_ONLY),
        vec!["remove_from_online", "sell_online"]
    );
    let teapot = app.get_html("/items?q=teapot").await;
    assert_eq!(
        button_values(&teapot, TEAPOT_ONLINE_ONLY),
        vec!["remove_from_online", "sell_in_store"]
    );
    let teapot_row = format!("tr#item-{TEAPOT_ONLINE_ONLY}");
    let segments: Vec<(String, String)> = teapot
        .select(&sel(&format!("{teapot_row} .segmented button")))
        .map(|b| {
            (
                b.text().collect(),
                b.value()
                    .attr("aria-pressed")
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        segments,
        vec![
            ("Not online".to_owned(), "false".to_owned()),
            ("View online, buy in store".to_owned(), "false".to_owned()),
            ("Sell online".to_owned(), "true".to_owned()),
        ],
        "one segmented control, the current state pressed"
    );
    let view_only = format!("{teapot_row} .segment[data-control=online-view_only]");
    assert!(attr_of(&teapot, &view_only, "disabled").is_some());
    assert_eq!(
        attr_of(&teapot, &view_only, "title").as_deref(),
        Some(
            "View online, buy in store needs the item to be sold in store. Press Sell in store first, or choose Sell online."
        ),
        "a refused choice is disabled with the reason"
    );
    let switch = format!("{teapot_row} button.switch[role=switch]");
    assert_eq!(
        attr_of(&teapot, &switch, "aria-checked").as_deref(),
        Some("false")
    );
    let camping_switch = format!("tr#item-{CAMPING_MUG_VIEW_ONLY} button.switch[role=switch]");
    assert_eq!(
        attr_of(&doc, &camping_switch, "aria-checked").as_deref(),
        Some("true")
    );
    assert!(
        attr_of(&doc, &camping_switch, "title")
            .is_some_and(|title| title.contains("needs in-store sales")),
        "a view-only item can't stop selling in store, and the switch says why"
    );
    assert!(attr_of(&doc, &camping_switch, "disabled").is_some());
}

async fn sell_online_via_htmx_returns_the_new_row_the_message_and_the_catalog_version(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let page = app.get_html("/items?q=speckled").await;
    let catalog_before: i64 = attr_of(&page, "#catalog-version", "data-version")
        .expect("header")
        .parse()
        .expect("number");
    let (_, _, version) = row_state(&page, SPECKLED_MUG_IN_STORE_ONLY).expect("row");

    let response = app
        .htmx_post(
            &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"),
            &[("action", "sell_online"), ("version", &version.to_string())],
        )
        .await;

    assert_eq!(response.status(), 200);
    let doc = row_fragment(&response.text().await.expect("body"));
    let (online, in_store, new_version) =
        row_state(&doc, SPECKLED_MUG_IN_STORE_ONLY).expect("the row comes back");
    assert_eq!(
        (online.as_str(), in_store.as_str(), new_version),
        ("for_sale", "true", version + 1)
    );
    assert_eq!(
        text_of(&doc, "#flash p.notice").as_deref(),
        Some("Speckled mug is now for sale online")
    );
    assert_eq!(
        text_of(&doc, "tr td.online .badge").as_deref(),
        Some("For sale online")
    );
    let catalog_after: i64 = attr_of(&doc, "#catalog-version", "data-version")
        .expect("out-of-band header")
        .parse()
        .expect("number");
    assert_eq!(catalog_after, catalog_before + 1);
    assert_eq!(
        attr_of(&doc, "#catalog-version", "hx-swap-oob").as_deref(),
        Some("true")
    );
    assert_eq!(
        text_of(&doc, "#flash p.notice.success").as_deref(),
        Some("Speckled mug is now for sale online")
    );
    let shop = app.get_html("/shop/corner-goods").await;
    assert!(shop.select(&sel(&format!("article.product[data-item-id=\"{SPECKLED_MUG_IN_STORE_ONLY}\"][data-online=\"for_sale\"]"))).next().is_some());
}

async fn without_javascript_the_form_redirects_back_with_the_message(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let version = version_of(&app, SPECKLED_MUG_IN_STORE_ONLY).await;

    let response = app
        .post_form(
            &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"),
            &[
                ("action", "view_online_buy_in_store"),
                ("version", &version.to_string()),
                ("return_to", "/items?q=speckled"),
            ],
        )
        .await;

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/items?q=speckled");
    let doc = app.get_html("/items?q=speckled").await;
    assert_eq!(
        text_of(&doc, "#flash p.notice.success").as_deref(),
        Some("Speckled mug is now view online, buy in store")
    );
    assert_eq!(
        row_state(&doc, SPECKLED_MUG_IN_STORE_ONLY).expect("row").0,
        "view_only"
    );
}

async fn a_redirect_back_never_leaves_the_site(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let version = version_of(&app, SPECKLED_MUG_IN_STORE_ONLY).await;

    let response = app
        .post_form(
            &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"),
            &[
                ("action", "sell_online"),
                ("version", &version.to_string()),
                ("return_to", "//evil.example/items"),
            ],
        )
        .await;

    assert_eq!(response.headers()["location"], "/items");
}

async fn a_stale_version_shows_who_changed_it_and_the_next_press_applies(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let stale = version_of(&app, SPECKLED_MUG_IN_STORE_ONLY).await;
    let merchant = app.demo_merchant_id();
    designate(
        &mut app.conn(),
        &Actor::staff("Ana"),
        merchant,
        SPECKLED_MUG_IN_STORE_ONLY,
        stale,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
    )
    .expect("another session's change");

    let response = app
        .htmx_post(
            &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"),
            &[("action", "sell_online"), ("version", &stale.to_string())],
        )
        .await;

    assert_eq!(response.status(), 200);
    let doc = row_fragment(&response.text().await.expect("body"));
    let (online, _, current) = row_state(&doc, SPECKLED_MUG_IN_STORE_ONLY).expect("row");
    assert_eq!(online, "view_only", "nothing was overwritten");
    assert_eq!(current, stale + 1);
    let notice = text_of(&doc, "#flash p.notice.warning").expect("a conflict message");
    assert!(notice.starts_with("Changed by Ana at "), "{notice}");
    assert!(
        notice.ends_with("— now View online, buy in store, sold in store; press again to apply"),
        "{notice}"
    );

    let again = app
        .htmx_post(
            &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"),
            &[("action", "sell_online"), ("version", &current.to_string())],
        )
        .await;
    let doc = row_fragment(&again.text().await.expect("body"));
    assert_eq!(
        row_state(&doc, SPECKLED_MUG_IN_STORE_ONLY).expect("row").0,
        "for_sale"
    );
}

async fn an_invalid_combination_shows_the_rule_and_the_fix_in_the_toast(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let version = version_of(&app, CAMPING_MUG_VIEW_ONLY).await;

    // A stale page could still offer "Stop selling in store" for a view-only item.
    let response = app
        .htmx_post(
            &format!("/items/{CAMPING_MUG_VIEW_ONLY}/designation"),
            &[
                ("action", "stop_selling_in_store"),
                ("version", &version.to_string()),
            ],
        )
        .await;

    assert_eq!(response.status(), 200);
    let doc = row_fragment(&response.text().await.expect("body"));
    let notice = text_of(&doc, "#flash p.notice.error").expect("the rule");
    assert!(notice.contains("needs in-store sales"), "{notice}");
    assert!(
        notice.contains("Remove it from online or switch it to Sell online first"),
        "{notice}"
    );
    assert_eq!(
        row_state(&doc, CAMPING_MUG_VIEW_ONLY).expect("row"),
        ("view_only".into(), "true".into(), version)
    );
}

async fn tampered_form_values_change_nothing_and_say_why(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let version = version_of(&app, SPECKLED_MUG_IN_STORE_ONLY).await;
    let path = format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation");

    let bad_action = app
        .htmx_post(
            &path,
            &[("action", "make_free"), ("version", &version.to_string())],
        )
        .await;
    let bad_version = app
        .htmx_post(&path, &[("action", "sell_online"), ("version", "abc")])
        .await;
    let no_js_bad_action = app
        .post_form(
            &path,
            &[("action", "<script>"), ("version", &version.to_string())],
        )
        .await;

    assert_eq!(bad_action.status(), 200);
    let doc = row_fragment(&bad_action.text().await.expect("body"));
    assert_eq!(
        text_of(&doc, "#flash p.notice.error").as_deref(),
        Some("That button is not one shelfsync knows; nothing was changed.")
    );
    let doc = row_fragment(&bad_version.text().await.expect("body"));
    assert!(
        text_of(&doc, "#flash p.notice.error")
            .expect("message")
            .contains("missing the item version")
    );
    assert_eq!(no_js_bad_action.status(), 303);
    assert_eq!(
        row_state(
            &app.get_html("/items?q=speckled").await,
            SPECKLED_MUG_IN_STORE_ONLY
        )
        .expect("row"),
        ("hidden".into(), "true".into(), version)
    );
}

async fn another_merchants_item_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let other = other_merchant(&app);
    let (their_merchant, their_item) = (other.id, other.store_only_item().id);

    let response = app
        .htmx_post(
            &format!("/items/{their_item}/designation"),
            &[("action", "sell_online"), ("version", "1")],
        )
        .await;
    let missing = app
        .htmx_post(
            "/items/999999/designation",
            &[("action", "sell_online"), ("version", "1")],
        )
        .await;

    assert_eq!(response.status(), 404);
    assert_eq!(missing.status(), 404);
    let theirs = Item::find(&mut app.conn(), their_merchant, their_item).expect("still there");
    assert_eq!(theirs.online().as_str(), "hidden");
    assert_eq!(theirs.version, 1);
}

async fn a_press_on_an_archived_item_is_refused_with_the_reason_in_the_toast(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let item = Item::find(&mut app.conn(), merchant, SPECKLED_MUG_IN_STORE_ONLY).expect("item");
    let archived = shelfsync::inventory::change_item(
        &mut app.conn(),
        &Actor::staff("Ana"),
        merchant,
        item.id,
        item.version,
        &shelfsync::inventory::ItemChange::Archive(true),
    )
    .expect("archived")
    .item;

    let response = app
        .htmx_post(
            &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"),
            &[
                ("action", "sell_online"),
                ("version", &archived.version.to_string()),
            ],
        )
        .await;

    assert_eq!(response.status(), 200);
    let row = row_fragment(&response.text().await.expect("body"));
    let notice = text_of(&row, "#flash p.notice.error").expect("the refusal");
    assert_eq!(
        notice,
        "Speckled mug: The item is archived. Restore it before changing where it is sold."
    );
    let now = Item::find(&mut app.conn(), merchant, SPECKLED_MUG_IN_STORE_ONLY).expect("item");
    assert_eq!(
        (now.version, now.online()),
        (archived.version, archived.online())
    );
}
