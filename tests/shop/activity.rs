//! The activity log names the person for every change: stores, staff and
//! shop settings appear beside item changes, filtered by kind, only to those
//! who may see them, and only the merchant's own.

use diesel::prelude::*;
use scraper::{ElementRef, Html};
use shelfsync::db::schema::staff_invitations;
use shelfsync::domain::TimeZone;
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::{Actor, stores};

use crate::common::fixtures::{OtherMerchant, other_merchant};
use crate::common::{Backend, DEMO_EMAIL, html, new_client, sel, spawn_app, with_conn};
use crate::on_both_backends;
use crate::support::{PASSWORD, person, signed_in};

on_both_backends!(
    store_changes_appear_in_activity_naming_who_made_them,
    staff_changes_appear_in_activity_naming_who_made_them,
    shop_settings_changes_appear_in_activity_naming_who_made_them,
    the_filter_by_kind_shows_one_kind_and_undo_stays_on_item_entries,
    a_cashier_cannot_see_activity,
    another_merchants_entries_never_show
);

/// One row of the activity table, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    subject: String,
    field: String,
    actor: String,
    email: String,
    about: String,
    what: String,
    old: String,
    new: String,
    undo: bool,
}

fn text(row: &ElementRef, css: &str) -> String {
    row.select(&sel(css))
        .next()
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .unwrap_or_default()
}

fn rows(page: &Html) -> Vec<Row> {
    page.select(&sel("tr.audit-entry"))
        .map(|row| Row {
            subject: row.value().attr("data-subject").unwrap_or_default().into(),
            field: row.value().attr("data-field").unwrap_or_default().into(),
            actor: text(&row, ".actor-name"),
            email: text(&row, ".actor-email"),
            about: text(&row, "td.subject"),
            what: text(&row, "td.field"),
            old: text(&row, ".old"),
            new: text(&row, ".new"),
            undo: row.select(&sel("form[action$='/undo']")).next().is_some(),
        })
        .collect()
}

/// The rows of `subject` whose field is `field`, newest first.
fn of<'a>(rows: &'a [Row], subject: &str, field: &str) -> Vec<&'a Row> {
    rows.iter()
        .filter(|r| r.subject == subject && r.field == field)
        .collect()
}

async fn store_changes_appear_in_activity_naming_who_made_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (olive, _) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Olive", "owner", None)
    });
    let olive_browser = signed_in(&app, &olive, PASSWORD).await;
    app.login().await;

    let added = app
        .post_form(
            "/settings/stores",
            &[("name", "Harbour"), ("address", "1 Quay"), ("hours", "")],
        )
        .await;
    assert_eq!(added.status(), 303);
    let harbour = with_conn(&app.pool, |conn| {
        Location::all_of(conn, merchant)
            .expect("stores")
            .into_iter()
            .find(|s| s.name == "Harbour")
            .expect("the new store")
    });
    let renamed = app
        .post_form_as(
            &olive_browser,
            &format!("/settings/stores/{}", harbour.id),
            &[
                ("name", "Harbour Quay"),
                ("address", "1 Quay"),
                ("hours", ""),
                ("fulfils_online", "on"),
            ],
        )
        .await;
    assert_eq!(renamed.status(), 303);
    let archived = app
        .post_form(&format!("/settings/stores/{}/archive", harbour.id), &[])
        .await;
    assert_eq!(archived.status(), 303);

    let log = rows(&app.get_html("/activity?kind=store").await);

    let added = of(&log, "store", "added");
    assert_eq!(added.len(), 3, "the demo's two stores and Harbour: {log:?}");
    assert_eq!(
        (added[0].actor.as_str(), added[0].email.as_str()),
        ("Sam Rivera", DEMO_EMAIL)
    );
    assert_eq!(added[0].new, "Harbour");
    let name = of(&log, "store", "name");
    assert_eq!(name.len(), 1, "{log:?}");
    assert_eq!(
        (name[0].actor.as_str(), name[0].email.as_str()),
        ("Olive", olive.as_str())
    );
    assert_eq!(
        (name[0].old.as_str(), name[0].new.as_str()),
        ("Harbour", "Harbour Quay")
    );
    let fulfils = of(&log, "store", "fulfils_online");
    assert_eq!(fulfils.len(), 1, "{log:?}");
    assert_eq!(fulfils[0].actor, "Olive");
    assert_eq!(
        (fulfils[0].old.as_str(), fulfils[0].new.as_str()),
        ("Doesn't fulfil online orders", "Fulfils online orders")
    );
    let status = of(&log, "store", "status");
    assert_eq!(status.len(), 1, "{log:?}");
    assert_eq!(status[0].actor, "Sam Rivera");
    assert!(status[0].about.contains("Harbour Quay"), "{:?}", status[0]);
    assert_eq!(
        (status[0].old.as_str(), status[0].new.as_str()),
        ("Open", "Archived")
    );
    // Saving the store's form without a change records nothing.
    assert!(of(&log, "store", "address").is_empty(), "{log:?}");
}

async fn staff_changes_appear_in_activity_naming_who_made_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (downtown, riverside) = with_conn(&app.pool, |conn| {
        let all = Location::all_of(conn, merchant).expect("stores");
        (all[0].clone(), all[1].clone())
    });
    let (olive, _) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Olive", "owner", None)
    });
    let olive_browser = signed_in(&app, &olive, PASSWORD).await;
    app.login().await;
    // Kathmandu is UTC+05:45, so a link's expiry shown in UTC would differ.
    let zone = app
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
    assert_eq!(zone.status(), 303);

    let invited = app
        .post_form(
            "/settings/staff",
            &[
                ("email", "cass@people.example"),
                ("name", "Cass"),
                ("role", "cashier"),
                ("location_id", &downtown.id.to_string()),
            ],
        )
        .await;
    assert_eq!(invited.status(), 200);
    let link = crate::common::text_of(
        &html(&invited.text().await.expect("a body")),
        "#invitation-link",
    )
    .expect("the link is shown");
    let cass_browser = new_client();
    let token = crate::support::page_token(&cass_browser, &link).await;
    let accepted = cass_browser
        .post(&link)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", "cass-counter-2026"),
        ])
        .send()
        .await
        .expect("set password");
    assert_eq!(accepted.status(), 303);
    let cass = with_conn(&app.pool, |conn| {
        shelfsync::inventory::staff::list_staff(conn, merchant)
            .expect("staff")
            .into_iter()
            .find(|p| p.email == "cass@people.example")
            .expect("Cass")
    });
    let role = app
        .post_form_as(
            &olive_browser,
            &format!("/settings/staff/{}/role", cass.id),
            &[
                ("role", "cashier"),
                ("location_id", &riverside.id.to_string()),
            ],
        )
        .await;
    assert_eq!(role.status(), 303);
    for (who, action) in [
        (&olive_browser, "deactivate"),
        (&app.client, "reactivate"),
        (&olive_browser, "reset"),
    ] {
        let done = app
            .post_form_as(who, &format!("/settings/staff/{}/{action}", cass.id), &[])
            .await;
        assert!(
            done.status().is_success() || done.status() == 303,
            "{action}"
        );
    }
    let expires = with_conn(&app.pool, |conn| {
        staff_invitations::table
            .filter(staff_invitations::staff_id.eq(cass.id))
            .select(staff_invitations::expires_at)
            .order(staff_invitations::id.desc())
            .first::<chrono::NaiveDateTime>(conn)
            .expect("the reset link")
    });

    let log: Vec<Row> = rows(&app.get_html("/activity?kind=staff").await)
        .into_iter()
        .filter(|r| r.about.contains("cass@people.example"))
        .collect();

    let invitation = of(&log, "staff", "invited");
    assert_eq!(invitation.len(), 1, "{log:?}");
    assert_eq!(
        (invitation[0].actor.as_str(), invitation[0].email.as_str()),
        ("Sam Rivera", DEMO_EMAIL)
    );
    assert_eq!(invitation[0].new, "Cashier at Downtown");
    let password = of(&log, "staff", "password");
    assert_eq!(password.len(), 1, "{log:?}");
    assert_eq!(
        (password[0].actor.as_str(), password[0].email.as_str()),
        ("Cass", "cass@people.example"),
        "setting one's password through the link is logged as oneself"
    );
    let roles = of(&log, "staff", "role");
    assert_eq!(roles.len(), 1, "{log:?}");
    assert_eq!(
        (roles[0].actor.as_str(), roles[0].email.as_str()),
        ("Olive", olive.as_str())
    );
    assert_eq!(
        (roles[0].old.as_str(), roles[0].new.as_str()),
        ("Cashier at Downtown", "Cashier at Riverside")
    );
    let status: Vec<(&str, &str, &str)> = of(&log, "staff", "status")
        .iter()
        .map(|r| (r.actor.as_str(), r.old.as_str(), r.new.as_str()))
        .collect();
    assert_eq!(
        status,
        [
            ("Sam Rivera", "Deactivated", "Active"),
            ("Olive", "Active", "Deactivated"),
        ]
    );
    let links = of(&log, "staff", "password_link");
    assert_eq!(
        links.len(),
        2,
        "the invitation's link and the reset: {log:?}"
    );
    assert_eq!(links[0].actor, "Olive");
    let kathmandu = TimeZone::parse("Asia/Kathmandu").expect("a zone");
    assert_eq!(
        links[0].new,
        format!("valid until {}", kathmandu.show(expires, "%Y-%m-%d %H:%M")),
        "the expiry is shown in the shop's time zone"
    );
    assert_eq!(links[1].actor, "Sam Rivera");
}

async fn shop_settings_changes_appear_in_activity_naming_who_made_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (olive, _) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Olive", "owner", None)
    });
    let olive_browser = signed_in(&app, &olive, PASSWORD).await;
    app.login().await;

    let saved = app
        .post_form(
            "/settings/shop",
            &[
                ("name", "Corner Goods & Co"),
                ("slug", "corner-goods-co"),
                ("currency", "USD"),
                ("time_zone", "Europe/Lisbon"),
                ("auto_view_only_default", "1"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let buffer = app
        .post_form_as(
            &olive_browser,
            "/settings/online-buffer",
            &[("online_buffer", "3"), ("return_to", "/settings/shop")],
        )
        .await;
    assert_eq!(buffer.status(), 303);

    let log = rows(&app.get_html("/activity?kind=settings").await);

    let changes: Vec<(&str, &str, &str, &str, &str)> = log
        .iter()
        .map(|r| {
            (
                r.field.as_str(),
                r.actor.as_str(),
                r.email.as_str(),
                r.old.as_str(),
                r.new.as_str(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("online_buffer", "Olive", olive.as_str(), "0", "3"),
            ("auto_view_only", "Sam Rivera", DEMO_EMAIL, "Off", "On"),
            (
                "time_zone",
                "Sam Rivera",
                DEMO_EMAIL,
                "UTC",
                "Europe/Lisbon"
            ),
            (
                "slug",
                "Sam Rivera",
                DEMO_EMAIL,
                "corner-goods",
                "corner-goods-co"
            ),
            (
                "name",
                "Sam Rivera",
                DEMO_EMAIL,
                "Corner Goods",
                "Corner Goods & Co"
            ),
        ]
    );
    assert!(log.iter().all(|r| r.subject == "settings"));
    assert_eq!(log[0].what, "Default online buffer");
}

async fn the_filter_by_kind_shows_one_kind_and_undo_stays_on_item_entries(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let item = crate::common::demo::CAMPING_MUG_VIEW_ONLY;
    let version = with_conn(&app.pool, |conn| {
        shelfsync::inventory::Item::find(conn, app.demo_merchant_id(), item)
            .expect("the mug")
            .version
    });
    let designated = app
        .htmx_post(
            &format!("/items/{item}/designation"),
            &[
                ("action", "remove_from_online"),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(designated.status(), 200);
    let saved = app
        .post_form(
            "/settings/shop",
            &[
                ("name", "Corner Goods"),
                ("slug", "corner-goods"),
                ("currency", "USD"),
                ("time_zone", "Europe/Lisbon"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);

    let everything = app.get_html("/activity").await;
    let all = rows(&everything);
    let kinds: std::collections::BTreeSet<&str> = all.iter().map(|r| r.subject.as_str()).collect();
    // The newest page: the settings change beside the item change before it.
    assert!(
        ["item", "settings"].iter().all(|k| kinds.contains(k)),
        "{kinds:?}"
    );
    assert!(all.iter().any(|r| r.subject == "item" && r.undo));
    assert!(all.iter().filter(|r| r.subject != "item").all(|r| !r.undo));
    let tabs: Vec<String> = everything
        .select(&sel("nav.activity-kinds a"))
        .map(|a| a.value().attr("data-kind").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        tabs,
        ["all", "item", "store", "staff", "settings", "reservation"]
    );

    for kind in ["item", "store", "staff", "settings", "reservation"] {
        let page = app.get_html(&format!("/activity?kind={kind}")).await;
        let shown = rows(&page);
        assert!(shown.iter().all(|r| r.subject == kind), "{kind}: {shown:?}");
        let current: Vec<&str> = page
            .select(&sel("nav.activity-kinds a[aria-current=page]"))
            .filter_map(|a| a.value().attr("data-kind"))
            .collect();
        assert_eq!(current, [kind]);
    }
    assert_eq!(app.get("/activity?kind=weather").await.status(), 400);
}

async fn a_cashier_cannot_see_activity(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (cashier, manager) = with_conn(&app.pool, |conn| {
        let downtown = Location::all_of(conn, merchant).expect("stores")[0].id;
        (
            person(conn, merchant, "Cass", "cashier", Some(downtown)).0,
            person(conn, merchant, "Mona", "manager", None).0,
        )
    });

    let cass = signed_in(&app, &cashier, PASSWORD).await;
    for path in ["/activity", "/activity?kind=staff"] {
        let refused = cass.get(app.url(path)).send().await.expect("activity");
        assert_eq!(refused.status(), 403, "{path}");
        let page = html(&refused.text().await.expect("a body"));
        assert!(page.select(&sel("tr.audit-entry")).next().is_none());
    }
    let mona = signed_in(&app, &manager, PASSWORD).await;
    let shown = mona
        .get(app.url("/activity"))
        .send()
        .await
        .expect("activity");
    assert_eq!(shown.status(), 200);
}

async fn another_merchants_entries_never_show(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = other_merchant(&app);
    with_conn(&app.pool, |conn| {
        let uptown = Location::find(conn, other.id, other.location_id).expect("Uptown");
        let details = stores::StoreDetails::parse(&stores::StoreInput {
            name: "Uptown Annex",
            address: "",
            hours: "",
            fulfils_online: uptown.fulfils_online,
        })
        .expect("details");
        stores::change_store(conn, &Actor::staff("Olga"), other.id, uptown.id, &details)
            .expect("renamed");
    });
    app.login().await;
    let saved = app
        .post_form(
            "/settings/shop",
            &[
                ("name", "Corner Goods"),
                ("slug", "corner-goods"),
                ("currency", "USD"),
                ("time_zone", "Europe/Lisbon"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);

    for path in ["/activity", "/activity?kind=store"] {
        let ours = rows(&app.get_html(path).await);
        assert!(!ours.is_empty(), "{path}");
        assert!(
            ours.iter()
                .all(|r| r.actor != "Olga" && !r.about.contains("Uptown")),
            "{path}: {ours:?}"
        );
    }
    let olga = signed_in(&app, OtherMerchant::EMAIL, OtherMerchant::PASSWORD).await;
    let page = olga
        .get(app.url("/activity"))
        .send()
        .await
        .expect("their activity");
    let theirs = rows(&html(&page.text().await.expect("a body")));
    assert!(
        theirs
            .iter()
            .any(|r| r.actor == "Olga" && r.new == "Uptown Annex")
    );
    assert!(
        theirs
            .iter()
            .all(|r| r.actor != "Sam Rivera" && r.field != "time_zone"),
        "{theirs:?}"
    );
}
