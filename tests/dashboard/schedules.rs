//! Scheduled designation changes: planned on the item page in the shop's
//! time zone, listed on the item and on `/items/schedules`, cancelled, and
//! applied once when due (or refused with the reason) with the due and
//! applied times on /activity. Applying after a restart is in
//! `push/schedules.rs`, with real servers.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use shelfsync::db::schema::{audit_entries, scheduled_changes};
use shelfsync::inventory::merchants::Merchant;
use shelfsync::inventory::schedules::{self, ScheduleStatus};
use shelfsync::inventory::{Actor, DesignationChange, Item};

use crate::common::demo::{SPECKLED_MUG_IN_STORE_ONLY, TEAPOT_ONLINE_ONLY};
use crate::common::fixtures::other_merchant;
use crate::common::{Backend, TestApp, attr_of, html, sel, spawn_app, text_of, with_conn};
use crate::on_both_backends;

on_both_backends!(
    a_manager_schedules_a_launch_sees_it_listed_and_cancels_it,
    a_due_change_applies_once_and_shows_on_activity_with_its_due_and_applied_times,
    a_change_the_rules_refuse_when_due_is_recorded_as_refused_and_changes_nothing,
    bad_schedule_input_is_shown_beside_the_field_and_stores_nothing,
    selected_rows_of_the_item_list_are_scheduled_together_or_not_at_all,
    another_merchants_item_or_schedule_is_not_found
);

fn utc_now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// `at` as the shop's `datetime-local` field reads it.
fn local_input(app: &TestApp, at: NaiveDateTime) -> String {
    let zone = with_conn(&app.pool, |conn| {
        Merchant::find(conn, app.demo_merchant_id())
            .expect("the demo merchant")
            .time_zone
    });
    zone.local(at).format("%Y-%m-%dT%H:%M").to_string()
}

fn statuses(app: &TestApp) -> Vec<String> {
    with_conn(&app.pool, |conn| {
        scheduled_changes::table
            .order(scheduled_changes::id)
            .select(scheduled_changes::status)
            .load(conn)
            .expect("scheduled changes")
    })
}

/// A change planned an hour ago that fell due a minute ago.
fn due_already(app: &TestApp, item_id: i64, change: DesignationChange) -> i64 {
    let due = local_input(app, utc_now() - TimeDelta::minutes(1));
    let merchant = app.demo_merchant_id();
    with_conn(&app.pool, |conn| {
        schedules::schedule(
            conn,
            &Actor::system(),
            merchant,
            item_id,
            change,
            &due,
            utc_now() - TimeDelta::hours(1),
        )
        .expect("a scheduled change")
        .id
    })
}

/// Runs the scheduler's job now, as a server's scheduler would; returns
/// once the change is applied (by this run or by the app's own scheduler).
fn run_due(app: &TestApp) {
    with_conn(&app.pool, |conn| {
        schedules::apply_due(conn, utc_now()).expect("the job runs")
    });
}

fn scheduled_entries(app: &TestApp, item_id: i64) -> Vec<String> {
    with_conn(&app.pool, |conn| {
        audit_entries::table
            .filter(audit_entries::item_id.eq(item_id))
            .filter(audit_entries::field.eq("scheduled_change"))
            .select(audit_entries::new_value)
            .load(conn)
            .expect("entries")
    })
}

async fn a_manager_schedules_a_launch_sees_it_listed_and_cancels_it(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let friday = local_input(&app, utc_now() + TimeDelta::days(3));

    let response = app
        .post_form(
            &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/schedules"),
            &[("change", "sell_online"), ("due_at", &friday)],
        )
        .await;

    assert_eq!(response.status(), 303);
    let page = app
        .get_html(&format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}"))
        .await;
    assert_eq!(
        text_of(&page, ".scheduled-change .what").as_deref(),
        Some("Sell online")
    );
    let due = text_of(&page, ".scheduled-change .due").expect("the due time");
    assert!(
        due.contains(&friday.replace('T', " ")),
        "{due} is {friday} in the shop's time zone"
    );
    let items = app.get_html("/items").await;
    assert_eq!(
        attr_of(&items, "a#scheduled-changes", "href").as_deref(),
        Some("/items/schedules")
    );
    let list = app.get_html("/items/schedules").await;
    let row = format!("tr.scheduled-change[data-item-id='{SPECKLED_MUG_IN_STORE_ONLY}']");
    assert_eq!(
        text_of(&list, &format!("{row} .what")).as_deref(),
        Some("Sell online")
    );
    let id = attr_of(&list, &row, "data-id").expect("the change's id");

    let cancelled = app
        .post_form(
            &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/schedules/{id}/cancel"),
            &[("return_to", "/items/schedules")],
        )
        .await;

    assert_eq!(cancelled.status(), 303);
    assert_eq!(
        cancelled
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok()),
        Some("/items/schedules")
    );
    let list = app.get_html("/items/schedules").await;
    assert_eq!(list.select(&sel("tr.scheduled-change")).count(), 0);
    assert_eq!(statuses(&app), vec!["cancelled"]);
    let again = app
        .post_form(
            &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/schedules/{id}/cancel"),
            &[],
        )
        .await;
    assert_eq!(
        again.status(),
        409,
        "only a pending change can be cancelled"
    );
}

async fn a_due_change_applies_once_and_shows_on_activity_with_its_due_and_applied_times(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let before = with_conn(&app.pool, |conn| {
        Item::find(conn, merchant, SPECKLED_MUG_IN_STORE_ONLY).expect("the mug")
    });
    due_already(
        &app,
        SPECKLED_MUG_IN_STORE_ONLY,
        DesignationChange::SELL_ONLINE,
    );

    run_due(&app);
    run_due(&app);

    let after = with_conn(&app.pool, |conn| {
        Item::find(conn, merchant, SPECKLED_MUG_IN_STORE_ONLY).expect("the mug")
    });
    assert_eq!(after.online().as_str(), "for_sale");
    assert_eq!(after.version, before.version + 1, "applied once");
    assert_eq!(statuses(&app), vec!["applied"]);
    assert_eq!(scheduled_entries(&app, SPECKLED_MUG_IN_STORE_ONLY).len(), 1);
    let activity = app.get_html("/activity").await;
    let entry = "tr.audit-entry[data-field='scheduled_change']";
    assert_eq!(
        text_of(&activity, &format!("{entry} .actor-name")).as_deref(),
        Some("scheduler")
    );
    let change = text_of(&activity, &format!("{entry} .new")).expect("the entry's value");
    assert!(
        change.starts_with("For sale online: applied (due ") && change.contains(", applied "),
        "{change}"
    );
    let online = "tr.audit-entry[data-field='online'] .actor-name";
    assert_eq!(text_of(&activity, online).as_deref(), Some("scheduler"));
}

async fn a_change_the_rules_refuse_when_due_is_recorded_as_refused_and_changes_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let before = with_conn(&app.pool, |conn| {
        Item::find(conn, merchant, TEAPOT_ONLINE_ONLY).expect("the teapot")
    });
    // View-only needs the item sold in store, which the teapot is not.
    let id = due_already(
        &app,
        TEAPOT_ONLINE_ONLY,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
    );

    run_due(&app);

    let after = with_conn(&app.pool, |conn| {
        Item::find(conn, merchant, TEAPOT_ONLINE_ONLY).expect("the teapot")
    });
    assert_eq!(after.version, before.version, "nothing changed");
    assert_eq!(after.designation, before.designation);
    let refused = with_conn(&app.pool, |conn| {
        schedules::find(conn, merchant, id).expect("the change")
    });
    assert_eq!(refused.status, ScheduleStatus::Refused);
    assert!(refused.refusal.contains("in store"), "{}", refused.refusal);
    assert!(refused.applied_at.is_some(), "when it was checked");
    let entries = scheduled_entries(&app, TEAPOT_ONLINE_ONLY);
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0].starts_with("View online, buy in store: refused, "),
        "{}",
        entries[0]
    );
}

async fn bad_schedule_input_is_shown_beside_the_field_and_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let path = format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/schedules");
    let past = local_input(&app, utc_now() - TimeDelta::hours(2));
    let future = local_input(&app, utc_now() + TimeDelta::days(1));
    let cases: [(&str, &str, &str); 5] = [
        ("sell_online", "", "due_at"),
        ("sell_online", "next friday", "due_at"),
        ("sell_online", &past, "due_at"),
        ("launch_rocket", &future, "change"),
        ("", &future, "change"),
    ];

    for (change, due_at, field) in cases {
        let response = app
            .post_form(&path, &[("change", change), ("due_at", due_at)])
            .await;

        assert_eq!(response.status(), 422, "{change:?} at {due_at:?}");
        let page = html(&response.text().await.expect("a body"));
        let error = text_of(
            &page,
            &format!(".schedule-form .field-error[data-field={field}]"),
        );
        assert!(
            error.is_some(),
            "a message beside {field} for {change:?} at {due_at:?}"
        );
        assert_eq!(
            attr_of(&page, "#schedule-due", "value").as_deref(),
            Some(due_at),
            "what was typed is kept"
        );
    }
    assert!(statuses(&app).is_empty(), "nothing stored");
}

async fn another_merchants_item_or_schedule_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let other = other_merchant(&app);
    let theirs = other.store_only_item().id;
    let future = local_input(&app, utc_now() + TimeDelta::days(1));

    let response = app
        .post_form(
            &format!("/items/{theirs}/schedules"),
            &[("change", "sell_online"), ("due_at", &future)],
        )
        .await;

    assert_eq!(response.status(), 404);
    assert!(statuses(&app).is_empty());
    let planned = with_conn(&app.pool, |conn| {
        schedules::schedule(
            conn,
            &Actor::system(),
            other.id,
            theirs,
            DesignationChange::SELL_ONLINE,
            "2099-01-01T09:00",
            utc_now(),
        )
        .expect("their change")
        .id
    });
    let cancel = app
        .post_form(&format!("/items/{theirs}/schedules/{planned}/cancel"), &[])
        .await;
    assert_eq!(cancel.status(), 404);
    assert_eq!(statuses(&app), vec!["pending"]);
    let list = app.get_html("/items/schedules").await;
    assert_eq!(list.select(&sel("tr.scheduled-change")).count(), 0);
}

async fn selected_rows_of_the_item_list_are_scheduled_together_or_not_at_all(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let items = app.get_html("/items").await;
    assert_eq!(
        attr_of(&items, "form#bulk #bulk-schedule", "formaction").as_deref(),
        Some("/items/schedules/bulk")
    );
    let sunday = local_input(&app, utc_now() + TimeDelta::days(5));
    let (mug, teapot) = (
        SPECKLED_MUG_IN_STORE_ONLY.to_string(),
        TEAPOT_ONLINE_ONLY.to_string(),
    );
    let past = local_input(&app, utc_now() - TimeDelta::days(1));

    let refused = app
        .post_form(
            "/items/schedules/bulk",
            &[
                ("ids", &mug),
                ("ids", &teapot),
                ("action", "remove_from_online"),
                ("due_at", &past),
            ],
        )
        .await;

    assert_eq!(refused.status(), 422);
    let page = html(&refused.text().await.expect("a body"));
    assert!(text_of(&page, ".field-error[data-field=due_at]").is_some());
    assert!(statuses(&app).is_empty(), "nothing stored");

    let response = app
        .post_form(
            "/items/schedules/bulk",
            &[
                ("ids", &mug),
                ("ids", &teapot),
                ("action", "remove_from_online"),
                ("due_at", &sunday),
            ],
        )
        .await;

    assert_eq!(response.status(), 303);
    let list = app.get_html("/items/schedules").await;
    let whats: Vec<String> = list
        .select(&sel("tr.scheduled-change .what"))
        .map(|cell| cell.text().collect())
        .collect();
    assert_eq!(whats, vec!["Remove from online", "Remove from online"]);
    assert_eq!(statuses(&app), vec!["pending", "pending"]);
}
