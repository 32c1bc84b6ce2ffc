//! Settings → Shop: slug with redirect, currency, time zone.

use shelfsync::domain::TokenScope;
use shelfsync::inventory::tokens::create_token;

use crate::common::{Backend, html, spawn_app, spawn_empty_app, text_of, with_conn};
use crate::on_both_backends;

on_both_backends!(
    a_new_slug_keeps_the_old_shop_address_redirecting,
    a_taken_or_invalid_slug_is_refused_beside_the_field,
    the_currency_cannot_change_while_items_have_prices,
    dashboard_times_are_in_the_shops_time_zone,
    the_storefront_url_pattern_is_checked_saved_and_shown,
    the_reservation_limits_are_saved_or_refused_beside_their_fields
);

async fn a_new_slug_keeps_the_old_shop_address_redirecting(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let saved = app
        .post_form(
            "/settings/shop",
            &[
                ("name", "Corner Goods & Co"),
                ("slug", "corner-goods-co"),
                ("currency", "USD"),
                ("time_zone", "UTC"),
            ],
        )
        .await;

    assert_eq!(saved.status(), 303);
    let old = app.get("/shop/corner-goods").await;
    assert_eq!(old.status(), 301);
    assert_eq!(
        old.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/shop/corner-goods-co")
    );
    let shop = app.get_html("/shop/corner-goods-co").await;
    assert_eq!(
        text_of(&shop, ".shop-head h1").as_deref(),
        Some("Corner Goods & Co")
    );
    assert_eq!(app.get("/shop/no-such-shop").await.status(), 404);
}

async fn a_taken_or_invalid_slug_is_refused_beside_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    crate::common::fixtures::other_merchant(&app);
    app.login().await;

    for slug in ["other-shop", "Not A Slug"] {
        let refused = app
            .post_form(
                "/settings/shop",
                &[
                    ("name", "Corner Goods"),
                    ("slug", slug),
                    ("currency", "USD"),
                    ("time_zone", "UTC"),
                ],
            )
            .await;
        assert_eq!(refused.status(), 422, "{slug}");
        let page = html(&refused.text().await.expect("a body"));
        assert!(
            text_of(&page, ".field-error[data-field=slug]").is_some(),
            "{slug}"
        );
    }
    assert_eq!(app.get("/shop/corner-goods").await.status(), 200);
    let bad_zone = app
        .post_form(
            "/settings/shop",
            &[
                ("name", "Corner Goods"),
                ("slug", "corner-goods"),
                ("currency", "USD"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(bad_zone.status(), 422);
}

async fn the_currency_cannot_change_while_items_have_prices(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let refused = app
        .post_form(
            "/settings/shop",
            &[
                ("name", "Corner Goods"),
                ("slug", "corner-goods"),
                ("currency", "EUR"),
                ("time_zone", "UTC"),
            ],
        )
        .await;

    assert_eq!(refused.status(), 422);
    let page = html(&refused.text().await.expect("a body"));
    assert!(
        text_of(&page, ".field-error[data-field=currency]")
            .unwrap_or_default()
            .contains("while items have prices")
    );
    let merchant = with_conn(&app.pool, |conn| {
        shelfsync::inventory::merchants::Merchant::find(conn, app.demo_merchant_id())
            .expect("merchant")
    });
    assert_eq!(merchant.currency.as_str(), "USD");

    // With no items yet, it can.
    let empty = spawn_empty_app(backend).await;
    let shop = with_conn(&empty.pool, |conn| {
        let input = shelfsync::inventory::setup::ShopInput {
            name: "Harbour Books",
            slug: "harbour-books",
            owner_email: "hanna@harbour.example",
            owner_password: "harbour-books-2026",
            ..Default::default()
        };
        let parsed = shelfsync::inventory::setup::NewShop::parse(&input, false).expect("valid");
        shelfsync::inventory::setup::open_shop(conn, &parsed).expect("opened")
    });
    empty
        .login_as(&empty.client, "hanna@harbour.example", "harbour-books-2026")
        .await;
    let changed = empty
        .post_form(
            "/settings/shop",
            &[
                ("name", "Harbour Books"),
                ("slug", "harbour-books"),
                ("currency", "EUR"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303);
    let merchant = with_conn(&empty.pool, |conn| {
        shelfsync::inventory::merchants::Merchant::find(conn, shop.merchant.id).expect("merchant")
    });
    assert_eq!(merchant.currency.as_str(), "EUR");
}

async fn dashboard_times_are_in_the_shops_time_zone(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let token = with_conn(&app.pool, |conn| {
        create_token(conn, merchant, "Zone", TokenScope::Storefront, None).expect("token")
    });
    // Kathmandu is UTC+05:45: no other offset gives these minutes.
    let saved = app
        .post_form(
            "/settings/shop",
            &[
                ("name", "Corner Goods"),
                ("slug", "corner-goods"),
                ("currency", "USD"),
                ("time_zone", "Asia/Kathmandu"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);

    let tokens = app.get_html("/settings/tokens").await;
    let shown = text_of(
        &tokens,
        &format!("tr[data-token-id='{}'] td:nth-child(5)", token.token.id),
    )
    .expect("the token's creation time");
    let local = token.token.created_at + chrono::TimeDelta::minutes(5 * 60 + 45);
    assert_eq!(shown, format!("{} +0545", local.format("%Y-%m-%d %H:%M")));
    let activity = app.get_html("/activity").await;
    assert!(
        text_of(&activity, "tr.audit-entry time")
            .unwrap_or_default()
            .ends_with("+0545"),
        "activity is in the shop's zone"
    );
}

/// Saves the shop settings with `pattern` as the storefront URL pattern.
async fn save_pattern(app: &crate::common::TestApp, pattern: &str) -> reqwest::Response {
    app.post_form(
        "/settings/shop",
        &[
            ("name", "Corner Goods"),
            ("slug", "corner-goods"),
            ("currency", "USD"),
            ("time_zone", "UTC"),
            ("storefront_url_pattern", pattern),
        ],
    )
    .await
}

fn stored_pattern(app: &crate::common::TestApp) -> Option<String> {
    with_conn(&app.pool, |conn| {
        shelfsync::inventory::merchants::Merchant::find(conn, app.demo_merchant_id())
    })
    .expect("the merchant")
    .storefront_url
    .map(|url| url.as_str().to_owned())
}

async fn the_storefront_url_pattern_is_checked_saved_and_shown(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let version = |app: &crate::common::TestApp| {
        with_conn(&app.pool, |conn| {
            shelfsync::inventory::merchants::Merchant::find(conn, app.demo_merchant_id())
        })
        .expect("the merchant")
        .catalog_version
    };
    let before = version(&app);

    for bad in [
        "https://example.com/products",
        "ftp://example.com/{sku}",
        "example.com/{sku}",
        "javascript:alert(1)//{sku}",
        "https://example.com/{sku}/{name}",
        "https://exa mple.com/{sku}",
    ] {
        let refused = save_pattern(&app, bad).await;

        assert_eq!(refused.status(), 422, "{bad}");
        let page = html(&refused.text().await.expect("a body"));
        let message = text_of(&page, ".field-error[data-field=storefront_url_pattern]")
            .unwrap_or_else(|| panic!("a message beside the field for {bad}"));
        assert!(!message.is_empty());
        assert_eq!(
            crate::common::attr_of(&page, "#storefront_url_pattern", "value").as_deref(),
            Some(bad),
            "what was typed stays"
        );
    }
    assert_eq!(stored_pattern(&app), None, "nothing was saved");
    assert_eq!(version(&app), before);

    let saved = save_pattern(&app, " https://shop.example/p/{id}?sku={sku} ").await;

    assert_eq!(saved.status(), 303);
    assert_eq!(
        stored_pattern(&app).as_deref(),
        Some("https://shop.example/p/{id}?sku={sku}")
    );
    assert!(version(&app) > before, "the shop's cards change with it");
    let form = app.get_html("/settings/shop").await;
    assert_eq!(
        crate::common::attr_of(&form, "#storefront_url_pattern", "value").as_deref(),
        Some("https://shop.example/p/{id}?sku={sku}")
    );
    let activity = app.get_html("/activity?kind=settings").await;
    assert!(
        activity
            .root_element()
            .text()
            .collect::<String>()
            .contains("https://shop.example/p/{id}?sku={sku}"),
        "the change is in the activity log"
    );

    let cleared = save_pattern(&app, "").await;

    assert_eq!(cleared.status(), 303);
    assert_eq!(stored_pattern(&app), None);
}

async fn the_reservation_limits_are_saved_or_refused_beside_their_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let form = |max: &'static str, hours: &'static str| {
        [
            ("name", "Corner Goods"),
            ("slug", "corner-goods"),
            ("currency", "USD"),
            ("time_zone", "UTC"),
            ("reservation_max_quantity", max),
            ("reservation_hold_hours", hours),
        ]
    };

    let refused = app
        .post_form("/settings/shop", &form("0", "two days"))
        .await;
    assert_eq!(refused.status(), 422);
    let page = html(&refused.text().await.expect("a body"));
    for field in ["reservation_max_quantity", "reservation_hold_hours"] {
        assert!(
            text_of(&page, &format!(".field-error[data-field={field}]")).is_some(),
            "a message beside {field}"
        );
    }

    let saved = app.post_form("/settings/shop", &form("3", "24")).await;
    assert_eq!(saved.status(), 303);
    let merchant = with_conn(&app.pool, |conn| {
        shelfsync::inventory::merchants::Merchant::find(conn, app.demo_merchant_id())
            .expect("the shop")
    });
    assert_eq!(
        (
            merchant.reservation_max_quantity,
            merchant.reservation_hold_hours
        ),
        (3, 24)
    );
    let shown = app.get_html("/settings/shop").await;
    assert_eq!(
        crate::common::attr_of(&shown, "#reservation_max_quantity", "value").as_deref(),
        Some("3")
    );
}
