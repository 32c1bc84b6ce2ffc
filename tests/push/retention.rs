//! Retention: old settled events, delivery log lines and idempotency keys
//! are pruned by the server's scheduler; what a webhook endpoint still waits
//! for, and anything recent, stays; a resume from before the retained
//! history (the live stream, a webhook redelivery) is 410 Gone, and a full
//! read then works.

use std::sync::Arc;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use serde_json::Value;
use shelfsync::db::schema::{
    idempotency_keys, outbox_events, webhook_deliveries, webhook_endpoints,
};
use shelfsync::domain::TokenScope;

use crate::common::{Backend, TestApp, spawn_app_configured, text_of, with_conn};
use crate::on_both_backends;
use crate::support::{
    Recorder, SseReader, add_endpoint, catalog_changes, eventually, fast_push, free_addr,
    recorder_at, token,
};

on_both_backends!(
    old_settled_history_is_pruned_and_what_a_consumer_still_needs_is_kept,
    a_resume_from_before_the_retained_history_is_410_and_a_full_read_works,
);

/// A server that prunes every 100 ms with the default ages.
async fn pruning_app(backend: Backend) -> TestApp {
    spawn_app_configured(backend, |args| {
        args.push = fast_push();
        args.retention.prune_interval = std::time::Duration::from_millis(100);
    })
    .await
}

fn days_ago(days: i64) -> NaiveDateTime {
    Utc::now().naive_utc() - TimeDelta::days(days)
}

fn event_versions(app: &TestApp, merchant_id: i64) -> Vec<i64> {
    with_conn(&app.pool, |conn| {
        outbox_events::table
            .filter(outbox_events::merchant_id.eq(merchant_id))
            .select(outbox_events::catalog_version)
            .order(outbox_events::id)
            .load(conn)
            .expect("the outbox reads")
    })
}

fn delivery_statuses(app: &TestApp, endpoint_id: i64) -> Vec<String> {
    with_conn(&app.pool, |conn| {
        webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
            .select(webhook_deliveries::status)
            .load(conn)
            .expect("the delivery log reads")
    })
}

/// History as a month of running leaves it: endpoint `delivered` got every
/// change; endpoint `waiting` (added after the first six, its receiver
/// down, then disabled) still waits for the last three. Everything up to `aged_through` is
/// backdated by 40 days; the last change stays recent.
struct History {
    merchant_id: i64,
    delivered: i64,
    waiting: i64,
    /// The versions of the nine changes, in order.
    versions: Vec<i64>,
    _receiver: crate::support::RunningReceiver,
}

async fn month_of_history(app: &TestApp) -> History {
    let merchant_id = app.demo_merchant_id();
    let recorder = Arc::new(Recorder::default());
    let receiver = recorder_at(free_addr(), recorder.clone());
    let delivered = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant_id, &receiver.url())
    })
    .endpoint
    .id;
    let mut versions = with_conn(&app.pool, |conn| catalog_changes(conn, merchant_id, 6));
    // Nothing listens here: every attempt fails and the events stay pending.
    let down = format!("http://{}/webhooks", free_addr());
    let waiting = with_conn(&app.pool, |conn| add_endpoint(conn, merchant_id, &down))
        .endpoint
        .id;
    versions.extend(with_conn(&app.pool, |conn| {
        catalog_changes(conn, merchant_id, 3)
    }));
    assert!(
        eventually(20, || recorder.count() >= 9
            && delivery_statuses(app, waiting).contains(&"pending".to_owned()))
        .await,
        "the receiver got all nine changes and the dead endpoint tried its first"
    );
    // Disabled, it keeps its place: its events stay until it is enabled and
    // gets them (and a retry now would give the backdated events up).
    with_conn(&app.pool, |conn| {
        diesel::update(webhook_endpoints::table.find(waiting))
            .set(webhook_endpoints::enabled.eq(false))
            .execute(conn)
            .expect("the endpoint is disabled");
    });
    let aged_through = versions[7];
    with_conn(&app.pool, |conn| {
        diesel::update(
            outbox_events::table
                .filter(outbox_events::merchant_id.eq(merchant_id))
                .filter(outbox_events::catalog_version.le(aged_through)),
        )
        .set(outbox_events::created_at.eq(days_ago(40)))
        .execute(conn)
        .expect("events backdated");
        diesel::update(webhook_deliveries::table)
            .set(webhook_deliveries::created_at.eq(days_ago(40)))
            .execute(conn)
            .expect("the delivery log backdated");
    });
    History {
        merchant_id,
        delivered,
        waiting,
        versions,
        _receiver: receiver,
    }
}

async fn old_settled_history_is_pruned_and_what_a_consumer_still_needs_is_kept(backend: Backend) {
    let app = pruning_app(backend).await;
    // Idempotency keys: the demo's are backdated 4 days (past 72 hours),
    // then a fresh one is made.
    with_conn(&app.pool, |conn| {
        diesel::update(idempotency_keys::table)
            .set(idempotency_keys::created_at.eq(days_ago(4)))
            .execute(conn)
            .expect("keys backdated");
    });
    let history = month_of_history(&app).await;
    let versions = &history.versions;

    // Pruned: every event up to the sixth change, which both endpoints have
    // settled (the waiting one was added after it).
    assert!(
        eventually(20, || event_versions(&app, history.merchant_id)
            .first()
            .is_some_and(|oldest| *oldest > versions[5]))
        .await,
        "events up to the sixth change are pruned: {:?}",
        event_versions(&app, history.merchant_id)
    );
    let kept = event_versions(&app, history.merchant_id);
    for version in &versions[6..] {
        assert!(
            kept.contains(version),
            "version {version} stays: the 7th and 8th are old but undelivered, the 9th is recent ({kept:?})"
        );
    }
    assert!(
        eventually(20, || delivery_statuses(&app, history.delivered).is_empty()).await,
        "the delivered endpoint's old log lines are pruned"
    );
    assert!(
        delivery_statuses(&app, history.waiting).contains(&"pending".to_owned()),
        "a pending log line stays, whatever its age"
    );
    let keys: Vec<NaiveDateTime> = with_conn(&app.pool, |conn| {
        idempotency_keys::table
            .select(idempotency_keys::created_at)
            .load(conn)
            .expect("keys")
    });
    assert!(
        !keys.is_empty() && keys.iter().all(|at| *at > days_ago(3)),
        "keys older than 72 hours are pruned and the recent ones stay: {keys:?}"
    );
}

async fn get_json(app: &TestApp, path: &str, secret: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(secret)
        .send()
        .await
        .expect("the API answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_resume_from_before_the_retained_history_is_410_and_a_full_read_works(backend: Backend) {
    let app = pruning_app(backend).await;
    let history = month_of_history(&app).await;
    let versions = &history.versions;
    let (storefront, admin) = with_conn(&app.pool, |conn| {
        (
            token(conn, history.merchant_id, TokenScope::Storefront),
            token(conn, history.merchant_id, TokenScope::Admin),
        )
    });
    assert!(
        eventually(20, || event_versions(&app, history.merchant_id)
            .first()
            .is_some_and(|oldest| *oldest > versions[5]))
        .await,
        "the history up to the sixth change is pruned"
    );

    // The live stream, from a version whose later events are gone.
    let stale = versions[2];
    let (status, body) = get_json(
        &app,
        &format!("/api/v1/storefront/events?last_event_id={stale}"),
        &storefront,
    )
    .await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"]["code"], "history_pruned");
    assert_eq!(body["error"]["details"]["since_version"], stale);
    assert_eq!(body["error"]["details"]["oldest_version"], versions[5]);
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!(
            "Version {stale} is older than the retained history"
        )) && message.contains("read the full list"),
        "the message says what happened and what to do: {message}"
    );

    // The list's delta is read from the items themselves, which are never
    // pruned: it still answers from there.
    let (status, delta) = get_json(
        &app,
        &format!("/api/v1/storefront/items?since_version={stale}"),
        &storefront,
    )
    .await;
    assert_eq!(status, 200, "{delta}");
    assert_eq!(delta["since_version"], stale);

    // A webhook redelivery from there is refused too, and nothing moves.
    let redeliver = |since: i64| {
        app.client
            .post(app.url(&format!(
                "/api/v1/webhooks/endpoints/{}/redeliver?since_version={since}",
                history.delivered
            )))
            .bearer_auth(&admin)
            .send()
    };
    let refused = redeliver(stale).await.expect("the API answers");
    assert_eq!(refused.status().as_u16(), 410);
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "history_pruned");
    // The dashboard's redelivery form says so beside the endpoint.
    app.login().await;
    let answer = app
        .post_form(
            &format!("/settings/webhooks/{}/redeliver", history.delivered),
            &[("since_version", &stale.to_string())],
        )
        .await;
    assert_eq!(answer.status().as_u16(), 303);
    let page = app
        .get_html(&format!("/settings/webhooks/{}", history.delivered))
        .await;
    let notice = text_of(&page, "#flash .notice").unwrap_or_default();
    assert!(
        notice.contains(&format!(
            "history starts at version {}. Redeliver since version {} or later",
            versions[5], versions[5]
        )),
        "{notice}"
    );
    assert_eq!(
        redeliver(versions[5])
            .await
            .expect("the API answers")
            .status()
            .as_u16(),
        202,
        "a redelivery from the retained history is queued"
    );

    // The full read works, and the stream resumes from its version.
    let (status, list) = get_json(&app, "/api/v1/storefront/items?limit=1000", &storefront).await;
    assert_eq!(status, 200, "{list}");
    let read_at = list["catalog_version"].as_i64().expect("a catalog version");
    assert!(read_at >= versions[8]);
    assert!(!list["items"].as_array().expect("items").is_empty());
    let response = app
        .client
        .get(app.url("/api/v1/storefront/events"))
        .bearer_auth(&storefront)
        .header("Last-Event-ID", read_at.to_string())
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(response.status().as_u16(), 200);
    // And a resume inside the retained history replays what followed it.
    let response = app
        .client
        .get(app.url("/api/v1/storefront/events"))
        .bearer_auth(&storefront)
        .header("Last-Event-ID", versions[5].to_string())
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(response.status().as_u16(), 200);
    let mut stream = SseReader::new(response);
    let first = stream.next_event(10).await.expect("a replayed event");
    let data: Value = serde_json::from_str(&first.data).expect("JSON data");
    assert_eq!(data["catalog_version"], versions[6]);
}
