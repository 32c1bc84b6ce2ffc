//! The one write path: every public function of the service that changes
//! what a channel sees moves the catalog version and writes an outbox event;
//! and the holes found in review (Undo over a later change, bulk without
//! versions, events skipped by the automatic switch, archived items answered
//! three ways, stores added without a version) stay closed.

use diesel::prelude::*;
use shelfsync::db::DbConnection;
use shelfsync::db::schema::{items as item_rows, outbox_events};
use shelfsync::domain::{
    Adjustment, DesignationChange, DesignationRuleError, OnlineListing, Quantity, Reason,
    StockCount,
};
use shelfsync::inventory::audit::{self, Undo};
use shelfsync::inventory::designations::{self, BulkMode, Selected, Selection};
use shelfsync::inventory::idempotency::{Fingerprint, Outcome};
use shelfsync::inventory::item_list::ItemFilter;
use shelfsync::inventory::items::{self, ItemChange, StockSettings, change_item};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::orders::{self, Fulfilment, Line, OrderRequest, SaleRequest};
use shelfsync::inventory::stock::{self, Correction, CorrectionRequest};
use shelfsync::inventory::{
    self, Actor, FieldEdits, InventoryError, Item, ItemUpdate, catalog_version, stores,
};

use crate::common::fixtures::{
    idempotency_key, item_fields, new_item, receive_stock, seeded_merchant,
};
use crate::common::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(
    every_public_write_function_moves_the_catalog_version_and_writes_an_outbox_event,
    undo_refuses_to_overwrite_a_later_change_and_the_log_says_so,
    undo_of_an_archived_items_entry_is_a_refusal_with_the_reason,
    a_designation_change_to_an_archived_item_is_the_same_refusal_on_every_path,
    bulk_refuses_items_changed_since_they_were_seen_and_changes_nothing,
    the_automatic_switch_announces_the_stock_change_and_the_new_listing,
    adding_a_store_moves_the_catalog_and_stamps_the_items_that_show_stores
);

fn outbox_rows(conn: &mut DbConnection, merchant: i64) -> Vec<(i64, String)> {
    outbox_events::table
        .filter(outbox_events::merchant_id.eq(merchant))
        .order(outbox_events::id)
        .select((outbox_events::catalog_version, outbox_events::event_type))
        .load(conn)
        .expect("outbox rows")
}

fn downtown(conn: &mut DbConnection, merchant: i64) -> Location {
    Location::all_of(conn, merchant)
        .expect("stores")
        .into_iter()
        .find(|store| store.name == "Downtown")
        .expect("Downtown")
}

fn fresh(conn: &mut DbConnection, merchant: i64, item: &Item) -> Item {
    Item::find(conn, merchant, item.id).expect("item")
}

/// Every public function of the modules whose writes channels see, named in
/// their source: the walk below must cover each, so a new write function
/// cannot slip past this test.
fn public_write_functions() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/inventory");
    let files = [
        "items/writer.rs",
        "designations.rs",
        "stores.rs",
        "stock/corrections.rs",
        "stock/settings.rs",
        "orders/online.rs",
        "orders/counter.rs",
    ];
    let mut names = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(root.join(file)).expect("service source");
        let functions: Vec<&str> = source.split("\npub fn ").skip(1).collect();
        for body in functions {
            let name = body.split(['(', '<']).next().unwrap_or_default();
            let end = body.find("\n}\n").unwrap_or(body.len());
            let writes = [
                "write_transaction",
                "change_item(",
                "idempotency::once(",
                "correct(",
                "designate(",
            ]
            .iter()
            .any(|call| body[..end].contains(call));
            if writes {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names
}

async fn every_public_write_function_moves_the_catalog_version_and_writes_an_outbox_event(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "walk");
    let store = downtown(&mut conn, merchant);
    let sam = Actor::staff("Sam");
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    let cup = new_item(
        &mut conn,
        merchant,
        "CUP",
        "Cup",
        true,
        OnlineListing::Hidden,
    );
    receive_stock(&mut conn, merchant, mug.id, store.id, 50);
    let mut walked: Vec<&str> = Vec::new();

    // Each step: (its name, the call); the call must move the catalog
    // version and add at least one outbox event.
    let mut step =
        |conn: &mut DbConnection, name: &'static str, call: &dyn Fn(&mut DbConnection)| {
            let version = catalog_version(conn, merchant).expect("version");
            let events = outbox_rows(conn, merchant).len();
            call(conn);
            assert!(
                catalog_version(conn, merchant).expect("version") > version,
                "{name} moves the catalog version"
            );
            assert!(
                outbox_rows(conn, merchant).len() > events,
                "{name} writes an outbox event"
            );
            walked.push(name);
        };

    step(&mut conn, "create_item", &|conn| {
        let fields = item_fields("NEW", "New thing", "3.00");
        let designation =
            shelfsync::domain::Designation::new(true, OnlineListing::Hidden).expect("valid");
        items::create_item(conn, &sam, merchant, &fields, designation).expect("created");
    });
    step(&mut conn, "change_item: fields", &|conn| {
        let now = fresh(conn, merchant, &cup);
        change_item(
            conn,
            &sam,
            merchant,
            cup.id,
            now.version,
            &ItemChange::fields(&item_fields("CUP", "Tea cup", "4.00")),
        )
        .map(|done| done.item)
        .expect("edited");
    });
    step(&mut conn, "change_item: fields and designation", &|conn| {
        let now = fresh(conn, merchant, &cup);
        let update = ItemUpdate {
            fields: FieldEdits::default(),
            designation: DesignationChange::SELL_ONLINE,
        };
        change_item(
            conn,
            &sam,
            merchant,
            cup.id,
            now.version,
            &ItemChange::Update((update).clone()),
        )
        .expect("updated");
    });
    step(&mut conn, "change_item", &|conn| {
        let now = fresh(conn, merchant, &cup);
        items::change_item(
            conn,
            &sam,
            merchant,
            cup.id,
            now.version,
            &ItemChange::designation(DesignationChange::REMOVE_FROM_ONLINE),
        )
        .expect("changed");
    });
    step(&mut conn, "change_item: archive and restore", &|conn| {
        let now = fresh(conn, merchant, &cup);
        change_item(
            conn,
            &sam,
            merchant,
            cup.id,
            now.version,
            &ItemChange::Archive(true),
        )
        .map(|done| done.item)
        .expect("archived");
        let now = fresh(conn, merchant, &cup);
        change_item(
            conn,
            &sam,
            merchant,
            cup.id,
            now.version,
            &ItemChange::Archive(false),
        )
        .map(|done| done.item)
        .expect("restored");
    });
    step(&mut conn, "change_item: stock settings", &|conn| {
        let now = fresh(conn, merchant, &mug);
        let settings = StockSettings {
            online_buffer: Some(2),
            ..StockSettings::of(&now)
        };
        change_item(
            conn,
            &sam,
            merchant,
            mug.id,
            now.version,
            &ItemChange::StockSettings(settings),
        )
        .map(|done| done.item)
        .expect("settings");
    });
    step(&mut conn, "designate", &|conn| {
        let now = fresh(conn, merchant, &cup);
        designations::designate(
            conn,
            &sam,
            merchant,
            cup.id,
            now.version,
            DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
        )
        .expect("designated");
    });
    step(&mut conn, "press", &|conn| {
        let now = fresh(conn, merchant, &cup);
        let view = designations::press(
            conn,
            &sam,
            merchant,
            cup.id,
            now.version,
            DesignationChange::SELL_ONLINE,
        )
        .expect("pressed");
        assert_eq!(view.pressed, designations::Pressed::Applied);
    });
    step(&mut conn, "designate_many", &|conn| {
        designations::designate_many(
            conn,
            &sam,
            merchant,
            &[cup.id],
            DesignationChange::REMOVE_FROM_ONLINE,
            BulkMode::AllOrNothing,
        )
        .expect("bulk");
    });
    step(&mut conn, "bulk_designate", &|conn| {
        let selection = Selection::Matching {
            search: "cup".to_owned(),
            filter: ItemFilter::default(),
        };
        let outcome = designations::bulk_designate(
            conn,
            &sam,
            merchant,
            &selection,
            DesignationChange::SELL_ONLINE,
            BulkMode::AllOrNothing,
        )
        .expect("bulk");
        assert_eq!(outcome.applied.len(), 1);
    });
    step(&mut conn, "undo", &|conn| {
        let entry = audit::last_change(conn, merchant, cup.id)
            .expect("audit")
            .expect("entry");
        designations::undo(conn, &sam, merchant, entry.id).expect("undone");
    });
    step(&mut conn, "add_location", &|conn| {
        stores::add_location(conn, merchant, "Harbour", false).expect("store");
    });
    let quay = |name: &str, fulfils_online: bool| stores::StoreDetails {
        name: name.to_owned(),
        address: "1 Quay Street".to_owned(),
        hours: "Mon–Sat 9–18".to_owned(),
        fulfils_online,
    };
    step(&mut conn, "add_store", &|conn| {
        stores::add_store(conn, &sam, merchant, &quay("Quay", false)).expect("store");
    });
    let quay_id = |conn: &mut DbConnection| {
        shelfsync::inventory::merchants::Location::every_of(conn, merchant)
            .expect("stores")
            .into_iter()
            .find(|s| s.name.starts_with("Quay"))
            .expect("the Quay store")
            .id
    };
    step(&mut conn, "change_store", &|conn| {
        let id = quay_id(conn);
        stores::change_store(conn, &sam, merchant, id, &quay("Quayside", true)).expect("renamed");
    });
    step(&mut conn, "set_store_archived", &|conn| {
        let id = quay_id(conn);
        stores::set_store_archived(conn, &sam, merchant, id, true).expect("archived");
    });
    step(&mut conn, "correct", &|conn| {
        let request = CorrectionRequest {
            item_id: mug.id,
            location_id: store.id,
            correction: Correction::Adjust(
                Adjustment::parse("-1", "quantity").expect("adjustment"),
            ),
            reason: Reason::parse("Broken").expect("reason"),
            key: idempotency_key(),
        };
        stock::correct(conn, &sam, merchant, &request).expect("corrected");
    });
    step(&mut conn, "receive", &|conn| {
        stock::receive(
            conn,
            &sam,
            merchant,
            mug.id,
            store.id,
            Quantity::new(3, "quantity").expect("q"),
            idempotency_key(),
        )
        .expect("received");
    });
    // An item on the merchant's default buffer, whose availability it decides.
    let tea = new_item(
        &mut conn,
        merchant,
        "TEA",
        "Tea",
        false,
        OnlineListing::ForSale,
    );
    receive_stock(&mut conn, merchant, tea.id, store.id, 5);
    step(&mut conn, "set_merchant_online_buffer", &|conn| {
        stock::set_merchant_online_buffer(
            conn,
            &sam,
            merchant,
            StockCount::new(1, "online_buffer").expect("count"),
        )
        .expect("buffer");
    });
    step(&mut conn, "place_order", &|conn| {
        let request = OrderRequest {
            lines: vec![Line {
                item_id: mug.id,
                quantity: Quantity::new(1, "quantity").expect("q"),
            }],
            fulfilment: Fulfilment::Ship,
            external_reference: None,
        };
        let key = idempotency_key();
        let outcome = orders::place_order(
            conn,
            &Actor::api_token("Shop"),
            merchant,
            &key,
            &Fingerprint::of_parts(&[key.as_str()]),
            &request,
        )
        .expect("order");
        assert!(
            matches!(
                outcome,
                Outcome::Done {
                    replayed: false,
                    ..
                }
            ),
            "{outcome:?}"
        );
    });
    step(&mut conn, "record_sale", &|conn| {
        let request = SaleRequest {
            location_id: store.id,
            lines: vec![Line {
                item_id: mug.id,
                quantity: Quantity::new(1, "quantity").expect("q"),
            }],
            occurred_at: None,
            record_anyway: false,
            external_reference: None,
        };
        let key = idempotency_key();
        let outcome = orders::record_sale(
            conn,
            &Actor::api_token("Till"),
            merchant,
            &key,
            &Fingerprint::of_parts(&[key.as_str()]),
            &request,
        )
        .expect("sale");
        assert!(
            matches!(
                outcome,
                Outcome::Done {
                    replayed: false,
                    ..
                }
            ),
            "{outcome:?}"
        );
    });

    let mut walked: Vec<String> = walked.into_iter().map(str::to_owned).collect();
    walked.sort();
    let missing: Vec<String> = public_write_functions()
        .into_iter()
        .filter(|name| !walked.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "write functions this test does not walk: {missing:?}"
    );
}

async fn undo_refuses_to_overwrite_a_later_change_and_the_log_says_so(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "undo");
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::Hidden,
    );
    let sold = inventory::designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        mug.id,
        mug.version,
        DesignationChange::SELL_ONLINE,
    )
    .expect("sell online");
    let entry = audit::last_change(&mut conn, merchant, mug.id)
        .expect("audit")
        .expect("entry");
    assert_eq!(entry.undo, Undo::Offered);
    inventory::designate(
        &mut conn,
        &Actor::staff("Ana"),
        merchant,
        mug.id,
        sold.item.version,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
    )
    .expect("view only");

    let undone = inventory::undo(&mut conn, &Actor::staff("Sam"), merchant, entry.id);

    let Err(InventoryError::Conflict { current }) = undone else {
        panic!("expected a conflict, got {undone:?}")
    };
    assert_eq!(current.online(), OnlineListing::ViewOnly);
    assert_eq!(
        fresh(&mut conn, merchant, &mug).online(),
        OnlineListing::ViewOnly,
        "Ana's change stands"
    );
    let page = audit::entries(&mut conn, merchant, Some(mug.id), None, 10).expect("entries");
    let old = page
        .entries
        .iter()
        .find(|e| e.id == entry.id)
        .expect("the old entry");
    assert_eq!(old.undo, Undo::ItemMovedOn);
    assert_eq!(
        page.entries[0].undo,
        Undo::Offered,
        "the newest change can still be undone"
    );
}

async fn undo_of_an_archived_items_entry_is_a_refusal_with_the_reason(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "undo-archived");
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::Hidden,
    );
    let sold = inventory::designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        mug.id,
        mug.version,
        DesignationChange::SELL_ONLINE,
    )
    .expect("sell online");
    let entry = audit::last_change(&mut conn, merchant, mug.id)
        .expect("audit")
        .expect("entry");
    change_item(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        mug.id,
        sold.item.version,
        &ItemChange::Archive(true),
    )
    .map(|done| done.item)
    .expect("archived");

    let undone = inventory::undo(&mut conn, &Actor::staff("Sam"), merchant, entry.id);

    assert!(
        matches!(
            undone,
            Err(InventoryError::Rule {
                rule: DesignationRuleError::Archived,
                ..
            })
        ),
        "{undone:?}"
    );
    let page = audit::entries(&mut conn, merchant, Some(mug.id), None, 10).expect("entries");
    assert_eq!(
        page.entries
            .iter()
            .find(|e| e.id == entry.id)
            .expect("entry")
            .undo,
        Undo::ItemArchived
    );
}

async fn a_designation_change_to_an_archived_item_is_the_same_refusal_on_every_path(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "archived");
    let sam = Actor::staff("Sam");
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::Hidden,
    );
    let mug = change_item(
        &mut conn,
        &sam,
        merchant,
        mug.id,
        mug.version,
        &ItemChange::Archive(true),
    )
    .map(|done| done.item)
    .expect("archived");
    let version = catalog_version(&mut conn, merchant).expect("version");

    let pressed = inventory::designate(
        &mut conn,
        &sam,
        merchant,
        mug.id,
        mug.version,
        DesignationChange::SELL_ONLINE,
    );
    let patched = change_item(
        &mut conn,
        &sam,
        merchant,
        mug.id,
        mug.version,
        &ItemChange::Update(
            (ItemUpdate {
                fields: FieldEdits::default(),
                designation: DesignationChange::SELL_ONLINE,
            })
            .clone(),
        ),
    );
    let bulk = designations::designate_many(
        &mut conn,
        &sam,
        merchant,
        &[mug.id],
        DesignationChange::SELL_ONLINE,
        BulkMode::AllOrNothing,
    )
    .expect("bulk");

    let archived = |r: &Result<(), InventoryError>| {
        matches!(
            r,
            Err(InventoryError::Rule {
                rule: DesignationRuleError::Archived,
                ..
            })
        )
    };
    assert!(archived(&pressed.map(|_| ())), "the button's path refuses");
    assert!(
        archived(&patched.map(|_| ())),
        "the API's path refuses the same way"
    );
    assert_eq!(bulk.refused.len(), 1);
    assert_eq!(
        bulk.refused[0].reason,
        DesignationRuleError::Archived.to_string()
    );
    assert_eq!(
        catalog_version(&mut conn, merchant).expect("version"),
        version,
        "nothing changed"
    );
}

async fn bulk_refuses_items_changed_since_they_were_seen_and_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "bulk");
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::Hidden,
    );
    let cup = new_item(
        &mut conn,
        merchant,
        "CUP",
        "Cup",
        true,
        OnlineListing::Hidden,
    );
    // The page showed both at these versions; then Ana removed the cup from the store.
    let seen = [
        Selected {
            id: mug.id,
            seen_version: Some(mug.version),
        },
        Selected {
            id: cup.id,
            seen_version: Some(cup.version),
        },
    ];
    inventory::designate(
        &mut conn,
        &Actor::staff("Ana"),
        merchant,
        cup.id,
        cup.version,
        DesignationChange::STOP_SELLING_IN_STORE,
    )
    .expect("Ana's change");

    let outcome = designations::bulk_designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        &Selection::Items(seen.to_vec()),
        DesignationChange::SELL_ONLINE,
        BulkMode::AllOrNothing,
    )
    .expect("bulk");

    assert!(outcome.applied.is_empty());
    assert_eq!(outcome.refused.len(), 1);
    assert!(outcome.refused[0].changed_since_seen);
    assert_eq!(outcome.refused[0].item.id, cup.id);
    assert_eq!(
        outcome.held_back.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![mug.id]
    );
    assert_eq!(
        fresh(&mut conn, merchant, &mug).online(),
        OnlineListing::Hidden
    );
    assert_eq!(
        fresh(&mut conn, merchant, &cup).online(),
        OnlineListing::Hidden
    );
    assert!(
        !fresh(&mut conn, merchant, &cup).in_store(),
        "Ana's change stands"
    );

    let rest = designations::bulk_designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        &Selection::Items(seen.to_vec()),
        DesignationChange::SELL_ONLINE,
        BulkMode::ValidOnly,
    )
    .expect("bulk");
    assert_eq!(
        rest.applied.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![mug.id]
    );
    assert_eq!(
        fresh(&mut conn, merchant, &cup).online(),
        OnlineListing::Hidden,
        "never overwritten"
    );
}

async fn the_automatic_switch_announces_the_stock_change_and_the_new_listing(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "switch");
    let store = downtown(&mut conn, merchant);
    let riverside = Location::all_of(&mut conn, merchant)
        .expect("stores")
        .into_iter()
        .find(|s| !s.fulfils_online)
        .expect("Riverside");
    let sam = Actor::staff("Sam");
    let mug = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ForSale,
    );
    let mug = change_item(
        &mut conn,
        &sam,
        merchant,
        mug.id,
        mug.version,
        &ItemChange::StockSettings(StockSettings {
            online_buffer: Some(0),
            allow_backorder: false,
            auto_view_only: true,
        }),
    )
    .map(|done| done.item)
    .expect("settings");
    receive_stock(&mut conn, merchant, mug.id, store.id, 1);
    receive_stock(&mut conn, merchant, mug.id, riverside.id, 2);

    let request = OrderRequest {
        lines: vec![Line {
            item_id: mug.id,
            quantity: Quantity::new(1, "quantity").expect("q"),
        }],
        fulfilment: Fulfilment::Ship,
        external_reference: None,
    };
    let key = idempotency_key();
    let outcome = orders::place_order(
        &mut conn,
        &Actor::api_token("Shop"),
        merchant,
        &key,
        &Fingerprint::of_parts(&[key.as_str()]),
        &request,
    )
    .expect("order");
    let Outcome::Done { value: receipt, .. } = outcome else {
        panic!("expected the order to be placed")
    };

    assert_eq!(
        fresh(&mut conn, merchant, &mug).online(),
        OnlineListing::ViewOnly,
        "sold out online, still in a store"
    );
    let at_the_sale: Vec<String> = outbox_rows(&mut conn, merchant)
        .into_iter()
        .filter(|(version, _)| *version == receipt.catalog_version)
        .map(|(_, kind)| kind)
        .collect();
    assert!(
        at_the_sale.contains(&"item.stock_changed".to_owned()),
        "{at_the_sale:?}"
    );
    assert!(
        at_the_sale.contains(&"item.listing_changed".to_owned()),
        "{at_the_sale:?}"
    );
    let entry = audit::last_change(&mut conn, merchant, mug.id)
        .expect("audit")
        .expect("entry");
    assert_eq!(
        (entry.actor.as_str(), entry.new_value.as_str()),
        ("shelfsync", "view_only")
    );
}

async fn adding_a_store_moves_the_catalog_and_stamps_the_items_that_show_stores(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "stores");
    let in_store = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::ViewOnly,
    );
    let online_only = new_item(
        &mut conn,
        merchant,
        "TEA",
        "Tea",
        false,
        OnlineListing::ForSale,
    );
    let before = catalog_version(&mut conn, merchant).expect("version");

    let harbour = stores::add_location(&mut conn, merchant, "Harbour", true).expect("store");

    let after = catalog_version(&mut conn, merchant).expect("version");
    assert_eq!(after, before + 1);
    let stamped = |conn: &mut DbConnection, id: i64| -> i64 {
        item_rows::table
            .find(id)
            .select(item_rows::changed_version)
            .first(conn)
            .expect("item")
    };
    assert_eq!(
        stamped(&mut conn, in_store.id),
        after,
        "its record lists the new store"
    );
    assert_eq!(
        stamped(&mut conn, online_only.id),
        online_only.changed_version,
        "nothing of it changed"
    );
    assert_eq!(
        outbox_rows(&mut conn, merchant).last(),
        Some(&(after, "location.changed".to_owned()))
    );
    assert_eq!(harbour.name, "Harbour");
    let refused = stores::add_location(&mut conn, merchant, "  ", true);
    assert!(
        matches!(refused, Err(InventoryError::Invalid(ref e)) if e.field == "name"),
        "{refused:?}"
    );
    assert_eq!(
        catalog_version(&mut conn, merchant).expect("version"),
        after
    );
}
