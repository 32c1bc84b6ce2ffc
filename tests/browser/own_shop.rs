//! A new merchant runs their own shop from an empty database: setup, a
//! second store, a cashier invited and signed in, a forged request refused,
//! a store renamed all the way to the shop page and the feed. Screenshots of
//! each new page at desktop and phone widths.

use diesel::prelude::*;
use serde_json::{Value, json};
use shelfsync::db::schema::items;
use shelfsync::domain::{OnlineListing, TokenScope};
use shelfsync::inventory::merchants::{Location, Merchant};
use shelfsync::inventory::tokens::create_token;

use crate::common::fixtures::{new_item, receive_stock};
use crate::common::{Backend, spawn_empty_app, with_conn};
use crate::driver::Browser;
use crate::on_both_backends;

on_both_backends!(a_new_merchant_sets_up_harbour_books_with_a_cashier);

async fn a_new_merchant_sets_up_harbour_books_with_a_cashier(backend: Backend) {
    // 1. An empty database, started with --no-demo.
    let app = spawn_empty_app(backend).await;
    let owner = Browser::start("own_shop_owner", backend).await;

    // 2. Set up "Harbour Books" with one store.
    owner.goto(&app.url("/login")).await;
    owner.wait_for("#setup-form").await;
    owner.fill("#name", "Harbour Books").await;
    owner.fill("#slug", "harbour-books").await;
    owner.fill("#currency", "EUR").await;
    owner.fill("#time_zone", "Europe/Dublin").await;
    owner.fill("#store_name", "Quayside").await;
    owner.fill("#store_address", "1 Quay Street").await;
    owner.fill("#owner_name", "Hanna").await;
    owner.fill("#owner_email", "hanna@harbour.example").await;
    owner.fill("#owner_password", "harbour-books-2026").await;
    owner.screenshot_widths("setup").await;
    owner.click("#setup-form button[type=submit]").await;
    owner.wait_for_text(".brand strong", "Harbour Books").await;
    let merchant = with_conn(&app.pool, |conn| {
        Merchant::by_slug(conn, "harbour-books").expect("the shop")
    });

    // … and add a second store that fulfils online orders.
    owner.goto(&app.url("/settings/stores")).await;
    owner.fill("#new-name", "Harbour Street").await;
    owner.fill("#new-address", "12 Harbour Street").await;
    owner.fill("#new-hours", "Mon–Sat 9–18").await;
    owner.click("#new-store button[type=submit]").await;
    owner
        .eventually("two stores", async || {
            (owner.count("article.store").await == 2).then_some(())
        })
        .await;
    owner.screenshot_widths("stores").await;
    let stores = with_conn(&app.pool, |conn| {
        Location::all_of(conn, merchant.id).expect("stores")
    });
    assert_eq!(stores.len(), 2);
    assert!(
        stores[1].fulfils_online,
        "the second store fulfils online orders"
    );
    let (quayside, harbour_street) = (stores[0].id, stores[1].id);

    // 3. Invite a cashier at Quayside; the link opens in a second browser.
    owner.goto(&app.url("/settings/staff")).await;
    owner.fill("#invite-email", "cass@harbour.example").await;
    owner.fill("#invite-name", "Cass").await;
    owner.choose("#invite-role", "cashier").await;
    owner.choose("#invite-store", &quayside.to_string()).await;
    owner.click("#invite-form button[type=submit]").await;
    owner.wait_for("#invitation-link").await;
    owner.screenshot_widths("staff").await;
    let link = owner
        .text("#invitation-link")
        .await
        .expect("the invitation link");

    let cashier = Browser::start("own_shop_cashier", backend).await;
    cashier.goto(&link).await;
    cashier.wait_for("#set-password-form").await;
    cashier.screenshot_widths("invitation").await;
    cashier.fill("#password", "cass-at-the-counter").await;
    cashier
        .click("#set-password-form button[type=submit]")
        .await;

    // 4. The cashier sees only the counter and lookup.
    cashier
        .wait_for("nav a[href='/counter'][aria-current=page]")
        .await;
    let nav: Vec<String> = cashier.attrs(".topbar nav a", "href").await;
    assert_eq!(
        nav,
        vec!["/items", "/counter", "/account", "/shop/harbour-books"]
    );
    cashier.screenshot_widths("cashier-counter").await;
    cashier.goto(&app.url("/account")).await;
    cashier.wait_for("#password-form").await;
    cashier.screenshot_widths("account").await;

    // 5. A forged designation POST from the cashier: 403, nothing changes.
    let book = with_conn(&app.pool, |conn| {
        let book = new_item(
            conn,
            merchant.id,
            "HB-1",
            "Tide tables 2027",
            true,
            OnlineListing::ViewOnly,
        );
        receive_stock(conn, merchant.id, book.id, quayside, 3);
        book
    });
    let version = |app: &crate::common::TestApp| -> i64 {
        with_conn(&app.pool, |conn| {
            items::table
                .find(book.id)
                .select(items::version)
                .first(conn)
                .expect("the book")
        })
    };
    let before = version(&app);
    cashier.goto(&app.url("/items")).await;
    cashier.wait_for("tr.item-row").await;
    assert_eq!(
        cashier.count("tr.item-row button[name=action]").await,
        0,
        "no designation buttons"
    );
    let status = cashier
        .script(
            "const token = document.querySelector('input[name=csrf_token]').value;
             const body = new URLSearchParams({csrf_token: token, action: 'sell_online', version: arguments[1]});
             return fetch('/items/' + arguments[0] + '/designation', {method: 'POST', body}).then(r => r.status);",
            vec![json!(book.id), json!(before.to_string())],
        )
        .await;
    assert_eq!(status, json!(403));
    assert_eq!(version(&app), before, "the forged request changed nothing");

    // 6. The owner renames a store: the shop page and the feed show it at a
    //    new catalog version.
    let token = with_conn(&app.pool, |conn| {
        create_token(conn, merchant.id, "Shop", TokenScope::Storefront, None)
            .expect("a token")
            .secret
    });
    let feed = async |query: &str| -> Value {
        app.client
            .get(app.url(&format!("/api/v1/storefront/items?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("the feed")
            .json()
            .await
            .expect("JSON")
    };
    let first = feed("").await;
    let was = first["catalog_version"].as_i64().expect("a version");
    owner.goto(&app.url("/settings/stores")).await;
    owner
        .fill(&format!("#store-{quayside}-name"), "Quayside Books")
        .await;
    owner
        .click(&format!(
            "article[data-store-id='{quayside}'] form.store-form button[type=submit]"
        ))
        .await;
    owner
        .wait_for_text("#flash .notice", "Quayside Books is saved")
        .await;
    owner.goto(&app.url("/shop/harbour-books")).await;
    owner
        .wait_for(&format!("article.product[data-item-id='{}']", book.id))
        .await;
    let card = owner
        .text(&format!(
            "article.product[data-item-id='{}'] .stores",
            book.id
        ))
        .await
        .unwrap_or_default();
    assert!(card.contains("Quayside Books"), "{card}");
    assert_eq!(
        owner
            .text(&format!("#store-{harbour_street} .store-address"))
            .await
            .as_deref(),
        Some("12 Harbour Street")
    );
    owner.screenshot_widths("shop-page").await;
    let delta = feed(&format!("since_version={was}")).await;
    assert!(delta["catalog_version"].as_i64().expect("a version") > was);
    let entry = delta["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == book.id)
        .expect("the book is in the delta")
        .clone();
    assert!(
        entry["stores"]
            .as_array()
            .expect("stores")
            .iter()
            .any(|s| s["name"] == "Quayside Books")
    );
    owner.goto(&app.url("/settings/shop")).await;
    owner.wait_for("#shop-form").await;
    owner.screenshot_widths("shop-settings").await;
    cashier.close().await;
    owner.close().await;
}
