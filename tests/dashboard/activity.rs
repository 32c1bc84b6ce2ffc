//! `/activity`: the audit log and Undo.

use crate::common::demo::SPECKLED_MUG_IN_STORE_ONLY;
use shelfsync::domain::DesignationChange;
use shelfsync::inventory::Actor;

use crate::common::{Backend, attr_of, sel, spawn_app, text_of};
use crate::on_both_backends;
use crate::support::{row_state, version_of};

on_both_backends!(
    a_designation_change_appears_in_the_log_and_undo_restores_it,
    undo_of_another_merchants_entry_is_not_found,
    undo_never_overwrites_a_later_change_by_someone_else
);

async fn a_designation_change_appears_in_the_log_and_undo_restores_it(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let version = version_of(&app, SPECKLED_MUG_IN_STORE_ONLY).await;
    app.htmx_post(
        &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"),
        &[("action", "sell_online"), ("version", &version.to_string())],
    )
    .await;

    let log = app
        .get_html(&format!("/activity?item={SPECKLED_MUG_IN_STORE_ONLY}"))
        .await;

    let first = log.select(&sel("tr.audit-entry")).next().expect("an entry");
    let cells: Vec<String> = first
        .select(&sel("td"))
        .map(|td| {
            td.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(cells[1], "Sam Rivera sam@cornergoods.example");
    assert!(cells[2].starts_with("Speckled mug"));
    assert_eq!(cells[3], "Online");
    assert_eq!(cells[4], "Not online → For sale online");
    let entry_id = first.value().attr("data-entry-id").expect("entry id");

    let undo = app
        .post_form(&format!("/activity/{entry_id}/undo"), &[])
        .await;

    assert_eq!(undo.status(), 303);
    let after = app.get_html("/activity").await;
    assert_eq!(
        text_of(&after, "#flash p.notice.success").as_deref(),
        Some("Undone: Speckled mug is back to Not online, sold in store")
    );
    let list = app.get_html("/items?q=speckled").await;
    assert_eq!(
        row_state(&list, SPECKLED_MUG_IN_STORE_ONLY).expect("row").0,
        "hidden"
    );
    let newest = after
        .select(&sel("tr.audit-entry td:nth-child(5)"))
        .next()
        .map(|td| td.text().collect::<String>())
        .expect("entry");
    assert_eq!(
        newest.split_whitespace().collect::<Vec<_>>().join(" "),
        "For sale online → Not online"
    );
}

async fn undo_of_another_merchants_entry_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app.post_form("/activity/999999/undo", &[]).await;

    assert_eq!(response.status(), 404);
}

async fn undo_never_overwrites_a_later_change_by_someone_else(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let version = version_of(&app, SPECKLED_MUG_IN_STORE_ONLY).await;
    app.htmx_post(
        &format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"),
        &[("action", "sell_online"), ("version", &version.to_string())],
    )
    .await;
    let log = app
        .get_html(&format!("/activity?item={SPECKLED_MUG_IN_STORE_ONLY}"))
        .await;
    let entry_id = attr_of(&log, "tr.audit-entry", "data-entry-id").expect("entry id");
    // Another session makes it view-only after the log was drawn.
    shelfsync::inventory::designate(
        &mut app.conn(),
        &Actor::staff("Ana"),
        merchant,
        SPECKLED_MUG_IN_STORE_ONLY,
        version + 1,
        DesignationChange::VIEW_ONLINE_BUY_IN_STORE,
    )
    .expect("Ana's change");

    let undo = app
        .post_form(&format!("/activity/{entry_id}/undo"), &[])
        .await;

    assert_eq!(undo.status(), 303);
    let after = app
        .get_html(&format!("/activity?item={SPECKLED_MUG_IN_STORE_ONLY}"))
        .await;
    let warning = text_of(&after, "#flash p.notice.warning").expect("a warning");
    assert!(
        warning.starts_with("Speckled mug was changed again since"),
        "{warning}"
    );
    let list = app.get_html("/items?q=speckled").await;
    assert_eq!(
        row_state(&list, SPECKLED_MUG_IN_STORE_ONLY).expect("row").0,
        "view_only",
        "Ana's change stands"
    );
    let old_row = format!("tr.audit-entry[data-entry-id='{entry_id}']");
    assert!(
        after
            .select(&sel(&format!("{old_row} td.undo button")))
            .next()
            .is_none(),
        "the superseded entry offers no Undo"
    );
    assert_eq!(
        text_of(&after, &format!("{old_row} td.undo .undo-unavailable")).as_deref(),
        Some("Changed again since; can no longer be undone")
    );
    let newest = after.select(&sel("tr.audit-entry")).next().expect("newest");
    assert!(newest.select(&sel("td.undo button")).next().is_some());
}
