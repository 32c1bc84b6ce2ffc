//! The incremental lists equal a fresh full build: after random changes
//! (stock through sales and receipts, designations, edits, archive and
//! restore, a new store), every page a warm server serves from the pieces it
//! keeps in memory equals what a server starting cold on the same database
//! builds, for the JSON list in both forms and for the storefront page. And a
//! page whose items did not change keeps its ETag across a sale elsewhere.

use reqwest::header::AUTHORIZATION;
use scraper::Html;
use serde_json::{Value, json};
use shelfsync::config::{DatabaseArgs, ServeArgs};
use shelfsync::domain::TokenScope;
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::stores::add_location;
use shelfsync::inventory::{Actor, Item, ItemChange, change_item};
use shelfsync::startup::Application;

use crate::common::Backend;
use crate::common::fixtures::receive_stock;
use crate::common::{TestApp, new_client, sel, spawn_app};
use crate::on_both_backends;

use super::consistency::{Lcg, random_change};
use super::support::{demo_items, get, get_with, header, read, token};

const LIST: &str = "/api/v1/storefront/items";
const SHOP: &str = "/shop/corner-goods";

/// Starts a second server on the test's database: it holds nothing in
/// memory, so its first answer to every read is a full build.
async fn cold_server(app: &TestApp) -> String {
    let server = Application::build(&ServeArgs {
        database: DatabaseArgs {
            database_url: app.db.url.clone(),
            pool_size: 2,
        },
        bind: "127.0.0.1:0".to_owned(),
        workers: Some(1),
        read_pool_size: 1,
        import_limit_mb: 50,
        no_demo: true,
        public_url: None,
        secure_cookies: false,
        request_head_timeout: std::time::Duration::from_secs(60),
        scheduler_interval_ms: 5000,
        shutdown_timeout: std::time::Duration::from_secs(30),
        retention: Default::default(),
        metrics_token: None,
        trusted_proxies: Vec::new(),
        push: shelfsync::config::PushArgs {
            no_dispatcher: true,
            ..Default::default()
        },
    })
    .expect("a second server on the same database");
    let port = server.port();
    tokio::spawn(server.run_until_stopped());
    format!("http://127.0.0.1:{port}")
}

/// Every page of a JSON list from `base`, parsed, following next_cursor.
async fn json_pages(base: &str, secret: &str, path: &str) -> Vec<Value> {
    let client = new_client();
    let mut pages = Vec::new();
    let mut url = path.to_owned();
    loop {
        let response = client
            .get(format!("{base}{url}"))
            .header(AUTHORIZATION, format!("Bearer {secret}"))
            .send()
            .await
            .expect("GET the list");
        assert_eq!(response.status(), 200, "GET {url}");
        let page: Value = response.json().await.expect("a JSON page");
        let next = page["next_cursor"].as_str().map(str::to_owned);
        pages.push(page);
        match next {
            Some(cursor) => {
                let limit = path.split(['?', '&']).find(|p| p.starts_with("limit="));
                url = format!("{LIST}?cursor={cursor}&{}", limit.unwrap_or("limit=100"));
            }
            None => return pages,
        }
    }
}

/// One product card of the storefront page, as a shopper reads it.
#[derive(Debug, PartialEq, Eq)]
struct Card {
    id: String,
    online: String,
    name: String,
    price: String,
    availability: String,
}

/// The storefront page from `base`: its version, tagline and cards.
async fn shop_page(base: &str) -> (String, String, Vec<Card>) {
    let response = new_client()
        .get(format!("{base}{SHOP}"))
        .send()
        .await
        .expect("GET the shop");
    assert_eq!(response.status(), 200);
    let page = Html::parse_document(&response.text().await.expect("a page"));
    let text = |element: scraper::ElementRef<'_>, css: &str| {
        element
            .select(&sel(css))
            .next()
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    let body = page.select(&sel("body")).next().expect("a body");
    let version = body
        .value()
        .attr("data-catalog-version")
        .unwrap_or_default()
        .to_owned();
    let tagline = text(body, ".shop-tagline");
    let cards = page
        .select(&sel("article.product"))
        .map(|card| Card {
            id: card
                .value()
                .attr("data-item-id")
                .unwrap_or_default()
                .to_owned(),
            online: card
                .value()
                .attr("data-online")
                .unwrap_or_default()
                .to_owned(),
            name: text(card, "h2"),
            price: text(card, ".price"),
            availability: text(card, ".availability"),
        })
        .collect();
    (version, tagline, cards)
}

/// Everything a channel reads: the JSON list in pages of 7 and of 1000, in
/// both forms, and the storefront page.
async fn everything(base: &str, secret: &str) -> (Vec<Vec<Value>>, (String, String, Vec<Card>)) {
    let mut lists = Vec::new();
    for path in [
        format!("{LIST}?limit=7"),
        format!("{LIST}?limit=7&include=unlisted"),
        format!("{LIST}?limit=1000"),
    ] {
        lists.push(json_pages(base, secret, &path).await);
    }
    (lists, shop_page(base).await)
}

/// Records a counter sale of one unit over HTTP; a refusal for want of
/// stock is part of the game.
async fn sell_one(app: &TestApp, pos: &str, item_id: i64, key: &str) -> u16 {
    let response = app
        .client
        .post(app.url("/api/v1/pos/sales"))
        .bearer_auth(pos)
        .header("Idempotency-Key", key)
        .json(&json!({ "lines": [{ "item_id": item_id, "quantity": 1 }] }))
        .send()
        .await
        .expect("POST a sale");
    response.status().as_u16()
}

on_both_backends!(
    the_incremental_lists_equal_a_fresh_full_build_after_random_changes,
    a_page_keeps_its_etag_when_an_item_on_another_page_sells,
);

async fn the_incremental_lists_equal_a_fresh_full_build_after_random_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);
    let pos = token(&app, TokenScope::Pos);
    let merchant = app.demo_merchant_id();
    let ids: Vec<i64> = demo_items(&app).iter().map(|i| i.id).collect();
    let mut rng = Lcg(2026);

    for round in 0..4 {
        // The warm server holds every piece before the changes come.
        everything(&app.address, &secret).await;
        let stores: Vec<i64> = Location::all_of(&mut app.conn(), merchant)
            .expect("stores")
            .iter()
            .map(|l| l.id)
            .collect();
        for change in 0..12 {
            let item_id = ids[rng.below(ids.len())];
            match rng.below(6) {
                0 => {
                    let status =
                        sell_one(&app, &pos, item_id, &format!("eq-{round}-{change}")).await;
                    assert!(status < 500, "the sale of item {item_id} answered {status}");
                }
                1 => {
                    let mut conn = app.conn();
                    let item = Item::find(&mut conn, merchant, item_id).expect("item");
                    change_item(
                        &mut conn,
                        &Actor::system(),
                        merchant,
                        item_id,
                        item.version,
                        &ItemChange::Archive(!item.archived),
                    )
                    .expect("archive or restore");
                }
                _ => random_change(&app.pool, merchant, &stores, &ids, &mut rng),
            }
        }
        if round == 2 {
            // A new store carries nothing yet but shows in every in-store item's stores.
            let added =
                add_location(&mut app.conn(), merchant, "Harbour", true).expect("a new store");
            receive_stock(&mut app.conn(), merchant, ids[0], added.id, 2);
        }

        let warm = everything(&app.address, &secret).await;
        let cold = everything(&cold_server(&app).await, &secret).await;

        assert_eq!(warm.0, cold.0, "round {round}: the JSON lists");
        assert_eq!(warm.1, cold.1, "round {round}: the storefront page");
    }
}

async fn a_page_keeps_its_etag_when_an_item_on_another_page_sells(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);
    let pos = token(&app, TokenScope::Pos);
    let merchant = app.demo_merchant_id();
    let store = Location::all_of(&mut app.conn(), merchant).expect("stores")[0].id;
    let for_sale: Vec<Item> = demo_items(&app)
        .into_iter()
        .filter(|i| i.online().as_str() == "for_sale" && i.in_store())
        .collect();
    let last = for_sale.last().expect("an item for sale in store").id;
    receive_stock(&mut app.conn(), merchant, last, store, 5);
    let page_one = format!("{LIST}?limit=5");
    let (_, headers, first) = read(get(&app, &secret, &page_one).await).await;
    let etag = header(&headers, "etag");
    let on_page_one: Vec<i64> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    assert!(
        on_page_one.iter().all(|id| *id < last),
        "the sold item is on a later page"
    );
    let before = json_pages(&app.address, &secret, &format!("{LIST}?limit=1000")).await;

    let status = sell_one(&app, &pos, last, "etag-sale").await;
    let (revalidated, again_headers, _) =
        read(get_with(&app, &secret, &page_one, ("If-None-Match", &etag)).await).await;
    let after = json_pages(&app.address, &secret, &format!("{LIST}?limit=1000")).await;

    assert_eq!(status, 201, "the sale is recorded");
    assert_eq!(revalidated, 304, "page one did not change");
    assert_eq!(header(&again_headers, "etag"), etag);
    let available = |pages: &[Value]| {
        pages[0]["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == last)
            .map(|i| i["available_online"].clone())
            .expect("the sold item")
    };
    assert_ne!(
        available(&before),
        available(&after),
        "the page with the sold item shows the sale at once"
    );
}
