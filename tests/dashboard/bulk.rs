//! `/items/bulk`: one designation for many items, all or nothing.

use crate::common::demo::{CAMPING_MUG_VIEW_ONLY, SPECKLED_MUG_IN_STORE_ONLY, TEAPOT_ONLINE_ONLY};
use crate::common::{Backend, attr_of, sel, spawn_app, text_of};
use crate::on_both_backends;
use crate::support::row_state;

async fn state(app: &crate::common::TestApp, item_id: i64) -> (String, String, i64) {
    row_state(
        &app.get_html(&format!("/items?q=CG-{}", 1000 + item_id))
            .await,
        item_id,
    )
    .expect("row")
}

on_both_backends!(
    bulk_sell_online_changes_every_selected_item_at_one_catalog_version,
    items_that_cannot_take_the_change_are_named_and_nothing_changes_until_confirmed,
    select_all_matching_applies_to_the_whole_filter,
    a_bulk_form_with_a_bad_id_or_no_selection_changes_nothing,
    an_item_changed_since_the_list_was_drawn_is_named_and_nothing_changes
);

async fn bulk_sell_online_changes_every_selected_item_at_one_catalog_version(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let before = shelfsync::inventory::catalog_version(&mut app.conn(), merchant).expect("version");
    let ids = [SPECKLED_MUG_IN_STORE_ONLY, CAMPING_MUG_VIEW_ONLY, 8];

    let response = app
        .post_form(
            "/items/bulk",
            &[
                ("action", "sell_online"),
                ("ids", &ids[0].to_string()),
                ("ids", &ids[1].to_string()),
                ("ids", &ids[2].to_string()),
            ],
        )
        .await;

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/items?q=&filter=all");
    let doc = app.get_html("/items").await;
    assert_eq!(
        text_of(&doc, "#flash p.notice.success").as_deref(),
        Some("Sell online: 3 items changed.")
    );
    for id in ids {
        assert_eq!(state(&app, id).await.0, "for_sale", "item {id}");
    }
    assert_eq!(
        shelfsync::inventory::catalog_version(&mut app.conn(), merchant).expect("version"),
        before + 1
    );
}

async fn items_that_cannot_take_the_change_are_named_and_nothing_changes_until_confirmed(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let before = [
        state(&app, SPECKLED_MUG_IN_STORE_ONLY).await,
        state(&app, TEAPOT_ONLINE_ONLY).await,
    ];

    let review = app
        .post_form(
            "/items/bulk",
            &[
                ("action", "view_online_buy_in_store"),
                ("ids", &SPECKLED_MUG_IN_STORE_ONLY.to_string()),
                ("ids", &TEAPOT_ONLINE_ONLY.to_string()),
            ],
        )
        .await;

    assert_eq!(review.status(), 200);
    let doc = crate::common::html(&review.text().await.expect("body"));
    let refused: Vec<(String, String)> = doc
        .select(&sel("tr.refused-item"))
        .map(|row| {
            let cell = |css: &str| {
                row.select(&sel(css))
                    .next()
                    .map(|c| c.text().collect::<String>())
                    .unwrap_or_default()
            };
            (cell("td.name"), cell("td.reason"))
        })
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0, "Teapot, 1 litre");
    assert!(
        refused[0].1.contains("needs the item to be sold in store"),
        "{}",
        refused[0].1
    );
    assert_eq!(
        text_of(&doc, "#apply-valid").as_deref(),
        Some("Apply to the 1 other item only")
    );
    assert_eq!(
        [
            state(&app, SPECKLED_MUG_IN_STORE_ONLY).await,
            state(&app, TEAPOT_ONLINE_ONLY).await
        ],
        before
    );

    let confirmed = app
        .post_form(
            "/items/bulk",
            &[
                ("action", "view_online_buy_in_store"),
                ("apply", "valid_only"),
                ("ids", &SPECKLED_MUG_IN_STORE_ONLY.to_string()),
            ],
        )
        .await;

    assert_eq!(confirmed.status(), 303);
    assert_eq!(state(&app, SPECKLED_MUG_IN_STORE_ONLY).await.0, "view_only");
    assert_eq!(state(&app, TEAPOT_ONLINE_ONLY).await, before[1]);
}

async fn select_all_matching_applies_to_the_whole_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app
        .post_form(
            "/items/bulk",
            &[
                ("action", "remove_from_online"),
                ("all_matching", "1"),
                ("filter", "view_only"),
                ("q", ""),
            ],
        )
        .await;

    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/items?q=&filter=view_only",
        "back to the list the merchant was in"
    );
    let doc = app.get_html("/items?filter=view_only").await;
    assert_eq!(
        text_of(&doc, "#flash p.notice.success").as_deref(),
        Some("Remove from online: 10 items changed.")
    );
    assert_eq!(text_of(&doc, "p.count").as_deref(), Some("0 items"));
}

async fn a_bulk_form_with_a_bad_id_or_no_selection_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let before = state(&app, SPECKLED_MUG_IN_STORE_ONLY).await;

    let bad_id = app
        .post_form(
            "/items/bulk",
            &[
                ("action", "sell_online"),
                ("ids", &SPECKLED_MUG_IN_STORE_ONLY.to_string()),
                ("ids", "DROP TABLE"),
            ],
        )
        .await;
    let foreign = app
        .post_form(
            "/items/bulk",
            &[
                ("action", "sell_online"),
                ("ids", &SPECKLED_MUG_IN_STORE_ONLY.to_string()),
                ("ids", "999999"),
            ],
        )
        .await;
    let none = app
        .post_form("/items/bulk", &[("action", "sell_online")])
        .await;

    assert_eq!(bad_id.status(), 400);
    let doc = crate::common::html(&bad_id.text().await.expect("body"));
    assert!(
        text_of(&doc, "p.error-message")
            .expect("message")
            .contains("\"DROP TABLE\" is not an item id")
    );
    assert_eq!(foreign.status(), 404);
    assert_eq!(none.status(), 303);
    let doc = app.get_html("/items").await;
    assert_eq!(
        text_of(&doc, "#flash p.notice.error").as_deref(),
        Some("Select at least one item first.")
    );
    assert_eq!(state(&app, SPECKLED_MUG_IN_STORE_ONLY).await, before);
}

async fn an_item_changed_since_the_list_was_drawn_is_named_and_nothing_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let list = app.get_html("/items?q=mug").await;
    let checkbox = |id: i64| {
        attr_of(&list, &format!("tr#item-{id} input[name=ids]"), "value").expect("a checkbox")
    };
    let (speckled, camping) = (
        checkbox(SPECKLED_MUG_IN_STORE_ONLY),
        checkbox(CAMPING_MUG_VIEW_ONLY),
    );
    let seen = state(&app, SPECKLED_MUG_IN_STORE_ONLY).await;
    // Someone else removes the speckled mug from the store after the list was drawn.
    shelfsync::inventory::designate(
        &mut app.conn(),
        &shelfsync::inventory::Actor::staff("Ana"),
        merchant,
        SPECKLED_MUG_IN_STORE_ONLY,
        seen.2,
        shelfsync::domain::DesignationChange::STOP_SELLING_IN_STORE,
    )
    .expect("Ana's change");
    let before = shelfsync::inventory::catalog_version(&mut app.conn(), merchant).expect("version");

    let response = app
        .post_form(
            "/items/bulk",
            &[
                ("action", "sell_online"),
                ("ids", &speckled),
                ("ids", &camping),
            ],
        )
        .await;

    assert_eq!(response.status(), 200);
    let review = crate::common::html(&response.text().await.expect("body"));
    let changed: Vec<String> = review
        .select(&sel("tr.refused-item.changed-since-seen td.name"))
        .map(|td| td.text().collect())
        .collect();
    assert_eq!(changed, vec!["Speckled mug".to_owned()]);
    assert_eq!(
        shelfsync::inventory::catalog_version(&mut app.conn(), merchant).expect("version"),
        before,
        "nothing changed"
    );
    let after = state(&app, SPECKLED_MUG_IN_STORE_ONLY).await;
    assert_eq!(
        (after.0.as_str(), after.1.as_str()),
        ("hidden", "false"),
        "Ana's change stands"
    );
    // Applying to the others only carries their versions too.
    let others: Vec<String> = review
        .select(&sel("form input[name=ids]"))
        .filter_map(|input| input.value().attr("value").map(str::to_owned))
        .collect();
    assert_eq!(others, vec![camping]);
}
