//! Creating, editing and archiving items; the dashboard list query.

use shelfsync::db::DbConnection;
use shelfsync::domain::{Designation, OnlineListing};
use shelfsync::inventory::item_list::{ItemFilter, ItemQuery, list_items};
use shelfsync::inventory::items::create_item;
use shelfsync::inventory::{Actor, InventoryError, Item};
use shelfsync::inventory::{ItemChange, change_item};

use crate::common::fixtures::{item_fields, item_input, new_item, parse_item, seeded_merchant};
use crate::common::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(
    a_duplicate_sku_is_refused_naming_the_sku_field,
    the_same_sku_may_be_used_by_two_merchants,
    an_edit_with_a_stale_version_is_a_conflict_and_writes_nothing,
    archiving_removes_an_item_from_the_active_list_and_restoring_brings_it_back,
    the_list_searches_name_sku_and_barcode_and_filters_by_designation
);

async fn a_duplicate_sku_is_refused_naming_the_sku_field(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    new_item(
        &mut conn,
        merchant,
        "MUG-1",
        "Blue mug",
        true,
        OnlineListing::Hidden,
    );
    let designation = Designation::new(true, OnlineListing::Hidden).expect("valid");

    let err = create_item(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        &item_fields("MUG-1", "Other mug", "1"),
        designation,
    )
    .expect_err("duplicate");

    match err {
        InventoryError::Invalid(field) => assert_eq!(field.field, "sku"),
        other => panic!("expected invalid sku, got {other:?}"),
    }
}

async fn the_same_sku_may_be_used_by_two_merchants(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let a = seeded_merchant(&mut conn, "a");
    let b = seeded_merchant(&mut conn, "b");
    let first = new_item(&mut conn, a, "MUG-1", "Mug", true, OnlineListing::Hidden);
    let second = new_item(&mut conn, b, "MUG-1", "Mug", true, OnlineListing::Hidden);
    assert_ne!(first.id, second.id);
}

async fn an_edit_with_a_stale_version_is_a_conflict_and_writes_nothing(backend: Backend) {
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
    let renamed = change_item(
        &mut conn,
        &Actor::staff("Ana"),
        merchant,
        item.id,
        item.version,
        &ItemChange::fields(&item_fields("MUG-1", "Cobalt mug", "12.00")),
    )
    .map(|done| done.item)
    .expect("first edit");

    let err = change_item(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        &ItemChange::fields(&item_fields("MUG-1", "Red mug", "1.00")),
    )
    .map(|done| done.item)
    .expect_err("stale");

    assert!(
        matches!(err, InventoryError::Conflict { ref current } if current.name == "Cobalt mug"),
        "{err:?}"
    );
    assert_eq!(
        Item::find(&mut conn, merchant, item.id).expect("item"),
        renamed
    );
    assert_eq!(renamed.price.amount_minor, 1200);
}

async fn archiving_removes_an_item_from_the_active_list_and_restoring_brings_it_back(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "OLD",
        "Old stock",
        true,
        OnlineListing::ForSale,
    );
    let query = |filter| ItemQuery {
        filter,
        page: 1,
        per_page: 50,
        ..ItemQuery::default()
    };

    let archived = change_item(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        &ItemChange::Archive(true),
    )
    .map(|done| done.item)
    .expect("archive");

    assert!(archived.archived);
    assert_eq!(
        list_items(&mut conn, merchant, &query(ItemFilter::All))
            .expect("list")
            .total,
        0
    );
    assert_eq!(
        list_items(&mut conn, merchant, &query(ItemFilter::Archived))
            .expect("list")
            .total,
        1
    );
    let restored = change_item(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        archived.version,
        &ItemChange::Archive(false),
    )
    .map(|done| done.item)
    .expect("restore");
    assert!(!restored.archived);
    assert_eq!(
        list_items(&mut conn, merchant, &query(ItemFilter::All))
            .expect("list")
            .total,
        1
    );
}

async fn the_list_searches_name_sku_and_barcode_and_filters_by_designation(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    new_item(
        &mut conn,
        merchant,
        "MUG-1",
        "Blue Mug",
        true,
        OnlineListing::ForSale,
    );
    new_item(
        &mut conn,
        merchant,
        "MUG-2",
        "Red mug",
        true,
        OnlineListing::ViewOnly,
    );
    new_item(
        &mut conn,
        merchant,
        "TEA-1",
        "Green tea",
        true,
        OnlineListing::Hidden,
    );
    new_item(
        &mut conn,
        merchant,
        "KITE",
        "100% kite",
        false,
        OnlineListing::Hidden,
    );
    let names = |conn: &mut DbConnection, search: &str, filter| -> Vec<String> {
        let page = list_items(
            conn,
            merchant,
            &ItemQuery {
                search: search.into(),
                filter,
                page: 1,
                per_page: 50,
                ..ItemQuery::default()
            },
        )
        .expect("list");
        page.items.into_iter().map(|l| l.item.name).collect()
    };

    assert_eq!(
        names(&mut conn, "mug", ItemFilter::All),
        vec!["Blue Mug", "Red mug"]
    );
    assert_eq!(
        names(&mut conn, "tea-1", ItemFilter::All),
        vec!["Green tea"]
    );
    assert_eq!(names(&mut conn, "100%", ItemFilter::All), vec!["100% kite"]);
    assert_eq!(names(&mut conn, "lue m", ItemFilter::All), vec!["Blue Mug"]);
    assert_eq!(
        names(&mut conn, "mug blue", ItemFilter::All),
        vec!["Blue Mug"],
        "every word, in any order"
    );
    assert_eq!(
        names(&mut conn, "mug 2", ItemFilter::All),
        vec!["Red mug"],
        "a short word narrows by SKU"
    );
    assert_eq!(
        names(&mut conn, "mu", ItemFilter::All),
        vec!["Blue Mug", "Red mug"]
    );
    assert!(
        names(&mut conn, "\"mug OR tea", ItemFilter::All).is_empty(),
        "search terms are text, not query syntax"
    );
    assert_eq!(names(&mut conn, "", ItemFilter::ForSale), vec!["Blue Mug"]);
    assert_eq!(names(&mut conn, "", ItemFilter::ViewOnly), vec!["Red mug"]);
    assert_eq!(
        names(&mut conn, "", ItemFilter::InStoreOnly),
        vec!["Green tea"]
    );
    assert_eq!(names(&mut conn, "", ItemFilter::Nowhere), vec!["100% kite"]);
}

#[test]
fn item_fields_report_every_bad_field_at_once() {
    let errors = parse_item(&item_input("", "", "-3")).expect_err("invalid");
    let named: Vec<&str> = errors.iter().map(|e| e.field).collect();
    assert_eq!(named, vec!["sku", "name", "price"]);
}

#[tokio::test]
async fn a_broad_search_on_sqlite_shows_the_first_thousand_matches_and_says_there_are_more() {
    let db = TestDb::new(crate::common::Backend::Sqlite);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    for n in 0..1_005 {
        let online = if n % 2 == 0 {
            OnlineListing::ForSale
        } else {
            OnlineListing::Hidden
        };
        new_item(
            &mut conn,
            merchant,
            &format!("CAP-{n}"),
            &format!("Cap mug {n}"),
            true,
            online,
        );
    }
    let search = |filter| ItemQuery {
        search: "cap mug".into(),
        filter,
        page: 1,
        per_page: 50,
        ..ItemQuery::default()
    };

    let broad = list_items(&mut conn, merchant, &search(ItemFilter::All)).expect("list");
    let narrower = list_items(&mut conn, merchant, &search(ItemFilter::ForSale)).expect("list");

    assert!(broad.capped);
    assert_eq!(broad.total, 1_000);
    assert_eq!(broad.items.len(), 50);
    assert!(!narrower.capped, "the filter applies before the cap");
    assert_eq!(narrower.total, 503);
    assert!(
        narrower
            .items
            .iter()
            .all(|l| l.item.online() == OnlineListing::ForSale)
    );
}
