//! Two `shelfsync serve` processes on one PostgreSQL database behind a real
//! nginx running `deploy/nginx.conf` (see `nginx.rs`). Random changes go to
//! the instances in turn and each is in the next read through nginx; one
//! instance is killed with SIGKILL halfway and nginx serves on through the
//! other; a webhook receiver gets every event, in order; and a live stream
//! read from one instance resumes through nginx on the other with
//! `Last-Event-ID`, with no gap and no repeat. Plain HTTP is sent to HTTPS.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use shelfsync::domain::TokenScope;
use shelfsync::inventory::outbox::EventPosition;

use crate::common::fixtures::{fresh_key, receive_stock};
use crate::common::{Backend, TestDb};
use crate::nginx::Nginx;
use crate::restart::{SMALL_POOLS, Server};
use crate::support::{
    Frame, Recorder, SseReader, add_endpoint, demo_shop, events_since, eventually, free_addr,
    recorder_at, token,
};

/// SQLite is one file on one machine: two instances behind a balancer is a
/// PostgreSQL deployment (docs/deploy.md), and one SQLite instance
/// restarting is `rolling_restart.rs`.
mod changes_through_two_instances_behind_nginx_are_read_delivered_and_streamed_across_a_kill_9 {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::changes_through_two_instances_behind_nginx_are_read_delivered_and_streamed_across_a_kill_9().await;
    }
}

/// Random changes, alternating between the instances while both run.
const CHANGES: usize = 1_000;
/// The change before which the first instance is killed.
const KILL_AT: usize = CHANGES / 2;
/// Items the changes are spread over.
const ITEMS: usize = 10;
/// The longest one request may take on a loaded machine.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// What one change was, to check the read that follows it.
#[derive(Debug)]
enum Change {
    Online(&'static str),
    Price(i64),
    Sale,
}

/// Changes sent straight to one instance: an admin's and a till's.
struct InstanceClient<'a> {
    client: &'a reqwest::Client,
    /// The instance's `http://127.0.0.1:PORT`.
    base: String,
    admin: &'a str,
    pos: &'a str,
}

impl InstanceClient<'_> {
    /// Presses one of the item's two other online states; the catalog
    /// version of the change.
    async fn press_online(&self, item: i64, rng: &mut StdRng) -> (i64, Change) {
        let current = self.item(item).await;
        let others: Vec<&'static str> = ["for_sale", "view_only", "hidden"]
            .into_iter()
            .filter(|online| current["online"] != *online)
            .collect();
        let online = others[rng.random_range(0..others.len())];
        let version = self
            .patch(
                item,
                json!({"version": current["version"], "online": online}),
            )
            .await;
        (version, Change::Online(online))
    }

    async fn edit_price(&self, item: i64, amount: i64) -> (i64, Change) {
        let current = self.item(item).await;
        let price = json!({"amount": amount, "currency": current["price"]["currency"]});
        let version = self
            .patch(item, json!({"version": current["version"], "price": price}))
            .await;
        (version, Change::Price(amount))
    }

    /// A counter sale of one unit at the till's store, which ships online orders.
    async fn sell_one(&self, item: i64) -> (i64, Change) {
        let sold = self
            .client
            .post(format!("{}/api/v1/pos/sales", self.base))
            .bearer_auth(self.pos)
            .header("Idempotency-Key", fresh_key())
            .json(&json!({"lines": [{"item_id": item, "quantity": 1}]}))
            .timeout(PATIENCE)
            .send()
            .await
            .expect("the sale is answered");
        assert_eq!(sold.status().as_u16(), 201, "the sale of item {item}");
        let body: Value = sold.json().await.expect("JSON");
        let version = body["sale"]["catalog_version"]
            .as_i64()
            .expect("the sale's catalog version");
        (version, Change::Sale)
    }

    /// The item as the admin API shows it.
    async fn item(&self, item: i64) -> Value {
        let read: Value = self
            .client
            .get(format!("{}/api/v1/items/{item}", self.base))
            .bearer_auth(self.admin)
            .timeout(PATIENCE)
            .send()
            .await
            .expect("the item is answered")
            .json()
            .await
            .expect("JSON");
        read["item"].clone()
    }

    /// Sends `patch`, which must change the item; the catalog version.
    async fn patch(&self, item: i64, patch: Value) -> i64 {
        let changed = self
            .client
            .patch(format!("{}/api/v1/items/{item}", self.base))
            .bearer_auth(self.admin)
            .json(&patch)
            .timeout(PATIENCE)
            .send()
            .await
            .expect("the change is answered");
        assert_eq!(changed.status().as_u16(), 200, "item {item}: {patch}");
        let body: Value = changed.json().await.expect("JSON");
        assert_eq!(body["changed"], true, "item {item}: {patch}");
        body["catalog_version"]
            .as_i64()
            .expect("the change's catalog version")
    }
}

/// The online list with store-only items, through nginx, by item id.
async fn read_list(
    client: &reqwest::Client,
    nginx: &Nginx,
    storefront: &str,
) -> HashMap<i64, Value> {
    let listed: Value = client
        .get(nginx.url("/api/v1/storefront/items?include=unlisted&limit=1000"))
        .bearer_auth(storefront)
        .timeout(PATIENCE)
        .send()
        .await
        .expect("the list through nginx")
        .json()
        .await
        .expect("JSON");
    assert!(
        listed["next_cursor"].is_null(),
        "the demo's items fit on one page"
    );
    listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|record| (record["id"].as_i64().expect("an id"), record.clone()))
        .collect()
}

async fn changes_through_two_instances_behind_nginx_are_read_delivered_and_streamed_across_a_kill_9()
 {
    let db = TestDb::new(Backend::Postgres);
    let pool = db.pool();
    let first = Server::start_with(&db.url, &SMALL_POOLS);
    let second = Server::start_with(&db.url, &SMALL_POOLS);
    let (merchant, admin, pos, storefront, items) = {
        let mut conn = pool.get().expect("conn");
        // The first store fulfils online orders in the demo.
        let (merchant, store) = demo_shop(&mut conn);
        let pos = shelfsync::inventory::tokens::create_token(
            &mut conn,
            merchant,
            "Till",
            TokenScope::Pos,
            Some(store),
        )
        .expect("a pos token")
        .secret;
        let items: Vec<i64> = shelfsync::db::schema::items::table
            .filter(shelfsync::db::schema::items::merchant_id.eq(merchant))
            .filter(shelfsync::db::schema::items::in_store.eq(true))
            .filter(shelfsync::db::schema::items::archived.eq(false))
            .order(shelfsync::db::schema::items::id)
            .select(shelfsync::db::schema::items::id)
            .limit(ITEMS as i64)
            .load(&mut conn)
            .expect("items");
        assert_eq!(items.len(), ITEMS, "the demo has items sold in store");
        // Enough that no sale runs short.
        for &item in &items {
            receive_stock(&mut conn, merchant, item, store, 10_000);
        }
        (
            merchant,
            token(&mut conn, merchant, TokenScope::Admin),
            pos,
            token(&mut conn, merchant, TokenScope::Storefront),
            items,
        )
    };
    let nginx = Nginx::start([first.port, second.port]).await;
    let recorder = Arc::new(Recorder::default());
    let receiver = recorder_at(free_addr(), recorder.clone());
    let endpoint = add_endpoint(&mut pool.get().expect("conn"), merchant, &receiver.url());
    let start = shelfsync::inventory::catalog_version(&mut pool.get().expect("conn"), merchant)
        .expect("the catalog version");

    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(crate::nginx::SERVER_NAME, nginx.plain_addr)
        .build()
        .expect("an HTTP client");
    let redirected = plain
        .get(format!(
            "http://{}:{}/shop/x?y=1",
            crate::nginx::SERVER_NAME,
            nginx.plain_addr.port()
        ))
        .send()
        .await
        .expect("plain HTTP is answered");
    assert_eq!(
        redirected.status().as_u16(),
        301,
        "plain HTTP moves to HTTPS"
    );
    assert_eq!(
        redirected.headers()["location"],
        format!("https://{}/shop/x?y=1", crate::nginx::SERVER_NAME).as_str()
    );
    let through_nginx = nginx.client();
    let direct = reqwest::Client::new();
    let seed: u64 = rand::rng().random();
    eprintln!("random changes with seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut available: HashMap<i64, Value> = read_list(&through_nginx, &nginx, &storefront)
        .await
        .into_iter()
        .map(|(id, record)| (id, record["available_online"].clone()))
        .collect();
    let mut servers = [Some(first), Some(second)];
    let mut streamed_from_killed: Vec<Frame> = Vec::new();
    for n in 0..CHANGES {
        if n == KILL_AT {
            // The instance sending webhooks dies mid-request: the receiver
            // holds the request in hand until it is gone.
            recorder.delay_ms.store(1_000, Ordering::SeqCst);
            let holder = lease_holder(&pool, &servers).await;
            let doomed = servers[holder].as_ref().expect("the holder runs");
            streamed_from_killed = replay_from(&direct, doomed.port, &storefront, start).await;
            servers[holder].take().expect("the holder runs").kill_9();
            eprintln!("instance {holder}, holding the webhook lease, killed before change {n}");
            recorder.delay_ms.store(0, Ordering::SeqCst);
        }
        let writer = match &servers {
            [Some(a), Some(b)] => [a, b][n % 2].port,
            [Some(one), None] | [None, Some(one)] => one.port,
            [None, None] => unreachable!("one instance is killed"),
        };
        let item = items[rng.random_range(0..ITEMS)];
        let instance = InstanceClient {
            client: &direct,
            base: format!("http://127.0.0.1:{writer}"),
            admin: &admin,
            pos: &pos,
        };
        let (acknowledged, change) = match rng.random_range(0..3) {
            0 => instance.press_online(item, &mut rng).await,
            1 => instance.edit_price(item, 100 + n as i64).await,
            _ => instance.sell_one(item).await,
        };

        let listed = read_list(&through_nginx, &nginx, &storefront).await;
        let record = listed
            .get(&item)
            .unwrap_or_else(|| panic!("change {n}: item {item} is on the list"));
        assert_eq!(
            record["changed_version"].as_i64(),
            Some(acknowledged),
            "change {n} ({change:?}) on :{writer}: the next read through nginx shows it: {record}"
        );
        match change {
            Change::Online(online) => {
                assert_eq!(record["online"], online, "change {n}");
                assert_eq!(record["listed_online"], online != "hidden", "change {n}");
            }
            Change::Price(amount) => assert_eq!(record["price"]["amount"], amount, "change {n}"),
            // Only an item for sale online counts what is available there.
            Change::Sale if record["online"] == "for_sale" => assert_eq!(
                record["available_online"].as_i64(),
                available[&item].as_i64().map(|units| units - 1),
                "change {n}: one unit fewer online"
            ),
            Change::Sale => {}
        }
        available.insert(item, record["available_online"].clone());
    }

    // Every event reaches the receiver in order, with no gap. Delivery is
    // at least once: the instance holding the endpoint records what it sent
    // once a second, so the next holder sends the events acknowledged in the
    // killed one's last second again (README). De-duplicated by
    // `webhook-id`, each event arrived exactly once.
    let expected: Vec<String> = events_since(
        &mut pool.get().expect("conn"),
        merchant,
        endpoint.endpoint.cursor,
    )
    .iter()
    .map(|event| event.public_id())
    .collect();
    assert!(expected.len() >= CHANGES, "every change made an event");
    let received = || -> Vec<String> {
        recorder
            .received()
            .into_iter()
            .map(|received| received.webhook_id)
            .collect()
    };
    let first_copies = |received: &[String]| -> Vec<String> {
        let mut seen = HashSet::new();
        received
            .iter()
            .filter(|id| seen.insert(*id))
            .cloned()
            .collect()
    };
    assert!(
        eventually(120, || first_copies(&received()).len() >= expected.len()).await,
        "every event is delivered: {} of {}",
        first_copies(&received()).len(),
        expected.len()
    );
    let received = received();
    assert_eq!(
        first_copies(&received),
        expected,
        "each event once, in order"
    );
    // Each request carried the event after the one before it, or went back
    // to send again from an earlier one (the takeover).
    let place: HashMap<&String, usize> = expected.iter().zip(0..).collect();
    for pair in received.windows(2) {
        let (before, after) = (place[&pair[0]], place[&pair[1]]);
        assert!(
            after == before + 1 || after <= before,
            "{} skipped ahead of {}: {received:?}",
            pair[1],
            pair[0]
        );
    }
    let repeats = received.len() - expected.len();
    eprintln!("webhook requests repeated across the kill: {repeats}");

    // The stream read from the killed instance resumes through nginx, on the
    // other, after the last id it sent.
    let last_id = streamed_from_killed
        .last()
        .and_then(|frame| frame.id.clone())
        .expect("the killed instance's stream ended on an id");
    let all = events_since(
        &mut pool.get().expect("conn"),
        merchant,
        EventPosition::end_of_version(start),
    );
    let resumed = through_nginx
        .get(nginx.url("/api/v1/storefront/events"))
        .bearer_auth(&storefront)
        .header("Last-Event-ID", &last_id)
        .send()
        .await
        .expect("the stream through nginx");
    assert_eq!(resumed.status().as_u16(), 200, "the stream resumes");
    let mut resumed = SseReader::new(resumed);
    let mut streamed: Vec<String> = streamed_from_killed.iter().map(event_id).collect();
    while streamed.len() < all.len() {
        let frame = resumed
            .next_event(30)
            .await
            .unwrap_or_else(|| panic!("the resumed stream stopped after {}", streamed.len()));
        streamed.push(event_id(&frame));
    }
    let all: Vec<String> = all.iter().map(|event| event.public_id()).collect();
    assert_eq!(
        streamed, all,
        "the two streams, joined at id {last_id}, are every event once, in order"
    );
    receiver.stop().await;
    drop(nginx);
}

/// Which of `servers` holds the webhook endpoint's lease, once one does.
async fn lease_holder(pool: &shelfsync::db::Pool, servers: &[Option<Server>; 2]) -> usize {
    use shelfsync::db::schema::webhook_endpoints;
    let pids: Vec<Option<String>> = servers
        .iter()
        .map(|server| server.as_ref().map(|s| format!("{}-", s.pid())))
        .collect();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let owner: Option<String> = webhook_endpoints::table
            .select(webhook_endpoints::lease_owner)
            .first(&mut pool.get().expect("conn"))
            .expect("the endpoint");
        let holder = owner.and_then(|owner| {
            pids.iter()
                .position(|pid| pid.as_ref().is_some_and(|pid| owner.starts_with(pid)))
        });
        if let Some(holder) = holder {
            return holder;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "an instance takes the endpoint's lease"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The live stream of the instance on `port`, replayed from `version`:
/// about half of what happened since, ending on a frame with an id (the last
/// event of its catalog version).
async fn replay_from(
    client: &reqwest::Client,
    port: u16,
    storefront: &str,
    version: i64,
) -> Vec<Frame> {
    let response = client
        .get(format!("http://127.0.0.1:{port}/api/v1/storefront/events"))
        .bearer_auth(storefront)
        .header("Last-Event-ID", version.to_string())
        .send()
        .await
        .expect("the first instance's stream");
    assert_eq!(response.status().as_u16(), 200, "the stream opens");
    let mut stream = SseReader::new(response);
    let mut frames = Vec::new();
    while frames.len() < KILL_AT / 2 || frames.last().is_some_and(|f: &Frame| f.id.is_none()) {
        let frame = stream
            .next_event(30)
            .await
            .unwrap_or_else(|| panic!("the replay stopped after {} events", frames.len()));
        frames.push(frame);
    }
    frames
}

/// The event's `evt_…` id, from its data.
fn event_id(frame: &Frame) -> String {
    let data: Value = serde_json::from_str(&frame.data).expect("an event's data is JSON");
    data["id"].as_str().expect("an event id").to_owned()
}
