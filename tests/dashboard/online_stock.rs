//! What the item list says about stock: a column per store (a total with the
//! stores in a disclosure beyond four), the "sold out online" and "listed
//! online but not purchasable" filters, and the message of Sell online on an
//! item the shop will show as sold out.

use std::collections::BTreeSet;

use shelfsync::domain::OnlineListing;
use shelfsync::inventory::items::StockSettings;
use shelfsync::inventory::lists::{OnlineListQuery, OnlineRecord, online_list};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::{Actor, Item, ItemChange, change_item, stores};

use crate::common::demo::BLUE_MUG_FOR_SALE;
use crate::common::fixtures::{new_item, receive_stock};
use crate::common::{Backend, TestApp, attr_of, row_fragment, sel, spawn_app, text_of};
use crate::on_both_backends;
use crate::support::row_state;

on_both_backends!(
    selling_online_an_item_with_nothing_available_applies_and_says_the_shop_shows_it_sold_out,
    selling_online_an_item_with_stock_confirms_with_undo,
    the_online_filters_agree_with_the_online_list,
    each_store_has_a_stock_column_up_to_four,
    beyond_four_stores_the_list_shows_a_total_with_each_store_in_a_disclosure
);

/// The demo merchant's first store (Downtown, which fulfils online orders).
fn downtown(app: &TestApp) -> i64 {
    Location::all_of(&mut app.conn(), app.demo_merchant_id())
        .expect("stores")
        .into_iter()
        .find(|store| store.name == "Downtown")
        .expect("the demo has Downtown")
        .id
}

fn with_backorder(app: &TestApp, item: &Item, allow_backorder: bool) -> Item {
    change_item(
        &mut app.conn(),
        &Actor::staff("Test"),
        app.demo_merchant_id(),
        item.id,
        item.version,
        &ItemChange::StockSettings(StockSettings {
            online_buffer: Some(0),
            allow_backorder,
            auto_view_only: false,
        }),
    )
    .expect("the stock settings are saved")
    .item
}

async fn selling_online_an_item_with_nothing_available_applies_and_says_the_shop_shows_it_sold_out(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let item = new_item(
        &mut app.conn(),
        app.demo_merchant_id(),
        "SO-1",
        "Glass carafe",
        true,
        OnlineListing::Hidden,
    );

    let response = app
        .htmx_post(
            &format!("/items/{}/designation", item.id),
            &[
                ("action", "sell_online"),
                ("version", &item.version.to_string()),
            ],
        )
        .await;

    assert_eq!(response.status(), 200);
    let doc = row_fragment(&response.text().await.expect("body"));
    let (online, _, _) = row_state(&doc, item.id).expect("the row comes back");
    assert_eq!(online, "for_sale", "the change applies");
    assert_eq!(
        text_of(&doc, "#flash p.notice.warning").as_deref(),
        Some(
            "Glass carafe is for sale online but sold out online (0 available): receive stock or allow backorder"
        )
    );
    let links: Vec<(String, String)> = doc
        .select(&sel("#flash p.notice a"))
        .map(|a| {
            (
                a.text().collect(),
                a.value().attr("href").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        links,
        vec![
            (
                "receive stock".to_owned(),
                format!("/items/{}#receive-form", item.id)
            ),
            (
                "allow backorder".to_owned(),
                format!("/items/{}#stock-settings-form", item.id)
            ),
        ]
    );
    let page = app.get_html(&format!("/items/{}", item.id)).await;
    assert!(page.select(&sel("#receive-form")).next().is_some());
    assert!(page.select(&sel("#stock-settings-form")).next().is_some());
    assert_eq!(
        text_of(&doc, &format!("tr#item-{} .sold-out-online", item.id)).as_deref(),
        Some("Sold out online")
    );
    let shop = app.get_html("/shop/corner-goods").await;
    let card = format!("article.product[data-item-id=\"{}\"] .sold-out", item.id);
    assert!(
        shop.select(&sel(&card)).next().is_some(),
        "the shop shows it sold out"
    );
}

async fn selling_online_an_item_with_stock_confirms_with_undo(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let item = new_item(
        &mut app.conn(),
        merchant,
        "SO-2",
        "Stoneware jug",
        true,
        OnlineListing::Hidden,
    );
    let item = with_backorder(&app, &item, false);
    receive_stock(&mut app.conn(), merchant, item.id, downtown(&app), 4);

    let response = app
        .htmx_post(
            &format!("/items/{}/designation", item.id),
            &[
                ("action", "sell_online"),
                ("version", &item.version.to_string()),
                ("return_to", "/items?q=SO-2"),
            ],
        )
        .await;

    let doc = row_fragment(&response.text().await.expect("body"));
    assert_eq!(
        text_of(&doc, "#flash p.notice.success").as_deref(),
        Some("Stoneware jug is now for sale online")
    );
    let undo = attr_of(&doc, "#flash form.toast-undo", "hx-post").expect("an Undo");
    assert!(
        undo.starts_with("/activity/") && undo.ends_with("/undo"),
        "{undo}"
    );
    assert_eq!(
        attr_of(&doc, "#flash form.toast-undo", "hx-target").as_deref(),
        Some(format!("#item-{}", item.id).as_str())
    );

    let undone = app
        .htmx_post(&undo, &[("return_to", "/items?q=SO-2")])
        .await;

    assert_eq!(undone.status(), 200);
    let doc = row_fragment(&undone.text().await.expect("body"));
    assert_eq!(
        row_state(&doc, item.id).expect("the row comes back").0,
        "hidden"
    );
    assert_eq!(
        text_of(&doc, "#flash p.notice.success").as_deref(),
        Some("Undone: Stoneware jug is back to Not online, sold in store")
    );
}

/// The ids an /items filter lists among the items whose SKU starts "SO-".
async fn filtered(app: &TestApp, filter: &str) -> BTreeSet<i64> {
    let doc = app.get_html(&format!("/items?q=SO-&filter={filter}")).await;
    doc.select(&sel("tr.item-row"))
        .filter_map(|row| row.value().attr("data-item-id")?.parse().ok())
        .collect()
}

async fn the_online_filters_agree_with_the_online_list(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let store = downtown(&app);
    let make = |sku: &str, online: OnlineListing| {
        new_item(&mut app.conn(), merchant, sku, sku, true, online)
    };
    let sold_out = with_backorder(&app, &make("SO-10", OnlineListing::ForSale), false);
    let backordered = with_backorder(&app, &make("SO-11", OnlineListing::ForSale), true);
    let view_only = make("SO-12", OnlineListing::ViewOnly);
    let stocked = with_backorder(&app, &make("SO-13", OnlineListing::ForSale), false);
    receive_stock(&mut app.conn(), merchant, stocked.id, store, 5);
    let store_only = make("SO-14", OnlineListing::Hidden);

    let sold_out_online = filtered(&app, "sold_out_online").await;
    let not_purchasable = filtered(&app, "listed_not_purchasable").await;

    assert_eq!(
        sold_out_online,
        BTreeSet::from([sold_out.id, backordered.id])
    );
    assert_eq!(not_purchasable, BTreeSet::from([sold_out.id, view_only.id]));
    assert!(!not_purchasable.contains(&store_only.id));
    let listed = online_list(
        &mut app.conn(),
        merchant,
        OnlineListQuery {
            limit: 1000,
            ..OnlineListQuery::default()
        },
    )
    .expect("the online list");
    let ours = [sold_out.id, backordered.id, view_only.id, stocked.id];
    let from_list = |wanted: &dyn Fn(&shelfsync::inventory::lists::OnlineListEntry) -> bool| {
        listed
            .records
            .iter()
            .filter_map(|record| match record {
                OnlineRecord::Listed(entry) if ours.contains(&entry.id) && wanted(entry) => {
                    Some(entry.id)
                }
                _ => None,
            })
            .collect::<BTreeSet<i64>>()
    };
    assert_eq!(
        not_purchasable,
        from_list(&|entry| !entry.purchasable_online),
        "the filter lists what the shop can't sell"
    );
    assert_eq!(
        sold_out_online,
        from_list(&|entry| entry.online.0 == OnlineListing::ForSale && entry.available_online == 0)
    );
    let page = app.get_html("/items").await;
    let choices: Vec<String> = page
        .select(&sel("#filter option"))
        .filter_map(|option| option.value().attr("value").map(str::to_owned))
        .collect();
    assert!(
        choices.contains(&"sold_out_online".to_owned()),
        "{choices:?}"
    );
    assert!(
        choices.contains(&"listed_not_purchasable".to_owned()),
        "{choices:?}"
    );
}

/// The stock cells of an item's row: (store, on hand).
fn stock_cells(doc: &scraper::Html, item_id: i64) -> Vec<(String, String)> {
    doc.select(&sel(&format!("tr#item-{item_id} td.stock-at")))
        .map(|cell| {
            (
                cell.value()
                    .attr("data-store")
                    .unwrap_or_default()
                    .to_owned(),
                cell.text().collect::<String>().trim().to_owned(),
            )
        })
        .collect()
}

async fn each_store_has_a_stock_column_up_to_four(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let item = new_item(
        &mut app.conn(),
        merchant,
        "SO-20",
        "Oak tray",
        true,
        OnlineListing::Hidden,
    );
    receive_stock(&mut app.conn(), merchant, item.id, downtown(&app), 3);
    for name in ["Harbour", "Station"] {
        stores::add_location(&mut app.conn(), merchant, name, false).expect("a store");
    }

    let doc = app.get_html("/items?q=SO-20").await;

    let headers: Vec<String> = doc
        .select(&sel("table.items th.stock-at"))
        .map(|th| th.text().collect())
        .collect();
    assert_eq!(headers, vec!["Downtown", "Riverside", "Harbour", "Station"]);
    assert_eq!(
        stock_cells(&doc, item.id),
        vec![
            ("Downtown".to_owned(), "3".to_owned()),
            ("Riverside".to_owned(), "0".to_owned()),
            ("Harbour".to_owned(), "0".to_owned()),
            ("Station".to_owned(), "0".to_owned()),
        ]
    );
    assert!(doc.select(&sel("th.stock-total")).next().is_none());
}

async fn beyond_four_stores_the_list_shows_a_total_with_each_store_in_a_disclosure(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    for name in ["Harbour", "Station"] {
        stores::add_location(&mut app.conn(), merchant, name, false).expect("a store");
    }
    let market = stores::add_location(&mut app.conn(), merchant, "Market", false)
        .expect("a store")
        .id;
    let item = new_item(
        &mut app.conn(),
        merchant,
        "SO-30",
        "Birch bowl",
        true,
        OnlineListing::Hidden,
    );
    receive_stock(&mut app.conn(), merchant, item.id, downtown(&app), 2);
    receive_stock(&mut app.conn(), merchant, item.id, market, 5);

    let doc = app.get_html("/items?q=SO-30").await;

    assert!(doc.select(&sel("th.stock-at")).next().is_none());
    assert_eq!(
        text_of(&doc, "table.items th.stock-total").as_deref(),
        Some("Stock")
    );
    let row = format!("tr#item-{}", item.id);
    assert_eq!(
        text_of(&doc, &format!("{row} td.stock-total summary")).as_deref(),
        Some("7")
    );
    let breakdown: Vec<String> = doc
        .select(&sel(&format!("{row} td.stock-total details li")))
        .map(|li| {
            li.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        breakdown,
        vec![
            "Downtown 2",
            "Riverside 0",
            "Harbour 0",
            "Station 0",
            "Market 5"
        ]
    );
    let title = attr_of(&doc, &format!("{row} td.stock-total summary"), "title");
    assert_eq!(
        title.as_deref(),
        Some("Downtown: 2, Riverside: 0, Harbour: 0, Station: 0, Market: 5")
    );
    let blue_mug = format!("tr#item-{BLUE_MUG_FOR_SALE} td.stock-total");
    assert!(
        app.get_html("/items?q=CG-1001")
            .await
            .select(&sel(&blue_mug))
            .next()
            .is_some()
    );
}
