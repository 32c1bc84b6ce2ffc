//! A scheduled designation change that fell due while no server was running
//! is applied once when servers start, even two at once on one database.

use chrono::TimeDelta;
use diesel::prelude::*;
use shelfsync::db::schema::{audit_entries, scheduled_changes};
use shelfsync::domain::OnlineListing;
use shelfsync::inventory::merchants::Merchant;
use shelfsync::inventory::{Actor, DesignationChange, Item, schedules};

use crate::common::fixtures::new_item;
use crate::common::{Backend, TestDb};
use crate::on_both_backends;
use crate::restart::Server;
use crate::support::eventually;

on_both_backends!(a_schedule_due_while_the_server_was_stopped_applies_once_on_start);

async fn a_schedule_due_while_the_server_was_stopped_applies_once_on_start(backend: Backend) {
    let db = TestDb::new(backend);
    let pool = db.pool();
    let mut conn = pool.get().expect("conn");
    let merchant = shelfsync::demo::create(&mut conn).expect("the demo").id;
    let lantern = new_item(
        &mut conn,
        merchant,
        "LAUNCH",
        "Lantern",
        true,
        OnlineListing::Hidden,
    );
    // A server runs while the launch is planned, then stops before it is due.
    let running = Server::start(&db.url);
    let zone = Merchant::find(&mut conn, merchant)
        .expect("the merchant")
        .time_zone;
    let due = chrono::Utc::now().naive_utc() + TimeDelta::seconds(2);
    let due_local = zone.local(due).format("%Y-%m-%dT%H:%M:%S").to_string();
    schedules::schedule(
        &mut conn,
        &Actor::system(),
        merchant,
        lantern.id,
        DesignationChange::SELL_ONLINE,
        &due_local,
        chrono::Utc::now().naive_utc(),
    )
    .expect("the launch is scheduled");
    running.kill_9();
    while chrono::Utc::now().naive_utc() <= due {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = || {
        scheduled_changes::table
            .select(scheduled_changes::status)
            .first::<String>(&mut pool.get().expect("conn"))
            .expect("the change")
    };
    assert_eq!(status(), "pending", "nothing ran while it fell due");

    let fast = ["--scheduler-interval-ms", "20"];
    let first = Server::start_with(&db.url, &fast);
    let second = Server::start_with(&db.url, &fast);
    assert!(
        eventually(60, || status() == "applied").await,
        "{}",
        status()
    );
    drop(first);
    drop(second);

    let after = Item::find(&mut conn, merchant, lantern.id).expect("the lantern");
    assert_eq!(after.online(), OnlineListing::ForSale);
    assert_eq!(after.version, lantern.version + 1, "applied once");
    let entries: Vec<(String, String)> = audit_entries::table
        .filter(audit_entries::item_id.eq(lantern.id))
        .filter(audit_entries::field.eq_any(["online", "scheduled_change"]))
        .order(audit_entries::id)
        .select((audit_entries::field, audit_entries::actor))
        .load(&mut conn)
        .expect("entries");
    assert_eq!(
        entries,
        vec![
            ("online".to_owned(), "scheduler".to_owned()),
            ("scheduled_change".to_owned(), "scheduler".to_owned()),
        ]
    );
    let applied_at: Option<chrono::NaiveDateTime> = scheduled_changes::table
        .select(scheduled_changes::applied_at)
        .first(&mut conn)
        .expect("the change");
    assert!(
        applied_at.is_some_and(|at| at >= due),
        "applied after it fell due"
    );
}
