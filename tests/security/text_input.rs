//! A NUL byte (or another control character) in any text input — a form
//! field, a query parameter, a JSON string, the shop's slug — is refused with
//! a 4xx naming the field, before it reaches the database, and changes nothing.

use serde_json::{Value, json};
use shelfsync::domain::TokenScope;
use shelfsync::inventory::merchants::{Location, Merchant};
use shelfsync::inventory::tokens::{create_token, list_tokens};

use crate::common::{Backend, TestApp, attr_of, html, new_client, spawn_app, text_of, with_conn};
use crate::on_both_backends;

on_both_backends!(
    a_nul_in_any_form_field_is_refused_naming_the_field_and_changes_nothing,
    a_nul_in_any_query_parameter_is_refused_naming_the_parameter,
    a_nul_in_any_json_string_is_refused_naming_the_field_and_changes_nothing,
    a_nul_in_the_shops_slug_or_the_login_email_is_a_4xx_not_a_500
);

const NUL: &str = "ab\u{0}cd";

/// The catalog version, the number of tokens and of items: what a refused
/// request must leave as it was.
fn state_of(app: &TestApp) -> (i64, usize, i64) {
    let merchant = app.demo_merchant_id();
    with_conn(&app.pool, |conn| {
        use diesel::prelude::*;
        use shelfsync::db::schema::{items, webhook_endpoints};
        let items: i64 = items::table.count().get_result(conn).expect("items");
        let endpoints: i64 = webhook_endpoints::table
            .count()
            .get_result(conn)
            .expect("endpoints");
        (
            Merchant::find(conn, merchant)
                .expect("merchant")
                .catalog_version,
            list_tokens(conn, merchant).expect("tokens").len(),
            items * 1000 + endpoints,
        )
    })
}

/// The field a dashboard error page names, from its message (“field”).
fn named_field(message: &str) -> Option<&str> {
    let start = message.find('“')? + '“'.len_utf8();
    let end = start + message[start..].find('”')?;
    Some(&message[start..end])
}

async fn a_nul_in_any_form_field_is_refused_naming_the_field_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let doc = app.get_html("/items").await;
    let item = attr_of(&doc, "tr[data-item-id]", "data-item-id").expect("an item");
    let version = attr_of(&doc, "tr[data-item-id]", "data-version").expect("its version");
    let store = with_conn(&app.pool, |conn| {
        Location::all_of(conn, app.demo_merchant_id()).expect("stores")[0].id
    })
    .to_string();
    let token = app.csrf_token().await;
    let grid_row = format!("{item}:{version}");
    let price_cell = format!("cell-{item}-price");
    let item_fields = [
        ("sku", "NEW-1"),
        ("name", "New mug"),
        ("description", "A mug"),
        ("price", "12.50"),
        ("barcode", ""),
        ("in_store", "1"),
        ("online", "for_sale"),
        ("version", version.as_str()),
    ];
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/items/new".into(), item_fields.to_vec()),
        (format!("/items/{item}"), item_fields.to_vec()),
        (
            format!("/items/{item}/designation"),
            vec![
                ("action", "sell_online"),
                ("version", &version),
                ("return_to", "/items"),
            ],
        ),
        (
            format!("/items/{item}/archive"),
            vec![("version", &version), ("to", "archive")],
        ),
        (
            format!("/items/{item}/stock/receive"),
            vec![
                ("location_id", &store),
                ("quantity", "3"),
                ("reason", "delivery"),
                ("idempotency_key", "k-1"),
            ],
        ),
        (
            format!("/items/{item}/stock/settings"),
            vec![
                ("online_buffer", "1"),
                ("allow_backorder", "1"),
                ("auto_view_only", "1"),
                ("version", &version),
            ],
        ),
        (
            "/settings/online-buffer".into(),
            vec![("online_buffer", "2"), ("return_to", "/settings/tokens")],
        ),
        (
            "/items/bulk-edit".into(),
            vec![
                ("column", "price"),
                ("row", &grid_row),
                (&price_cell, "12.00"),
                ("q", "mug"),
            ],
        ),
        (
            "/items/bulk".into(),
            vec![
                ("ids", &item),
                ("q", "mug"),
                ("filter", "all"),
                ("action", "sell_online"),
                ("apply", "valid_only"),
            ],
        ),
        (
            "/settings/tokens".into(),
            vec![
                ("name", "Online store"),
                ("scope", "storefront"),
                ("location_id", ""),
            ],
        ),
        (
            "/settings/webhooks".into(),
            vec![
                ("url", "https://example.com/hook"),
                ("event_types", "item.listing_changed"),
            ],
        ),
    ];
    let before = state_of(&app);

    for (path, fields) in &forms {
        for (bad, _) in fields {
            let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
            form.extend(
                fields
                    .iter()
                    .map(|&(name, value)| (name, if name == *bad { NUL } else { value })),
            );
            let response = app
                .client
                .post(app.url(path))
                .form(&form)
                .send()
                .await
                .expect("an answer");

            assert_eq!(response.status(), 400, "POST {path} with a NUL in {bad}");
            let doc = html(&response.text().await.expect("a body"));
            let message = text_of(&doc, ".error-message").expect("an error page");
            assert_eq!(named_field(&message), Some(*bad), "POST {path}: {message}");
        }
    }

    assert_eq!(state_of(&app), before, "nothing changed");
}

async fn a_nul_in_any_query_parameter_is_refused_naming_the_parameter(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (storefront, pos) = with_conn(&app.pool, |conn| {
        let store = Location::all_of(conn, merchant).expect("stores")[0].id;
        (
            create_token(conn, merchant, "shop", TokenScope::Storefront, None)
                .expect("token")
                .secret,
            create_token(conn, merchant, "till", TokenScope::Pos, Some(store))
                .expect("token")
                .secret,
        )
    });
    app.login().await;
    let pages = [
        ("/items", ["q", "filter", "sort", "page"].as_slice()),
        ("/items/bulk-edit", &["ids", "q", "filter"]),
        ("/counter", &["location", "show", "after"]),
        ("/activity", &["item", "before"]),
        ("/settings/webhooks/1", &["show"]),
        ("/shop/corner-goods", &["after"]),
        ("/login", &["next"]),
    ];
    for (path, names) in pages {
        for name in names {
            for encoded in ["ab%00cd", "%1b%5B2J", "x%7F", "%C2%85"] {
                let url = format!("{path}?{name}={encoded}");
                let response = app.get(&url).await;
                assert_eq!(response.status(), 400, "GET {url}");
                let doc = html(&response.text().await.expect("a body"));
                let message = text_of(&doc, ".error-message").expect("an error page");
                assert_eq!(named_field(&message), Some(*name), "GET {url}: {message}");
            }
        }
    }
    let api = [
        (
            &storefront,
            "/api/v1/storefront/items",
            ["limit", "cursor", "since_version", "include"].as_slice(),
        ),
        (
            &pos,
            "/api/v1/pos/items",
            &["location_id", "include", "cursor"],
        ),
        (&storefront, "/api/v1/storefront/events", &["last_event_id"]),
    ];
    for (token, path, names) in api {
        for name in names {
            let url = format!("{path}?{name}=ab%00cd");
            let response = new_client()
                .get(app.url(&url))
                .bearer_auth(token)
                .send()
                .await
                .expect("an answer");
            assert_eq!(response.status(), 422, "GET {url}");
            let body: Value = response.json().await.expect("a JSON error");
            assert_eq!(body["error"]["code"], "invalid_parameter", "{url}");
            assert_eq!(body["error"]["details"]["parameter"], *name, "{url}");
        }
    }
}

async fn a_nul_in_any_json_string_is_refused_naming_the_field_and_changes_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (admin, storefront, pos, store) = with_conn(&app.pool, |conn| {
        let store = Location::all_of(conn, merchant).expect("stores")[0].id;
        (
            create_token(conn, merchant, "admin", TokenScope::Admin, None)
                .expect("token")
                .secret,
            create_token(conn, merchant, "shop", TokenScope::Storefront, None)
                .expect("token")
                .secret,
            create_token(conn, merchant, "till", TokenScope::Pos, Some(store))
                .expect("token")
                .secret,
            store,
        )
    });
    let item: Value = new_client()
        .get(app.url("/api/v1/items/1"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("the item");
    let version = item["item"]["version"].as_i64().expect("a version");
    let before = state_of(&app);

    let patches = [
        ("sku", json!({"version": version, "sku": NUL})),
        ("name", json!({"version": version, "name": NUL})),
        (
            "description",
            json!({"version": version, "description": NUL}),
        ),
        ("barcode", json!({"version": version, "barcode": NUL})),
        ("online", json!({"version": version, "online": NUL})),
        (
            "price.currency",
            json!({"version": version, "price": {"amount": 100, "currency": NUL}}),
        ),
    ];
    for (field, body) in patches {
        let response = new_client()
            .patch(app.url("/api/v1/items/1"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 422, "PATCH with a NUL in {field}");
        let body: Value = response.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], "invalid_field");
        assert_eq!(body["error"]["details"]["field"], field);
    }
    let writes = [
        (
            &storefront,
            "/api/v1/storefront/orders",
            json!({"lines": [{"item_id": 1, "quantity": 1}], "fulfilment": {"type": "ship"}, "reference": NUL}),
            "reference",
        ),
        (
            &storefront,
            "/api/v1/storefront/orders",
            json!({"lines": [{"item_id": 1, "quantity": 1}], "fulfilment": {"type": NUL}}),
            "fulfilment.type",
        ),
        (
            &pos,
            "/api/v1/pos/sales",
            json!({"location_id": store, "lines": [{"item_id": 1, "quantity": NUL}]}),
            "lines[0].quantity",
        ),
        (
            &pos,
            "/api/v1/pos/sales",
            json!({"location_id": store, "lines": [{"item_id": 1, "quantity": 1}], "reference": NUL}),
            "reference",
        ),
    ];
    for (token, path, body, field) in writes {
        let response = new_client()
            .post(app.url(path))
            .bearer_auth(token)
            .header("Idempotency-Key", format!("nul-{field}"))
            .json(&body)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 422, "POST {path} with a NUL in {field}");
        let body: Value = response.json().await.expect("a JSON error");
        assert_eq!(body["error"]["details"]["field"], field, "{path}");
    }

    assert_eq!(state_of(&app), before, "nothing changed");
}

async fn a_nul_in_the_shops_slug_or_the_login_email_is_a_4xx_not_a_500(backend: Backend) {
    let app = spawn_app(backend).await;

    let shop = app.get("/shop/ab%00cd").await;
    let not_a_slug = app.get("/shop/Not%20A%20Slug").await;
    let client = new_client();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page");
    let token = attr_of(
        &html(&page.text().await.expect("a body")),
        "input[name=csrf_token]",
        "value",
    )
    .expect("a CSRF token");
    let login = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "sam\u{0}@cornergoods.example"),
            ("password", "x"),
        ])
        .send()
        .await
        .expect("an answer");

    assert_eq!(shop.status(), 400);
    let doc = html(&shop.text().await.expect("a body"));
    assert!(
        text_of(&doc, ".error-message").is_some_and(|m| m.contains("slug")),
        "the message names the slug"
    );
    assert_eq!(not_a_slug.status(), 404);
    assert_eq!(login.status(), 400);
    let doc = html(&login.text().await.expect("a body"));
    let message = text_of(&doc, ".error-message").expect("an error page");
    assert_eq!(named_field(&message), Some("email"));
}
