//! The dashboard's side of pushing: webhook settings, the delivery log with
//! *Resend*, and the counter page's live updates.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use shelfsync::inventory::webhooks::{self, signature};

use crate::common::{Backend, TestApp, attr_of, html, sel, spawn_app_with, text_of, with_conn};
use crate::on_both_backends;
use crate::support::*;

/// Adds an endpoint through the settings form; returns the secret shown.
async fn add_through_settings(app: &TestApp, url: &str) -> (i64, String) {
    let response = app
        .post_form(
            "/settings/webhooks",
            &[
                ("url", url),
                ("event_types", "item.listing_changed"),
                ("event_types", "item.stock_changed"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let doc = html(&response.text().await.expect("a body"));
    let secret = text_of(&doc, "#new-webhook-secret").expect("the new secret is shown");
    let id = attr_of(&doc, "[data-endpoint-id]", "data-endpoint-id")
        .and_then(|id| id.parse().ok())
        .expect("the endpoint's id");
    (id, secret)
}

fn flash(doc: &scraper::Html) -> String {
    text_of(doc, "#flash .notice").unwrap_or_default()
}

on_both_backends!(
    an_endpoint_is_added_from_settings_and_its_secret_is_shown_only_once,
    a_url_that_is_not_http_or_is_malformed_is_refused_with_a_message,
    send_test_event_reaches_the_receiver_signed_and_says_how_it_went,
    after_a_rotation_requests_verify_with_the_new_and_the_old_secret,
    the_delivery_log_shows_attempts_response_and_error_and_resend_sends_again,
    a_disabled_endpoint_holds_its_events_until_it_is_enabled_again,
    the_counter_page_hears_catalog_changes_live_and_redraws_its_table
);

async fn an_endpoint_is_added_from_settings_and_its_secret_is_shown_only_once(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    app.login().await;

    let (id, secret) = add_through_settings(&app, "https://shop.example/hooks/shelfsync").await;
    let again = app.get_html("/settings/webhooks").await;

    assert!(secret.starts_with("whsec_"));
    assert!(
        again.select(&sel("#new-webhook-secret")).next().is_none(),
        "the secret is not shown again"
    );
    let row = format!("tr.webhook-endpoint[data-endpoint-id='{id}']");
    assert_eq!(
        text_of(&again, &format!("{row} td a code")).as_deref(),
        Some("https://shop.example/hooks/shelfsync")
    );
    assert!(text_of(&again, &format!("{row} .badge")).is_some_and(|t| t == "Enabled"));
    assert!(!again.html().contains(&secret));
}

async fn a_url_that_is_not_http_or_is_malformed_is_refused_with_a_message(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    app.login().await;

    for bad in ["ftp://shop.example/hooks", "not a url", "https://"] {
        let response = app
            .post_form(
                "/settings/webhooks",
                &[("url", bad), ("event_types", "item.listing_changed")],
            )
            .await;

        assert_eq!(response.status(), 422, "{bad}");
        let doc = html(&response.text().await.expect("a body"));
        assert_eq!(
            attr_of(&doc, ".field-error", "data-field").as_deref(),
            Some("url"),
            "{bad}"
        );
        assert!(text_of(&doc, ".field-error").is_some_and(|m| !m.is_empty()));
    }
    let merchant = app.demo_merchant_id();
    assert!(
        with_conn(&app.pool, |conn| webhooks::list_endpoints(conn, merchant))
            .expect("list")
            .is_empty()
    );
}

async fn send_test_event_reaches_the_receiver_signed_and_says_how_it_went(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    app.login().await;
    let recorder = Arc::new(Recorder::default());
    let running = recorder_at(free_addr(), recorder.clone());
    let (id, secret) = add_through_settings(&app, &running.url()).await;

    let response = app
        .post_form(&format!("/settings/webhooks/{id}/test"), &[])
        .await;

    assert_eq!(response.status(), 303);
    let page = app.get_html("/settings/webhooks").await;
    assert!(flash(&page).contains("on its way"), "{}", flash(&page));
    // The dispatcher sends it shortly after; the list then says how it went.
    assert!(
        eventually(20, || recorder
            .received()
            .iter()
            .any(|r| r.event_type == "webhook.test"))
        .await,
        "the test event arrives"
    );
    let last_test = format!("tr[data-endpoint-id='{id}'] .last-test");
    let mut shown = None;
    for _ in 0..100 {
        let page = app.get_html("/settings/webhooks").await;
        if attr_of(&page, &last_test, "data-sent").as_deref() == Some("true") {
            shown = text_of(&page, &last_test);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        shown.as_deref().is_some_and(|t| t.contains("answered 204")),
        "{shown:?}"
    );
    let test = recorder
        .received()
        .into_iter()
        .find(|r| r.event_type == "webhook.test")
        .expect("the test event arrived");
    signature::verify(
        &test.signature,
        &secret,
        test.body.as_bytes(),
        chrono::Utc::now().timestamp(),
        300,
    )
    .expect("the test event is signed with the endpoint's secret");
    running.stop().await;
}

async fn after_a_rotation_requests_verify_with_the_new_and_the_old_secret(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let recorder = Arc::new(Recorder::default());
    let running = recorder_at(free_addr(), recorder.clone());
    let (id, old) = add_through_settings(&app, &running.url()).await;

    let response = app
        .post_form(&format!("/settings/webhooks/{id}/rotate"), &[])
        .await;
    let doc = html(&response.text().await.expect("a body"));
    let new = text_of(&doc, "#new-webhook-secret").expect("the new secret is shown once");
    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));

    assert_ne!(old, new);
    assert!(eventually(20, || recorder.count() >= 1).await);
    let got = &recorder.received()[0];
    let now = chrono::Utc::now().timestamp();
    signature::verify(&got.signature, &new, got.body.as_bytes(), now, 300)
        .expect("verifies with the new secret");
    signature::verify(&got.signature, &old, got.body.as_bytes(), now, 300)
        .expect("still verifies with the old one");
    assert!(
        text_of(
            &app.get_html("/settings/webhooks").await,
            &format!("tr[data-endpoint-id='{id}'] small")
        )
        .is_some_and(|t| t.contains("previous secret valid until"))
    );
    running.stop().await;
}

async fn the_delivery_log_shows_attempts_response_and_error_and_resend_sends_again(
    backend: Backend,
) {
    let app = spawn_app_with(backend, fast_push()).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let recorder = Arc::new(Recorder::default());
    recorder.answer.store(503, Ordering::SeqCst);
    let running = recorder_at(free_addr(), recorder.clone());
    let (id, _) = add_through_settings(&app, &running.url()).await;
    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));
    assert!(
        eventually(20, || recorder.count() >= 2).await,
        "retries arrive"
    );

    let failing = app.get_html(&format!("/settings/webhooks/{id}")).await;
    assert_eq!(
        attr_of(&failing, "tr.delivery", "data-status").as_deref(),
        Some("pending")
    );
    assert_eq!(
        text_of(&failing, "tr.delivery .status-code").as_deref(),
        Some("503")
    );
    // The log speaks the dashboard's words; the dotted names stay in the API.
    assert_eq!(
        text_of(&failing, "tr.delivery .badge").as_deref(),
        Some("Waiting")
    );
    let event_type = attr_of(&failing, "tr.delivery .event-type", "data-event-type")
        .expect("the event type's code");
    let shown = text_of(&failing, "tr.delivery .event-type").expect("the event type");
    assert!(
        !shown.contains('.') && !shown.contains('_') && shown != event_type,
        "{event_type} is shown as {shown:?}"
    );
    assert!(text_of(&failing, "tr.delivery .last-error").is_some_and(|e| e.contains("503")));
    assert!(
        text_of(&failing, "tr.delivery .attempts")
            .and_then(|a| a.parse::<i32>().ok())
            .is_some_and(|a| a >= 1)
    );

    recorder.answer.store(0, Ordering::SeqCst);
    let delivered = eventually(20, || {
        with_conn(&app.pool, |conn| {
            crate::support::delivery_log(conn, merchant, id, false, 1)
        })
        .expect("log")[0]
            .status
            == webhooks::DeliveryStatus::Delivered
    })
    .await;
    assert!(delivered);
    let before = recorder.count();
    let delivery_id = attr_of(
        &app.get_html(&format!("/settings/webhooks/{id}")).await,
        "tr.delivery",
        "data-delivery-id",
    )
    .expect("a delivery row");
    let attempts_before = with_conn(&app.pool, |conn| {
        crate::support::delivery_log(conn, merchant, id, false, 1)
    })
    .expect("log")[0]
        .attempts;
    let response = app
        .post_form(
            &format!("/settings/webhooks/deliveries/{delivery_id}/resend"),
            &[],
        )
        .await;

    // The dispatcher sends it shortly after, not the request itself.
    assert_eq!(response.status(), 303);
    let log = app.get_html(&format!("/settings/webhooks/{id}")).await;
    assert!(
        flash(&log).contains("queued to be sent again"),
        "{}",
        flash(&log)
    );
    assert!(
        eventually(20, || recorder.count() == before + 1).await,
        "the event was sent again"
    );
    let received = recorder.received();
    assert_eq!(
        received[before].event_id, received[0].event_id,
        "the same event id, so receivers de-duplicate"
    );
    assert!(
        eventually(20, || with_conn(&app.pool, |conn| {
            crate::support::delivery_log(conn, merchant, id, false, 1)
        })
        .expect("log")[0]
            .attempts
            == attempts_before + 1)
        .await,
        "the resend is one more attempt in the log"
    );
    let log = app.get_html(&format!("/settings/webhooks/{id}")).await;
    assert_eq!(
        text_of(&log, "tr.delivery .status-code").as_deref(),
        Some("204")
    );
    assert!(
        log.select(&sel("tr.delivery .resend-waiting"))
            .next()
            .is_none(),
        "no resend is waiting any more"
    );
    running.stop().await;
}

async fn a_disabled_endpoint_holds_its_events_until_it_is_enabled_again(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let recorder = Arc::new(Recorder::default());
    let running = recorder_at(free_addr(), recorder.clone());
    let (id, _) = add_through_settings(&app, &running.url()).await;
    app.post_form(&format!("/settings/webhooks/{id}/disable"), &[])
        .await;

    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 3));
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let while_disabled = recorder.count();
    let page = app.get_html("/settings/webhooks").await;
    app.post_form(&format!("/settings/webhooks/{id}/enable"), &[])
        .await;

    assert_eq!(while_disabled, 0);
    assert_eq!(
        text_of(&page, &format!("tr[data-endpoint-id='{id}'] .waiting")).as_deref(),
        Some("3")
    );
    assert!(
        eventually(20, || recorder.count() >= 3).await,
        "the held events go out once enabled"
    );
    running.stop().await;
}

async fn the_counter_page_hears_catalog_changes_live_and_redraws_its_table(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let location = {
        use diesel::prelude::*;
        use shelfsync::db::schema::locations;
        with_conn(&app.pool, |conn| {
            locations::table
                .filter(locations::merchant_id.eq(merchant))
                .order(locations::id)
                .select(locations::id)
                .first::<i64>(conn)
        })
        .expect("a store")
    };
    let page = app.get_html(&format!("/counter?location={location}")).await;
    assert_eq!(
        attr_of(&page, "#counter-live", "data-live-url").as_deref(),
        Some("/counter/events")
    );
    let live = app
        .client
        .get(app.url("/counter/events"))
        .send()
        .await
        .expect("the live stream opens");
    assert_eq!(live.status(), 200);
    let mut stream = SseReader::new(live);

    let versions = with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));
    let frame = stream.next_event(10).await.expect("a catalog event");
    let table = app
        .client
        .get(app.url(&format!("/counter?location={location}")))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("the table");

    assert_eq!(frame.event.as_deref(), Some("catalog"));
    let data: serde_json::Value = serde_json::from_str(&frame.data).expect("JSON");
    assert_eq!(data["catalog_version"], versions[0]);
    let fragment = crate::common::fragment(&table.text().await.expect("a body"));
    assert_eq!(
        attr_of(&fragment, "#counter-list", "data-catalog-version"),
        Some(versions[0].to_string())
    );
    assert!(
        fragment.select(&sel("header.topbar")).next().is_none(),
        "only the table, not the page"
    );
}
