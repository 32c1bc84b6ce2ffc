//! The dispatcher: in order, at least once, retried while the receiver is
//! down, never stalled by another endpoint, and safe across `kill -9`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use shelfsync::inventory::webhooks::{self, DeliveryStatus};

use crate::common::{Backend, spawn_app_with, with_conn};
use crate::on_both_backends;
use crate::support::*;

fn in_order(received: &[Received]) -> Vec<String> {
    received.iter().map(|r| r.event_id.clone()).collect()
}

on_both_backends!(
    a_receiver_that_is_down_gets_every_event_in_order_once_it_is_up,
    every_delivery_is_signed_with_the_endpoint_secret_and_carries_the_event_id,
    a_slow_receiver_does_not_hold_up_another_endpoint,
    an_event_still_failing_after_the_give_up_period_is_marked_failed_and_the_next_one_goes_out
);

async fn a_receiver_that_is_down_gets_every_event_in_order_once_it_is_up(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let addr = free_addr();
    let endpoint = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &format!("http://{addr}/webhooks"))
    });
    let start = endpoint.endpoint.cursor;

    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 12));
    let retried = eventually(20, || {
        with_conn(&app.pool, |conn| {
            crate::support::delivery_log(conn, merchant, endpoint.endpoint.id, false, 10)
        })
        .expect("the log reads")
        .first()
        .is_some_and(|head| head.attempts >= 3 && head.status == DeliveryStatus::Pending)
    })
    .await;
    assert!(
        retried,
        "the dispatcher should keep retrying the first event while the receiver is down"
    );
    let recorder = Arc::new(Recorder::default());
    let running = recorder_at(addr, recorder.clone());

    let expected: Vec<String> = with_conn(&app.pool, |conn| events_since(conn, merchant, start))
        .iter()
        .map(|e| e.public_id())
        .collect();
    assert_eq!(expected.len(), 12);
    assert!(
        eventually(30, || recorder.count() >= expected.len()).await,
        "every event should arrive"
    );
    let received = recorder.received();
    let mut firsts = in_order(&received);
    firsts.dedup();
    assert_eq!(firsts, expected, "events arrive in catalog-version order");
    // The receiver has the requests a moment before the dispatcher records them.
    let read_log = || {
        with_conn(&app.pool, |conn| {
            crate::support::delivery_log(conn, merchant, endpoint.endpoint.id, false, 100)
        })
        .expect("log")
    };
    assert!(
        eventually(20, || {
            let log = read_log();
            log.len() == 12 && log.iter().all(|d| d.status == DeliveryStatus::Delivered)
        })
        .await
    );
    let log = read_log();
    assert!(
        log.iter().any(|d| d.attempts >= 3),
        "the first event took several attempts"
    );
    running.stop().await;
}

async fn every_delivery_is_signed_with_the_endpoint_secret_and_carries_the_event_id(
    backend: Backend,
) {
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let recorder = Arc::new(Recorder::default());
    let running = recorder_at(free_addr(), recorder.clone());
    let issued = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &running.url())
    });

    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 3));

    assert!(eventually(20, || recorder.count() >= 3).await);
    for received in recorder.received() {
        let now = chrono::Utc::now().timestamp();
        shelfsync::inventory::webhooks::signature::verify(
            &received.signature,
            &issued.secret,
            received.body.as_bytes(),
            now,
            300,
        )
        .expect("the signature verifies with the endpoint's secret");
        let body: serde_json::Value = serde_json::from_str(&received.body).expect("JSON");
        assert_eq!(body["id"], received.event_id.as_str());
        assert_eq!(received.event_type, "item.stock_changed");
        assert!(body["data"]["item"]["id"].is_i64());
        assert!(body["created_at"].is_string());
    }
    running.stop().await;
}

async fn a_slow_receiver_does_not_hold_up_another_endpoint(backend: Backend) {
    let mut push = fast_push();
    push.webhook_timeout = std::time::Duration::from_secs(1);
    let app = spawn_app_with(backend, push).await;
    let merchant = app.demo_merchant_id();
    let slow = Arc::new(Recorder::default());
    slow.delay_ms.store(30_000, Ordering::SeqCst);
    let slow_running = recorder_at(free_addr(), slow.clone());
    let healthy = Arc::new(Recorder::default());
    let healthy_running = recorder_at(free_addr(), healthy.clone());
    with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &slow_running.url())
    });
    let fast_endpoint = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &healthy_running.url())
    });

    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 20));

    assert!(
        eventually(20, || healthy.count() >= 20).await,
        "the healthy endpoint gets everything"
    );
    let recorded = eventually(20, || {
        with_conn(&app.pool, |conn| {
            crate::support::delivery_log(conn, merchant, fast_endpoint.endpoint.id, false, 100)
        })
        .expect("log")
        .len()
            == 20
    })
    .await;
    assert!(
        recorded,
        "the healthy endpoint's deliveries are all recorded"
    );
    healthy_running.stop().await;
    slow_running.stop().await;
}

async fn an_event_still_failing_after_the_give_up_period_is_marked_failed_and_the_next_one_goes_out(
    backend: Backend,
) {
    let mut push = fast_push();
    push.webhook_give_up_after = std::time::Duration::from_secs(1);
    let app = spawn_app_with(backend, push).await;
    let merchant = app.demo_merchant_id();
    let recorder = Arc::new(Recorder::default());
    recorder.answer.store(503, Ordering::SeqCst);
    let running = recorder_at(free_addr(), recorder.clone());
    let endpoint = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &running.url())
    });

    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));
    let failed = eventually(20, || {
        with_conn(&app.pool, |conn| {
            crate::support::delivery_log(conn, merchant, endpoint.endpoint.id, true, 10)
        })
        .expect("log")
        .iter()
        .any(|d| d.status == DeliveryStatus::Failed)
    })
    .await;
    assert!(
        failed,
        "the event should be marked failed after the give-up period"
    );
    recorder.answer.store(0, Ordering::SeqCst);
    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));

    assert!(
        eventually(20, || recorder.received().iter().any(
            |r| r.catalog_version > endpoint.endpoint.cursor.catalog_version + 1
        ))
        .await
    );
    let log = with_conn(&app.pool, |conn| {
        crate::support::delivery_log(conn, merchant, endpoint.endpoint.id, false, 10)
    })
    .expect("log");
    let failed = log
        .iter()
        .find(|d| d.status == DeliveryStatus::Failed)
        .expect("a failed delivery");
    assert!(failed.attempts >= 2);
    assert_eq!(failed.last_status_code, Some(503));
    assert!(
        failed
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503"))
    );
    assert_eq!(
        with_conn(&app.pool, |conn| webhooks::history::failed_count(
            conn,
            endpoint.endpoint.id
        ))
        .expect("count"),
        1
    );
    running.stop().await;
}

/// A second shelfsync on the test's database, as behind a load balancer.
fn second_instance(database_url: &str) -> shelfsync::startup::Application {
    shelfsync::startup::Application::build(&shelfsync::config::ServeArgs {
        database: shelfsync::config::DatabaseArgs {
            database_url: database_url.to_owned(),
            pool_size: 4,
        },
        bind: "127.0.0.1:0".to_owned(),
        workers: Some(1),
        read_pool_size: 2,
        import_limit_mb: 50,
        no_demo: true,
        public_url: None,
        secure_cookies: false,
        request_head_timeout: std::time::Duration::from_secs(60),
        scheduler_interval_ms: 5000,
        shutdown_timeout: std::time::Duration::from_secs(30),
        retention: Default::default(),
        metrics_token: None,
        trusted_proxies: Vec::new(),
        push: fast_push(),
    })
    .expect("a second instance should start")
}

on_both_backends!(two_instances_on_one_database_deliver_each_event_in_order_without_overlapping);

async fn two_instances_on_one_database_deliver_each_event_in_order_without_overlapping(
    backend: Backend,
) {
    let app = spawn_app_with(backend, fast_push()).await;
    let other = second_instance(&app.db.url);
    tokio::spawn(other.run_until_stopped());
    let merchant = app.demo_merchant_id();
    let recorder = Arc::new(Recorder::default());
    let running = recorder_at(free_addr(), recorder.clone());
    let endpoint = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &running.url())
    });

    for _ in 0..10 {
        with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 15));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let expected: Vec<String> = with_conn(&app.pool, |conn| {
        events_since(conn, merchant, endpoint.endpoint.cursor)
    })
    .iter()
    .map(|e| e.public_id())
    .collect();
    assert!(eventually(60, || recorder.count() >= expected.len()).await);
    let received = in_order(&recorder.received());
    let position = |id: &String| {
        expected
            .iter()
            .position(|e| e == id)
            .expect("a known event")
    };
    let positions: Vec<usize> = received.iter().map(position).collect();
    assert!(
        positions.windows(2).all(|w| w[0] <= w[1]),
        "never an older event after a newer one: {positions:?}"
    );
    let mut firsts = received.clone();
    firsts.dedup();
    assert_eq!(firsts, expected);
    running.stop().await;
}
