//! The catalog-change feed: announced after commit only, and across
//! instances through PostgreSQL's LISTEN/NOTIFY.

use std::time::Duration;

use shelfsync::domain::OnlineListing;
use shelfsync::inventory::changes::{self, CatalogChange};
use shelfsync::inventory::{Actor, DesignationChange, designate};

use crate::common::{Backend, TestDb};
use crate::on_both_backends;

use crate::common::fixtures::{new_item, seeded_merchant};

/// Waits (up to 10 s) for `wanted` on `receiver`, skipping other changes.
async fn heard(
    receiver: &mut tokio::sync::broadcast::Receiver<CatalogChange>,
    wanted: CatalogChange,
) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, receiver.recv()).await {
            Ok(Ok(change)) if change == wanted => return true,
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => continue,
            _ => return false,
        }
    }
}

on_both_backends!(
    a_committed_designation_is_announced_with_its_catalog_version,
    a_refused_change_is_not_announced
);

async fn a_committed_designation_is_announced_with_its_catalog_version(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::Hidden,
    );
    let mut receiver = changes::subscribe();

    let done = designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        DesignationChange::SELL_ONLINE,
    )
    .expect("designate");

    let wanted = CatalogChange {
        merchant_id: merchant,
        catalog_version: done.catalog_version,
    };
    assert!(
        heard(&mut receiver, wanted).await,
        "the change should be announced"
    );
}

async fn a_refused_change_is_not_announced(backend: Backend) {
    let db = TestDb::new(backend);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "KITE",
        "Kite",
        false,
        OnlineListing::Hidden,
    );
    let before = shelfsync::inventory::catalog_version(&mut conn, merchant).expect("version");
    let mut receiver = changes::subscribe();

    designate(
        &mut conn,
        &Actor::staff("Sam"),
        merchant,
        item.id,
        item.version,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
    )
    .expect_err("refused");

    // Announcements are made synchronously after commit, so one would be queued by now.
    let mut announced = Vec::new();
    while let Ok(change) = receiver.try_recv() {
        if change.merchant_id == merchant {
            announced.push(change.catalog_version);
        }
    }
    assert!(announced.is_empty(), "{announced:?}");
    assert_eq!(
        shelfsync::inventory::catalog_version(&mut conn, merchant).expect("version"),
        before
    );
}

#[tokio::test]
async fn another_instance_on_postgresql_hears_a_change_through_listen_notify() {
    let db = TestDb::new(Backend::Postgres);
    let mut conn = db.pool().get().expect("conn");
    let merchant = seeded_merchant(&mut conn, "m1");
    let item = new_item(
        &mut conn,
        merchant,
        "MUG",
        "Mug",
        true,
        OnlineListing::Hidden,
    );
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let _listener = shelfsync::db::notify::spawn_listener(db.url.clone(), move |payload| {
        let _ = sender.send(payload.to_owned());
    });
    // LISTEN must be in place before the change; give the thread a moment by
    // retrying the change until the listener reports one.
    let mut version = item.version;
    let mut heard_version = None;
    for _ in 0..50 {
        let change = if version % 2 == 1 {
            DesignationChange::SELL_ONLINE
        } else {
            DesignationChange::REMOVE_FROM_ONLINE
        };
        let done = designate(
            &mut conn,
            &Actor::staff("Sam"),
            merchant,
            item.id,
            version,
            change,
        )
        .expect("designate");
        version = done.item.version;
        if let Ok(Some(payload)) =
            tokio::time::timeout(Duration::from_millis(300), receiver.recv()).await
        {
            heard_version = CatalogChange::from_payload(&payload);
            break;
        }
    }
    let heard_version = heard_version.expect("the listener should hear a committed change");
    assert_eq!(heard_version.merchant_id, merchant);
}
