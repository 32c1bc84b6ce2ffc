//! Tokens over HTTP: 401 without a valid token, 403 for the wrong scope,
//! revocation taking effect at once, and the settings page.

use serde_json::json;
use shelfsync::domain::TokenScope;

use crate::common::{self, Backend, spawn_app, text_of};
use crate::on_both_backends;

use super::support::{error_of, get, get_with, header, patch, read, token};

/// Every API endpoint with the scope it needs.
const ENDPOINTS: [(&str, &str, TokenScope); 4] = [
    ("GET", "/api/v1/storefront/items", TokenScope::Storefront),
    ("GET", "/api/v1/pos/items", TokenScope::Pos),
    ("GET", "/api/v1/items/1", TokenScope::Admin),
    ("PATCH", "/api/v1/items/1", TokenScope::Admin),
];

async fn call(
    app: &common::TestApp,
    method: &str,
    path: &str,
    auth: Option<&str>,
) -> reqwest::Response {
    let mut request = match method {
        "PATCH" => app.client.patch(app.url(path)).json(&json!({"version": 1})),
        _ => app.client.get(app.url(path)),
    };
    if let Some(auth) = auth {
        request = request.header("Authorization", auth);
    }
    request
        .send()
        .await
        .expect("the request should reach the server")
}

on_both_backends!(
    every_endpoint_answers_401_in_json_without_a_valid_token,
    every_endpoint_answers_403_to_a_token_of_another_scope,
    a_revoked_token_stops_working_on_the_very_next_request,
    the_settings_page_shows_a_new_secret_once_and_then_its_last_use,
    a_pos_token_must_name_a_store_on_the_settings_page,
    a_storefront_token_cannot_change_an_item
);

async fn every_endpoint_answers_401_in_json_without_a_valid_token(backend: Backend) {
    let app = spawn_app(backend).await;

    for (method, path, _) in ENDPOINTS {
        for auth in [
            None,
            Some("Bearer sst_not-a-real-token"),
            Some("Basic c2FtOnB3"),
            Some("Bearer "),
        ] {
            let (status, headers, body) = read(call(&app, method, path, auth).await).await;

            assert_eq!(status, 401, "{method} {path} with {auth:?}");
            assert_eq!(header(&headers, "content-type"), "application/json");
            assert_eq!(error_of(&body).0, "unauthorized");
        }
    }
}

async fn every_endpoint_answers_403_to_a_token_of_another_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let secrets: Vec<(TokenScope, String)> = TokenScope::ALL
        .iter()
        .map(|scope| (*scope, token(&app, *scope)))
        .collect();

    for (method, path, needed) in ENDPOINTS {
        for (scope, secret) in &secrets {
            let response = call(&app, method, path, Some(&format!("Bearer {secret}"))).await;
            let (status, _, body) = read(response).await;

            if *scope == needed {
                assert_ne!(status, 403, "{method} {path} with its own scope: {body}");
            } else {
                assert_eq!(status, 403, "{method} {path} with a {scope} token");
                assert_eq!(error_of(&body).0, "wrong_scope");
            }
        }
    }
}

async fn a_revoked_token_stops_working_on_the_very_next_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);
    let merchant = app.demo_merchant_id();
    let first = get(&app, &secret, "/api/v1/storefront/items").await;
    assert_eq!(
        first.status(),
        200,
        "the token works and is now remembered by the server"
    );
    let id =
        shelfsync::inventory::tokens::list_tokens(&mut app.conn(), merchant).expect("tokens")[0].id;

    // Revoke through the dashboard, as a merchant would.
    app.login().await;
    let response = app
        .post_form(&format!("/settings/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let (status, _, body) = read(get(&app, &secret, "/api/v1/storefront/items").await).await;

    assert_eq!(status, 401);
    assert_eq!(error_of(&body).0, "unauthorized");
}

async fn the_settings_page_shows_a_new_secret_once_and_then_its_last_use(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let created = app
        .post_form(
            "/settings/tokens",
            &[
                ("name", "Online store"),
                ("scope", "storefront"),
                ("location_id", "1"),
            ],
        )
        .await;
    assert_eq!(created.status(), 200);
    let page = common::html(&created.text().await.expect("a body"));
    let secret = text_of(&page, "#new-token-secret").expect("the secret, shown once");
    assert!(secret.starts_with("sst_"));
    assert_eq!(
        text_of(&page, "tr.token td:nth-child(6)").as_deref(),
        Some("never")
    );

    let used = get_with(
        &app,
        &secret,
        "/api/v1/storefront/items",
        ("Accept", "application/json"),
    )
    .await;
    assert_eq!(used.status(), 200);
    let page = app.get_html("/settings/tokens").await;

    assert!(
        text_of(&page, "#new-token-secret").is_none(),
        "the secret is not shown again"
    );
    assert!(
        !page.root_element().html().contains(&secret),
        "the secret is nowhere on the page"
    );
    let last_used = text_of(&page, "tr.token td:nth-child(6)").expect("a last-used cell");
    assert_ne!(last_used, "never");
    assert_eq!(
        text_of(&page, "tr.token td:nth-child(2)").as_deref(),
        Some("storefront")
    );
}

async fn a_pos_token_must_name_a_store_on_the_settings_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app
        .post_form(
            "/settings/tokens",
            &[("name", "Counter"), ("scope", "pos"), ("location_id", "")],
        )
        .await;

    assert_eq!(response.status(), 422);
    let page = common::html(&response.text().await.expect("a body"));
    assert_eq!(
        common::attr_of(&page, ".field-error", "data-field").as_deref(),
        Some("location_id")
    );
}

async fn a_storefront_token_cannot_change_an_item(backend: Backend) {
    let app = spawn_app(backend).await;
    let storefront = token(&app, TokenScope::Storefront);

    let (status, _, _) = read(
        patch(
            &app,
            &storefront,
            1,
            json!({"version": 1, "online": "hidden"}),
        )
        .await,
    )
    .await;

    assert_eq!(status, 403);
    let item =
        shelfsync::inventory::Item::find(&mut app.conn(), app.demo_merchant_id(), 1).expect("item");
    assert_eq!(item.version, 1);
}
