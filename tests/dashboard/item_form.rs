//! Creating, editing and archiving an item through its forms.

use crate::common::demo::BLUE_MUG_FOR_SALE;
use crate::common::fixtures::other_merchant;
use crate::common::{Backend, attr_of, html, sel, spawn_app, text_of};
use crate::on_both_backends;

fn field_errors(doc: &scraper::Html) -> Vec<(String, String)> {
    doc.select(&sel("p.field-error"))
        .map(|p| {
            (
                p.value().attr("data-field").unwrap_or_default().to_owned(),
                p.text().collect(),
            )
        })
        .collect()
}

on_both_backends!(
    a_new_item_is_created_with_its_designations,
    bad_fields_are_shown_beside_each_field_and_nothing_is_created,
    view_only_without_in_store_is_refused_on_the_form,
    a_duplicate_sku_is_shown_beside_the_sku,
    an_edit_saves_and_a_concurrent_edit_is_not_overwritten,
    archiving_hides_the_item_from_the_list_and_the_shop,
    another_merchants_item_page_is_not_found
);

async fn a_new_item_is_created_with_its_designations(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app
        .post_form(
            "/items/new",
            &[
                ("sku", "NEW-1"),
                ("name", "Oak bowl"),
                ("price", "24.5"),
                ("barcode", ""),
                ("description", "Turned oak."),
                ("in_store", "1"),
                ("online", "view_only"),
            ],
        )
        .await;

    assert_eq!(response.status(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let doc = app.get_html(&location).await;
    assert_eq!(
        text_of(&doc, "#flash p.notice.success").as_deref(),
        Some("Oak bowl was added")
    );
    assert_eq!(attr_of(&doc, "#price", "value").as_deref(), Some("24.50"));
    assert_eq!(
        text_of(&doc, "p.state strong").as_deref(),
        Some("View online, buy in store, sold in store")
    );
}

async fn bad_fields_are_shown_beside_each_field_and_nothing_is_created(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app
        .post_form(
            "/items/new",
            &[
                ("sku", "has space"),
                ("name", ""),
                ("price", "12.345"),
                ("barcode", "123"),
                ("online", "for_sale"),
            ],
        )
        .await;

    assert_eq!(response.status(), 422);
    let doc = html(&response.text().await.expect("body"));
    let fields: Vec<String> = field_errors(&doc).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, vec!["sku", "name", "price", "barcode"]);
    assert_eq!(
        attr_of(&doc, "#sku", "value").as_deref(),
        Some("has space"),
        "typed values are kept"
    );
    assert_eq!(
        attr_of(&doc, "#sku", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        text_of(&app.get_html("/items").await, "p.count").as_deref(),
        Some("60 items")
    );
}

async fn view_only_without_in_store_is_refused_on_the_form(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app
        .post_form(
            "/items/new",
            &[
                ("sku", "NEW-2"),
                ("name", "Bowl"),
                ("price", "3"),
                ("online", "view_only"),
            ],
        )
        .await;

    assert_eq!(response.status(), 422);
    let doc = html(&response.text().await.expect("body"));
    let errors = field_errors(&doc);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "online");
    assert!(errors[0].1.contains("needs the item to be sold in store"));
}

async fn a_duplicate_sku_is_shown_beside_the_sku(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app
        .post_form(
            "/items/new",
            &[("sku", "CG-1001"), ("name", "Another mug"), ("price", "3")],
        )
        .await;

    assert_eq!(response.status(), 422);
    let doc = html(&response.text().await.expect("body"));
    assert_eq!(
        field_errors(&doc),
        vec![(
            "sku".to_owned(),
            "SKU CG-1001 is already used by another item".to_owned()
        )]
    );
}

async fn an_edit_saves_and_a_concurrent_edit_is_not_overwritten(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let page = app.get_html(&format!("/items/{BLUE_MUG_FOR_SALE}")).await;
    let version = attr_of(&page, "form.item-form input[name=version]", "value").expect("version");
    let fields = |name: &'static str, price: &'static str| {
        vec![
            ("sku", "CG-1001"),
            ("name", name),
            ("price", price),
            ("barcode", "2000047110005"),
            ("description", ""),
        ]
    };

    let mut first = fields("Cobalt mug", "15.00");
    first.push(("version", &version));
    let saved = app
        .post_form(&format!("/items/{BLUE_MUG_FOR_SALE}"), &first)
        .await;
    let mut second = fields("Red mug", "1.00");
    second.push(("version", &version));
    let stale = app
        .post_form(&format!("/items/{BLUE_MUG_FOR_SALE}"), &second)
        .await;

    assert_eq!(saved.status(), 303);
    assert_eq!(stale.status(), 409);
    let doc = html(&stale.text().await.expect("body"));
    assert!(
        text_of(&doc, "p.notice.warning")
            .expect("message")
            .contains("Someone else saved this item")
    );
    assert_eq!(
        attr_of(&doc, "#name", "value").as_deref(),
        Some("Red mug"),
        "the edit is kept to retry"
    );
    let now = app.get_html(&format!("/items/{BLUE_MUG_FOR_SALE}")).await;
    assert_eq!(
        attr_of(&now, "#name", "value").as_deref(),
        Some("Cobalt mug")
    );
    assert_eq!(attr_of(&now, "#price", "value").as_deref(), Some("15.00"));
}

async fn archiving_hides_the_item_from_the_list_and_the_shop(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let page = app.get_html(&format!("/items/{BLUE_MUG_FOR_SALE}")).await;
    let version = attr_of(&page, "form.item-form input[name=version]", "value").expect("version");

    let response = app
        .post_form(
            &format!("/items/{BLUE_MUG_FOR_SALE}/archive"),
            &[("to", "archive"), ("version", &version)],
        )
        .await;

    assert_eq!(response.status(), 303);
    assert!(
        app.get_html("/items?q=CG-1001")
            .await
            .select(&sel("tr.item-row"))
            .next()
            .is_none()
    );
    assert_eq!(
        app.get_html("/items?filter=archived")
            .await
            .select(&sel("tr.item-row"))
            .count(),
        1
    );
    let shop = app.get_html("/shop/corner-goods").await;
    assert!(
        shop.select(&sel(&format!(
            "article[data-item-id=\"{BLUE_MUG_FOR_SALE}\"]"
        )))
        .next()
        .is_none()
    );
}

async fn another_merchants_item_page_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let their_item = other_merchant(&app).store_only_item().id;

    assert_eq!(app.get(&format!("/items/{their_item}")).await.status(), 404);
    let response = app
        .post_form(
            &format!("/items/{their_item}"),
            &[
                ("sku", "X"),
                ("name", "Mine now"),
                ("price", "1"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(app.get("/items/not-a-number").await.status(), 404);
}

on_both_backends!(a_failed_stock_form_keeps_the_items_own_online_buffer_in_the_settings_form,);

async fn a_failed_stock_form_keeps_the_items_own_online_buffer_in_the_settings_form(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let item = format!("/items/{BLUE_MUG_FOR_SALE}");
    let page = app.get_html(&item).await;
    let version =
        attr_of(&page, "#stock-settings-form input[name=version]", "value").expect("version");
    let saved = app
        .post_form(
            &format!("{item}/stock/settings"),
            &[("online_buffer", "3"), ("version", &version)],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let page = app.get_html(&item).await;
    let location = attr_of(
        &page,
        "#adjust-form select[name=location_id] option",
        "value",
    )
    .expect("a store");
    let key = attr_of(&page, "#adjust-form input[name=idempotency_key]", "value").expect("a key");

    let refused = app
        .post_form(
            &format!("{item}/stock/adjust"),
            &[
                ("location_id", &location),
                ("quantity", "lots"),
                ("reason", "broken"),
                ("idempotency_key", &key),
            ],
        )
        .await;

    assert_eq!(refused.status(), 422);
    let doc = html(&refused.text().await.expect("body"));
    assert!(
        doc.select(&sel("#adjust-form .field-error[data-field=quantity]"))
            .next()
            .is_some(),
        "the adjust form shows its error"
    );
    assert_eq!(
        attr_of(&doc, "#online-buffer", "value").as_deref(),
        Some("3"),
        "the settings form still shows the item's own buffer"
    );
}

/// The receive form's one-time key and the first store, read from the item page.
async fn receive_form_of(app: &crate::common::TestApp, item: i64) -> (String, String) {
    let page = app.get_html(&format!("/items/{item}")).await;
    let location = attr_of(
        &page,
        "#receive-form select[name=location_id] option",
        "value",
    )
    .expect("a store");
    let key = attr_of(&page, "#receive-form input[name=idempotency_key]", "value").expect("a key");
    (location, key)
}

on_both_backends!(
    an_htmx_stock_form_is_answered_with_the_stock_panel_alone,
    an_htmx_stock_form_with_a_mistake_is_answered_with_the_panel_and_its_message,
    an_unknown_stock_form_is_a_not_found_page,
);

async fn an_htmx_stock_form_is_answered_with_the_stock_panel_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let (location, key) = receive_form_of(&app, BLUE_MUG_FOR_SALE).await;
    let before = app.get_html(&format!("/items/{BLUE_MUG_FOR_SALE}")).await;
    let total: i64 = text_of(&before, "#stock-total")
        .and_then(|t| t.parse().ok())
        .expect("a total");

    let response = app
        .htmx_post(
            &format!("/items/{BLUE_MUG_FOR_SALE}/stock/receive"),
            &[
                ("location_id", &location),
                ("quantity", "5"),
                ("reason", "Delivery 7"),
                ("idempotency_key", &key),
            ],
        )
        .await;

    assert_eq!(response.status(), 200);
    let doc = crate::common::fragment(&response.text().await.expect("body"));
    assert!(
        doc.select(&sel("section#stock")).next().is_some(),
        "the stock panel"
    );
    assert!(
        doc.select(&sel("form.item-form, header.topbar"))
            .next()
            .is_none(),
        "and nothing else of the page"
    );
    assert_eq!(text_of(&doc, "#stock-total"), Some((total + 5).to_string()));
    assert_eq!(
        text_of(&doc, "tr.movement td.kind").as_deref(),
        Some("Received")
    );
    assert!(text_of(&doc, "#flash p.notice.success").is_some_and(|m| m.starts_with("Received 5")));
    let fresh = attr_of(&doc, "#receive-form input[name=idempotency_key]", "value").expect("a key");
    assert_ne!(fresh, key, "the next submission gets a new one-time key");
}

async fn an_htmx_stock_form_with_a_mistake_is_answered_with_the_panel_and_its_message(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let (location, key) = receive_form_of(&app, BLUE_MUG_FOR_SALE).await;

    let response = app
        .htmx_post(
            &format!("/items/{BLUE_MUG_FOR_SALE}/stock/count"),
            &[
                ("location_id", &location),
                ("quantity", "-4"),
                ("reason", "stocktake"),
                ("idempotency_key", &key),
            ],
        )
        .await;

    assert_eq!(response.status(), 422);
    let doc = crate::common::fragment(&response.text().await.expect("body"));
    assert!(doc.select(&sel("section#stock")).next().is_some());
    assert!(doc.select(&sel("header.topbar")).next().is_none());
    assert!(text_of(&doc, "#count-form .field-error[data-field=quantity]").is_some());
    assert_eq!(
        attr_of(&doc, "#count-quantity", "value").as_deref(),
        Some("-4"),
        "what was typed is kept"
    );
}

async fn an_unknown_stock_form_is_a_not_found_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let (location, key) = receive_form_of(&app, BLUE_MUG_FOR_SALE).await;

    let response = app
        .post_form(
            &format!("/items/{BLUE_MUG_FOR_SALE}/stock/steal"),
            &[
                ("location_id", &location),
                ("quantity", "1"),
                ("reason", "x"),
                ("idempotency_key", &key),
            ],
        )
        .await;

    assert_eq!(response.status(), 404);
    let doc = html(&response.text().await.expect("body"));
    assert_eq!(text_of(&doc, "h1").as_deref(), Some("Not found"));
}

on_both_backends!(a_stale_form_post_is_a_409_page_with_the_conflict_message,);

async fn a_stale_form_post_is_a_409_page_with_the_conflict_message(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let item = format!("/items/{BLUE_MUG_FOR_SALE}");
    let page = app.get_html(&item).await;
    let version = attr_of(&page, "form.item-form input[name=version]", "value").expect("version");
    let settings_version =
        attr_of(&page, "#stock-settings-form input[name=version]", "value").expect("version");
    let renamed = app
        .post_form(
            &item,
            &[
                ("sku", "CG-1001"),
                ("name", "Cobalt mug"),
                ("price", "15.00"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(renamed.status(), 303, "someone saves the item first");

    let archive = app
        .post_form(
            &format!("{item}/archive"),
            &[("to", "archive"), ("version", &version)],
        )
        .await;
    let settings = app
        .post_form(
            &format!("{item}/stock/settings"),
            &[("online_buffer", "9"), ("version", &settings_version)],
        )
        .await;

    for (what, response) in [("archive", archive), ("stock settings", settings)] {
        assert_eq!(response.status(), 409, "{what}");
        let doc = html(&response.text().await.expect("body"));
        assert_eq!(
            attr_of(&doc, "p.error-message", "data-status").as_deref(),
            Some("409"),
            "{what}"
        );
        assert!(
            text_of(&doc, "p.error-message")
                .is_some_and(|m| m.contains("Cobalt mug was changed by someone else")),
            "{what}"
        );
    }
    let now = app.get_html(&item).await;
    assert!(
        now.select(&sel("p.state .badge.off")).next().is_none(),
        "the item is not archived"
    );
    assert_eq!(
        attr_of(&now, "#online-buffer", "value").as_deref(),
        Some(""),
        "the buffer is unchanged"
    );
}
