//! Stock levels and their ledger, online availability, orders and counter
//! sales through the service, on both backends.

use diesel::prelude::*;
use shelfsync::db::DbConnection;
use shelfsync::db::schema::{audit_entries, stock_levels, stock_movements};
use shelfsync::domain::{
    Adjustment, IdempotencyKey, MovementKind, OnlineListing, Quantity, Reason, StockCount,
};
use shelfsync::inventory::idempotency::{Fingerprint, Outcome};
use shelfsync::inventory::lists::{OnlineListQuery, OnlineRecord, online_list};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::orders::{
    Fulfilment, Line, OrderReceipt, OrderRequest, SaleReceipt, SaleRequest, place_order,
    record_sale,
};
use shelfsync::inventory::stock::{
    self, Correction, CorrectionRequest, StockSettings, correct, set_merchant_online_buffer,
    verify_ledger,
};
use shelfsync::inventory::{Actor, InventoryError, Item, catalog_version};
use shelfsync::inventory::{ItemChange, change_item};

use crate::common::fixtures::{idempotency_key, new_item, receive_stock, seeded_merchant};
use crate::common::{Backend, TestDb};
use crate::on_both_backends;

fn stores(conn: &mut DbConnection, merchant: i64) -> (i64, i64) {
    let all = Location::all_of(conn, merchant).expect("locations");
    // Downtown fulfils online orders, Riverside does not.
    (all[0].id, all[1].id)
}

fn level(conn: &mut DbConnection, item: i64, location: i64) -> i64 {
    stock::on_hand(conn, item, location).expect("level")
}

fn ledger_sum(conn: &mut DbConnection, item: i64, location: i64) -> i64 {
    stock_movements::table
        .filter(stock_movements::item_id.eq(item))
        .filter(stock_movements::location_id.eq(location))
        .select(stock_movements::quantity)
        .load::<i64>(conn)
        .expect("movements")
        .into_iter()
        .sum()
}

fn movement_count(conn: &mut DbConnection) -> i64 {
    stock_movements::table
        .count()
        .get_result(conn)
        .expect("count")
}

fn q(n: i64) -> Quantity {
    Quantity::new(n, "quantity").expect("a valid quantity")
}

fn order(
    conn: &mut DbConnection,
    merchant: i64,
    key: &IdempotencyKey,
    lines: &[(i64, i64)],
    fulfilment: Fulfilment,
) -> Result<Outcome<OrderReceipt>, InventoryError> {
    let request = OrderRequest {
        lines: lines
            .iter()
            .map(|&(item_id, n)| Line {
                item_id,
                quantity: q(n),
            })
            .collect(),
        fulfilment,
        external_reference: None,
    };
    let fingerprint = Fingerprint::of_parts(&[&format!("{lines:?} {fulfilment:?}")]);
    place_order(
        conn,
        &Actor::api_token("Shop"),
        merchant,
        key,
        &fingerprint,
        &request,
    )
}

fn sale(
    conn: &mut DbConnection,
    merchant: i64,
    location_id: i64,
    lines: &[(i64, i64)],
    record_anyway: bool,
    occurred_at: Option<chrono::NaiveDateTime>,
) -> Result<Outcome<SaleReceipt>, InventoryError> {
    let request = SaleRequest {
        location_id,
        lines: lines
            .iter()
            .map(|&(item_id, n)| Line {
                item_id,
                quantity: q(n),
            })
            .collect(),
        occurred_at,
        record_anyway,
        external_reference: None,
    };
    let key = idempotency_key();
    place_sale(conn, merchant, &key, &request)
}

fn place_sale(
    conn: &mut DbConnection,
    merchant: i64,
    key: &IdempotencyKey,
    request: &SaleRequest,
) -> Result<Outcome<SaleReceipt>, InventoryError> {
    record_sale(
        conn,
        &Actor::api_token("Counter"),
        merchant,
        key,
        &Fingerprint::of_parts(&[&format!("{request:?}")]),
        request,
    )
}

fn online_entry(
    conn: &mut DbConnection,
    merchant: i64,
    item: i64,
) -> shelfsync::inventory::lists::OnlineListEntry {
    let page = online_list(conn, merchant, OnlineListQuery::default()).expect("online list");
    page.records
        .into_iter()
        .find_map(|record| match record {
            OnlineRecord::Listed(entry) if entry.id == item => Some(*entry),
            _ => None,
        })
        .expect("the item is in the online list")
}

fn refused_shortages<T: std::fmt::Debug>(
    outcome: Result<Outcome<T>, InventoryError>,
) -> Vec<shelfsync::inventory::Shortage> {
    match outcome {
        Ok(Outcome::Short {
            shortages,
            replayed: false,
        }) => shortages,
        other => panic!("expected a refusal for short stock, got {other:?}"),
    }
}

on_both_backends!(
    receipts_adjustments_and_counts_keep_each_level_equal_to_its_ledger,
    an_adjustment_below_zero_is_refused_naming_the_quantity_and_changes_nothing,
    a_correction_resubmitted_with_its_key_is_recorded_once,
    online_availability_counts_fulfilling_stores_less_the_buffer,
    a_sold_out_item_is_purchasable_only_when_it_allows_backorder_and_the_rest_is_backordered,
    an_online_order_takes_fulfilling_stock_and_shows_in_the_delta_feed,
    an_order_with_one_short_line_changes_nothing_and_a_retry_gets_the_same_refusal,
    a_pickup_order_draws_on_that_store_only_and_a_store_that_does_not_fulfil_is_refused,
    a_short_counter_sale_is_refused_unless_recorded_anyway_and_then_flags_a_discrepancy,
    an_opted_in_item_goes_view_only_when_sold_out_online_and_back_when_stock_returns,
    a_level_that_differs_from_its_ledger_is_reported,
    unknown_items_and_another_merchants_store_are_refused_naming_the_field,
    a_for_sale_item_without_stock_at_a_shipping_store_is_not_purchasable
);

async fn receipts_adjustments_and_counts_keep_each_level_equal_to_its_ledger(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, _) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    let actor = Actor::staff("Sam");
    let request = |correction, reason: &str| CorrectionRequest {
        item_id: mug.id,
        location_id: downtown,
        correction,
        reason: Reason::parse(reason).expect("reason"),
        key: idempotency_key(),
    };

    receive_stock(&mut conn, merchant, mug.id, downtown, 10);
    let broken = correct(
        &mut conn,
        &actor,
        merchant,
        &request(
            Correction::Adjust(Adjustment::new(-3, "quantity").expect("adj")),
            "broken in transit",
        ),
    )
    .expect("adjust");
    let counted = correct(
        &mut conn,
        &actor,
        merchant,
        &request(
            Correction::Count(StockCount::new(5, "quantity").expect("count")),
            "stocktake",
        ),
    )
    .expect("count");

    assert_eq!(broken.movement.on_hand_after, 7);
    assert_eq!(
        (
            counted.movement.kind,
            counted.movement.quantity,
            counted.movement.on_hand_after
        ),
        (MovementKind::Count, -2, 5)
    );
    assert_eq!(counted.movement.actor, "Sam");
    assert_eq!(counted.movement.reason, "stocktake");
    assert_eq!(level(&mut conn, mug.id, downtown), 5);
    assert_eq!(ledger_sum(&mut conn, mug.id, downtown), 5);
    assert!(verify_ledger(&mut conn).expect("verify").is_empty());
    let history = stock::movements(&mut conn, merchant, mug.id, 10).expect("history");
    let kinds: Vec<MovementKind> = history.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        vec![
            MovementKind::Count,
            MovementKind::Adjustment,
            MovementKind::Receipt
        ]
    );
}

async fn an_adjustment_below_zero_is_refused_naming_the_quantity_and_changes_nothing(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, _) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 2);
    let before = (
        movement_count(&mut conn),
        catalog_version(&mut conn, merchant).expect("version"),
    );

    let err = correct(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        &CorrectionRequest {
            item_id: mug.id,
            location_id: downtown,
            correction: Correction::Adjust(Adjustment::new(-3, "quantity").expect("adj")),
            reason: Reason::parse("lost").expect("reason"),
            key: idempotency_key(),
        },
    )
    .expect_err("below zero");

    assert!(
        matches!(err, InventoryError::Invalid(ref f) if f.field == "quantity"),
        "{err:?}"
    );
    assert_eq!(level(&mut conn, mug.id, downtown), 2);
    assert_eq!(
        (
            movement_count(&mut conn),
            catalog_version(&mut conn, merchant).expect("version")
        ),
        before
    );
}

async fn a_correction_resubmitted_with_its_key_is_recorded_once(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, _) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::Hidden,
    );
    let request = CorrectionRequest {
        item_id: mug.id,
        location_id: downtown,
        correction: Correction::Receive(q(4)),
        reason: Reason::parse("delivery").expect("reason"),
        key: idempotency_key(),
    };

    let first = correct(&mut conn, &Actor::staff("Sam"), merchant, &request).expect("first");
    let again = correct(&mut conn, &Actor::staff("Sam"), merchant, &request).expect("again");
    let changed = correct(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        &CorrectionRequest {
            correction: Correction::Receive(q(5)),
            ..request.clone()
        },
    );

    assert!(!first.replayed && again.replayed);
    assert_eq!(first.movement, again.movement);
    assert!(
        matches!(changed, Err(InventoryError::IdempotencyKeyReused)),
        "{changed:?}"
    );
    assert_eq!(level(&mut conn, mug.id, downtown), 4);
}

async fn online_availability_counts_fulfilling_stores_less_the_buffer(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, riverside) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 5);
    receive_stock(&mut conn, merchant, mug.id, riverside, 7);
    assert_eq!(
        online_entry(&mut conn, merchant, mug.id).available_online,
        5
    );

    let version = set_merchant_online_buffer(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        StockCount::new(2, "online_buffer").expect("buffer"),
    )
    .expect("merchant buffer");
    let delta = online_list(
        &mut conn,
        merchant,
        OnlineListQuery {
            since_version: Some(version - 1),
            ..OnlineListQuery::default()
        },
    )
    .expect("delta");
    assert_eq!(
        delta
            .records
            .iter()
            .map(OnlineRecord::id)
            .collect::<Vec<_>>(),
        vec![mug.id]
    );
    assert_eq!(
        online_entry(&mut conn, merchant, mug.id).available_online,
        3
    );

    let mug = Item::find(&mut conn, merchant, mug.id).expect("item");
    change_item(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        mug.id,
        mug.version,
        &ItemChange::StockSettings(StockSettings {
            online_buffer: Some(5),
            ..StockSettings::of(&mug)
        }),
    )
    .map(|done| done.item)
    .expect("item buffer");
    let entry = online_entry(&mut conn, merchant, mug.id);
    assert_eq!(
        (entry.available_online, entry.purchasable_online),
        (0, false)
    );
    let audited: Vec<String> = audit_entries::table
        .filter(audit_entries::item_id.eq(mug.id))
        .select(audit_entries::field)
        .load(&mut conn)
        .expect("audit");
    assert!(audited.contains(&"online_buffer".to_owned()), "{audited:?}");
}

async fn a_sold_out_item_is_purchasable_only_when_it_allows_backorder_and_the_rest_is_backordered(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, _) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 1);
    let entry = online_entry(&mut conn, merchant, mug.id);
    assert!(entry.purchasable_online);

    change_item(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        mug.id,
        mug.version,
        &ItemChange::StockSettings(StockSettings {
            allow_backorder: true,
            ..StockSettings::of(&mug)
        }),
    )
    .map(|done| done.item)
    .expect("backorder");
    let placed = order(
        &mut conn,
        merchant,
        &idempotency_key(),
        &[(mug.id, 3)],
        Fulfilment::Ship,
    )
    .expect("order");

    let Outcome::Done { value: receipt, .. } = placed else {
        panic!("expected the order to be placed: {placed:?}")
    };
    assert_eq!(
        (receipt.lines[0].quantity, receipt.lines[0].backordered),
        (3, 2)
    );
    assert_eq!(level(&mut conn, mug.id, downtown), 0);
    let entry = online_entry(&mut conn, merchant, mug.id);
    assert_eq!(
        (
            entry.available_online,
            entry.purchasable_online,
            entry.backorder
        ),
        (0, true, true)
    );
}

async fn an_online_order_takes_fulfilling_stock_and_shows_in_the_delta_feed(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, riverside) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    new_item(
        &mut conn,
        merchant,
        "TEA",
        "Tea",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 3);
    receive_stock(&mut conn, merchant, mug.id, riverside, 9);
    let before = catalog_version(&mut conn, merchant).expect("version");

    let placed = order(
        &mut conn,
        merchant,
        &idempotency_key(),
        &[(mug.id, 2)],
        Fulfilment::Ship,
    )
    .expect("order");

    let Outcome::Done { value: receipt, .. } = placed else {
        panic!("expected a placed order: {placed:?}")
    };
    assert_eq!(receipt.lines[0].allocations.len(), 1);
    assert_eq!(receipt.lines[0].allocations[0].location_id, downtown);
    assert_eq!(
        (
            level(&mut conn, mug.id, downtown),
            level(&mut conn, mug.id, riverside)
        ),
        (1, 9)
    );
    assert_eq!(receipt.catalog_version, before + 1);
    let delta = online_list(
        &mut conn,
        merchant,
        OnlineListQuery {
            since_version: Some(before),
            ..OnlineListQuery::default()
        },
    )
    .expect("delta");
    match delta.records.as_slice() {
        [OnlineRecord::Listed(entry)] => {
            assert_eq!((entry.id, entry.available_online), (mug.id, 1))
        }
        other => panic!("expected only the mug in the delta, got {other:?}"),
    }
    assert!(verify_ledger(&mut conn).expect("verify").is_empty());
}

async fn an_order_with_one_short_line_changes_nothing_and_a_retry_gets_the_same_refusal(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, _) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    let tea = new_item(
        &mut conn,
        merchant,
        "TEA",
        "Tea",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 5);
    receive_stock(&mut conn, merchant, tea.id, downtown, 1);
    let before = (
        movement_count(&mut conn),
        catalog_version(&mut conn, merchant).expect("version"),
    );
    let key = idempotency_key();

    let shortages = refused_shortages(order(
        &mut conn,
        merchant,
        &key,
        &[(mug.id, 2), (tea.id, 2)],
        Fulfilment::Ship,
    ));
    let retry = order(
        &mut conn,
        merchant,
        &key,
        &[(mug.id, 2), (tea.id, 2)],
        Fulfilment::Ship,
    )
    .expect("retry");

    assert_eq!(shortages.len(), 1);
    assert_eq!(
        (
            shortages[0].item_id,
            shortages[0].available,
            shortages[0].requested
        ),
        (tea.id, 1, 2)
    );
    assert!(
        matches!(retry, Outcome::Short { replayed: true, ref shortages } if shortages[0].item_id == tea.id),
        "{retry:?}"
    );
    assert_eq!(
        (
            level(&mut conn, mug.id, downtown),
            level(&mut conn, tea.id, downtown)
        ),
        (5, 1)
    );
    assert_eq!(
        (
            movement_count(&mut conn),
            catalog_version(&mut conn, merchant).expect("version")
        ),
        before
    );
}

async fn a_pickup_order_draws_on_that_store_only_and_a_store_that_does_not_fulfil_is_refused(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, riverside) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 2);
    receive_stock(&mut conn, merchant, mug.id, riverside, 8);

    let at_riverside = order(
        &mut conn,
        merchant,
        &idempotency_key(),
        &[(mug.id, 1)],
        Fulfilment::Pickup {
            location_id: riverside,
        },
    )
    .expect_err("riverside does not fulfil");
    let too_many = refused_shortages(order(
        &mut conn,
        merchant,
        &idempotency_key(),
        &[(mug.id, 3)],
        Fulfilment::Pickup {
            location_id: downtown,
        },
    ));

    assert!(
        matches!(at_riverside, InventoryError::Invalid(ref f) if f.field == "fulfilment.location_id"),
        "{at_riverside:?}"
    );
    assert_eq!(
        (too_many[0].location_id, too_many[0].available),
        (Some(downtown), 2)
    );
    assert_eq!(
        (
            level(&mut conn, mug.id, downtown),
            level(&mut conn, mug.id, riverside)
        ),
        (2, 8)
    );
}

async fn a_short_counter_sale_is_refused_unless_recorded_anyway_and_then_flags_a_discrepancy(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (_, riverside) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::Hidden,
    );
    receive_stock(&mut conn, merchant, mug.id, riverside, 1);
    let offline_at = chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
        .and_then(|d| d.and_hms_opt(14, 5, 0))
        .expect("a date");

    let short = refused_shortages(sale(
        &mut conn,
        merchant,
        riverside,
        &[(mug.id, 2)],
        false,
        None,
    ));
    let anyway = sale(
        &mut conn,
        merchant,
        riverside,
        &[(mug.id, 2)],
        true,
        Some(offline_at),
    )
    .expect("recorded anyway");

    assert_eq!(
        (short[0].location_id, short[0].available),
        (Some(riverside), 1)
    );
    let Outcome::Done { value: receipt, .. } = anyway else {
        panic!("expected a recorded sale: {anyway:?}")
    };
    assert!(receipt.discrepancy);
    assert_eq!(receipt.lines[0].on_hand_after, -1);
    assert_eq!(level(&mut conn, mug.id, riverside), -1);
    let last = &stock::movements(&mut conn, merchant, mug.id, 1).expect("history")[0];
    assert_eq!(
        (last.kind, last.quantity, last.occurred_at),
        (MovementKind::StoreSale, -2, offline_at)
    );
    let page = shelfsync::inventory::item_list::list_items(
        &mut conn,
        merchant,
        &shelfsync::inventory::item_list::ItemQuery {
            filter: shelfsync::inventory::item_list::ItemFilter::Discrepancy,
            page: 1,
            per_page: 50,
            ..Default::default()
        },
    )
    .expect("list");
    assert_eq!(
        page.items.iter().map(|l| l.item.id).collect::<Vec<_>>(),
        vec![mug.id]
    );
    assert!(verify_ledger(&mut conn).expect("verify").is_empty());
}

async fn an_opted_in_item_goes_view_only_when_sold_out_online_and_back_when_stock_returns(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, riverside) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 1);
    receive_stock(&mut conn, merchant, mug.id, riverside, 4);
    change_item(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        mug.id,
        mug.version,
        &ItemChange::StockSettings(StockSettings {
            auto_view_only: true,
            ..StockSettings::of(&mug)
        }),
    )
    .map(|done| done.item)
    .expect("opt in");

    order(
        &mut conn,
        merchant,
        &idempotency_key(),
        &[(mug.id, 1)],
        Fulfilment::Ship,
    )
    .expect("last online unit");
    let sold_out = Item::find(&mut conn, merchant, mug.id).expect("item");
    receive_stock(&mut conn, merchant, mug.id, downtown, 3);
    let restocked = Item::find(&mut conn, merchant, mug.id).expect("item");

    assert_eq!(
        (sold_out.online(), sold_out.auto_switched),
        (OnlineListing::ViewOnly, true)
    );
    assert_eq!(
        (restocked.online(), restocked.auto_switched),
        (OnlineListing::ForSale, false)
    );
    let switches: Vec<(String, String, String)> = audit_entries::table
        .filter(audit_entries::item_id.eq(mug.id))
        .filter(audit_entries::field.eq("online"))
        .order(audit_entries::id)
        .select((
            audit_entries::actor,
            audit_entries::old_value,
            audit_entries::new_value,
        ))
        .load(&mut conn)
        .expect("audit");
    assert_eq!(
        switches,
        vec![
            ("shelfsync".into(), "for_sale".into(), "view_only".into()),
            ("shelfsync".into(), "view_only".into(), "for_sale".into()),
        ]
    );
}

async fn a_level_that_differs_from_its_ledger_is_reported(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let (downtown, _) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 4);

    diesel::update(stock_levels::table.filter(stock_levels::item_id.eq(mug.id)))
        .set(stock_levels::on_hand.eq(9))
        .execute(&mut conn)
        .expect("tamper");

    let mismatches = verify_ledger(&mut conn).expect("verify");
    assert_eq!(mismatches.len(), 1);
    assert_eq!(
        (
            mismatches[0].sku.as_str(),
            mismatches[0].on_hand,
            mismatches[0].ledger_sum
        ),
        ("MUG", 9, 4)
    );
}

async fn unknown_items_and_another_merchants_store_are_refused_naming_the_field(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "mine");
    let theirs = seeded_merchant(&mut conn, "theirs");
    let (their_store, _) = stores(&mut conn, theirs);
    let (downtown, _) = stores(&mut conn, merchant);
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 4);
    let before = movement_count(&mut conn);

    let unknown = order(
        &mut conn,
        merchant,
        &idempotency_key(),
        &[(mug.id, 1), (999_999, 1)],
        Fulfilment::Ship,
    )
    .expect_err("unknown item");
    let foreign = order(
        &mut conn,
        merchant,
        &idempotency_key(),
        &[(mug.id, 1)],
        Fulfilment::Pickup {
            location_id: their_store,
        },
    )
    .expect_err("foreign store");
    let foreign_sale = sale(
        &mut conn,
        merchant,
        their_store,
        &[(mug.id, 1)],
        false,
        None,
    )
    .expect_err("foreign store");
    let twice = order(
        &mut conn,
        merchant,
        &idempotency_key(),
        &[(mug.id, 1), (mug.id, 1)],
        Fulfilment::Ship,
    )
    .expect_err("duplicate line");

    assert!(
        matches!(unknown, InventoryError::InvalidLine { line: 1, ref error } if error.field == "item_id"),
        "{unknown:?}"
    );
    assert!(
        matches!(foreign, InventoryError::Invalid(ref f) if f.field == "fulfilment.location_id"),
        "{foreign:?}"
    );
    assert!(
        matches!(foreign_sale, InventoryError::Invalid(ref f) if f.field == "location_id"),
        "{foreign_sale:?}"
    );
    assert!(
        matches!(twice, InventoryError::InvalidLine { line: 1, .. }),
        "{twice:?}"
    );
    assert_eq!(movement_count(&mut conn), before);
    assert_eq!(level(&mut conn, mug.id, downtown), 4);
}

async fn a_for_sale_item_without_stock_at_a_shipping_store_is_not_purchasable(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let riverside = Location::all_of(&mut conn, merchant).expect("locations")[1].id;
    let item = new_item(
        &mut conn,
        merchant,
        "SALE",
        "For sale",
        true,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, item.id, riverside, 5);

    let page = online_list(&mut conn, merchant, OnlineListQuery::default()).expect("list");

    match &page.records[0] {
        OnlineRecord::Listed(entry) => {
            assert_eq!(entry.available_online, 0);
            assert!(!entry.purchasable_online);
            let riverside_entry = entry
                .stores
                .iter()
                .find(|s| s.location_id == riverside)
                .expect("riverside listed");
            assert!(riverside_entry.in_stock);
        }
        other => panic!("expected an entry, got {other:?}"),
    }
}
