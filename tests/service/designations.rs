//! `designate` and `designate_many`: rules, versions, audit, outbox.

use diesel::prelude::*;
use shelfsync::db::DbConnection;
use shelfsync::db::schema::{audit_entries, items, outbox_events};
use shelfsync::domain::{Designation, DesignationRuleError, OnlineListing};
use shelfsync::inventory::{
    self, Actor, BulkMode, DesignationChange, InventoryError, Item, audit, designate,
    designate_many,
};

use crate::common::{Backend, TestDb};
use crate::on_both_backends;

use crate::common::fixtures::{new_item, seeded_merchant};

fn outbox_count(conn: &mut DbConnection, item_id: i64) -> i64 {
    outbox_events::table
        .filter(outbox_events::item_id.eq(item_id))
        .count()
        .get_result(conn)
        .expect("count outbox")
}

fn audit_count(conn: &mut DbConnection, item_id: i64) -> i64 {
    audit_entries::table
        .filter(audit_entries::item_id.eq(item_id))
        .count()
        .get_result(conn)
        .expect("count audit")
}

on_both_backends!(
    sell_online_sets_the_flag_bumps_versions_and_records_audit_and_outbox,
    view_only_without_in_store_is_refused_and_nothing_changes,
    stopping_in_store_sales_of_a_view_only_item_is_refused_naming_the_fix,
    a_stale_version_is_a_conflict_carrying_the_current_item,
    another_merchants_item_and_an_unknown_item_are_not_found,
    a_repeated_press_changes_nothing_and_bumps_nothing,
    concurrent_presses_with_the_same_version_apply_exactly_once,
    concurrent_changes_to_different_items_each_get_their_own_catalog_version,
    bulk_all_or_nothing_changes_nothing_when_one_item_is_refused,
    bulk_valid_only_applies_to_the_rest_at_one_catalog_version,
    bulk_with_another_merchants_item_is_not_found_and_changes_nothing,
    undo_restores_the_previous_designation_through_the_same_path,
    the_database_refuses_a_view_only_item_that_is_not_in_store
);

async fn sell_online_sets_the_flag_bumps_versions_and_records_audit_and_outbox(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "MUG-1",
        "Blue mug",
        true,
        OnlineListing::Hidden,
    );
    let catalog_before = inventory::catalog_version(&mut conn, merchant).expect("version");
    let audit_before = audit_count(&mut conn, item.id);
    let outbox_before = outbox_count(&mut conn, item.id);

    let done = designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        DesignationChange::SELL_ONLINE,
    )
    .expect("designate");

    assert!(done.changed);
    assert_eq!(done.item.online(), OnlineListing::ForSale);
    assert!(done.item.in_store());
    assert_eq!(done.item.version, item.version + 1);
    assert_eq!(done.catalog_version, catalog_before + 1);
    assert_eq!(done.item.changed_version, done.catalog_version);
    assert_eq!(
        inventory::catalog_version(&mut conn, merchant).expect("version"),
        catalog_before + 1
    );
    assert_eq!(audit_count(&mut conn, item.id), audit_before + 1);
    assert_eq!(outbox_count(&mut conn, item.id), outbox_before + 1);
    let entry = audit::last_change(&mut conn, merchant, item.id)
        .expect("audit")
        .expect("an entry");
    assert_eq!(
        (entry.actor.as_str(), entry.field.as_str()),
        ("Sam", "online")
    );
    assert_eq!(
        (entry.old_value.as_str(), entry.new_value.as_str()),
        ("hidden", "for_sale")
    );
    assert_eq!(entry.catalog_version, done.catalog_version);
}

async fn view_only_without_in_store_is_refused_and_nothing_changes(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "KITE-1",
        "Kite",
        false,
        OnlineListing::Hidden,
    );
    let catalog_before = inventory::catalog_version(&mut conn, merchant).expect("version");

    let err = designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
    )
    .expect_err("must be refused");

    assert!(
        matches!(
            err,
            InventoryError::Rule {
                rule: DesignationRuleError::ViewOnlyNeedsInStore,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        Item::find(&mut conn, merchant, item.id).expect("item"),
        item
    );
    assert_eq!(
        inventory::catalog_version(&mut conn, merchant).expect("version"),
        catalog_before
    );
}

async fn stopping_in_store_sales_of_a_view_only_item_is_refused_naming_the_fix(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "RADIO",
        "Radio",
        true,
        OnlineListing::ViewOnly,
    );

    let err = designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        DesignationChange::STOP_SELLING_IN_STORE,
    )
    .expect_err("must be refused");

    match err {
        InventoryError::Rule {
            rule,
            item: unchanged,
        } => {
            assert_eq!(rule, DesignationRuleError::InStoreNeededByViewOnly);
            assert!(rule.to_string().contains("Remove it from online"));
            assert_eq!(*unchanged, item);
        }
        other => panic!("expected a rule error, got {other:?}"),
    }
    assert_eq!(
        Item::find(&mut conn, merchant, item.id).expect("item"),
        item
    );
}

async fn a_stale_version_is_a_conflict_carrying_the_current_item(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "TEA",
        "Tea",
        true,
        OnlineListing::Hidden,
    );
    let first = designate(
        &mut conn,
        &Actor::staff("Ana"),
        merchant,
        item.id,
        item.version,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
    )
    .expect("first change");

    let err = designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        DesignationChange::SELL_ONLINE,
    )
    .expect_err("stale version");

    match err {
        InventoryError::Conflict { current } => {
            assert_eq!(current.version, first.item.version);
            assert_eq!(current.online(), OnlineListing::ViewOnly);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        Item::find(&mut conn, merchant, item.id)
            .expect("item")
            .online(),
        OnlineListing::ViewOnly
    );
}

async fn another_merchants_item_and_an_unknown_item_are_not_found(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let mine = seeded_merchant(&mut conn, "mine");
    let theirs = seeded_merchant(&mut conn, "theirs");
    let their_item = new_item(
        &mut conn,
        theirs,
        "X-1",
        "Theirs",
        true,
        OnlineListing::Hidden,
    );

    for (merchant, item_id) in [
        (mine, their_item.id),
        (mine, 999_999),
        (999_999, their_item.id),
    ] {
        let err = designate(
            &mut conn,
            &Actor::staff("Sam"),
            merchant,
            item_id,
            1,
            DesignationChange::SELL_ONLINE,
        )
        .expect_err("must not be found");
        assert!(matches!(err, InventoryError::NotFound(_)), "{err:?}");
    }
    assert_eq!(
        Item::find(&mut conn, theirs, their_item.id).expect("item"),
        their_item
    );
}

async fn a_repeated_press_changes_nothing_and_bumps_nothing(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "SAME",
        "Same",
        true,
        OnlineListing::ForSale,
    );
    let catalog_before = inventory::catalog_version(&mut conn, merchant).expect("version");

    let done = designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        DesignationChange::SELL_ONLINE,
    )
    .expect("no-op");

    assert!(!done.changed);
    assert_eq!(done.item, item);
    assert_eq!(done.catalog_version, catalog_before);
}

async fn concurrent_presses_with_the_same_version_apply_exactly_once(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut conn = pool.get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "RACE",
        "Race",
        true,
        OnlineListing::Hidden,
    );
    let catalog_before = inventory::catalog_version(&mut conn, merchant).expect("version");
    drop(conn);

    let mut handles = Vec::new();
    for worker in 0..16 {
        let pool = pool.clone();
        let version = item.version;
        handles.push(std::thread::spawn(move || {
            let mut conn = pool.get().expect("conn");
            let change = if worker % 2 == 0 {
                DesignationChange::SELL_ONLINE
            } else {
                DesignationChange::VIEW_ONLINE_BUY_IN_STORE
            };
            designate(
                &mut conn,
                &Actor::staff("Worker"),
                merchant,
                item.id,
                version,
                change,
            )
        }));
    }
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();

    let applied = results
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|d| d.changed))
        .count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(InventoryError::Conflict { .. })))
        .count();
    assert_eq!(applied, 1, "{results:?}");
    assert_eq!(conflicts, 15, "{results:?}");
    let mut conn = pool.get().expect("conn");
    let now = Item::find(&mut conn, merchant, item.id).expect("item");
    assert_eq!(now.version, item.version + 1);
    assert_eq!(
        inventory::catalog_version(&mut conn, merchant).expect("version"),
        catalog_before + 1
    );
}

async fn concurrent_changes_to_different_items_each_get_their_own_catalog_version(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut conn = pool.get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let items: Vec<Item> = (0..12)
        .map(|i| {
            new_item(
                &mut conn,
                merchant,
                &format!("P-{i}"),
                &format!("Parallel {i}"),
                true,
                OnlineListing::Hidden,
            )
        })
        .collect();
    let catalog_before = inventory::catalog_version(&mut conn, merchant).expect("version");
    drop(conn);

    let handles: Vec<_> = items
        .iter()
        .map(|item| {
            let (pool, id, version) = (pool.clone(), item.id, item.version);
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("conn");
                designate(
                    &mut conn,
                    &Actor::staff("Worker"),
                    merchant,
                    id,
                    version,
                    DesignationChange::SELL_ONLINE,
                )
            })
        })
        .collect();
    let mut versions: Vec<i64> = handles
        .into_iter()
        .map(|h| {
            h.join()
                .expect("thread")
                .expect("every change applies")
                .catalog_version
        })
        .collect();
    versions.sort_unstable();

    let expected: Vec<i64> = (catalog_before + 1..=catalog_before + 12).collect();
    assert_eq!(versions, expected);
}

async fn bulk_all_or_nothing_changes_nothing_when_one_item_is_refused(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let a = new_item(
        &mut conn,
        merchant,
        "A",
        "Apple",
        true,
        OnlineListing::Hidden,
    );
    let b = new_item(
        &mut conn,
        merchant,
        "B",
        "Online-only kite",
        false,
        OnlineListing::ForSale,
    );
    let c = new_item(
        &mut conn,
        merchant,
        "C",
        "Candle",
        true,
        OnlineListing::ForSale,
    );
    let catalog_before = inventory::catalog_version(&mut conn, merchant).expect("version");

    let outcome = designate_many(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        &[a.id, b.id, c.id],
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
        BulkMode::AllOrNothing,
    )
    .expect("bulk");

    assert!(outcome.applied.is_empty());
    assert_eq!(outcome.refused.len(), 1);
    assert_eq!(outcome.refused[0].item.name, "Online-only kite");
    assert!(outcome.refused[0].reason.contains("sold in store"));
    let held: Vec<i64> = outcome.held_back.iter().map(|i| i.id).collect();
    assert_eq!(held, vec![a.id, c.id]);
    for item in [&a, &b, &c] {
        assert_eq!(
            &Item::find(&mut conn, merchant, item.id).expect("item"),
            item
        );
    }
    assert_eq!(
        inventory::catalog_version(&mut conn, merchant).expect("version"),
        catalog_before
    );
}

async fn bulk_valid_only_applies_to_the_rest_at_one_catalog_version(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let a = new_item(
        &mut conn,
        merchant,
        "A",
        "Apple",
        true,
        OnlineListing::Hidden,
    );
    let b = new_item(
        &mut conn,
        merchant,
        "B",
        "Online-only kite",
        false,
        OnlineListing::ForSale,
    );
    let c = new_item(
        &mut conn,
        merchant,
        "C",
        "Candle",
        true,
        OnlineListing::ForSale,
    );
    let catalog_before = inventory::catalog_version(&mut conn, merchant).expect("version");

    let outcome = designate_many(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        &[c.id, a.id, b.id],
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
        BulkMode::ValidOnly,
    )
    .expect("bulk");

    assert_eq!(outcome.applied.len(), 2);
    assert_eq!(outcome.catalog_version, catalog_before + 1);
    for item in &outcome.applied {
        assert_eq!(item.online(), OnlineListing::ViewOnly);
        assert_eq!(item.changed_version, catalog_before + 1);
    }
    assert_eq!(Item::find(&mut conn, merchant, b.id).expect("item"), b);
}

async fn bulk_with_another_merchants_item_is_not_found_and_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let mine = seeded_merchant(&mut conn, "mine");
    let theirs = seeded_merchant(&mut conn, "theirs");
    let a = new_item(&mut conn, mine, "A", "Apple", true, OnlineListing::Hidden);
    let x = new_item(
        &mut conn,
        theirs,
        "X",
        "Theirs",
        true,
        OnlineListing::Hidden,
    );

    let err = designate_many(
        &mut conn,
        &Actor::staff("Sam"),
        mine,
        &[a.id, x.id],
        DesignationChange::SELL_ONLINE,
        BulkMode::ValidOnly,
    )
    .expect_err("foreign item");

    assert!(matches!(err, InventoryError::NotFound(_)), "{err:?}");
    assert_eq!(Item::find(&mut conn, mine, a.id).expect("item"), a);
}

async fn undo_restores_the_previous_designation_through_the_same_path(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "U",
        "Undo me",
        true,
        OnlineListing::Hidden,
    );
    let done = designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        DesignationChange::SELL_ONLINE,
    )
    .expect("sell online");
    let entry = audit::last_change(&mut conn, merchant, item.id)
        .expect("audit")
        .expect("entry");

    let undone = shelfsync::inventory::undo(&mut conn, &Actor::staff("Ana"), merchant, entry.id)
        .expect("undo");

    assert!(undone.changed);
    assert_eq!(undone.item.online(), OnlineListing::Hidden);
    assert_eq!(undone.item.version, done.item.version + 1);
    let last = audit::last_change(&mut conn, merchant, item.id)
        .expect("audit")
        .expect("entry");
    assert_eq!(
        (
            last.actor.as_str(),
            last.old_value.as_str(),
            last.new_value.as_str()
        ),
        ("Ana", "for_sale", "hidden")
    );
}

#[test]
fn a_designation_is_always_a_valid_combination() {
    for in_store in [true, false] {
        for online in OnlineListing::ALL {
            let valid = Designation::new(in_store, online).is_ok();
            assert_eq!(
                valid,
                in_store || online != OnlineListing::ViewOnly,
                "{in_store} {online}"
            );
        }
    }
    let _ = Backend::Sqlite;
}

async fn the_database_refuses_a_view_only_item_that_is_not_in_store(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    shelfsync::demo::create(&mut conn).expect("demo");

    let result = diesel::update(items::table)
        .set((items::online.eq("view_only"), items::in_store.eq(false)))
        .execute(&mut conn);

    assert!(
        result.is_err(),
        "the CHECK constraint should refuse the combination"
    );
}
