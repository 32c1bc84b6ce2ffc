//! Webhooks go to public addresses only: local and private URLs are refused
//! when saved (dashboard and API) and, for an endpoint saved while the
//! server allowed them, when connecting; redirects are not followed; and a
//! receiver's answer reaches the merchant only as a short, escaped excerpt.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use shelfsync::config::PushArgs;
use shelfsync::db::schema::{webhook_deliveries, webhook_endpoints};
use shelfsync::domain::TokenScope;

use crate::common::{Backend, attr_of, html, sel, spawn_app_with, text_of, with_conn};
use crate::on_both_backends;
use crate::support::{
    Recorder, add_endpoint, catalog_changes, eventually, fast_push, free_addr, recorder_at,
    serve_at, token,
};

/// The fast test settings with private destinations refused, as in production.
fn public_only() -> PushArgs {
    PushArgs {
        allow_private_webhooks: false,
        ..fast_push()
    }
}

/// URLs that point at this machine, a private network or a metadata service.
const LOCAL_URLS: &[&str] = &[
    "http://127.0.0.1:9/",
    "http://localhost/hooks",
    "http://localhost./hooks",
    "http://[::1]/hooks",
    "http://10.0.0.1/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://2130706433/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "http://192.168.1.10:8080/hooks",
];

on_both_backends!(
    local_and_private_webhook_urls_are_refused_when_saved,
    an_endpoint_saved_while_private_urls_were_allowed_is_refused_at_connect_time,
    a_redirect_is_not_followed,
    a_receivers_answer_shows_only_as_a_short_escaped_excerpt,
);

async fn local_and_private_webhook_urls_are_refused_when_saved(backend: Backend) {
    let app = spawn_app_with(backend, public_only()).await;
    app.login().await;
    let admin = with_conn(&app.pool, |conn| {
        token(conn, app.demo_merchant_id(), TokenScope::Admin)
    });

    for url in LOCAL_URLS {
        let form = app
            .post_form(
                "/settings/webhooks",
                &[("url", url), ("event_types", "item.listing_changed")],
            )
            .await;
        let api = app
            .client
            .post(app.url("/api/v1/webhooks/endpoints"))
            .bearer_auth(&admin)
            .json(&serde_json::json!({ "url": url }))
            .send()
            .await
            .expect("the API answers");

        assert_eq!(form.status(), 422, "dashboard, {url}");
        let page = html(&form.text().await.expect("a body"));
        assert_eq!(
            attr_of(&page, ".field-error", "data-field").as_deref(),
            Some("url"),
            "{url}"
        );
        assert_eq!(api.status(), 422, "API, {url}");
        let body: serde_json::Value = api.json().await.expect("JSON");
        assert_eq!(body["error"]["details"]["field"], "url", "{url}: {body}");
    }
    let saved: i64 = with_conn(&app.pool, |conn| {
        webhook_endpoints::table.count().get_result(conn)
    })
    .expect("a count");
    assert_eq!(saved, 0, "no local endpoint was saved");
}

async fn an_endpoint_saved_while_private_urls_were_allowed_is_refused_at_connect_time(
    backend: Backend,
) {
    let app = spawn_app_with(backend, public_only()).await;
    let recorder = Arc::new(Recorder::default());
    let receiver = recorder_at(free_addr(), recorder.clone());
    let merchant = app.demo_merchant_id();
    // Saved by a server that allowed private URLs (the service's
    // save-time check is passed by with `AnyAddress`): one literal address,
    // one name that resolves to loopback.
    let (literal, named) = with_conn(&app.pool, |conn| {
        (
            add_endpoint(conn, merchant, &receiver.url()).endpoint.id,
            add_endpoint(
                conn,
                merchant,
                &format!("http://localhost:{}/webhooks", receiver.addr.port()),
            )
            .endpoint
            .id,
        )
    });

    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));
    let failed = |endpoint: i64| {
        with_conn(&app.pool, |conn| {
            webhook_deliveries::table
                .filter(webhook_deliveries::endpoint_id.eq(endpoint))
                .filter(webhook_deliveries::status.eq("failed"))
                .select(webhook_deliveries::last_error)
                .load::<Option<String>>(conn)
                .expect("deliveries")
        })
    };
    let both_failed = eventually(20, || {
        !failed(literal).is_empty() && !failed(named).is_empty()
    })
    .await;

    assert!(both_failed, "each delivery is marked failed at once");
    for endpoint in [literal, named] {
        let reason = failed(endpoint)[0].clone().unwrap_or_default();
        assert!(
            reason.contains("not a public address"),
            "the reason says why: {reason}"
        );
    }
    assert_eq!(recorder.count(), 0, "nothing reached the local receiver");
    receiver.stop().await;
}

async fn a_redirect_is_not_followed(backend: Backend) {
    // Private addresses allowed, to reach a receiver on this machine at all.
    let app = spawn_app_with(backend, fast_push()).await;
    let inner = Arc::new(Recorder::default());
    let internal = recorder_at(free_addr(), inner.clone());
    let target = internal.url();
    let redirecting = serve_at(free_addr(), move |cfg: &mut web::ServiceConfig| {
        let target = target.clone();
        cfg.route(
            "/webhooks",
            web::post().to(move || {
                let target = target.clone();
                async move {
                    HttpResponse::Found()
                        .insert_header(("Location", target))
                        .finish()
                }
            }),
        );
    });
    let merchant = app.demo_merchant_id();
    let endpoint = with_conn(&app.pool, |conn| {
        add_endpoint(
            conn,
            merchant,
            &format!("http://{}/webhooks", redirecting.addr),
        )
        .endpoint
        .id
    });

    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));
    let answered_302 = eventually(20, || {
        with_conn(&app.pool, |conn| {
            webhook_deliveries::table
                .filter(webhook_deliveries::endpoint_id.eq(endpoint))
                .select(webhook_deliveries::last_status_code)
                .first::<Option<i32>>(conn)
                .optional()
                .expect("a delivery")
                .flatten()
                == Some(302)
        })
    })
    .await;

    assert!(answered_302, "the redirect is recorded as the answer");
    assert_eq!(inner.count(), 0, "the redirect's target got nothing");
    internal.stop().await;
    redirecting.stop().await;
}

async fn a_receivers_answer_shows_only_as_a_short_escaped_excerpt(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let internal_page = format!(
        "<script>alert(1)</script>INTERNAL {}",
        "admin-password=hunter2 ".repeat(500)
    );
    let page = internal_page.clone();
    let receiver = serve_at(free_addr(), move |cfg: &mut web::ServiceConfig| {
        let page = page.clone();
        cfg.route(
            "/webhooks",
            web::post().to(move || {
                let page = page.clone();
                async move { HttpResponse::InternalServerError().body(page) }
            }),
        );
    });
    app.login().await;
    let merchant = app.demo_merchant_id();
    let endpoint = with_conn(&app.pool, |conn| {
        add_endpoint(
            conn,
            merchant,
            &format!("http://{}/webhooks", receiver.addr),
        )
        .endpoint
        .id
    });

    let sent = app
        .post_form(&format!("/settings/webhooks/{endpoint}/test"), &[])
        .await;
    assert_eq!(sent.status(), 303);
    let mut shown = None;
    for _ in 0..100 {
        let page = app.get_html("/settings/webhooks").await;
        if attr_of(&page, ".last-test", "data-sent").as_deref() == Some("true") {
            shown = Some(page);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let page = shown.expect("the test event was sent");
    let text = text_of(&page, ".last-test").expect("the test result");
    assert!(text.contains("500"), "the status code shows: {text}");
    assert!(text.len() < 300, "only a short excerpt shows: {text}");
    assert_eq!(
        page.select(&sel(".last-test script")).count(),
        0,
        "the answer is text, not markup"
    );
    assert!(
        !text.contains(&"admin-password=hunter2 ".repeat(10)),
        "not the internal page"
    );
    receiver.stop().await;
}
