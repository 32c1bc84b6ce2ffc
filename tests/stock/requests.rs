//! Single requests: idempotency rules, all-or-nothing orders, bad input,
//! counter sales, scopes, the dashboard's stock forms and `shelfsync check`.

use serde_json::json;
use shelfsync::domain::TokenScope;
use shelfsync::inventory::lists::{OnlineListQuery, OnlineRecord, online_list};
use shelfsync::inventory::tokens::create_token;

use crate::common::fixtures::{fresh_key, other_merchant};
use crate::common::{Backend, attr_of, html, sel, text_of};
use crate::on_both_backends;
use crate::support::{Shop, client, ship};

on_both_backends!(
    a_replay_has_the_original_answer_a_changed_body_is_422_and_a_missing_key_is_400,
    a_multi_line_order_with_one_short_line_records_nothing,
    bad_input_is_refused_naming_the_field_and_changes_nothing,
    a_short_counter_sale_says_why_and_recorded_anyway_shows_as_a_discrepancy,
    a_sale_changes_the_online_list_and_the_delta_feed_at_once,
    a_token_of_the_wrong_scope_cannot_record_stock,
    the_item_page_shows_stock_per_store_and_history_and_its_forms_move_stock
);

async fn a_replay_has_the_original_answer_a_changed_body_is_422_and_a_missing_key_is_400(
    backend: Backend,
) {
    let shop = Shop::start(backend).await;
    let item = shop.new_item("IDEM");
    shop.receive(item, shop.downtown, 5);
    let api = client();
    let key = fresh_key();

    let first = shop.order(&api, &key, &ship(item, 1)).await;
    let again = shop.order(&api, &key, &ship(item, 1)).await;
    let changed = shop.order(&api, &key, &ship(item, 2)).await;
    let keyless = shop
        .post(
            &api,
            "/api/v1/storefront/orders",
            &shop.storefront,
            None,
            &ship(item, 1).to_string(),
        )
        .await;
    let sale_keyless = shop
        .post(
            &api,
            "/api/v1/pos/sales",
            &shop.pos_downtown,
            None,
            &json!({ "lines": [{ "item_id": item, "quantity": 1 }] }).to_string(),
        )
        .await;

    assert_eq!((first.status, first.replayed), (201, false));
    assert_eq!((again.status, again.replayed), (201, true));
    assert_eq!(again.body, first.body);
    assert_eq!(changed.status, 422);
    assert_eq!(changed.body["error"]["code"], "idempotency_key_reused");
    assert_eq!(keyless.status, 400);
    assert_eq!(keyless.body["error"]["code"], "idempotency_key_required");
    assert_eq!(sale_keyless.status, 400);
    assert_eq!(shop.level(item, shop.downtown), 4);
}

async fn a_multi_line_order_with_one_short_line_records_nothing(backend: Backend) {
    let shop = Shop::start(backend).await;
    let mug = shop.new_item("MUG-X");
    let tea = shop.new_item("TEA-X");
    shop.receive(mug, shop.downtown, 5);
    shop.receive(tea, shop.downtown, 1);
    let before = (shop.movements_of(mug), shop.movements_of(tea));

    let reply = shop
        .order(
            &client(),
            &fresh_key(),
            &json!({
                "lines": [{ "item_id": mug, "quantity": 3 }, { "item_id": tea, "quantity": 2 }],
                "fulfilment": { "type": "pickup", "location_id": shop.downtown }
            }),
        )
        .await;

    assert_eq!(reply.status, 409);
    let details = &reply.body["error"]["details"];
    assert_eq!(reply.body["error"]["code"], "insufficient_stock");
    assert_eq!(
        (details["item_id"].as_i64(), details["sku"].as_str()),
        (Some(tea), Some("TEA-X"))
    );
    assert_eq!(
        (
            details["location_id"].as_i64(),
            details["available"].as_i64()
        ),
        (Some(shop.downtown), Some(1))
    );
    assert_eq!(
        (
            shop.level(mug, shop.downtown),
            shop.level(tea, shop.downtown)
        ),
        (5, 1)
    );
    assert_eq!((shop.movements_of(mug), shop.movements_of(tea)), before);
}

async fn bad_input_is_refused_naming_the_field_and_changes_nothing(backend: Backend) {
    let shop = Shop::start(backend).await;
    let item = shop.new_item("BAD");
    shop.receive(item, shop.downtown, 5);
    let other = other_merchant(&shop.app).location_id;
    let api = client();
    let line = |quantity: serde_json::Value| json!({ "lines": [{ "item_id": item, "quantity": quantity }], "fulfilment": { "type": "ship" } });
    let cases = [
        (line(json!(0)), "lines[0].quantity"),
        (line(json!(-2)), "lines[0].quantity"),
        (line(json!(1_000_000_001_i64)), "lines[0].quantity"),
        (line(json!(1.5)), "lines[0].quantity"),
        (line(json!("2")), "lines[0].quantity"),
        (
            json!({ "lines": [{ "item_id": 987_654, "quantity": 1 }], "fulfilment": { "type": "ship" } }),
            "lines[0].item_id",
        ),
        (
            json!({ "lines": [{ "item_id": item, "quantity": 1 }], "fulfilment": { "type": "pickup", "location_id": other } }),
            "fulfilment.location_id",
        ),
        (
            json!({ "lines": [{ "item_id": item, "quantity": 1 }], "fulfilment": { "type": "drone" } }),
            "fulfilment",
        ),
        (
            json!({ "lines": [], "fulfilment": { "type": "ship" } }),
            "lines",
        ),
    ];
    for (body, field) in cases {
        let reply = shop.order(&api, &fresh_key(), &body).await;
        assert_eq!(reply.status, 422, "{body}: {reply:?}");
        assert_eq!(reply.body["error"]["details"]["field"], field, "{body}");
    }
    let sale = shop
        .sale(
            &api,
            &shop.pos_downtown,
            &fresh_key(),
            &json!({ "lines": [{ "item_id": item, "quantity": 0 }] }),
        )
        .await;
    assert_eq!(
        (sale.status, sale.body["error"]["details"]["field"].as_str()),
        (422, Some("lines[0].quantity"))
    );
    let not_json = shop
        .post(
            &api,
            "/api/v1/storefront/orders",
            &shop.storefront,
            Some(&fresh_key()),
            "lines=1",
        )
        .await;
    assert_eq!(not_json.status, 400);

    assert_eq!(shop.level(item, shop.downtown), 5);
    assert_eq!(shop.movements_of(item), 1);
}

async fn a_short_counter_sale_says_why_and_recorded_anyway_shows_as_a_discrepancy(
    backend: Backend,
) {
    let shop = Shop::start(backend).await;
    let item = shop.new_item("TILL");
    shop.receive(item, shop.riverside, 1);
    let api = client();
    let sale = |anyway: bool| json!({ "lines": [{ "item_id": item, "quantity": 3 }], "record_anyway": anyway, "occurred_at": "2026-11-20T14:05:00Z" });

    let refused = shop
        .sale(&api, &shop.pos_riverside, &fresh_key(), &sale(false))
        .await;
    let recorded = shop
        .sale(&api, &shop.pos_riverside, &fresh_key(), &sale(true))
        .await;

    assert_eq!(refused.status, 409);
    assert_eq!(
        refused.body["error"]["details"]["location_id"],
        shop.riverside
    );
    assert_eq!(refused.body["error"]["details"]["available"], 1);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("TILL"))
    );
    assert_eq!(recorded.status, 201, "{recorded:?}");
    assert_eq!(recorded.body["sale"]["discrepancy"], true);
    assert_eq!(recorded.body["sale"]["occurred_at"], "2026-11-20T14:05:00");
    assert_eq!(recorded.body["sale"]["lines"][0]["on_hand_after"], -2);

    shop.app.login().await;
    let list = shop.app.get_html("/items?filter=discrepancy").await;
    let rows: Vec<String> = list
        .select(&sel("tr.item-row td.sku"))
        .map(|td| td.text().collect::<String>().trim().to_owned())
        .collect();
    assert_eq!(rows, vec!["TILL".to_owned()]);
    let counter = shop
        .app
        .get_html(&format!("/counter?location={}", shop.riverside))
        .await;
    assert_eq!(
        attr_of(
            &counter,
            &format!("tr[data-item-id=\"{item}\"] td.on-hand"),
            "class"
        )
        .as_deref(),
        Some("num on-hand negative")
    );
}

async fn a_sale_changes_the_online_list_and_the_delta_feed_at_once(backend: Backend) {
    let shop = Shop::start(backend).await;
    let item = shop.new_item("SHARED");
    shop.receive(item, shop.downtown, 2);
    let before = online_list(
        &mut shop.app.conn(),
        shop.merchant,
        OnlineListQuery::default(),
    )
    .expect("list")
    .catalog_version;

    let sold = shop
        .sale(
            &client(),
            &shop.pos_downtown,
            &fresh_key(),
            &json!({ "lines": [{ "item_id": item, "quantity": 2 }] }),
        )
        .await;

    assert_eq!(sold.status, 201);
    assert!(sold.body["sale"]["catalog_version"].as_i64() > Some(before));
    let delta = online_list(
        &mut shop.app.conn(),
        shop.merchant,
        OnlineListQuery {
            since_version: Some(before),
            ..OnlineListQuery::default()
        },
    )
    .expect("delta");
    match delta.records.as_slice() {
        [OnlineRecord::Listed(entry)] => {
            assert_eq!(entry.id, item);
            assert_eq!(
                (entry.available_online, entry.purchasable_online),
                (0, false)
            );
        }
        other => panic!("expected only the sold item in the delta, got {other:?}"),
    }
}

async fn a_token_of_the_wrong_scope_cannot_record_stock(backend: Backend) {
    let shop = Shop::start(backend).await;
    let item = shop.new_item("SCOPE");
    shop.receive(item, shop.downtown, 2);
    let admin = create_token(
        &mut shop.app.conn(),
        shop.merchant,
        "Back office",
        TokenScope::Admin,
        None,
    )
    .expect("token")
    .secret;
    let api = client();

    let pos_ordering = shop
        .post(
            &api,
            "/api/v1/storefront/orders",
            &shop.pos_downtown,
            Some(&fresh_key()),
            &ship(item, 1).to_string(),
        )
        .await;
    let storefront_selling = shop
        .post(
            &api,
            "/api/v1/pos/sales",
            &shop.storefront,
            Some(&fresh_key()),
            &json!({ "lines": [{ "item_id": item, "quantity": 1 }] }).to_string(),
        )
        .await;
    let admin_selling = shop
        .post(
            &api,
            "/api/v1/pos/sales",
            &admin,
            Some(&fresh_key()),
            &json!({ "lines": [{ "item_id": item, "quantity": 1 }] }).to_string(),
        )
        .await;
    let nobody = shop
        .post(
            &api,
            "/api/v1/pos/sales",
            "sst_not-a-token",
            Some(&fresh_key()),
            "{}",
        )
        .await;

    assert_eq!(
        (
            pos_ordering.status,
            storefront_selling.status,
            admin_selling.status,
            nobody.status
        ),
        (403, 403, 403, 401)
    );
    assert_eq!(shop.level(item, shop.downtown), 2);
}

async fn the_item_page_shows_stock_per_store_and_history_and_its_forms_move_stock(
    backend: Backend,
) {
    let shop = Shop::start(backend).await;
    let item = shop.new_item("PAGE");
    shop.receive(item, shop.downtown, 4);
    shop.app.login().await;
    let page = shop.app.get_html(&format!("/items/{item}")).await;
    let key = attr_of(&page, "#receive-form input[name=idempotency_key]", "value")
        .expect("a one-time key");
    let csrf = shop.app.csrf_token().await;
    let receive = [
        ("csrf_token", csrf.as_str()),
        ("location_id", &shop.riverside.to_string()),
        ("quantity", "6"),
        ("reason", "Delivery 118"),
        ("idempotency_key", &key),
    ];

    let first = shop
        .app
        .client
        .post(shop.app.url(&format!("/items/{item}/stock/receive")))
        .form(&receive)
        .send()
        .await
        .expect("post");
    let double = shop
        .app
        .client
        .post(shop.app.url(&format!("/items/{item}/stock/receive")))
        .form(&receive)
        .send()
        .await
        .expect("post");
    let refused = shop
        .app
        .post_form(
            &format!("/items/{item}/stock/adjust"),
            &[
                ("location_id", &shop.downtown.to_string()),
                ("quantity", "-9"),
                ("reason", "broken"),
                ("idempotency_key", &fresh_key()),
            ],
        )
        .await;
    let counted = shop
        .app
        .post_form(
            &format!("/items/{item}/stock/count"),
            &[
                ("location_id", &shop.downtown.to_string()),
                ("quantity", "3"),
                ("reason", "stocktake"),
                ("idempotency_key", &fresh_key()),
            ],
        )
        .await;

    assert_eq!(
        (
            first.status().as_u16(),
            double.status().as_u16(),
            counted.status().as_u16()
        ),
        (303, 303, 303)
    );
    assert_eq!(refused.status().as_u16(), 422);
    let refused_page = html(&refused.text().await.expect("body"));
    assert!(
        text_of(
            &refused_page,
            "#adjust-form .field-error[data-field=quantity]"
        )
        .is_some_and(|m| m.contains("count"))
    );
    assert_eq!(
        (
            shop.level(item, shop.downtown),
            shop.level(item, shop.riverside)
        ),
        (3, 6)
    );
    let page = shop.app.get_html(&format!("/items/{item}")).await;
    let levels: Vec<(String, String)> = page
        .select(&sel("tr.stock-level"))
        .map(|row| {
            (
                row.value()
                    .attr("data-location-id")
                    .unwrap_or_default()
                    .to_owned(),
                row.value()
                    .attr("data-on-hand")
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        vec![
            (shop.downtown.to_string(), "3".into()),
            (shop.riverside.to_string(), "6".into())
        ]
    );
    let kinds: Vec<String> = page
        .select(&sel("tr.movement td.kind"))
        .map(|td| td.text().collect())
        .collect();
    assert_eq!(kinds, vec!["Counted", "Received", "Received"]);
    assert_eq!(text_of(&page, "#stock-total").as_deref(), Some("9"));
    assert_eq!(text_of(&page, "#available-online").as_deref(), Some("3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shelfsync_check_exits_non_zero_and_lists_a_level_that_differs_from_its_ledger() {
    use diesel::prelude::*;
    use shelfsync::db::schema::stock_levels;
    let shop = Shop::start(crate::common::Backend::Sqlite).await;
    let item = shop.new_item("CHECKED");
    shop.receive(item, shop.downtown, 4);
    let check = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_shelfsync"))
            .args(["check", "--database-url", &shop.app.db.url])
            .output()
            .expect("shelfsync check runs")
    };
    assert!(check().status.success(), "a consistent database passes");

    diesel::update(stock_levels::table.filter(stock_levels::item_id.eq(item)))
        .set(stock_levels::on_hand.eq(7))
        .execute(&mut shop.app.conn())
        .expect("tamper");
    let failed = check();

    assert!(!failed.status.success());
    let listing = String::from_utf8_lossy(&failed.stdout);
    assert!(
        listing.contains("CHECKED") && listing.contains("level 7 but movements sum to 4"),
        "{listing}"
    );
}
