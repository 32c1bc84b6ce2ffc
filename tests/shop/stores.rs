//! Settings → Stores: store changes go through the catalog's write path.

use diesel::prelude::*;
use serde_json::Value;
use shelfsync::db::schema::stock_movements;
use shelfsync::domain::TokenScope;
use shelfsync::inventory::catalog_version;
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::tokens::create_token;

use crate::common::demo::CAMPING_MUG_VIEW_ONLY;
use crate::common::fixtures::other_merchant;
use crate::common::{Backend, html, sel, spawn_app, text_of, with_conn};
use crate::on_both_backends;

on_both_backends!(
    a_renamed_store_reaches_the_shop_page_and_the_feed_at_a_new_catalog_version,
    a_store_that_stops_fulfilling_online_changes_available_online,
    an_archived_store_keeps_its_ledger_but_leaves_lists_pickers_and_tokens,
    another_merchants_store_is_404_and_a_bad_store_is_refused_beside_its_field
);

fn stores(app: &crate::common::TestApp) -> (i64, Location, Location) {
    let merchant = app.demo_merchant_id();
    let all = with_conn(&app.pool, |conn| {
        Location::all_of(conn, merchant).expect("stores")
    });
    (merchant, all[0].clone(), all[1].clone())
}

fn storefront_token(app: &crate::common::TestApp, merchant: i64) -> String {
    with_conn(&app.pool, |conn| {
        create_token(conn, merchant, "Shop", TokenScope::Storefront, None)
            .expect("a token")
            .secret
    })
}

async fn feed(app: &crate::common::TestApp, token: &str, query: &str) -> Value {
    app.client
        .get(app.url(&format!("/api/v1/storefront/items?{query}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("JSON")
}

async fn a_renamed_store_reaches_the_shop_page_and_the_feed_at_a_new_catalog_version(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let (merchant, _, riverside) = stores(&app);
    let token = storefront_token(&app, merchant);
    let shop_before = app.get_html("/shop/corner-goods").await;
    let before = with_conn(&app.pool, |conn| {
        catalog_version(conn, merchant).expect("version")
    });

    let saved = app
        .post_form(
            &format!("/settings/stores/{}", riverside.id),
            &[
                ("name", "Riverside Quay"),
                ("address", "2 River Walk"),
                ("hours", "Mon–Fri 10–18\nSat 10–14"),
            ],
        )
        .await;

    assert_eq!(saved.status(), 303);
    let after = with_conn(&app.pool, |conn| {
        catalog_version(conn, merchant).expect("version")
    });
    assert!(after > before, "the catalog version moves");
    let shop = app.get_html("/shop/corner-goods").await;
    let card = format!("article[data-item-id='{CAMPING_MUG_VIEW_ONLY}'] .stores");
    assert!(
        text_of(&shop, &card)
            .unwrap_or_default()
            .contains("Riverside Quay")
    );
    assert!(
        !text_of(&shop_before, &card)
            .unwrap_or_default()
            .contains("Riverside Quay")
    );
    assert_eq!(
        text_of(&shop, &format!("#store-{} .store-address", riverside.id)).as_deref(),
        Some("2 River Walk")
    );
    let version: i64 = shop
        .select(&sel("body"))
        .next()
        .and_then(|b| b.value().attr("data-catalog-version"))
        .and_then(|v| v.parse().ok())
        .expect("the page's version");
    assert!(version > before, "the page is at the new version");
    let delta = feed(&app, &token, &format!("since_version={before}")).await;
    let mug = delta["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == CAMPING_MUG_VIEW_ONLY)
        .expect("the view-only mug is in the delta");
    assert_eq!(mug["changed_version"], after);
    assert!(
        mug["stores"]
            .as_array()
            .expect("stores")
            .iter()
            .any(|s| s["name"] == "Riverside Quay")
    );
}

async fn a_store_that_stops_fulfilling_online_changes_available_online(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let (merchant, downtown, _) = stores(&app);
    let token = storefront_token(&app, merchant);
    let full = feed(&app, &token, "limit=1000").await;
    let available = full["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["available_online"].as_i64().unwrap_or(0) > 0)
        .expect("an item available online")
        .clone();

    let saved = app
        .post_form(
            &format!("/settings/stores/{}", downtown.id),
            &[("name", "Downtown")],
        )
        .await;

    assert_eq!(saved.status(), 303);
    let delta = feed(
        &app,
        &token,
        &format!("since_version={}", full["catalog_version"]),
    )
    .await;
    let now = delta["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == available["id"])
        .expect("the item is in the delta");
    assert_eq!(
        now["available_online"], 0,
        "no store ships online orders now"
    );
    assert_eq!(now["purchasable_online"], false);
}

async fn an_archived_store_keeps_its_ledger_but_leaves_lists_pickers_and_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let (merchant, downtown, riverside) = stores(&app);
    let pos = with_conn(&app.pool, |conn| {
        create_token(conn, merchant, "Till", TokenScope::Pos, Some(riverside.id))
            .expect("a token")
            .secret
    });
    let ledger = |app: &crate::common::TestApp| -> i64 {
        with_conn(&app.pool, |conn| {
            stock_movements::table
                .filter(stock_movements::location_id.eq(riverside.id))
                .count()
                .get_result(conn)
                .expect("movements")
        })
    };
    let pos_read = |token: String| {
        let client = app.client.clone();
        let url = app.url("/api/v1/pos/items");
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("pos")
                .status()
                .as_u16()
        }
    };
    assert_eq!(pos_read(pos.clone()).await, 200);
    let movements = ledger(&app);

    let archived = app
        .post_form(&format!("/settings/stores/{}/archive", riverside.id), &[])
        .await;

    assert_eq!(archived.status(), 303);
    assert_eq!(
        pos_read(pos.clone()).await,
        401,
        "its POS token stops working"
    );
    assert_eq!(ledger(&app), movements, "its ledger is kept");
    let counter = app
        .get_html(&format!("/counter?location={}", downtown.id))
        .await;
    let options = |doc: &scraper::Html, css: &str| -> Vec<String> {
        doc.select(&sel(css))
            .map(|o| o.text().collect::<String>().trim().to_owned())
            .collect()
    };
    assert!(!options(&counter, "select option").contains(&"Riverside".to_owned()));
    let tokens = app.get_html("/settings/tokens").await;
    assert_eq!(options(&tokens, "#token-location option"), vec!["Downtown"]);
    let shop = app.get_html("/shop/corner-goods").await;
    assert!(
        !text_of(
            &shop,
            &format!("article[data-item-id='{CAMPING_MUG_VIEW_ONLY}'] .stores")
        )
        .unwrap_or_default()
        .contains("Riverside")
    );
    let page = app.get_html("/settings/stores").await;
    assert_eq!(
        page.select(&sel(&format!(
            "article.store[data-store-id='{}']",
            riverside.id
        )))
        .next()
        .and_then(|a| a.value().attr("data-archived")),
        Some("true")
    );

    let restored = app
        .post_form(&format!("/settings/stores/{}/restore", riverside.id), &[])
        .await;
    assert_eq!(restored.status(), 303);
    assert_eq!(pos_read(pos).await, 200);
}

async fn another_merchants_store_is_404_and_a_bad_store_is_refused_beside_its_field(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let other = other_merchant(&app);
    app.login().await;

    let theirs = app
        .post_form(
            &format!("/settings/stores/{}", other.location_id),
            &[("name", "Mine now")],
        )
        .await;
    let archive = app
        .post_form(
            &format!("/settings/stores/{}/archive", other.location_id),
            &[],
        )
        .await;
    let duplicate = app
        .post_form("/settings/stores", &[("name", "Downtown")])
        .await;

    assert_eq!(theirs.status(), 404);
    assert_eq!(archive.status(), 404);
    assert_eq!(duplicate.status(), 422);
    let page = html(&duplicate.text().await.expect("a body"));
    assert!(text_of(&page, "#new-store .field-error[data-field=name]").is_some());
    let names = with_conn(&app.pool, |conn| {
        Location::every_of(conn, other.id).expect("stores")
    });
    assert_eq!(names[0].name, "Uptown");
}
