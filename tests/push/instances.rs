//! Read-your-writes across instances: two `shelfsync serve` processes on one
//! PostgreSQL database. A change acknowledged by one is in the other's very
//! next read of its cached lists (the storefront's JSON list and the shop
//! page), without waiting for the change's notification.

use serde_json::{Value, json};
use shelfsync::domain::TokenScope;
use shelfsync::inventory::merchants::Merchant;
use shelfsync::inventory::tokens::create_token;

use crate::common::{Backend, TestDb};
use crate::restart::Server;

/// SQLite has one writer process in practice; the command line's writes
/// are covered in `cli/`.
mod a_change_acknowledged_by_one_instance_is_in_the_other_ones_next_read {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_change_acknowledged_by_one_instance_is_in_the_other_ones_next_read().await;
    }
}

/// Changes made through the first instance, each read back at once from
/// the second.
const CHANGES: usize = 60;

async fn a_change_acknowledged_by_one_instance_is_in_the_other_ones_next_read() {
    let db = TestDb::new(Backend::Postgres);
    let writer = Server::start(&db.url);
    let reader = Server::start(&db.url);
    let (admin, storefront) = {
        let mut conn = db.pool().get().expect("conn");
        let merchant = Merchant::by_slug(&mut conn, shelfsync::demo::SLUG)
            .expect("the demo merchant")
            .id;
        let admin = create_token(&mut conn, merchant, "Back office", TokenScope::Admin, None)
            .expect("an admin token")
            .secret;
        let storefront = create_token(&mut conn, merchant, "Shop", TokenScope::Storefront, None)
            .expect("a storefront token")
            .secret;
        (admin, storefront)
    };
    let client = reqwest::Client::new();
    let on = |server: &Server, path: &str| format!("http://127.0.0.1:{}{path}", server.port);
    let list = on(&reader, "/api/v1/storefront/items?limit=200");
    let shop = on(&reader, &format!("/shop/{}", shelfsync::demo::SLUG));
    let read_list = || async {
        let body: Value = client
            .get(&list)
            .bearer_auth(&storefront)
            .send()
            .await
            .expect("the reader's list")
            .json()
            .await
            .expect("JSON");
        body["items"].as_array().expect("items").clone()
    };
    // Both caches warm on the reader before the first change.
    let listed = read_list().await;
    assert!(listed.len() >= 10, "the demo lists items online");
    client.get(&shop).send().await.expect("the shop page");

    for n in 0..CHANGES {
        let id = listed[n % 10]["id"].as_i64().expect("an id");
        let item: Value = client
            .get(on(&writer, &format!("/api/v1/items/{id}")))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("the item")
            .json()
            .await
            .expect("JSON");
        let name = format!("Renamed {n}");
        let changed = client
            .patch(on(&writer, &format!("/api/v1/items/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"version": item["item"]["version"], "name": name}))
            .send()
            .await
            .expect("the change");
        assert_eq!(changed.status().as_u16(), 200, "change {n}");

        let seen = read_list().await;
        let record = seen
            .iter()
            .find(|record| record["id"].as_i64() == Some(id))
            .expect("the item is still listed");
        assert_eq!(
            record["name"],
            name.as_str(),
            "change {n}: the reader's list"
        );
        let page = client
            .get(&shop)
            .send()
            .await
            .expect("the shop page")
            .text()
            .await
            .expect("HTML");
        let page = scraper::Html::parse_document(&page);
        let heading = scraper::Selector::parse(&format!("#product-{id}")).expect("a selector");
        let card_name: String = page
            .select(&heading)
            .next()
            .expect("the item's card on the shop page")
            .text()
            .collect();
        assert_eq!(card_name.trim(), name, "change {n}: the reader's shop page");
    }
}
