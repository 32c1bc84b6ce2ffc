//! `/api/v1/storefront/reservations`: holds for pickup made, read and
//! cancelled by the storefront's server, with every bad input answered 4xx
//! naming its field and nothing held.

use diesel::prelude::*;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};
use shelfsync::db::schema::reservations;
use shelfsync::domain::{OnlineListing, TokenScope};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::{ItemChange, change_item};

use crate::common::fixtures::{fresh_key, new_item, other_merchant, receive_stock};
use crate::common::{Backend, TestApp, spawn_app};
use crate::on_both_backends;
use crate::support::token;

on_both_backends!(
    a_reservation_is_made_once_per_key_read_back_and_cancelled,
    every_bad_reservation_is_refused_naming_its_field_and_nothing_is_held,
    the_sixth_open_reservation_of_one_email_is_429,
    another_merchants_item_or_reservation_is_404
);

struct Api {
    app: TestApp,
    token: String,
    downtown: i64,
    riverside: i64,
    item: i64,
}

/// The demo shop with a fresh view-only item: 3 at Downtown, none at Riverside.
async fn api(backend: Backend) -> Api {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let token = token(&app, TokenScope::Storefront);
    let mut conn = app.conn();
    let stores = Location::all_of(&mut conn, merchant).expect("stores");
    let item = new_item(
        &mut conn,
        merchant,
        "RES-1",
        "Lantern",
        true,
        OnlineListing::ViewOnly,
    )
    .id;
    receive_stock(&mut conn, merchant, item, stores[0].id, 3);
    drop(conn);
    Api {
        app,
        token,
        downtown: stores[0].id,
        riverside: stores[1].id,
        item,
    }
}

impl Api {
    fn body(&self, quantity: i64, email: &str) -> Value {
        json!({
            "item_id": self.item, "location_id": self.downtown, "quantity": quantity,
            "name": "Ana Lima", "email": email,
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, bool, Value) {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(path))
            .header(AUTHORIZATION, format!("Bearer {}", self.token));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let replayed = response
            .headers()
            .get("Idempotent-Replayed")
            .is_some_and(|v| v == "true");
        let body = response.json().await.unwrap_or(Value::Null);
        (status, replayed, body)
    }

    async fn reserve(&self, body: &Value) -> (u16, Value) {
        let (status, _, body) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/storefront/reservations",
                Some(&fresh_key()),
                Some(body),
            )
            .await;
        (status, body)
    }

    fn held(&self) -> i64 {
        reservations::table
            .filter(reservations::item_id.eq(self.item))
            .filter(reservations::status.eq("open"))
            .count()
            .get_result(&mut self.app.conn())
            .expect("holds")
    }
}

async fn a_reservation_is_made_once_per_key_read_back_and_cancelled(backend: Backend) {
    let api = api(backend).await;
    let key = fresh_key();
    let body = api.body(2, "ana@example.com");

    let (status, replayed, made) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/storefront/reservations",
            Some(&key),
            Some(&body),
        )
        .await;
    let (again_status, again_replayed, again) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/storefront/reservations",
            Some(&key),
            Some(&body),
        )
        .await;

    assert_eq!((status, replayed), (201, false), "{made}");
    assert_eq!((again_status, again_replayed), (201, true));
    assert_eq!(again, made);
    let reservation = &made["reservation"];
    assert_eq!(reservation["status"], "open");
    assert_eq!(reservation["quantity"], 2);
    assert_eq!(reservation["item_id"], api.item);
    assert_eq!(reservation["pickup_code"].as_str().map(str::len), Some(6));
    assert!(reservation["expires_at"].is_string());
    assert_eq!(api.held(), 1);
    let id = reservation["id"].as_i64().expect("an id");
    let path = format!("/api/v1/storefront/reservations/{id}");

    let (read_status, _, read) = api.send(reqwest::Method::GET, &path, None, None).await;
    assert_eq!((read_status, &read["reservation"]), (200, reservation));

    let (cancel_status, _, cancelled) = api.send(reqwest::Method::DELETE, &path, None, None).await;
    assert_eq!(
        (cancel_status, &cancelled["reservation"]["status"]),
        (200, &json!("released"))
    );
    let (twice_status, _, twice) = api.send(reqwest::Method::DELETE, &path, None, None).await;
    assert_eq!(
        (twice_status, &twice["error"]["code"]),
        (409, &json!("reservation_closed"))
    );
    assert_eq!(api.held(), 0);
}

async fn every_bad_reservation_is_refused_naming_its_field_and_nothing_is_held(backend: Backend) {
    let api = api(backend).await;
    let merchant = api.app.demo_merchant_id();
    let (store_only, archived) = {
        let mut conn = api.app.conn();
        let store_only = new_item(
            &mut conn,
            merchant,
            "RES-2",
            "Store only",
            true,
            OnlineListing::Hidden,
        );
        let archived = new_item(
            &mut conn,
            merchant,
            "RES-3",
            "Archived",
            true,
            OnlineListing::ViewOnly,
        );
        change_item(
            &mut conn,
            &shelfsync::inventory::Actor::staff("Test"),
            merchant,
            archived.id,
            archived.version,
            &ItemChange::Archive(true),
        )
        .expect("archived");
        (store_only.id, archived.id)
    };
    let with = |field: &str, value: Value| {
        let mut body = api.body(1, "ana@example.com");
        body[field] = value;
        body
    };
    let without_contact = {
        let mut body = api.body(1, "ana@example.com");
        body.as_object_mut().expect("an object").remove("email");
        body
    };
    let cases = [
        (
            "above the maximum",
            with("quantity", json!(3)),
            422,
            "quantity",
        ),
        ("zero", with("quantity", json!(0)), 422, "quantity"),
        ("a fraction", with("quantity", json!(1.5)), 422, "quantity"),
        (
            "a store without stock",
            with("location_id", json!(api.riverside)),
            422,
            "location_id",
        ),
        (
            "an unknown store",
            with("location_id", json!(999_999)),
            422,
            "location_id",
        ),
        (
            "a store-only item",
            with("item_id", json!(store_only)),
            422,
            "item_id",
        ),
        (
            "an archived item",
            with("item_id", json!(archived)),
            422,
            "item_id",
        ),
        (
            "an invalid email",
            with("email", json!("not-an-email")),
            422,
            "email",
        ),
        (
            "an invalid phone",
            {
                let mut b = without_contact.clone();
                b["phone"] = json!("call me");
                b
            },
            422,
            "phone",
        ),
        ("no email or phone", without_contact.clone(), 422, "email"),
        ("no name", with("name", json!("  ")), 422, "name"),
    ];
    for (what, body, status, field) in cases {
        let (got, answer) = api.reserve(&body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(
            answer["error"]["details"]["field"], field,
            "{what}: {answer}"
        );
    }
    // Above what is free: 3 on hand, 2 held.
    assert_eq!(api.reserve(&api.body(2, "bo@example.com")).await.0, 201);
    let (got, answer) = api.reserve(&api.body(2, "cy@example.com")).await;
    assert_eq!(
        (got, &answer["error"]["details"]["field"]),
        (422, &json!("quantity")),
        "{answer}"
    );
    let (missing_key, _, answer) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/storefront/reservations",
            None,
            Some(&api.body(1, "dee@example.com")),
        )
        .await;
    assert_eq!(
        (missing_key, &answer["error"]["code"]),
        (400, &json!("idempotency_key_required"))
    );

    assert_eq!(api.held(), 1, "only the one good request holds anything");
}

async fn the_sixth_open_reservation_of_one_email_is_429(backend: Backend) {
    let api = api(backend).await;
    receive_stock(
        &mut api.app.conn(),
        api.app.demo_merchant_id(),
        api.item,
        api.downtown,
        10,
    );
    for _ in 0..5 {
        assert_eq!(api.reserve(&api.body(1, "ana@example.com")).await.0, 201);
    }

    let (status, answer) = api.reserve(&api.body(1, "ANA@example.com")).await;

    assert_eq!(
        (status, &answer["error"]["code"]),
        (429, &json!("too_many_reservations")),
        "{answer}"
    );
    assert_eq!(api.held(), 5);
}

async fn another_merchants_item_or_reservation_is_404(backend: Backend) {
    let api = api(backend).await;
    let other = other_merchant(&api.app);
    let mut body = api.body(1, "ana@example.com");
    body["item_id"] = json!(other.items[1].id);
    body["location_id"] = json!(other.location_id);

    let (status, answer) = api.reserve(&body).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &json!("not_found")),
        "{answer}"
    );

    let (made, mine) = api.reserve(&api.body(1, "ana@example.com")).await;
    assert_eq!(made, 201);
    let other_token = crate::support::token_for(&api.app, other.id, TokenScope::Storefront);
    let id = mine["reservation"]["id"].as_i64().expect("an id");
    let response = api
        .app
        .client
        .delete(
            api.app
                .url(&format!("/api/v1/storefront/reservations/{id}")),
        )
        .header(AUTHORIZATION, format!("Bearer {other_token}"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(api.held(), 1);
}
