//! Pruning old events in batches: everything an endpoint has settled goes,
//! oldest first, however many batches that takes; everything after its
//! place stays; the recorded floor is the last pruned version.

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use shelfsync::db::schema::{outbox_events, webhook_endpoints};
use shelfsync::domain::{Destinations, EventTypes, WebhookUrl};
use shelfsync::inventory::retention::{self, Retention};

use crate::common::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(thousands_of_settled_events_are_pruned_in_batches_up_to_the_endpoints_place);

async fn thousands_of_settled_events_are_pruned_in_batches_up_to_the_endpoints_place(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = shelfsync::demo::create(&mut conn).expect("the demo").id;
    // Eight copies of the demo's events (at their versions): a few thousand,
    // several batches' worth, all two months old.
    for _ in 0..3 {
        diesel::sql_query(
            "INSERT INTO outbox_events (merchant_id, catalog_version, event_type, item_id, payload, created_at) \
             SELECT merchant_id, catalog_version, event_type, item_id, payload, created_at FROM outbox_events",
        )
        .execute(&mut conn)
        .expect("events copied");
    }
    diesel::update(outbox_events::table)
        .set(outbox_events::created_at.eq(Utc::now().naive_utc() - TimeDelta::days(60)))
        .execute(&mut conn)
        .expect("events backdated");
    let versions: Vec<i64> = outbox_events::table
        .select(outbox_events::catalog_version)
        .order(outbox_events::catalog_version)
        .load(&mut conn)
        .expect("versions");
    let place = versions[versions.len() * 3 / 4];
    let endpoint = shelfsync::inventory::webhooks::create_endpoint(
        &mut conn,
        merchant,
        &WebhookUrl::parse("https://shop.example/hooks").expect("a URL"),
        &EventTypes::storefront(),
        Destinations::AnyAddress,
    )
    .expect("an endpoint")
    .endpoint
    .id;
    diesel::update(webhook_endpoints::table.find(endpoint))
        .set((
            webhook_endpoints::cursor_version.eq(place),
            webhook_endpoints::cursor_event_id.eq(i64::MAX),
        ))
        .execute(&mut conn)
        .expect("the endpoint's place set");
    let settled = versions.iter().filter(|v| **v <= place).count();
    assert!(
        settled > 1000,
        "several batches (of 500) to prune: {settled}"
    );

    let pruned = retention::prune(&mut conn, Utc::now().naive_utc(), &Retention::default())
        .expect("pruning runs");

    assert_eq!(pruned.events, settled);
    assert!(!pruned.unfinished);
    let left: Vec<i64> = outbox_events::table
        .select(outbox_events::catalog_version)
        .load(&mut conn)
        .expect("versions");
    assert_eq!(left.len(), versions.len() - settled);
    assert!(
        left.iter().all(|v| *v > place),
        "only what follows the place stays"
    );
    assert_eq!(
        retention::history_floor(&mut conn, merchant).expect("the floor"),
        place
    );
    assert!(retention::check_history(&mut conn, merchant, place).is_ok());
    assert!(matches!(
        retention::check_history(&mut conn, merchant, place - 1),
        Err(shelfsync::inventory::InventoryError::HistoryPruned { floor, .. }) if floor == place
    ));
    let again = retention::prune(&mut conn, Utc::now().naive_utc(), &Retention::default())
        .expect("pruning runs again");
    assert_eq!(again.events, 0, "pruning is idempotent");
}
