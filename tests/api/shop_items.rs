//! `/shop/{slug}/items/{id}`: each listed item's own page with where to get
//! it, and *Buy online*, which links to the merchant's own store only when
//! they set a storefront URL pattern.

use scraper::Html;
use shelfsync::inventory::DesignationChange;
use shelfsync::inventory::merchants::Location;

use crate::common::demo::{
    BLUE_MUG_FOR_SALE, CAMPING_MUG_VIEW_ONLY, SENCHA_NOWHERE, SPECKLED_MUG_IN_STORE_ONLY,
    TEAPOT_ONLINE_ONLY,
};
use crate::common::fixtures::{other_merchant, receive_stock};
use crate::common::{Backend, TestApp, attr_of, html, sel, spawn_app, text_of};
use crate::on_both_backends;

use super::support::{demo_items, designate_now, header};

const SHOP: &str = "/shop/corner-goods";

fn item_path(id: impl std::fmt::Display) -> String {
    format!("{SHOP}/items/{id}")
}

/// Saves the shop settings with `pattern` as the storefront URL pattern, as the owner.
async fn set_pattern(app: &TestApp, pattern: &str) -> reqwest::Response {
    app.post_form(
        "/settings/shop",
        &[
            ("name", "Corner Goods"),
            ("slug", "corner-goods"),
            ("currency", "USD"),
            ("time_zone", "UTC"),
            ("storefront_url_pattern", pattern),
        ],
    )
    .await
}

fn links(doc: &Html) -> Vec<String> {
    doc.select(&sel("a[href]"))
        .filter_map(|a| a.value().attr("href"))
        .map(str::to_owned)
        .collect()
}

on_both_backends!(
    a_view_only_item_has_a_page_saying_which_stores_have_it,
    a_for_sale_item_has_a_page_with_its_online_availability,
    the_shop_links_each_product_to_its_page,
    items_not_listed_online_have_no_page,
    buy_online_links_to_the_merchants_store_once_a_pattern_is_set,
    the_item_page_shows_a_change_at_once,
    an_old_shop_address_leads_to_the_same_item,
    product_pages_and_cards_carry_schema_org_availability_price_and_stores,
    a_name_that_closes_a_script_element_stays_inside_the_structured_data
);

/// Every JSON-LD block of a page, parsed.
fn structured_data(doc: &Html) -> Vec<serde_json::Value> {
    doc.select(&sel("script[type=\"application/ld+json\"]"))
        .map(|script| {
            let text: String = script.text().collect();
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON-LD {text}: {e}"))
        })
        .collect()
}

/// The `Product` a page describes (its only JSON-LD block).
fn product_of(doc: &Html) -> serde_json::Value {
    let mut blocks = structured_data(doc);
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    blocks.remove(0)
}

async fn a_view_only_item_has_a_page_saying_which_stores_have_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let item = demo_items(&app)
        .into_iter()
        .find(|i| i.id == CAMPING_MUG_VIEW_ONLY)
        .expect("the camping mug");

    let response = app.get(&item_path(CAMPING_MUG_VIEW_ONLY)).await;

    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "cache-control"), "no-cache");
    let page = html(&response.text().await.expect("a body"));
    assert_eq!(text_of(&page, "h1"), Some(item.name.clone()));
    assert_eq!(
        text_of(&page, ".availability").as_deref(),
        Some("Not sold online: buy it in store at Downtown or Riverside.")
    );
    let stores: Vec<(String, String)> = page
        .select(&sel(".product-stores .shop-store"))
        .map(|store| {
            let doc = Html::parse_fragment(&store.html());
            (
                text_of(&doc, "h3").unwrap_or_default(),
                text_of(&doc, ".store-stock").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        stores,
        vec![
            ("Downtown".to_owned(), "In stock".to_owned()),
            ("Riverside".to_owned(), "In stock".to_owned())
        ]
    );
    assert!(page.select(&sel("a.buy-link")).next().is_none());
}

async fn a_for_sale_item_has_a_page_with_its_online_availability(backend: Backend) {
    let app = spawn_app(backend).await;

    let teapot = app.get_html(&item_path(TEAPOT_ONLINE_ONLY)).await;
    let blue = app.get_html(&item_path(BLUE_MUG_FOR_SALE)).await;

    assert_eq!(
        text_of(&teapot, ".availability").as_deref(),
        Some("Available online: 2 in stock")
    );
    assert_eq!(
        text_of(&teapot, ".product-stores .store-none").as_deref(),
        Some("Sold online only, not in our stores.")
    );
    assert!(
        teapot.select(&sel(".availability a")).next().is_none(),
        "without a storefront URL pattern, no button"
    );
    assert_eq!(
        text_of(&blue, ".availability").as_deref(),
        Some("Sold out online")
    );
    assert!(links(&teapot).contains(&SHOP.to_owned()), "a way back");
}

async fn the_shop_links_each_product_to_its_page(backend: Backend) {
    let app = spawn_app(backend).await;

    let shop = app.get_html(SHOP).await;

    let cards: Vec<_> = shop.select(&sel("article.product")).collect();
    assert!(!cards.is_empty());
    for card in cards {
        let id = card.value().attr("data-item-id").expect("an id");
        let doc = Html::parse_fragment(&card.html());
        assert_eq!(
            attr_of(&doc, "h2 a.product-link", "href"),
            Some(item_path(id)),
            "card {id}"
        );
    }
}

async fn items_not_listed_online_have_no_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let theirs = other_merchant(&app);
    let archived = demo_items(&app)
        .into_iter()
        .find(|i| i.online().is_listed() && i.id != TEAPOT_ONLINE_ONLY)
        .expect("a listed item");
    shelfsync::inventory::change_item(
        &mut app.conn(),
        &shelfsync::inventory::Actor::system(),
        app.demo_merchant_id(),
        archived.id,
        archived.version,
        &shelfsync::inventory::ItemChange::Archive(true),
    )
    .expect("archived");

    for id in [
        SPECKLED_MUG_IN_STORE_ONLY.to_string(),
        SENCHA_NOWHERE.to_string(),
        archived.id.to_string(),
        theirs.items[0].id.to_string(),
        "999999".to_owned(),
        "abc".to_owned(),
    ] {
        let response = app.get(&item_path(&id)).await;

        assert_eq!(response.status(), 404, "item {id}");
        let page = html(&response.text().await.expect("a body"));
        assert_eq!(
            attr_of(&page, "p.error-message", "data-status").as_deref(),
            Some("404"),
            "item {id}"
        );
        assert_eq!(links(&page), vec![SHOP.to_owned()], "item {id}");
    }
    let unknown = app.get("/shop/no-such-shop/items/1").await;
    assert_eq!(unknown.status(), 404);
    let page = html(&unknown.text().await.expect("a body"));
    assert!(links(&page).is_empty(), "{:?}", links(&page));
}

async fn buy_online_links_to_the_merchants_store_once_a_pattern_is_set(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let first = app.get(SHOP).await;
    let etag = header(first.headers(), "etag");
    let teapot = format!("article[data-item-id=\"{TEAPOT_ONLINE_ONLY}\"]");
    let blue = format!("article[data-item-id=\"{BLUE_MUG_FOR_SALE}\"]");

    let saved = set_pattern(&app, "https://example.com/products/{sku}?ref={id}").await;

    assert_eq!(saved.status(), 303);
    let after = app
        .client
        .get(app.url(SHOP))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(after.status(), 200, "the cards changed");
    let etag = header(after.headers(), "etag");
    let shop = html(&after.text().await.expect("a body"));
    let link = format!("https://example.com/products/CG-1005?ref={TEAPOT_ONLINE_ONLY}");
    assert_eq!(
        attr_of(&shop, &format!("{teapot} a.buy-link"), "href"),
        Some(link.clone())
    );
    assert_eq!(
        text_of(&shop, &format!("{teapot} a.buy-link")).as_deref(),
        Some("Buy online")
    );
    assert!(
        shop.select(&sel(&format!("{blue} a.buy-link")))
            .next()
            .is_none(),
        "nothing to buy when sold out"
    );
    let page = app.get_html(&item_path(TEAPOT_ONLINE_ONLY)).await;
    assert_eq!(attr_of(&page, "a.buy-link", "href"), Some(link));
    let unchanged = app
        .client
        .get(app.url(SHOP))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(unchanged.status(), 304, "still cached while nothing moves");

    let cleared = set_pattern(&app, "").await;

    assert_eq!(cleared.status(), 303);
    let shop = app.get_html(SHOP).await;
    assert!(shop.select(&sel("a.buy-link")).next().is_none());
    assert_eq!(
        text_of(&shop, &format!("{teapot} .availability")).as_deref(),
        Some("Available online: 2 in stock")
    );
}

async fn the_item_page_shows_a_change_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let downtown = Location::all_of(&mut app.conn(), merchant).expect("stores")[0].id;
    let before = app.get_html(&item_path(TEAPOT_ONLINE_ONLY)).await;
    assert_eq!(
        text_of(&before, ".availability").as_deref(),
        Some("Available online: 2 in stock")
    );

    receive_stock(&mut app.conn(), merchant, TEAPOT_ONLINE_ONLY, downtown, 3);
    let received = app.get_html(&item_path(TEAPOT_ONLINE_ONLY)).await;
    designate_now(
        &app,
        TEAPOT_ONLINE_ONLY,
        DesignationChange::REMOVE_FROM_ONLINE,
    );
    let removed = app.get(&item_path(TEAPOT_ONLINE_ONLY)).await;

    assert_eq!(
        text_of(&received, ".availability").as_deref(),
        Some("Available online: 5 in stock")
    );
    assert_eq!(removed.status(), 404);
}

async fn an_old_shop_address_leads_to_the_same_item(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let renamed = app
        .post_form(
            "/settings/shop",
            &[
                ("name", "Corner Goods"),
                ("slug", "corner-goods-two"),
                ("currency", "USD"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(renamed.status(), 303);

    let old = app.get(&item_path(CAMPING_MUG_VIEW_ONLY)).await;

    assert_eq!(old.status(), 301);
    assert_eq!(
        header(old.headers(), "location"),
        format!("/shop/corner-goods-two/items/{CAMPING_MUG_VIEW_ONLY}")
    );
    let page = app
        .get_html(&format!(
            "/shop/corner-goods-two/items/{CAMPING_MUG_VIEW_ONLY}"
        ))
        .await;
    assert!(links(&page).contains(&"/shop/corner-goods-two".to_owned()));
}

async fn product_pages_and_cards_carry_schema_org_availability_price_and_stores(backend: Backend) {
    let app = spawn_app(backend).await;
    let items = demo_items(&app);
    let name_of = |id: i64| {
        items
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.name.clone())
            .expect("a demo item")
    };

    let camping = product_of(&app.get_html(&item_path(CAMPING_MUG_VIEW_ONLY)).await);
    let teapot = product_of(&app.get_html(&item_path(TEAPOT_ONLINE_ONLY)).await);
    let blue = product_of(&app.get_html(&item_path(BLUE_MUG_FOR_SALE)).await);
    let shop = app.get_html(SHOP).await;

    assert_eq!(camping["@context"], "https://schema.org");
    assert_eq!(camping["@type"], "Product");
    assert_eq!(camping["name"], name_of(CAMPING_MUG_VIEW_ONLY));
    let offer = &camping["offers"];
    assert_eq!(offer["@type"], "Offer");
    assert_eq!(offer["availability"], "https://schema.org/InStoreOnly");
    assert_eq!(offer["priceCurrency"], "USD");
    let price = offer["price"].as_str().expect("a decimal price");
    assert!(
        price.parse::<f64>().is_ok() && price.contains('.'),
        "{price}"
    );
    let places: Vec<(&str, &str)> = offer["availableAtOrFrom"]
        .as_array()
        .expect("the stores")
        .iter()
        .map(|p| {
            (
                p["@type"].as_str().unwrap_or_default(),
                p["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("LocalBusiness", "Downtown"),
            ("LocalBusiness", "Riverside")
        ]
    );
    assert_eq!(
        teapot["offers"]["availability"],
        "https://schema.org/OnlineOnly"
    );
    assert!(teapot["offers"].get("availableAtOrFrom").is_none());
    assert_eq!(
        blue["offers"]["availability"], "https://schema.org/OutOfStock",
        "sold out online"
    );
    // Each card on the shop page carries its product.
    let cards = shop.select(&sel("article.product")).count();
    let products = structured_data(&shop);
    assert_eq!(products.len(), cards);
    assert!(
        products
            .iter()
            .any(|p| p["name"] == name_of(CAMPING_MUG_VIEW_ONLY)
                && p["offers"]["availability"] == "https://schema.org/InStoreOnly")
    );

    // Stock received online: the blue mug is in stock again.
    let downtown = Location::all_of(&mut app.conn(), app.demo_merchant_id())
        .expect("stores")
        .into_iter()
        .find(|s| s.name == "Downtown")
        .expect("Downtown");
    receive_stock(
        &mut app.conn(),
        app.demo_merchant_id(),
        BLUE_MUG_FOR_SALE,
        downtown.id,
        5,
    );
    let blue = product_of(&app.get_html(&item_path(BLUE_MUG_FOR_SALE)).await);
    assert_eq!(blue["offers"]["availability"], "https://schema.org/InStock");
}

async fn a_name_that_closes_a_script_element_stays_inside_the_structured_data(backend: Backend) {
    let app = spawn_app(backend).await;
    let hostile = "</script><script>alert(1)</script> <!-- & Mug";
    let item = demo_items(&app)
        .into_iter()
        .find(|i| i.id == CAMPING_MUG_VIEW_ONLY)
        .expect("the camping mug");
    let update = shelfsync::inventory::ItemUpdate {
        fields: shelfsync::inventory::FieldEdits {
            name: Some(shelfsync::domain::ItemName::parse(hostile).expect("name")),
            ..Default::default()
        },
        ..Default::default()
    };
    shelfsync::inventory::change_item(
        &mut app.conn(),
        &shelfsync::inventory::Actor::system(),
        app.demo_merchant_id(),
        item.id,
        item.version,
        &shelfsync::inventory::items::ItemChange::Update(update),
    )
    .expect("rename");

    let page = app.get_html(&item_path(CAMPING_MUG_VIEW_ONLY)).await;
    let shop = app.get_html(SHOP).await;

    for doc in [&page, &shop] {
        // Every script element is structured data: none was opened by the name.
        let scripts: Vec<_> = doc.select(&sel("script")).collect();
        assert!(!scripts.is_empty());
        assert!(
            scripts
                .iter()
                .all(|s| s.value().attr("type") == Some("application/ld+json")),
            "a script element outside the structured data"
        );
        assert!(
            structured_data(doc).iter().any(|p| p["name"] == hostile),
            "the name reads back whole"
        );
    }
    assert_eq!(product_of(&page)["name"], hostile);
}
