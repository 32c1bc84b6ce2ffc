//! `/shop/{slug}`: the hosted storefront page, rendered from the online list,
//! cached by catalog version with an ETag.

use shelfsync::inventory::DesignationChange;
use shelfsync::inventory::ItemChange;
use shelfsync::inventory::lists::{OnlineListQuery, OnlineRecord, online_list};

use crate::common::demo::{
    BLUE_MUG_FOR_SALE, CAMPING_MUG_VIEW_ONLY, SENCHA_NOWHERE, SPECKLED_MUG_IN_STORE_ONLY,
};
use crate::common::{Backend, html, sel, spawn_app, text_of};
use crate::on_both_backends;

use super::support::{demo_items, designate_now, header};

const SHOP: &str = "/shop/corner-goods";

on_both_backends!(
    the_shop_shows_buy_online_for_sale_items_and_where_to_buy_view_only_ones,
    the_shop_page_answers_304_until_the_catalogue_changes,
    the_shop_escapes_what_merchants_type,
    an_unknown_shop_is_404,
    the_shop_lists_online_items_with_buy_online_or_buy_in_store,
    an_unknown_shop_is_not_found
);

async fn the_shop_shows_buy_online_for_sale_items_and_where_to_buy_view_only_ones(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let listed = online_list(&mut app.conn(), merchant, OnlineListQuery::default()).expect("list");

    let response = app.get(SHOP).await;

    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&headers, "cache-control"), "public, no-cache");
    let page = html(&response.text().await.expect("a body"));
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Corner Goods"));
    assert!(
        page.select(&sel("meta[name=viewport]")).next().is_some(),
        "made for phones too"
    );
    let articles: Vec<_> = page.select(&sel("article.product")).collect();
    assert_eq!(articles.len(), listed.records.len());
    for record in &listed.records {
        let OnlineRecord::Listed(entry) = record else {
            panic!("a full read has no tombstones")
        };
        let css = format!("article.product[data-item-id=\"{}\"]", entry.id);
        let card = text_of(&page, &css).expect("a card per listed item");
        assert!(card.contains(&entry.name), "{card}");
        assert!(
            card.contains(&format!(
                "${}.{:02}",
                entry.price.amount / 100,
                entry.price.amount % 100
            )),
            "{card}"
        );
        match (entry.online.0.as_str(), entry.purchasable_online) {
            // Without a storefront URL pattern, availability is text, not a button.
            ("for_sale", true) => assert!(
                card.contains(&format!(
                    "Available online: {} in stock",
                    entry.available_online
                )),
                "{card}"
            ),
            ("for_sale", false) => assert!(card.contains("Sold out online"), "{card}"),
            _ => {
                let downtown = entry
                    .stores
                    .iter()
                    .find(|s| s.name == "Downtown")
                    .expect("Downtown carries it");
                let state = if downtown.in_stock {
                    "in stock"
                } else {
                    "out of stock"
                };
                assert!(
                    card.contains(&format!(
                        "See it here — buy it in store at Downtown ({state})"
                    )),
                    "{card}"
                );
            }
        }
    }
}

async fn the_shop_page_answers_304_until_the_catalogue_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.get(SHOP).await;
    let etag = header(first.headers(), "etag");

    let again = app
        .client
        .get(app.url(SHOP))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status(), 304);
    assert_eq!(header(again.headers(), "etag"), etag);

    let item = demo_items(&app)
        .into_iter()
        .find(|i| i.online().is_listed())
        .expect("a listed item");
    designate_now(&app, item.id, DesignationChange::REMOVE_FROM_ONLINE);
    let after = app
        .client
        .get(app.url(SHOP))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET");

    assert_eq!(
        after.status(),
        200,
        "the very next request shows the change"
    );
    assert_ne!(header(after.headers(), "etag"), etag);
    let page = html(&after.text().await.expect("a body"));
    let css = format!("article.product[data-item-id=\"{}\"]", item.id);
    assert!(page.select(&sel(&css)).next().is_none());
}

async fn the_shop_escapes_what_merchants_type(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let item = demo_items(&app)
        .into_iter()
        .find(|i| i.online().is_listed())
        .expect("a listed item");
    let update = shelfsync::inventory::ItemUpdate {
        fields: shelfsync::inventory::FieldEdits {
            name: Some(
                shelfsync::domain::ItemName::parse("<script>alert(1)</script> Mug").expect("name"),
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    shelfsync::inventory::change_item(
        &mut app.conn(),
        &shelfsync::inventory::Actor::system(),
        merchant,
        item.id,
        item.version,
        &ItemChange::Update((update).clone()),
    )
    .expect("rename");

    let body = app.get(SHOP).await.text().await.expect("a body");

    assert!(!body.contains("<script>alert(1)</script>"));
    assert!(body.contains("&#60;script&#62;") || body.contains("&lt;script&gt;"));
}

async fn an_unknown_shop_is_404(backend: Backend) {
    let app = spawn_app(backend).await;

    assert_eq!(app.get("/shop/no-such-shop").await.status(), 404);
    assert_eq!(app.get(&format!("{SHOP}?after=abc")).await.status(), 400);
}

async fn the_shop_lists_online_items_with_buy_online_or_buy_in_store(backend: Backend) {
    let app = spawn_app(backend).await;

    let doc = app.get_html("/shop/corner-goods").await;

    assert_eq!(doc.select(&sel("article.product")).count(), 40);
    let camping = format!("article[data-item-id=\"{CAMPING_MUG_VIEW_ONLY}\"]");
    assert_eq!(
        text_of(&doc, &format!("{camping} .availability")).as_deref(),
        Some("See it here — buy it in store at Downtown (in stock) or Riverside (in stock)")
    );
    let blue = format!("article[data-item-id=\"{BLUE_MUG_FOR_SALE}\"]");
    assert_eq!(
        text_of(&doc, &format!("{blue} .availability")).as_deref(),
        Some("Sold out online")
    );
    let teapot = "article[data-item-id=\"5\"]";
    assert_eq!(
        text_of(&doc, &format!("{teapot} .availability")).as_deref(),
        Some("Available online: 2 in stock")
    );
    assert!(
        doc.select(&sel(&format!(
            "{teapot} .availability a, {teapot} .availability .cta"
        )))
        .next()
        .is_none(),
        "no button that leads nowhere"
    );
    assert_eq!(
        text_of(&doc, &format!("{teapot} .price")).as_deref(),
        Some("$48.00")
    );
    for hidden in [SPECKLED_MUG_IN_STORE_ONLY, SENCHA_NOWHERE] {
        assert!(
            doc.select(&sel(&format!("article[data-item-id=\"{hidden}\"]")))
                .next()
                .is_none()
        );
    }
}

async fn an_unknown_shop_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/shop/nobody").await.status(), 404);
    assert_eq!(app.get("/shop/corner-goods?after=x").await.status(), 400);
}
