//! Many clients at once: the last-unit race, conservation of stock under
//! thousands of mixed operations, and concurrent retries of one request.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use shelfsync::db::schema::stock_movements;
use shelfsync::inventory::stock::verify_ledger;

use crate::common::Backend;
use crate::common::fixtures::fresh_key;
use crate::on_both_backends;
use crate::support::{Reply, Shop, client, ship};

const BUYERS: usize = 100;
const ROUNDS: usize = 10;
const WORKERS: u64 = 10;
const OPS_PER_WORKER: usize = 200;
const RETRIES: usize = 50;

/// (item, location, signed quantity) of a movement.
type Delta = (i64, i64, i64);

fn movements_after(shop: &Shop, after_id: i64) -> Vec<(i64, i64, i64, String, String, i64)> {
    stock_movements::table
        .filter(stock_movements::id.gt(after_id))
        .select((
            stock_movements::item_id,
            stock_movements::location_id,
            stock_movements::quantity,
            stock_movements::idempotency_key,
            stock_movements::kind,
            stock_movements::on_hand_after,
        ))
        .load(&mut shop.app.conn())
        .expect("movements")
}

fn last_movement_id(shop: &Shop) -> i64 {
    stock_movements::table
        .select(diesel::dsl::max(stock_movements::id))
        .first::<Option<i64>>(&mut shop.app.conn())
        .expect("max id")
        .unwrap_or(0)
}

/// The stock an order or sale reply says it took.
fn deltas_of(reply: &Reply, sale_location: Option<i64>) -> Vec<Delta> {
    let mut deltas = Vec::new();
    if let Some(order) = reply.body.get("order") {
        for line in order["lines"].as_array().expect("lines") {
            let item = line["item_id"].as_i64().expect("item id");
            for allocation in line["allocations"].as_array().expect("allocations") {
                deltas.push((
                    item,
                    allocation["location_id"].as_i64().expect("location"),
                    -allocation["quantity"].as_i64().expect("quantity"),
                ));
            }
        }
    }
    if let Some(sale) = reply.body.get("sale") {
        for line in sale["lines"].as_array().expect("lines") {
            deltas.push((
                line["item_id"].as_i64().expect("item id"),
                sale_location.expect("a sale's store"),
                -line["quantity"].as_i64().expect("quantity"),
            ));
        }
    }
    deltas
}

fn summed(deltas: impl IntoIterator<Item = Delta>) -> HashMap<(i64, i64), i64> {
    let mut sums = HashMap::new();
    for (item, location, quantity) in deltas {
        *sums.entry((item, location)).or_insert(0) += quantity;
    }
    sums.retain(|_, q| *q != 0);
    sums
}

/// What one operation of the conservation run did, as its client saw it.
struct Done {
    key: String,
    /// What the reply says moved; `None` for a count, whose change the server works out.
    expected: Option<Vec<Delta>>,
    /// Whether it took effect (201 or 303, not replayed).
    effective: bool,
}

/// An API request a worker sent, kept to retry it later.
struct Sent {
    path: &'static str,
    token: String,
    key: String,
    body: String,
    reply: Reply,
}

async fn dashboard_form(shop: &Shop, csrf: &str, path: &str, fields: &[(&str, String)]) -> u16 {
    let mut form: Vec<(&str, String)> = vec![("csrf_token", csrf.to_owned())];
    form.extend(fields.iter().cloned());
    shop.app
        .client
        .post(shop.app.url(path))
        .form(&form)
        .send()
        .await
        .expect("the dashboard answers")
        .status()
        .as_u16()
}

async fn worker(shop: Arc<Shop>, items: Vec<i64>, csrf: String, seed: u64) -> Vec<Done> {
    let mut rng = StdRng::seed_from_u64(seed);
    let api = client();
    let mut done = Vec::new();
    let mut sent: Vec<Sent> = Vec::new();
    for _ in 0..OPS_PER_WORKER {
        let key = fresh_key();
        let item = items[rng.random_range(0..items.len())];
        let roll = rng.random_range(0..100);
        if roll >= 96 && !sent.is_empty() {
            // A retry of an earlier request: same key, same body, no second effect.
            let earlier = &sent[rng.random_range(0..sent.len())];
            let again = shop
                .post(
                    &api,
                    earlier.path,
                    &earlier.token,
                    Some(&earlier.key),
                    &earlier.body,
                )
                .await;
            assert!(again.replayed, "a retry is a replay: {again:?}");
            assert_eq!(
                (again.status, &again.body),
                (earlier.reply.status, &earlier.reply.body)
            );
            continue;
        }
        if roll < 75 {
            let (path, token, body, sale_location): (&'static str, String, Value, Option<i64>) =
                if roll < 45 {
                    let mut lines =
                        vec![json!({ "item_id": item, "quantity": rng.random_range(1..=3) })];
                    let other = items[rng.random_range(0..items.len())];
                    if other != item && rng.random_bool(0.3) {
                        lines
                            .push(json!({ "item_id": other, "quantity": rng.random_range(1..=2) }));
                    }
                    let fulfilment = if roll < 35 {
                        json!({ "type": "ship" })
                    } else {
                        json!({ "type": "pickup", "location_id": shop.downtown })
                    };
                    (
                        "/api/v1/storefront/orders",
                        shop.storefront.clone(),
                        json!({ "lines": lines, "fulfilment": fulfilment }),
                        None,
                    )
                } else {
                    let (token, location) = if rng.random_bool(0.5) {
                        (shop.pos_downtown.clone(), shop.downtown)
                    } else {
                        (shop.pos_riverside.clone(), shop.riverside)
                    };
                    let anyway = rng.random_bool(0.2);
                    let mut body = json!({ "lines": [{ "item_id": item, "quantity": rng.random_range(1..=3) }], "record_anyway": anyway });
                    if anyway {
                        body["occurred_at"] = json!("2026-11-20T14:05:00Z");
                    }
                    ("/api/v1/pos/sales", token, body, Some(location))
                };
            let body = body.to_string();
            let reply = shop.post(&api, path, &token, Some(&key), &body).await;
            assert!(!reply.replayed, "a fresh key is never a replay");
            match reply.status {
                201 => done.push(Done {
                    key: key.clone(),
                    expected: Some(deltas_of(&reply, sale_location)),
                    effective: true,
                }),
                409 => {
                    assert_eq!(
                        reply.body["error"]["code"], "insufficient_stock",
                        "{reply:?}"
                    );
                    done.push(Done {
                        key: key.clone(),
                        expected: Some(Vec::new()),
                        effective: false,
                    });
                }
                other => panic!("unexpected {other} from {path}: {:?}", reply.body),
            }
            sent.push(Sent {
                path,
                token,
                key,
                body,
                reply,
            });
            continue;
        }
        let location = if rng.random_bool(0.5) {
            shop.downtown
        } else {
            shop.riverside
        };
        let (action, quantity) = match roll {
            75..85 => ("receive", rng.random_range(1..=5)),
            85..92 => (
                "adjust",
                if rng.random_bool(0.5) {
                    -rng.random_range(1..=3)
                } else {
                    rng.random_range(1..=3)
                },
            ),
            _ => ("count", rng.random_range(0..=20)),
        };
        let status = dashboard_form(
            &shop,
            &csrf,
            &format!("/items/{item}/stock/{action}"),
            &[
                ("location_id", location.to_string()),
                ("quantity", quantity.to_string()),
                ("reason", format!("conservation {action}")),
                ("idempotency_key", key.clone()),
            ],
        )
        .await;
        match (action, status) {
            (_, 303) => done.push(Done {
                key,
                expected: (action != "count").then(|| vec![(item, location, quantity)]),
                effective: true,
            }),
            ("adjust", 422) => done.push(Done {
                key,
                expected: Some(Vec::new()),
                effective: false,
            }),
            (_, other) => panic!("unexpected {other} from the {action} form"),
        }
    }
    done
}

on_both_backends!(
    the_last_unit_goes_to_exactly_one_of_100_concurrent_buyers_every_round,
    thousands_of_concurrent_mixed_operations_conserve_stock,
    fifty_concurrent_retries_of_one_order_have_one_effect_and_one_answer,
    fifty_concurrent_retries_of_one_counter_sale_have_one_effect_and_one_answer,
    sales_racing_designation_changes_all_land_and_announce_the_item_as_it_ends
);

async fn the_last_unit_goes_to_exactly_one_of_100_concurrent_buyers_every_round(backend: Backend) {
    let shop = Arc::new(Shop::start(backend).await);
    let item = shop.new_item("LAST-UNIT");
    let buyers: Vec<reqwest::Client> = (0..BUYERS).map(|_| client()).collect();

    for round in 0..ROUNDS {
        shop.receive(item, shop.downtown, 1);
        let mut tasks = Vec::with_capacity(BUYERS);
        for buyer in &buyers {
            let (shop, buyer) = (shop.clone(), buyer.clone());
            tasks.push(tokio::spawn(async move {
                shop.order(&buyer, &fresh_key(), &ship(item, 1)).await
            }));
        }
        let mut replies = Vec::with_capacity(BUYERS);
        for task in tasks {
            replies.push(task.await.expect("a buyer finishes"));
        }

        let winners = replies.iter().filter(|r| r.status == 201).count();
        assert_eq!(
            winners, 1,
            "round {round}: exactly one buyer gets the last unit"
        );
        for lost in replies.iter().filter(|r| r.status != 201) {
            assert_eq!(lost.status, 409, "round {round}: {lost:?}");
            let error = &lost.body["error"];
            assert_eq!(error["code"], "insufficient_stock");
            assert_eq!(error["details"]["item_id"], item);
            assert_eq!(error["details"]["sku"], "LAST-UNIT");
            assert_eq!(error["details"]["available"], 0);
            assert!(error["details"].get("location_id").is_some());
        }
        assert_eq!(shop.level(item, shop.downtown), 0, "round {round}");
    }

    let sold: Vec<(String, i64, i64)> = stock_movements::table
        .filter(stock_movements::item_id.eq(item))
        .filter(stock_movements::kind.eq("online_order"))
        .select((
            stock_movements::kind,
            stock_movements::quantity,
            stock_movements::on_hand_after,
        ))
        .load(&mut shop.app.conn())
        .expect("movements");
    assert_eq!(sold.len(), ROUNDS);
    assert!(
        sold.iter()
            .all(|(_, quantity, after)| *quantity == -1 && *after == 0)
    );
    assert!(
        verify_ledger(&mut shop.app.conn())
            .expect("verify")
            .is_empty()
    );
}

async fn thousands_of_concurrent_mixed_operations_conserve_stock(backend: Backend) {
    let shop = Arc::new(Shop::start(backend).await);
    let items: Vec<i64> = (0..3).map(|i| shop.new_item(&format!("MIX-{i}"))).collect();
    for &item in &items {
        shop.receive(item, shop.downtown, 40);
        shop.receive(item, shop.riverside, 40);
    }
    shop.app.login().await;
    let csrf = shop.app.csrf_token().await;
    let levels = |shop: &Shop| -> HashMap<(i64, i64), i64> {
        items
            .iter()
            .flat_map(|&i| [(i, shop.downtown), (i, shop.riverside)])
            .map(|(i, l)| ((i, l), shop.level(i, l)))
            .collect()
    };
    let initial = levels(&shop);
    let start = last_movement_id(&shop);

    let mut tasks = Vec::new();
    for seed in 0..WORKERS {
        tasks.push(tokio::spawn(worker(
            shop.clone(),
            items.clone(),
            csrf.clone(),
            seed,
        )));
    }
    let mut done = Vec::new();
    for task in tasks {
        done.extend(task.await.expect("a worker finishes"));
    }

    let movements = movements_after(&shop, start);
    let final_levels = levels(&shop);
    // Every level is its initial level plus the sum of the movements since.
    let moved = summed(movements.iter().map(|(i, l, q, ..)| (*i, *l, *q)));
    for (level, now) in &final_levels {
        assert_eq!(
            *now,
            initial[level] + moved.get(level).copied().unwrap_or(0),
            "{level:?}"
        );
    }
    assert!(
        verify_ledger(&mut shop.app.conn())
            .expect("verify")
            .is_empty()
    );
    // An online order never drives a level below zero.
    assert!(
        movements
            .iter()
            .filter(|m| m.4 == "online_order")
            .all(|m| m.5 >= 0)
    );
    // The ledger holds exactly what the clients were told happened, once.
    let mut by_key: HashMap<&str, Vec<Delta>> = HashMap::new();
    for (i, l, q, key, ..) in &movements {
        by_key.entry(key.as_str()).or_default().push((*i, *l, *q));
    }
    assert!(done.len() >= (WORKERS as usize * OPS_PER_WORKER) * 9 / 10);
    let effective = done.iter().filter(|d| d.effective).count();
    assert_eq!(
        by_key.len(),
        effective,
        "one ledger entry set per effective operation"
    );
    for op in &done {
        let recorded = by_key.get(op.key.as_str());
        match (&op.expected, op.effective) {
            (Some(expected), _) => assert_eq!(
                summed(recorded.cloned().unwrap_or_default()),
                summed(expected.iter().copied()),
                "operation {}",
                op.key
            ),
            (None, true) => assert_eq!(recorded.map(Vec::len), Some(1), "count {}", op.key),
            (None, false) => unreachable!("a count either happens or fails the test"),
        }
    }
}

async fn fifty_concurrent_retries_of_one_order_have_one_effect_and_one_answer(backend: Backend) {
    let shop = Arc::new(Shop::start(backend).await);
    let item = shop.new_item("RETRY");
    shop.receive(item, shop.downtown, 5);
    let key = fresh_key();
    let body = json!({ "lines": [{ "item_id": item, "quantity": 2 }], "fulfilment": { "type": "ship" }, "reference": "web-1001" });

    let mut tasks = Vec::new();
    for _ in 0..RETRIES {
        let (shop, key, body) = (shop.clone(), key.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            shop.order(&client(), &key, &body).await
        }));
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("a retry finishes"));
    }

    assert!(replies.iter().all(|r| r.status == 201), "{replies:?}");
    assert_eq!(
        replies.iter().filter(|r| !r.replayed).count(),
        1,
        "exactly one performs the order"
    );
    assert!(
        replies.iter().all(|r| r.body == replies[0].body),
        "every retry gets the same body"
    );
    assert_eq!(shop.level(item, shop.downtown), 3);
    let with_key: i64 = stock_movements::table
        .filter(stock_movements::idempotency_key.eq(&key))
        .count()
        .get_result(&mut shop.app.conn())
        .expect("count");
    assert_eq!(with_key, 1);
}

/// A counter sale reads its items before it locks the merchant, and claims
/// its key at the end: concurrent retries still have one effect, and a
/// refusal is stored once and replayed to every retry.
async fn fifty_concurrent_retries_of_one_counter_sale_have_one_effect_and_one_answer(
    backend: Backend,
) {
    let shop = Arc::new(Shop::start(backend).await);
    let item = shop.new_item("RETRY-SALE");
    shop.receive(item, shop.downtown, 5);
    let fits = json!({ "lines": [{ "item_id": item, "quantity": 2 }], "reference": "till-7" });
    let short = json!({ "lines": [{ "item_id": item, "quantity": 9 }] });
    for (body, status, level_after) in [(fits, 201, 3), (short, 409, 3)] {
        let key = fresh_key();
        let mut tasks = Vec::new();
        for _ in 0..RETRIES {
            let (shop, key, body) = (shop.clone(), key.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                shop.sale(&client(), &shop.pos_downtown, &key, &body).await
            }));
        }
        let mut replies = Vec::new();
        for task in tasks {
            replies.push(task.await.expect("a retry finishes"));
        }
        assert!(replies.iter().all(|r| r.status == status), "{replies:?}");
        assert_eq!(
            replies.iter().filter(|r| !r.replayed).count(),
            1,
            "exactly one runs the sale: {body}"
        );
        assert!(
            replies.iter().all(|r| r.body == replies[0].body),
            "every retry gets the same body"
        );
        assert_eq!(shop.level(item, shop.downtown), level_after);
        let with_key: i64 = stock_movements::table
            .filter(stock_movements::idempotency_key.eq(&key))
            .count()
            .get_result(&mut shop.app.conn())
            .expect("count");
        assert_eq!(with_key, i64::from(status == 201));
    }
}

const RACING_SALES: usize = 80;
const RACING_FLIPS: usize = 40;

/// Sales read the item before they lock; a designation change landing in
/// between makes the sale run again, so every sale is recorded once and the
/// last announcement of the item (its newest event) is the item as it ends.
async fn sales_racing_designation_changes_all_land_and_announce_the_item_as_it_ends(
    backend: Backend,
) {
    use shelfsync::db::schema::outbox_events;
    use shelfsync::domain::DesignationChange;
    use shelfsync::inventory::designations::designate;
    use shelfsync::inventory::{Actor, Item};

    let shop = Arc::new(Shop::start(backend).await);
    let item = shop.new_item("RACE");
    shop.receive(item, shop.downtown, 1000);
    let flipper = {
        let shop = shop.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = shop.app.conn();
            for flip in 0..RACING_FLIPS {
                let now = Item::find(&mut conn, shop.merchant, item).expect("the item");
                let change = if flip % 2 == 0 {
                    DesignationChange::VIEW_ONLINE_BUY_IN_STORE
                } else {
                    DesignationChange::SELL_ONLINE
                };
                designate(
                    &mut conn,
                    &Actor::system(),
                    shop.merchant,
                    item,
                    now.version,
                    change,
                )
                .expect("a designation change");
            }
        })
    };
    let mut sellers = Vec::new();
    for seller in 0..4 {
        let shop = shop.clone();
        sellers.push(tokio::spawn(async move {
            let api = client();
            let mut statuses = Vec::new();
            for n in 0..RACING_SALES / 4 {
                let body = json!({ "lines": [{ "item_id": item, "quantity": 1 }], "reference": format!("race-{seller}-{n}") });
                let reply = shop.sale(&api, &shop.pos_downtown, &fresh_key(), &body).await;
                statuses.push(reply.status);
            }
            statuses
        }));
    }
    for seller in sellers {
        let statuses = seller.await.expect("a seller finishes");
        assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    }
    flipper.await.expect("the flips finish");

    assert_eq!(shop.level(item, shop.downtown), 1000 - RACING_SALES as i64);
    let mut conn = shop.app.conn();
    assert!(verify_ledger(&mut conn).expect("the check").is_empty());
    let newest: String = outbox_events::table
        .filter(outbox_events::item_id.eq(item))
        .filter(outbox_events::event_type.eq_any(["item.stock_changed", "item.listing_changed"]))
        .order((
            outbox_events::catalog_version.desc(),
            outbox_events::id.desc(),
        ))
        .select(outbox_events::payload)
        .first(&mut conn)
        .expect("the newest event about the item");
    drop(conn);
    let newest: Value = serde_json::from_str(&newest).expect("JSON");
    let listed = client()
        .get(shop.app.url("/api/v1/storefront/items?limit=200"))
        .bearer_auth(&shop.storefront)
        .send()
        .await
        .expect("the online list")
        .json::<Value>()
        .await
        .expect("JSON");
    let record = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|record| record["id"] == item)
        .expect("the item is listed")
        .clone();
    assert_eq!(
        newest["item"], record,
        "the newest event is the item as it ends"
    );
}
