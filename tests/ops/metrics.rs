//! `GET /metrics`: refused without the deployment's token, and with it the
//! Prometheus text naming requests by route pattern, the pools, the webhook
//! backlog and deliveries, list reads, and sales and orders by result.

use serde_json::json;
use shelfsync::config::PushArgs;
use shelfsync::domain::{DesignationChange, Destinations, EventTypes, TokenScope, WebhookUrl};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::{Actor, Item, designate, webhooks};

use crate::common::fixtures::fresh_key;
use crate::common::{Backend, METRICS_TOKEN, TestApp, demo, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::support::{Sample, samples, value_of};

on_both_backends!(
    metrics_are_refused_without_the_token,
    metrics_name_requests_by_route_pattern_with_pools_and_list_reads,
    the_webhook_backlog_and_failed_deliveries_are_reported_per_endpoint,
    sales_and_orders_move_their_counters_by_result
);

async fn scrape(app: &TestApp) -> Vec<Sample> {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("/metrics answers");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    samples(&response.text().await.expect("a body"))
}

fn token(app: &TestApp, scope: TokenScope) -> String {
    let mut conn = app.conn();
    let merchant = app.demo_merchant_id();
    let location = (scope == TokenScope::Pos)
        .then(|| Location::all_of(&mut conn, merchant).expect("stores")[0].id);
    shelfsync::inventory::tokens::create_token(&mut conn, merchant, "metrics test", scope, location)
        .expect("a token")
        .secret
}

async fn metrics_are_refused_without_the_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token(&app, TokenScope::Admin);

    let without = app.get("/metrics").await;
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(format!("{METRICS_TOKEN}x"))
        .send()
        .await
        .expect("answered");
    let merchants_admin = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("answered");

    for refused in [without, wrong, merchants_admin] {
        assert_eq!(refused.status(), 401);
        assert!(refused.headers().contains_key("www-authenticate"));
        let body: serde_json::Value = refused.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("metrics token")),
            "{body}"
        );
    }
}

async fn metrics_name_requests_by_route_pattern_with_pools_and_list_reads(backend: Backend) {
    let app = spawn_app(backend).await;
    let storefront = token(&app, TokenScope::Storefront);
    app.login().await;
    for _ in 0..2 {
        let list = app
            .client
            .get(app.url("/api/v1/storefront/items"))
            .bearer_auth(&storefront)
            .send()
            .await
            .expect("the online list");
        assert_eq!(list.status(), 200);
    }
    let item_page = app
        .get(&format!("/items/{}", demo::BLUE_MUG_FOR_SALE))
        .await;
    assert_eq!(item_page.status(), 200);
    assert_eq!(app.get("/no/such/page").await.status(), 404);

    let metrics = scrape(&app).await;

    let requests = |route: &str, status: &str| {
        value_of(
            &metrics,
            "shelfsync_http_requests_total",
            &[("method", "GET"), ("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("/api/v1/storefront/items", "200"), Some(2.0));
    assert_eq!(requests("/items/{id}", "200"), Some(1.0));
    assert_eq!(requests("unmatched", "404"), Some(1.0));
    let raw = format!("/items/{}", demo::BLUE_MUG_FOR_SALE);
    assert!(
        !metrics
            .iter()
            .any(|s| s.label("route") == Some(raw.as_str())),
        "routes are patterns, never raw paths"
    );
    assert_eq!(
        value_of(
            &metrics,
            "shelfsync_http_request_duration_seconds_count",
            &[("method", "GET"), ("route", "/items/{id}")],
        ),
        Some(1.0)
    );
    assert!(metrics.iter().any(
        |s| s.name == "shelfsync_http_request_duration_seconds_bucket"
            && s.label("le") == Some("+Inf")
    ));
    for pool in ["write", "read"] {
        for state in ["in_use", "idle"] {
            assert!(
                value_of(
                    &metrics,
                    "shelfsync_db_pool_connections",
                    &[("pool", pool), ("state", state)],
                )
                .is_some(),
                "{pool} {state}"
            );
        }
        assert_eq!(
            value_of(&metrics, "shelfsync_db_pool_waiting", &[("pool", pool)]),
            Some(0.0)
        );
        assert!(
            value_of(
                &metrics,
                "shelfsync_db_pool_max_connections",
                &[("pool", pool)]
            )
            .is_some_and(|max| max >= 1.0)
        );
    }
    let page = |source: &str| {
        value_of(
            &metrics,
            "shelfsync_list_reads_total",
            &[("kind", "online_page"), ("source", source)],
        )
        .unwrap_or(0.0)
    };
    assert_eq!(page("rebuilt"), 1.0, "the first read assembles the page");
    assert_eq!(page("cache"), 1.0, "the second is served from memory");
}

async fn the_webhook_backlog_and_failed_deliveries_are_reported_per_endpoint(backend: Backend) {
    let app = spawn_app_with(
        backend,
        PushArgs {
            allow_private_webhooks: true,
            ..PushArgs::default()
        },
    )
    .await;
    let merchant = app.demo_merchant_id();
    // A port nothing listens on: every attempt fails, is retried, and the
    // events wait in order.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let endpoint = {
        let mut conn = app.conn();
        webhooks::create_endpoint(
            &mut conn,
            merchant,
            &WebhookUrl::parse(&format!("http://127.0.0.1:{closed}/hooks")).expect("a URL"),
            &EventTypes::storefront(),
            Destinations::AnyAddress,
        )
        .expect("an endpoint")
        .endpoint
        .id
    };
    for item_id in [demo::SENCHA_NOWHERE, demo::SPECKLED_MUG_IN_STORE_ONLY] {
        let mut conn = app.conn();
        let item = Item::find(&mut conn, merchant, item_id).expect("the item");
        designate(
            &mut conn,
            &Actor::system(),
            merchant,
            item_id,
            item.version,
            DesignationChange::SELL_ONLINE,
        )
        .expect("sold online");
    }
    let labels = [
        ("merchant", merchant.to_string()),
        ("endpoint", endpoint.to_string()),
    ];
    let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // The dispatcher's first attempt runs in the background; wait (bounded) for it.
    let mut metrics = scrape(&app).await;
    for _ in 0..100 {
        let retried = value_of(
            &metrics,
            "shelfsync_webhook_deliveries_total",
            &[("result", "retrying")],
        );
        if retried.is_some_and(|n| n >= 1.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        metrics = scrape(&app).await;
    }

    assert_eq!(
        value_of(&metrics, "shelfsync_webhook_outbox_backlog", &labels),
        Some(2.0),
        "two events wait for the endpoint"
    );
    assert!(
        value_of(
            &metrics,
            "shelfsync_webhook_outbox_oldest_pending_age_seconds",
            &labels
        )
        .is_some_and(|age| age >= 0.0)
    );
    assert!(
        value_of(
            &metrics,
            "shelfsync_webhook_deliveries_total",
            &[("result", "retrying")],
        )
        .is_some_and(|n| n >= 1.0),
        "a failed attempt is counted"
    );
    for settled in ["delivered", "gave_up"] {
        assert_eq!(
            value_of(
                &metrics,
                "shelfsync_webhook_deliveries_total",
                &[("result", settled)],
            ),
            Some(0.0)
        );
    }
}

async fn sales_and_orders_move_their_counters_by_result(backend: Backend) {
    let app = spawn_app(backend).await;
    let pos = token(&app, TokenScope::Pos);
    let storefront = token(&app, TokenScope::Storefront);
    let counter = |metrics: &[Sample], name: &str, result: &str| {
        value_of(metrics, name, &[("result", result)]).unwrap_or(0.0)
    };
    let sale = |quantity: i64| {
        app.client
            .post(app.url("/api/v1/pos/sales"))
            .bearer_auth(&pos)
            .header("Idempotency-Key", fresh_key())
            .json(&json!({
                "lines": [{ "item_id": demo::SPECKLED_MUG_IN_STORE_ONLY, "quantity": quantity }]
            }))
            .send()
    };
    let before = scrape(&app).await;

    let sold = sale(1).await.expect("the sale is answered");
    let short = sale(900).await.expect("the short sale is answered");
    // Nothing of the blue mug is in stock anywhere.
    let order = app
        .client
        .post(app.url("/api/v1/storefront/orders"))
        .bearer_auth(&storefront)
        .header("Idempotency-Key", fresh_key())
        .json(&json!({
            "lines": [{ "item_id": demo::BLUE_MUG_FOR_SALE, "quantity": 1 }],
            "fulfilment": { "type": "ship" }
        }))
        .send()
        .await
        .expect("the order is answered");
    let after = scrape(&app).await;

    assert_eq!(sold.status(), 201);
    assert_eq!(short.status(), 409);
    assert_eq!(order.status(), 409);
    let moved =
        |name: &str, result: &str| counter(&after, name, result) - counter(&before, name, result);
    assert_eq!(moved("shelfsync_counter_sales_total", "ok"), 1.0);
    assert_eq!(
        moved("shelfsync_counter_sales_total", "insufficient_stock"),
        1.0
    );
    assert_eq!(moved("shelfsync_online_orders_total", "ok"), 0.0);
    assert_eq!(
        moved("shelfsync_online_orders_total", "insufficient_stock"),
        1.0
    );
}
