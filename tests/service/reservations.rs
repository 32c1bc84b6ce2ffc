//! Holds for pickup through the service: they net availability everywhere,
//! pickup is a sale that consumes the hold, a counter sale of held units
//! needs the cashier's say-so, and expiry lets each hold go exactly once.

use chrono::TimeDelta;
use diesel::prelude::*;
use shelfsync::db::DbConnection;
use shelfsync::db::schema::{
    audit_entries, outbox_events, reservations, stock_levels, stock_movements,
};
use shelfsync::domain::{Contact, OnlineListing, Quantity, Reason, StockCount};
use shelfsync::inventory::idempotency::{Fingerprint, Outcome};
use shelfsync::inventory::lists::{OnlineRecord, online_record_of};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::orders::{
    Fulfilment, Line, OrderRequest, SaleRequest, place_order, record_sale,
};
use shelfsync::inventory::reservations::{
    Reservation, ReservationRequest, expire_due, pick_up, release, reserve,
};
use shelfsync::inventory::stock::{self, verify_holds, verify_ledger};
use shelfsync::inventory::{Actor, InventoryError, Item};

use crate::common::fixtures::{idempotency_key, new_item, receive_stock, seeded_merchant};
use crate::common::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(
    a_hold_takes_its_units_out_of_the_online_list_and_online_orders,
    a_hold_never_takes_more_than_a_store_has_free,
    pickup_records_one_sale_naming_the_code_and_consumes_the_hold,
    a_counter_sale_of_held_units_is_short_until_recorded_anyway_which_lets_the_newest_hold_go,
    every_change_of_a_hold_writes_its_event_and_activity_entry,
    a_count_below_what_is_held_lets_the_newest_holds_go,
    an_import_counting_below_what_is_held_announces_the_stock_left_after_the_holds_go,
    expired_holds_are_let_go_exactly_once_even_by_two_runs_at_once,
    the_levels_count_of_held_units_follows_every_hold_and_the_check_catches_a_wrong_one
);

struct Setup {
    merchant: i64,
    downtown: i64,
    item: Item,
}

fn setup(conn: &mut DbConnection, on_hand: i64) -> Setup {
    let merchant = seeded_merchant(conn, "holds");
    let downtown = Location::all_of(conn, merchant).expect("stores")[0].id;
    let item = new_item(
        conn,
        merchant,
        "MUG-1",
        "Blue mug",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(conn, merchant, item.id, downtown, on_hand);
    Setup {
        merchant,
        downtown,
        item,
    }
}

fn request(setup: &Setup, quantity: i64, email: &str) -> ReservationRequest {
    ReservationRequest {
        item_id: setup.item.id,
        location_id: setup.downtown,
        quantity,
        name: "Ana".into(),
        contact: Contact::parse(Some(email), None).expect("an email"),
        client_address: None,
    }
}

fn hold(conn: &mut DbConnection, setup: &Setup, quantity: i64, email: &str) -> Reservation {
    reserve(
        conn,
        &Actor::shopper("Ana"),
        setup.merchant,
        &request(setup, quantity, email),
    )
    .expect("the hold is made")
}

fn available_online(conn: &mut DbConnection, item: &Item) -> i64 {
    let item = Item::find(conn, item.merchant_id, item.id).expect("the item");
    match online_record_of(conn, &item).expect("the record") {
        OnlineRecord::Listed(entry) => entry.available_online,
        OnlineRecord::Removed(_) => panic!("the item is listed"),
    }
}

fn events(conn: &mut DbConnection, event_type: &str) -> i64 {
    outbox_events::table
        .filter(outbox_events::event_type.eq(event_type))
        .count()
        .get_result(conn)
        .expect("events")
}

fn ship(item: i64, quantity: i64) -> OrderRequest {
    OrderRequest {
        lines: vec![Line {
            item_id: item,
            quantity: Quantity::new(quantity, "quantity").expect("a quantity"),
        }],
        fulfilment: Fulfilment::Ship,
        external_reference: None,
    }
}

async fn a_hold_takes_its_units_out_of_the_online_list_and_online_orders(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let setup = setup(&mut conn, 3);
    stock::set_merchant_online_buffer(
        &mut conn,
        &Actor::staff("Test"),
        setup.merchant,
        StockCount::new(0, "online_buffer").expect("a count"),
    )
    .expect("no buffer");
    assert_eq!(available_online(&mut conn, &setup.item), 3);

    hold(&mut conn, &setup, 2, "ana@example.com");

    assert_eq!(available_online(&mut conn, &setup.item), 1);
    assert_eq!(
        stock::on_hand(&mut conn, setup.item.id, setup.downtown).expect("level"),
        3
    );
    let order = place_order(
        &mut conn,
        &Actor::staff("Online store"),
        setup.merchant,
        &idempotency_key(),
        &Fingerprint::of_parts(&["two"]),
        &ship(setup.item.id, 2),
    )
    .expect("the order is answered");
    assert!(matches!(order, Outcome::Short { .. }), "{order:?}");
}

async fn a_hold_never_takes_more_than_a_store_has_free(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let setup = setup(&mut conn, 3);
    hold(&mut conn, &setup, 2, "ana@example.com");

    let refused = reserve(
        &mut conn,
        &Actor::shopper("Bo"),
        setup.merchant,
        &request(&setup, 2, "bo@example.com"),
    );

    match refused {
        Err(InventoryError::Invalid(error)) => assert_eq!(error.field, "quantity"),
        other => panic!("expected a refusal on quantity, got {other:?}"),
    }
    assert_eq!(verify_holds(&mut conn).expect("check"), vec![]);
}

async fn pickup_records_one_sale_naming_the_code_and_consumes_the_hold(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let setup = setup(&mut conn, 3);
    let held = hold(&mut conn, &setup, 2, "ana@example.com");

    let done = pick_up(
        &mut conn,
        &Actor::staff("Sam"),
        setup.merchant,
        held.id,
        Some(setup.downtown),
    )
    .expect("handed over");

    assert_eq!(done.on_hand_after, 1);
    assert_eq!(done.reservation.status.as_str(), "picked_up");
    let (kind, quantity, reason): (String, i64, String) = stock_movements::table
        .filter(stock_movements::item_id.eq(setup.item.id))
        .order(stock_movements::id.desc())
        .select((
            stock_movements::kind,
            stock_movements::quantity,
            stock_movements::reason,
        ))
        .first(&mut conn)
        .expect("the sale");
    assert_eq!((kind.as_str(), quantity), ("store_sale", -2));
    assert!(reason.contains(&held.pickup_code), "{reason}");
    let again = pick_up(
        &mut conn,
        &Actor::staff("Sam"),
        setup.merchant,
        held.id,
        None,
    );
    assert!(matches!(again, Err(InventoryError::Closed(_))), "{again:?}");
    assert_eq!(verify_ledger(&mut conn).expect("check"), vec![]);
}

async fn a_counter_sale_of_held_units_is_short_until_recorded_anyway_which_lets_the_newest_hold_go(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let setup = setup(&mut conn, 2);
    let older = hold(&mut conn, &setup, 1, "ana@example.com");
    let newer = hold(&mut conn, &setup, 1, "bo@example.com");
    let sale = |record_anyway| SaleRequest {
        location_id: setup.downtown,
        lines: vec![Line {
            item_id: setup.item.id,
            quantity: Quantity::new(1, "quantity").expect("a quantity"),
        }],
        occurred_at: None,
        record_anyway,
        external_reference: None,
    };

    let asked = record_sale(
        &mut conn,
        &Actor::staff("Sam"),
        setup.merchant,
        &idempotency_key(),
        &Fingerprint::of_parts(&["a"]),
        &sale(false),
    )
    .expect("answered");
    assert!(matches!(asked, Outcome::Short { .. }), "{asked:?}");
    record_sale(
        &mut conn,
        &Actor::staff("Sam"),
        setup.merchant,
        &idempotency_key(),
        &Fingerprint::of_parts(&["b"]),
        &sale(true),
    )
    .expect("recorded anyway");

    let status = |conn: &mut DbConnection, id| {
        Reservation::find(conn, setup.merchant, id)
            .expect("hold")
            .status
            .as_str()
    };
    assert_eq!(status(&mut conn, older.id), "open");
    assert_eq!(status(&mut conn, newer.id), "released");
    assert_eq!(verify_holds(&mut conn).expect("check"), vec![]);
}

async fn every_change_of_a_hold_writes_its_event_and_activity_entry(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let setup = setup(&mut conn, 5);
    let before = shelfsync::inventory::catalog_version(&mut conn, setup.merchant).expect("version");

    let first = hold(&mut conn, &setup, 1, "ana@example.com");
    let second = hold(&mut conn, &setup, 1, "bo@example.com");
    pick_up(
        &mut conn,
        &Actor::staff("Sam"),
        setup.merchant,
        first.id,
        None,
    )
    .expect("picked up");
    release(
        &mut conn,
        &Actor::staff("Sam"),
        setup.merchant,
        second.id,
        None,
    )
    .expect("released");

    assert_eq!(events(&mut conn, "reservation.created"), 2);
    assert_eq!(events(&mut conn, "reservation.picked_up"), 1);
    assert_eq!(events(&mut conn, "reservation.released"), 1);
    let after = shelfsync::inventory::catalog_version(&mut conn, setup.merchant).expect("version");
    assert!(
        after >= before + 4,
        "each change moves the catalog: {before} → {after}"
    );
    let entries: Vec<(String, String)> = audit_entries::table
        .filter(audit_entries::subject.eq("reservation"))
        .order(audit_entries::id)
        .select((audit_entries::actor, audit_entries::new_value))
        .load(&mut conn)
        .expect("entries");
    assert_eq!(
        entries,
        vec![
            ("Ana (shopper)".to_owned(), "open".to_owned()),
            ("Ana (shopper)".to_owned(), "open".to_owned()),
            ("Sam".to_owned(), "picked_up".to_owned()),
            ("Sam".to_owned(), "released".to_owned()),
        ]
    );
}

async fn expired_holds_are_let_go_exactly_once_even_by_two_runs_at_once(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut conn = pool.get().expect("conn");
    let setup = setup(&mut conn, 40);
    for n in 0..20 {
        hold(&mut conn, &setup, 2, &format!("shopper{n}@example.com"));
    }
    // Due while the server was down: an hour ago.
    diesel::update(reservations::table)
        .set(reservations::expires_at.eq(chrono::Utc::now().naive_utc() - TimeDelta::hours(1)))
        .execute(&mut conn)
        .expect("backdated");
    let now = chrono::Utc::now().naive_utc();

    let runs: Vec<_> = (0..2)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("conn");
                expire_due(&mut conn, now).expect("a run").expired
            })
        })
        .collect();
    let expired: usize = runs
        .into_iter()
        .map(|run| run.join().expect("the run"))
        .sum();
    let again = expire_due(&mut conn, now).expect("a third run").expired;

    assert_eq!((expired, again), (20, 0));
    assert_eq!(events(&mut conn, "reservation.expired"), 20);
    let open: i64 = reservations::table
        .filter(reservations::status.eq("open"))
        .count()
        .get_result(&mut conn)
        .expect("open");
    assert_eq!(open, 0);
    let entry: String = audit_entries::table
        .filter(audit_entries::subject.eq("reservation"))
        .filter(audit_entries::actor.eq("scheduler"))
        .select(audit_entries::new_value)
        .first(&mut conn)
        .expect("the scheduler's entry");
    assert!(
        entry.contains("due ") && entry.contains("applied "),
        "{entry}"
    );
}

async fn a_count_below_what_is_held_lets_the_newest_holds_go(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let setup = setup(&mut conn, 3);
    let older = hold(&mut conn, &setup, 1, "ana@example.com");
    let newer = hold(&mut conn, &setup, 2, "bo@example.com");

    stock::correct(
        &mut conn,
        &Actor::staff("Sam"),
        setup.merchant,
        &stock::CorrectionRequest {
            item_id: setup.item.id,
            location_id: setup.downtown,
            correction: stock::Correction::Count(StockCount::new(1, "count").expect("a count")),
            reason: Reason::parse("Shelf count").expect("a reason"),
            key: idempotency_key(),
        },
    )
    .expect("counted");

    let status = |conn: &mut DbConnection, id| {
        Reservation::find(conn, setup.merchant, id)
            .expect("hold")
            .status
            .as_str()
    };
    assert_eq!(status(&mut conn, newer.id), "released");
    assert_eq!(status(&mut conn, older.id), "open");
    assert_eq!(verify_holds(&mut conn).expect("check"), vec![]);
}

async fn an_import_counting_below_what_is_held_announces_the_stock_left_after_the_holds_go(
    backend: Backend,
) {
    use shelfsync::inventory::catalog_file::{ApplyOutcome, ImportOptions, apply};
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let setup = setup(&mut conn, 5);
    let older = hold(&mut conn, &setup, 2, "ana@example.com");
    let newer = hold(&mut conn, &setup, 2, "bo@example.com");
    let store = Location::all_of(&mut conn, setup.merchant).expect("stores")[0]
        .name
        .clone();
    let file = format!(
        "sku,name,price,in_store,online,stock:{store}\nMUG-1,Blue mug,9.99,yes,for_sale,3\n"
    );

    let outcome = apply(
        &mut conn,
        &Actor::staff("Importer"),
        setup.merchant,
        "count.csv",
        file.as_bytes(),
        &ImportOptions::default(),
        None,
        &mut (),
    )
    .expect("the import runs");

    assert!(matches!(outcome, ApplyOutcome::Applied(_)), "{outcome:?}");
    let status = |conn: &mut DbConnection, id| {
        Reservation::find(conn, setup.merchant, id)
            .expect("hold")
            .status
            .as_str()
    };
    assert_eq!(status(&mut conn, newer.id), "released");
    assert_eq!(status(&mut conn, older.id), "open");
    // The import's own announcement of the item carries what the list
    // serves now: 3 on hand, 2 held.
    let last: String = outbox_events::table
        .filter(outbox_events::item_id.eq(setup.item.id))
        .filter(outbox_events::event_type.eq("item.stock_changed"))
        .order(outbox_events::id.desc())
        .select(outbox_events::payload)
        .first(&mut conn)
        .expect("the import's stock event");
    let announced: serde_json::Value = serde_json::from_str(&last).expect("JSON");
    let item = Item::find(&mut conn, setup.merchant, setup.item.id).expect("the item");
    let served = serde_json::to_value(online_record_of(&mut conn, &item).expect("the record"))
        .expect("JSON");
    assert_eq!(announced["item"], served);
    assert_eq!(verify_holds(&mut conn).expect("check"), vec![]);
}

fn held_on_level(conn: &mut DbConnection, setup: &Setup) -> i64 {
    stock_levels::table
        .filter(stock_levels::item_id.eq(setup.item.id))
        .filter(stock_levels::location_id.eq(setup.downtown))
        .select(stock_levels::held)
        .first(conn)
        .expect("the level")
}

async fn the_levels_count_of_held_units_follows_every_hold_and_the_check_catches_a_wrong_one(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let setup = setup(&mut conn, 10);
    let staff = Actor::staff("Sam");

    let first = hold(&mut conn, &setup, 2, "ana@example.com");
    let second = hold(&mut conn, &setup, 1, "bo@example.com");
    let third = hold(&mut conn, &setup, 2, "cy@example.com");
    assert_eq!(held_on_level(&mut conn, &setup), 5);
    assert_eq!(
        stock::available_at(&mut conn, setup.item.id, setup.downtown).expect("free"),
        5
    );

    pick_up(&mut conn, &staff, setup.merchant, first.id, None).expect("picked up");
    assert_eq!(
        held_on_level(&mut conn, &setup),
        3,
        "a pickup frees what it held"
    );
    release(&mut conn, &staff, setup.merchant, second.id, None).expect("released");
    assert_eq!(
        held_on_level(&mut conn, &setup),
        2,
        "a release frees what it held"
    );
    // A hold closed twice frees its units once.
    assert!(release(&mut conn, &staff, setup.merchant, second.id, None).is_err());
    assert_eq!(held_on_level(&mut conn, &setup), 2);
    expire_due(&mut conn, third.expires_at).expect("expiry");
    assert_eq!(
        held_on_level(&mut conn, &setup),
        0,
        "an expired hold frees what it held"
    );
    assert_eq!(
        stock::available_at(&mut conn, setup.item.id, setup.downtown).expect("free"),
        8
    );
    assert_eq!(verify_holds(&mut conn).expect("check"), vec![]);

    // A count that no open hold accounts for is reported, with both figures.
    hold(&mut conn, &setup, 1, "di@example.com");
    diesel::update(
        stock_levels::table
            .filter(stock_levels::item_id.eq(setup.item.id))
            .filter(stock_levels::location_id.eq(setup.downtown)),
    )
    .set(stock_levels::held.eq(4))
    .execute(&mut conn)
    .expect("tamper");
    let mismatches = verify_holds(&mut conn).expect("check");
    assert_eq!(mismatches.len(), 1, "{mismatches:?}");
    assert_eq!((mismatches[0].held, mismatches[0].recorded), (1, 4));
    assert_eq!(mismatches[0].item_id, setup.item.id);
}
