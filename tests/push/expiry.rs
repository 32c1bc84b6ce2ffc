//! Holds for pickup that ran out are let go exactly once, with one
//! `reservation.expired` event each, while two real servers run the
//! scheduler on one database and one of them is killed with SIGKILL.

use std::collections::HashSet;

use chrono::TimeDelta;
use diesel::prelude::*;
use shelfsync::db::schema::{audit_entries, outbox_events, reservations};
use shelfsync::domain::{Contact, OnlineListing};
use shelfsync::inventory::Actor;
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::reservations::{ReservationRequest, reserve};
use shelfsync::inventory::stock::verify_holds;

use crate::common::fixtures::{new_item, receive_stock};
use crate::common::{Backend, TestDb};
use crate::on_both_backends;
use crate::restart::Server;
use crate::support::eventually;

const HOLDS: i64 = 1000;

on_both_backends!(a_thousand_expired_holds_are_let_go_once_each_by_two_servers_one_killed_midway);

async fn a_thousand_expired_holds_are_let_go_once_each_by_two_servers_one_killed_midway(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut conn = pool.get().expect("conn");
    let merchant = shelfsync::demo::create(&mut conn).expect("the demo").id;
    let downtown = Location::all_of(&mut conn, merchant).expect("stores")[0].id;
    let item = new_item(
        &mut conn,
        merchant,
        "EXPIRY",
        "Lantern",
        true,
        OnlineListing::ViewOnly,
    )
    .id;
    receive_stock(&mut conn, merchant, item, downtown, HOLDS);
    for n in 0..HOLDS {
        reserve(
            &mut conn,
            &Actor::shopper("Shopper"),
            merchant,
            &ReservationRequest {
                item_id: item,
                location_id: downtown,
                quantity: 1,
                name: "Shopper".into(),
                contact: Contact::parse(Some(&format!("shopper{n}@example.com")), None)
                    .expect("an email"),
                client_address: None,
            },
        )
        .expect("a hold");
    }
    // All of them ran out while no server was running.
    diesel::update(reservations::table)
        .set(reservations::expires_at.eq(chrono::Utc::now().naive_utc() - TimeDelta::minutes(5)))
        .execute(&mut conn)
        .expect("backdated");

    let fast = ["--scheduler-interval-ms", "20"];
    let doomed = Server::start_with(&db.url, &fast);
    let survivor = Server::start_with(&db.url, &fast);
    doomed.kill_9();
    let open = || {
        reservations::table
            .filter(reservations::status.eq("open"))
            .count()
            .get_result::<i64>(&mut pool.get().expect("conn"))
            .expect("open holds")
    };
    assert!(
        eventually(120, || open() == 0).await,
        "{} still open",
        open()
    );
    drop(survivor);

    let payloads: Vec<String> = outbox_events::table
        .filter(outbox_events::event_type.eq("reservation.expired"))
        .select(outbox_events::payload)
        .load(&mut conn)
        .expect("events");
    assert_eq!(payloads.len() as i64, HOLDS, "one event per hold");
    let ids: HashSet<i64> = payloads
        .iter()
        .map(|payload| {
            let event: serde_json::Value = serde_json::from_str(payload).expect("JSON");
            event["reservation"]["id"].as_i64().expect("the hold's id")
        })
        .collect();
    assert_eq!(ids.len() as i64, HOLDS, "each hold's own event");
    let entries: i64 = audit_entries::table
        .filter(audit_entries::subject.eq("reservation"))
        .filter(audit_entries::actor.eq("scheduler"))
        .count()
        .get_result(&mut conn)
        .expect("entries");
    assert_eq!(entries, HOLDS);
    assert_eq!(verify_holds(&mut conn).expect("the holds check"), vec![]);
}
