//! The last units, raced for by every channel at once: shoppers reserving
//! through the storefront, sales at the counter and online orders. Each unit
//! goes to exactly one of them; none is both held and sold.

use std::sync::Arc;

use diesel::prelude::*;
use serde_json::json;
use shelfsync::db::schema::reservations;
use shelfsync::inventory::stock::{verify_holds, verify_ledger};

use crate::common::Backend;
use crate::common::fixtures::fresh_key;
use crate::on_both_backends;
use crate::support::{Shop, client, ship};

const SHOPPERS: usize = 50;
const COUNTER_SALES: usize = 20;
const ORDERS: usize = 20;
const UNITS: i64 = 3;

on_both_backends!(
    the_last_units_go_to_exactly_one_of_the_reservations_sales_and_orders_racing_for_them
);

async fn the_last_units_go_to_exactly_one_of_the_reservations_sales_and_orders_racing_for_them(
    backend: Backend,
) {
    let shop = Arc::new(Shop::start(backend).await);
    let item = shop.new_item("LAST-UNITS");
    shop.receive(item, shop.downtown, UNITS);
    let mut tasks = Vec::new();
    for n in 0..SHOPPERS {
        let shop = shop.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({
                "item_id": item, "location_id": shop.downtown, "quantity": 1,
                "name": format!("Shopper {n}"), "email": format!("shopper{n}@example.com"),
            });
            let reply = shop
                .post(
                    &client(),
                    "/api/v1/storefront/reservations",
                    &shop.storefront,
                    Some(&fresh_key()),
                    &body.to_string(),
                )
                .await;
            ("reservation", reply)
        }));
    }
    for _ in 0..COUNTER_SALES {
        let shop = shop.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({ "lines": [{ "item_id": item, "quantity": 1 }] });
            let reply = shop
                .sale(&client(), &shop.pos_downtown, &fresh_key(), &body)
                .await;
            ("sale", reply)
        }));
    }
    for _ in 0..ORDERS {
        let shop = shop.clone();
        tasks.push(tokio::spawn(async move {
            let reply = shop.order(&client(), &fresh_key(), &ship(item, 1)).await;
            ("order", reply)
        }));
    }
    let mut taken = Vec::new();
    for task in tasks {
        let (what, reply) = task.await.expect("the request finishes");
        match reply.status {
            201 => taken.push(what),
            409 | 422 => {}
            other => panic!("{what} answered {other}: {:?}", reply.body),
        }
    }

    assert_eq!(
        taken.len() as i64,
        UNITS,
        "every unit went to one taker: {taken:?}"
    );
    let sold = taken.iter().filter(|what| **what != "reservation").count() as i64;
    let on_hand = shop.level(item, shop.downtown);
    assert_eq!(on_hand, UNITS - sold, "the level fell by what was sold");
    let held: i64 = reservations::table
        .filter(reservations::item_id.eq(item))
        .filter(reservations::status.eq("open"))
        .select(reservations::quantity)
        .load::<i64>(&mut shop.app.conn())
        .expect("holds")
        .into_iter()
        .sum();
    assert_eq!(
        held,
        UNITS - sold,
        "what is left on hand is all held, none of it sold"
    );
    let mut conn = shop.app.conn();
    assert_eq!(verify_ledger(&mut conn).expect("the ledger check"), vec![]);
    assert_eq!(verify_holds(&mut conn).expect("the holds check"), vec![]);
}
