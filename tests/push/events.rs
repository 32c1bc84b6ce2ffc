//! `GET /api/v1/storefront/events`: the live event stream.

use shelfsync::domain::TokenScope;
use shelfsync::inventory::tokens::create_token;
use shelfsync::inventory::{Actor, BulkMode, DesignationChange, catalog_version, designate_many};

use crate::common::{Backend, TestApp, spawn_app_with, with_conn};
use crate::on_both_backends;
use crate::support::*;

fn storefront_token(app: &TestApp) -> String {
    let merchant = app.demo_merchant_id();
    with_conn(&app.pool, |conn| {
        create_token(conn, merchant, "Online store", TokenScope::Storefront, None)
    })
    .expect("a token")
    .secret
}

async fn connect(app: &TestApp, token: &str, last_event_id: Option<i64>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .get(app.url("/api/v1/storefront/events"))
        .bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    request.send().await.expect("the stream should open")
}

on_both_backends!(
    a_change_reaches_the_event_stream_with_its_catalog_version_as_id,
    last_event_id_replays_what_the_client_missed_and_then_goes_live,
    heartbeats_keep_an_idle_stream_alive,
    the_events_of_a_bulk_change_share_one_id_written_on_the_last,
    the_event_stream_needs_a_storefront_token_and_a_numeric_last_event_id,
    a_last_event_id_ahead_of_the_catalog_is_refused_with_422,
    an_open_stream_ends_soon_after_its_token_is_revoked
);

async fn a_change_reaches_the_event_stream_with_its_catalog_version_as_id(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let token = storefront_token(&app);
    let response = connect(&app, &token, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = SseReader::new(response);

    let versions = with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));

    let frame = stream.next_event(10).await.expect("an event");
    assert_eq!(frame.id, Some(versions[0].to_string()));
    assert_eq!(frame.event.as_deref(), Some("item.stock_changed"));
    let data: serde_json::Value = serde_json::from_str(&frame.data).expect("JSON data");
    assert_eq!(data["catalog_version"], versions[0]);
    assert!(data["id"].as_str().is_some_and(|id| id.starts_with("evt_")));
    assert!(data["data"]["item"]["id"].is_i64());
}

async fn last_event_id_replays_what_the_client_missed_and_then_goes_live(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let token = storefront_token(&app);
    let seen = with_conn(&app.pool, |conn| catalog_version(conn, merchant)).expect("version");
    let missed = with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 5));

    let mut stream = SseReader::new(connect(&app, &token, Some(seen)).await);
    let mut replayed = Vec::new();
    for _ in 0..5 {
        replayed.push(
            stream
                .next_event(10)
                .await
                .expect("a replayed event")
                .id
                .expect("an id"),
        );
    }
    let live = with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));
    let next = stream.next_event(10).await.expect("a live event");

    let expected: Vec<String> = missed.iter().map(i64::to_string).collect();
    assert_eq!(replayed, expected);
    assert_eq!(next.id, Some(live[0].to_string()));
}

async fn heartbeats_keep_an_idle_stream_alive(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let token = storefront_token(&app);
    let mut stream = SseReader::new(connect(&app, &token, None).await);

    let mut comments = Vec::new();
    while comments.len() < 2 {
        let frame = stream
            .next_frame(10)
            .await
            .expect("a heartbeat within the interval");
        comments.extend(frame.comment);
    }

    assert!(comments.iter().all(|c| c == "keep-alive"));
}

async fn the_events_of_a_bulk_change_share_one_id_written_on_the_last(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let token = storefront_token(&app);
    let mut stream = SseReader::new(connect(&app, &token, None).await);
    let ids: Vec<i64> = {
        use diesel::prelude::*;
        use shelfsync::db::schema::items;
        with_conn(&app.pool, |conn| {
            items::table
                .filter(items::merchant_id.eq(merchant))
                .filter(items::in_store.eq(true))
                .filter(items::online.eq("hidden"))
                .select(items::id)
                .limit(3)
                .load(conn)
        })
        .expect("hidden in-store items")
    };
    assert_eq!(ids.len(), 3);

    let outcome = with_conn(&app.pool, |conn| {
        designate_many(
            conn,
            &Actor::staff("Sam"),
            merchant,
            &ids,
            DesignationChange::SELL_ONLINE,
            BulkMode::AllOrNothing,
        )
    })
    .expect("the bulk change");

    let mut frames = Vec::new();
    for _ in 0..3 {
        frames.push(stream.next_event(10).await.expect("an event per item"));
    }
    assert_eq!(frames[0].id, None);
    assert_eq!(frames[1].id, None);
    assert_eq!(frames[2].id, Some(outcome.catalog_version.to_string()));
}

async fn the_event_stream_needs_a_storefront_token_and_a_numeric_last_event_id(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let admin = with_conn(&app.pool, |conn| {
        create_token(conn, merchant, "Back office", TokenScope::Admin, None)
    })
    .expect("token")
    .secret;
    let storefront = storefront_token(&app);
    let client = reqwest::Client::new();
    let url = app.url("/api/v1/storefront/events");

    let anonymous = client.get(&url).send().await.expect("answer");
    let wrong_scope = client
        .get(&url)
        .bearer_auth(&admin)
        .send()
        .await
        .expect("answer");
    let bad_resume = client
        .get(&url)
        .bearer_auth(&storefront)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .expect("answer");

    assert_eq!(anonymous.status(), 401);
    assert_eq!(wrong_scope.status(), 403);
    assert_eq!(bad_resume.status(), 422);
    let body: serde_json::Value = bad_resume.json().await.expect("a JSON error");
    assert_eq!(body["error"]["details"]["parameter"], "last_event_id");
}

async fn a_last_event_id_ahead_of_the_catalog_is_refused_with_422(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let token = storefront_token(&app);
    let current = with_conn(&app.pool, |conn| catalog_version(conn, merchant)).expect("version");

    let ahead = connect(&app, &token, Some(current + 5)).await;
    let at_current = connect(&app, &token, Some(current)).await;

    assert_eq!(ahead.status(), 422);
    let body: serde_json::Value = ahead.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "invalid_parameter");
    assert_eq!(body["error"]["details"]["parameter"], "last_event_id");
    assert_eq!(at_current.status(), 200);
}

async fn an_open_stream_ends_soon_after_its_token_is_revoked(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let merchant = app.demo_merchant_id();
    let issued = with_conn(&app.pool, |conn| {
        create_token(conn, merchant, "Online store", TokenScope::Storefront, None)
    })
    .expect("a token");
    let mut response = connect(&app, &issued.secret, None).await;
    assert_eq!(response.status(), 200);
    // The stream is live: its first frame (`retry:`) arrives.
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), response.chunk())
        .await
        .expect("a first frame");
    assert!(matches!(first, Ok(Some(_))));

    // Revoked through its own connection, as another process would.
    with_conn(&app.pool, |conn| {
        shelfsync::inventory::tokens::revoke_token(conn, merchant, issued.token.id)
    })
    .expect("revoked");

    // The server ends the stream: the body reaches its end (a bound, not a timing claim).
    let ended = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        loop {
            match response.chunk().await {
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream should end after the revocation");
    let again = connect(&app, &issued.secret, None).await;
    assert_eq!(again.status(), 401);
}
