//! The store list and the online list, in both forms, and the delta feed.

use shelfsync::domain::OnlineListing;
use shelfsync::inventory::lists::{OnlineListQuery, OnlineRecord, online_list};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::store_list::{StoreListQuery, store_list};
use shelfsync::inventory::{Actor, DesignationChange, InventoryError, designate};

use crate::common::{Backend, TestDb};
use crate::on_both_backends;

use crate::common::fixtures::{new_item, receive_stock, seeded_merchant};

fn listed(records: &[OnlineRecord]) -> Vec<(String, bool, bool)> {
    records
        .iter()
        .filter_map(|r| match r {
            OnlineRecord::Listed(e) => Some((e.sku.clone(), e.listed_online, e.purchasable_online)),
            OnlineRecord::Removed(_) => None,
        })
        .collect()
}

on_both_backends!(
    the_online_list_holds_for_sale_and_view_only_items_and_its_other_form_marks_store_only_items,
    the_store_list_leaves_out_online_only_items_unless_asked_for_all,
    another_merchants_store_is_not_found,
    a_delta_since_a_version_has_the_changes_and_tombstones_for_items_that_left,
    pages_follow_the_cursor_without_gaps_or_repeats
);

async fn the_online_list_holds_for_sale_and_view_only_items_and_its_other_form_marks_store_only_items(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let downtown = Location::all_of(&mut conn, merchant).expect("locations")[0].id;
    let sale = new_item(
        &mut conn,
        merchant,
        "SALE",
        "For sale",
        true,
        OnlineListing::ForSale,
    );
    new_item(
        &mut conn,
        merchant,
        "VIEW",
        "View only",
        true,
        OnlineListing::ViewOnly,
    );
    new_item(
        &mut conn,
        merchant,
        "STORE",
        "Store only",
        true,
        OnlineListing::Hidden,
    );
    new_item(
        &mut conn,
        merchant,
        "NONE",
        "Nowhere",
        false,
        OnlineListing::Hidden,
    );
    receive_stock(&mut conn, merchant, sale.id, downtown, 3);

    let plain = online_list(&mut conn, merchant, OnlineListQuery::default()).expect("list");
    let other_form = online_list(
        &mut conn,
        merchant,
        OnlineListQuery {
            include_unlisted: true,
            ..OnlineListQuery::default()
        },
    )
    .expect("list");

    assert_eq!(
        listed(&plain.records),
        vec![("SALE".into(), true, true), ("VIEW".into(), true, false)]
    );
    assert_eq!(
        listed(&other_form.records),
        vec![
            ("SALE".into(), true, true),
            ("VIEW".into(), true, false),
            ("STORE".into(), false, false)
        ]
    );
}

async fn the_store_list_leaves_out_online_only_items_unless_asked_for_all(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let downtown = Location::all_of(&mut conn, merchant).expect("locations")[0].id;
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::Hidden,
    );
    new_item(
        &mut conn,
        merchant,
        "WEB",
        "Web only",
        false,
        OnlineListing::ForSale,
    );
    new_item(
        &mut conn,
        merchant,
        "NONE",
        "Nowhere",
        false,
        OnlineListing::Hidden,
    );
    receive_stock(&mut conn, merchant, mug.id, downtown, 4);
    let query = StoreListQuery {
        location_id: downtown,
        include_all: false,
        after_id: None,
        limit: 100,
    };

    let plain = store_list(&mut conn, merchant, query).expect("store list");
    let all = store_list(
        &mut conn,
        merchant,
        StoreListQuery {
            include_all: true,
            ..query
        },
    )
    .expect("store list");

    let plain: Vec<(String, i64, bool)> = plain
        .entries
        .iter()
        .map(|e| (e.sku.clone(), e.on_hand, e.sellable_in_store))
        .collect();
    let all: Vec<(String, bool)> = all
        .entries
        .iter()
        .map(|e| (e.sku.clone(), e.sellable_in_store))
        .collect();
    assert_eq!(plain, vec![("MUG".into(), 4, true)]);
    assert_eq!(all, vec![("MUG".into(), true), ("WEB".into(), false)]);
}

async fn another_merchants_store_is_not_found(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let mine = seeded_merchant(&mut conn, "mine");
    let theirs = seeded_merchant(&mut conn, "theirs");
    let their_store = Location::all_of(&mut conn, theirs).expect("locations")[0].id;

    let err = store_list(
        &mut conn,
        mine,
        StoreListQuery {
            location_id: their_store,
            include_all: false,
            after_id: None,
            limit: 10,
        },
    )
    .expect_err("foreign store");

    assert!(
        matches!(err, InventoryError::NotFound("location")),
        "{err:?}"
    );
}

async fn a_delta_since_a_version_has_the_changes_and_tombstones_for_items_that_left(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let stays = new_item(
        &mut conn,
        merchant,
        "STAYS",
        "Stays",
        true,
        OnlineListing::ForSale,
    );
    let leaves = new_item(
        &mut conn,
        merchant,
        "LEAVES",
        "Leaves",
        true,
        OnlineListing::ForSale,
    );
    let joins = new_item(
        &mut conn,
        merchant,
        "JOINS",
        "Joins",
        true,
        OnlineListing::Hidden,
    );
    let snapshot = online_list(&mut conn, merchant, OnlineListQuery::default()).expect("list");
    let actor = Actor::staff("Sam");
    designate(
        &mut conn,
        &actor,
        merchant,
        leaves.id,
        leaves.version,
        DesignationChange::REMOVE_FROM_ONLINE,
    )
    .expect("remove");
    designate(
        &mut conn,
        &actor,
        merchant,
        joins.id,
        joins.version,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
    )
    .expect("view only");

    let delta = online_list(
        &mut conn,
        merchant,
        OnlineListQuery {
            since_version: Some(snapshot.catalog_version),
            ..OnlineListQuery::default()
        },
    )
    .expect("delta");

    let ids: Vec<(i64, bool)> = delta
        .records
        .iter()
        .map(|r| (r.id(), matches!(r, OnlineRecord::Removed(_))))
        .collect();
    assert_eq!(ids, vec![(leaves.id, true), (joins.id, false)]);
    assert!(delta.catalog_version > snapshot.catalog_version);
    assert!(!ids.iter().any(|(id, _)| *id == stays.id));
}

async fn pages_follow_the_cursor_without_gaps_or_repeats(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let mut expected = Vec::new();
    for i in 0..25 {
        expected.push(
            new_item(
                &mut conn,
                merchant,
                &format!("S{i:02}"),
                &format!("Item {i}"),
                true,
                OnlineListing::ForSale,
            )
            .id,
        );
    }
    let mut seen = Vec::new();
    let mut after_id = None;
    loop {
        let page = online_list(
            &mut conn,
            merchant,
            OnlineListQuery {
                after_id,
                limit: 7,
                ..OnlineListQuery::default()
            },
        )
        .expect("page");
        seen.extend(page.records.iter().map(OnlineRecord::id));
        match page.next_after_id {
            Some(next) => after_id = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}
