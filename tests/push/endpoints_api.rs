//! `/api/v1/webhooks/endpoints`: endpoints managed with an admin token,
//! redelivery of every event since a version, in order, and the delivery
//! log paged through with filters — over the API and on the dashboard.

use std::sync::Arc;

use serde_json::{Value, json};
use shelfsync::domain::TokenScope;

use crate::common::{Backend, TestApp, attr_of, sel, spawn_app_with, with_conn};
use crate::on_both_backends;
use crate::support::{
    Recorder, add_endpoint, catalog_changes, eventually, fast_push, free_addr, recorder_at, token,
};

struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn api(app: &TestApp, scope: TokenScope) -> Api<'_> {
    let token = with_conn(&app.pool, |conn| token(conn, app.demo_merchant_id(), scope));
    Api { app, token }
}

on_both_backends!(
    endpoints_are_created_listed_changed_and_deleted_with_an_admin_token,
    bad_endpoint_input_is_a_422_naming_the_field,
    redeliver_since_requeues_every_later_event_in_order,
    the_delivery_log_pages_through_every_delivery_with_filters,
);

async fn endpoints_are_created_listed_changed_and_deleted_with_an_admin_token(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let admin = api(&app, TokenScope::Admin);
    let storefront = api(&app, TokenScope::Storefront);
    use reqwest::Method;

    let (created, body) = admin
        .send(
            Method::POST,
            "/api/v1/webhooks/endpoints",
            Some(json!({ "url": "https://shop.example/hooks" })),
        )
        .await;
    assert_eq!(created, 201, "{body}");
    let id = body["endpoint"]["id"].as_i64().expect("an id");
    let secret = body["secret"].as_str().expect("the secret, once");
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        body["endpoint"]["event_types"],
        json!([
            "item.listing_changed",
            "item.stock_changed",
            "location.changed",
            "reservation.created",
            "reservation.expired",
            "reservation.picked_up",
            "reservation.released"
        ]),
        "the storefront types by default, never inventory.*"
    );

    let (listed, list) = admin
        .send(Method::GET, "/api/v1/webhooks/endpoints", None)
        .await;
    assert_eq!(listed, 200);
    assert_eq!(list["endpoints"][0]["id"], id);
    assert!(
        !list.to_string().contains(secret),
        "the secret is never shown again"
    );

    let (changed, endpoint) = admin
        .send(
            Method::PATCH,
            &format!("/api/v1/webhooks/endpoints/{id}"),
            Some(json!({
                "url": "https://shop.example/v2/hooks",
                "enabled": false,
                "event_types": ["inventory.stock_changed"],
            })),
        )
        .await;
    assert_eq!(changed, 200, "{endpoint}");
    assert_eq!(endpoint["url"], "https://shop.example/v2/hooks");
    assert_eq!(endpoint["enabled"], false);
    assert_eq!(endpoint["event_types"], json!(["inventory.stock_changed"]));

    let (rotated, rotation) = admin
        .send(
            Method::POST,
            &format!("/api/v1/webhooks/endpoints/{id}/rotate"),
            None,
        )
        .await;
    assert_eq!(rotated, 200);
    assert_ne!(rotation["secret"].as_str(), Some(secret));

    let (forbidden, _) = storefront
        .send(Method::GET, "/api/v1/webhooks/endpoints", None)
        .await;
    assert_eq!(forbidden, 403, "a storefront token can't manage endpoints");

    let (deleted, _) = admin
        .send(
            Method::DELETE,
            &format!("/api/v1/webhooks/endpoints/{id}"),
            None,
        )
        .await;
    assert_eq!(deleted, 204);
    let (gone, _) = admin
        .send(
            Method::GET,
            &format!("/api/v1/webhooks/endpoints/{id}"),
            None,
        )
        .await;
    assert_eq!(gone, 404);
}

async fn bad_endpoint_input_is_a_422_naming_the_field(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let admin = api(&app, TokenScope::Admin);
    use reqwest::Method;

    for (body, field) in [
        (json!({}), "url"),
        (json!({ "url": "ftp://shop.example/" }), "url"),
        (json!({ "url": 5 }), "url"),
        (
            json!({ "url": "https://shop.example/", "event_types": ["order.created"] }),
            "event_types",
        ),
        (
            json!({ "url": "https://shop.example/", "event_types": "item.stock_changed" }),
            "event_types",
        ),
        (
            json!({ "url": "https://shop.example/", "colour": "blue" }),
            "colour",
        ),
    ] {
        let (status, answer) = admin
            .send(
                Method::POST,
                "/api/v1/webhooks/endpoints",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["details"]["field"], field, "{body}");
    }
}

async fn redeliver_since_requeues_every_later_event_in_order(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let recorder = Arc::new(Recorder::default());
    let receiver = recorder_at(free_addr(), recorder.clone());
    let merchant = app.demo_merchant_id();
    let id = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &receiver.url())
    })
    .endpoint
    .id;
    let versions = with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 6));
    assert!(
        eventually(20, || recorder.count() == 6).await,
        "six delivered"
    );
    let admin = api(&app, TokenScope::Admin);
    let since = versions[2];

    let (status, body) = admin
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/webhooks/endpoints/{id}/redeliver?since_version={since}"),
            None,
        )
        .await;

    assert_eq!(status, 202, "{body}");
    assert_eq!(body["queued"], 3, "{body}");
    assert!(eventually(20, || recorder.count() == 9).await, "three more");
    let again: Vec<i64> = recorder.received()[6..]
        .iter()
        .map(|r| r.catalog_version)
        .collect();
    assert_eq!(
        again,
        versions[3..].to_vec(),
        "every event after {since}, in order"
    );
    for bad in ["", "-1", "abc", &(versions[5] + 100).to_string()] {
        let (status, body) = admin
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/webhooks/endpoints/{id}/redeliver?since_version={bad}"),
                None,
            )
            .await;
        assert_eq!(status, 422, "since_version={bad}: {body}");
        assert_eq!(body["error"]["details"]["parameter"], "since_version");
    }
    receiver.stop().await;
}

async fn the_delivery_log_pages_through_every_delivery_with_filters(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let recorder = Arc::new(Recorder::default());
    let receiver = recorder_at(free_addr(), recorder.clone());
    let merchant = app.demo_merchant_id();
    let id = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &receiver.url())
    })
    .endpoint
    .id;
    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 120));
    assert!(
        eventually(60, || recorder.count() == 120).await,
        "all delivered"
    );
    let admin = api(&app, TokenScope::Admin);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/webhooks/endpoints/{id}/deliveries?limit=25&cursor={c}"),
            None => format!("/api/v1/webhooks/endpoints/{id}/deliveries?limit=25"),
        };
        let (status, page) = admin.send(reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{page}");
        for delivery in page["deliveries"].as_array().expect("deliveries") {
            seen.push(delivery["catalog_version"].as_i64().expect("a version"));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 120, "every delivery, not only the newest");
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
    let (_, failed) = admin
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/webhooks/endpoints/{id}/deliveries?status=failed"),
            None,
        )
        .await;
    assert_eq!(failed["deliveries"], json!([]));
    let (_, listing) = admin
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/webhooks/endpoints/{id}/deliveries?event_type=item.listing_changed"),
            None,
        )
        .await;
    assert_eq!(
        listing["deliveries"],
        json!([]),
        "receipts are stock events"
    );
    let (bad, body) = admin
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/webhooks/endpoints/{id}/deliveries?status=lost"),
            None,
        )
        .await;
    assert_eq!(bad, 422);
    assert_eq!(body["error"]["details"]["parameter"], "status");

    app.login().await;
    let first = app
        .get_html(&format!(
            "/settings/webhooks/{id}?event_type=item.stock_changed"
        ))
        .await;
    let rows = first.select(&sel("tr.delivery")).count();
    let older = attr_of(&first, "#older-deliveries", "href").expect("a link to older deliveries");
    let second = app.get_html(&older).await;
    assert_eq!(rows, 100, "a page of the dashboard's log");
    assert_eq!(second.select(&sel("tr.delivery")).count(), 20, "the rest");
    assert!(
        older.contains("event_type=item.stock_changed"),
        "the filter is kept: {older}"
    );
    receiver.stop().await;
}
