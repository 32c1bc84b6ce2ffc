//! The lists while the catalogue changes underneath: a paged read never skips
//! or repeats an item that stays listed, and a client that follows deltas from
//! an old snapshot ends equal to a fresh full read.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::Value;
use shelfsync::db::Pool;
use shelfsync::domain::{ItemName, Money, TokenScope};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::{
    Actor, DesignationChange, FieldEdits, InventoryError, Item, ItemUpdate,
};
use shelfsync::inventory::{ItemChange, change_item};

use crate::common::{Backend, TestApp, spawn_app};
use crate::on_both_backends;

use super::support::{by_id, demo_items, read_all, token};

const LIST: &str = "/api/v1/storefront/items";

/// A small deterministic generator (Knuth's MMIX LCG), so a failure replays.
pub(crate) struct Lcg(pub u64);

impl Lcg {
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

const CHANGES: [DesignationChange; 5] = [
    DesignationChange::SELL_ONLINE,
    DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
    DesignationChange::REMOVE_FROM_ONLINE,
    DesignationChange::SELL_IN_STORE,
    DesignationChange::STOP_SELLING_IN_STORE,
];

/// One random change to one of `item_ids`: a designation, a field edit, both,
/// or a stock receipt. Refusals by the designation rule are part of the game.
pub(crate) fn random_change(
    pool: &Pool,
    merchant: i64,
    locations: &[i64],
    item_ids: &[i64],
    rng: &mut Lcg,
) {
    let mut conn = pool.get().expect("a connection");
    let item_id = item_ids[rng.below(item_ids.len())];
    let item = Item::find(&mut conn, merchant, item_id).expect("item");
    let actor = Actor::system();
    let mut update = ItemUpdate::default();
    match rng.below(4) {
        0 => update.designation = CHANGES[rng.below(CHANGES.len())],
        1 => {
            update.fields = FieldEdits {
                name: Some(ItemName::parse(&format!("Renamed {}", rng.below(1000))).expect("name")),
                ..FieldEdits::default()
            }
        }
        2 => {
            update.designation = CHANGES[rng.below(CHANGES.len())];
            update.fields = FieldEdits {
                price: Some(
                    Money::from_minor(rng.below(10_000) as i64, item.price.currency)
                        .expect("price"),
                ),
                ..FieldEdits::default()
            };
        }
        _ => {
            let location = locations[rng.below(locations.len())];
            crate::common::fixtures::receive_stock(
                &mut conn,
                merchant,
                item_id,
                location,
                1 + rng.below(3) as i64,
            );
            return;
        }
    }
    match change_item(
        &mut conn,
        &actor,
        merchant,
        item_id,
        item.version,
        &ItemChange::Update((update).clone()),
    ) {
        Ok(_) | Err(InventoryError::Rule { .. }) => {}
        Err(other) => panic!("change to item {item_id}: {other}"),
    }
}

/// Runs random changes on another thread until stopped; returns the count made.
struct Writer {
    stop: Arc<AtomicBool>,
    made: Arc<AtomicUsize>,
    thread: std::thread::JoinHandle<()>,
}

impl Writer {
    fn start(app: &TestApp, item_ids: Vec<i64>, seed: u64, at_most: usize) -> Writer {
        let pool = app.pool.clone();
        let merchant = app.demo_merchant_id();
        let locations: Vec<i64> = Location::all_of(&mut app.conn(), merchant)
            .expect("stores")
            .iter()
            .map(|l| l.id)
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let made = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (stop, made) = (stop.clone(), made.clone());
            std::thread::spawn(move || {
                let mut rng = Lcg(seed);
                while !stop.load(Ordering::SeqCst) && made.load(Ordering::SeqCst) < at_most {
                    random_change(&pool, merchant, &locations, &item_ids, &mut rng);
                    made.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        Writer { stop, made, thread }
    }

    fn finished(&self) -> bool {
        self.thread.is_finished()
    }

    fn stop(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("the writer should not panic");
        self.made.load(Ordering::SeqCst)
    }
}

fn apply_delta(state: &mut BTreeMap<i64, Value>, records: &[Value]) {
    for record in records {
        let id = record["id"].as_i64().expect("an id");
        if record["removed"] == true {
            state.remove(&id);
        } else {
            state.insert(id, record.clone());
        }
    }
}

/// Snapshot, many random changes while deltas are followed, final delta,
/// then the client's copy must equal a fresh full read.
async fn replay_deltas(app: &TestApp, include: &str, seed: u64) {
    let secret = token(app, TokenScope::Storefront);
    let snapshot = read_all(app, &secret, &format!("{LIST}?limit=5{include}")).await;
    let mut state = by_id(&snapshot.records);
    let mut version = snapshot.catalog_version;
    let ids: Vec<i64> = demo_items(app).iter().map(|i| i.id).collect();
    let writer = Writer::start(app, ids, seed, 250);

    let mut deltas = 0;
    loop {
        let done = writer.finished();
        let delta = read_all(
            app,
            &secret,
            &format!("{LIST}?since_version={version}&limit=4{include}"),
        )
        .await;
        assert!(delta.catalog_version >= version);
        apply_delta(&mut state, &delta.records);
        version = delta.catalog_version;
        deltas += 1;
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let made = writer.stop();
    let fresh = read_all(app, &secret, &format!("{LIST}?limit=1000{include}")).await;

    assert_eq!(made, 250);
    assert!(
        deltas > 2,
        "deltas were read while changes happened ({deltas})"
    );
    assert_eq!(
        fresh.catalog_version, version,
        "the last delta reached the current version"
    );
    let fresh = by_id(&fresh.records);
    assert_eq!(
        state.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>()
    );
    for (id, record) in &fresh {
        assert_eq!(&state[id], record, "item {id}");
    }
}

on_both_backends!(
    paging_while_items_change_never_skips_or_repeats_an_item_listed_throughout,
    following_deltas_from_an_old_snapshot_ends_equal_to_a_fresh_read,
    following_deltas_of_the_unlisted_form_ends_equal_to_a_fresh_read
);

async fn paging_while_items_change_never_skips_or_repeats_an_item_listed_throughout(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);
    let items = demo_items(&app);
    // Every third listed item stays listed (only its fields and stock change);
    // every other item is toggled in and out of the list.
    let listed: Vec<i64> = items
        .iter()
        .filter(|i| i.online().is_listed())
        .map(|i| i.id)
        .collect();
    let steady: Vec<i64> = listed.iter().copied().step_by(3).collect();
    let toggled: Vec<i64> = items
        .iter()
        .map(|i| i.id)
        .filter(|id| !steady.contains(id))
        .collect();
    let writer = Writer::start(&app, toggled, 7, usize::MAX);
    let renamer = {
        let pool = app.pool.clone();
        let merchant = app.demo_merchant_id();
        let steady = steady.clone();
        let stop = writer.stop.clone();
        std::thread::spawn(move || {
            let mut rng = Lcg(11);
            while !stop.load(Ordering::SeqCst) {
                let mut conn = pool.get().expect("a connection");
                let id = steady[rng.below(steady.len())];
                let item = Item::find(&mut conn, merchant, id).expect("item");
                let update = ItemUpdate {
                    fields: FieldEdits {
                        name: Some(
                            ItemName::parse(&format!("Steady {}", rng.below(100))).expect("name"),
                        ),
                        ..FieldEdits::default()
                    },
                    designation: DesignationChange::default(),
                };
                change_item(
                    &mut conn,
                    &Actor::system(),
                    merchant,
                    id,
                    item.version,
                    &ItemChange::Update((update).clone()),
                )
                .expect("rename");
            }
        })
    };

    // Reads served from memory can outpace the writer: keep paging until

    // enough changes happened during the reads, whatever the speed.

    let mut round = 0;

    while round < 6 || (writer.made.load(Ordering::SeqCst) <= 10 && round < 10_000) {
        round += 1;
        let read = read_all(&app, &secret, &format!("{LIST}?limit=3")).await;
        let seen = by_id(&read.records); // panics on a repeat

        for id in &steady {
            assert!(
                seen.contains_key(id),
                "round {round}: item {id}, listed throughout, was skipped"
            );
        }
    }
    let made = writer.stop();
    renamer.join().expect("the renamer should not panic");
    assert!(made > 10, "changes happened while paging ({made})");
}

async fn following_deltas_from_an_old_snapshot_ends_equal_to_a_fresh_read(backend: Backend) {
    let app = spawn_app(backend).await;
    replay_deltas(&app, "", 42).await;
}

async fn following_deltas_of_the_unlisted_form_ends_equal_to_a_fresh_read(backend: Backend) {
    let app = spawn_app(backend).await;
    replay_deltas(&app, "&include=unlisted", 1234).await;
}
