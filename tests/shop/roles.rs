//! The role × route matrix: every role against every route that changes
//! something (and the settings pages). A forbidden request is a 403 page and
//! changes nothing; an allowed one is never refused for the role.

use diesel::prelude::*;
use shelfsync::db::schema::{audit_entries, items};
use shelfsync::domain::{Contact, TokenScope};
use shelfsync::inventory::Actor;
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::tokens::create_token;
use shelfsync::inventory::{DesignationChange, reservations, schedules};

use crate::common::demo::{BLUE_MUG_FOR_SALE, CAMPING_MUG_VIEW_ONLY, SPECKLED_MUG_IN_STORE_ONLY};
use crate::common::fixtures::{fresh_key, receive_stock};
use crate::common::{Backend, DEMO_EMAIL, DEMO_PASSWORD, TestApp, html, sel, spawn_app, with_conn};
use crate::on_both_backends;
use crate::support::{PASSWORD, fingerprint, person, signed_in};

on_both_backends!(
    every_role_meets_every_unsafe_route_with_403_and_no_change_or_is_allowed,
    a_cashier_sees_only_the_counter_and_lookup_without_buttons
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Owner,
    Manager,
    Cashier,
}

/// One request of the matrix and the roles it is allowed to.
struct Route {
    what: &'static str,
    method: &'static str,
    path: String,
    fields: Vec<(String, String)>,
    allowed: &'static [Who],
}

const ALL: &[Who] = &[Who::Owner, Who::Manager, Who::Cashier];
const MANAGERS: &[Who] = &[Who::Owner, Who::Manager];
const OWNERS: &[Who] = &[Who::Owner];

fn version_of(app: &TestApp, item_id: i64) -> String {
    with_conn(&app.pool, |conn| {
        items::table
            .find(item_id)
            .select(items::version)
            .first::<i64>(conn)
            .expect("the item")
            .to_string()
    })
}

fn routes(app: &TestApp, downtown: i64, riverside: i64, temp: i64, token: i64) -> Vec<Route> {
    let mug = BLUE_MUG_FOR_SALE;
    let entry = with_conn(&app.pool, |conn| {
        audit_entries::table
            .order(audit_entries::id.desc())
            .select(audit_entries::id)
            .first::<i64>(conn)
            .expect("an audit entry")
    });
    // A change to cancel: the first role allowed cancels it, the next finds
    // it cancelled already (409), neither a 403 nor a change.
    let merchant = app.demo_merchant_id();
    let planned = with_conn(&app.pool, |conn| {
        let now = chrono::Utc::now().naive_utc();
        schedules::schedule(
            conn,
            &Actor::system(),
            merchant,
            mug,
            DesignationChange::REMOVE_FROM_ONLINE,
            "2099-01-01T09:00",
            now,
        )
        .expect("a scheduled change")
        .id
    });
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let stock = |location: i64, quantity: &str| {
        vec![
            ("location_id".to_owned(), location.to_string()),
            ("quantity".to_owned(), quantity.to_owned()),
            ("reason".to_owned(), "Matrix".to_owned()),
            ("idempotency_key".to_owned(), fresh_key()),
        ]
    };
    let counter = |location: i64| {
        vec![
            ("location_id".to_owned(), location.to_string()),
            ("quantity".to_owned(), "1".to_owned()),
            ("idempotency_key".to_owned(), fresh_key()),
        ]
    };
    // A fresh hold at each store for the hand-over routes of this round.
    let hold_at = |location: i64| {
        with_conn(&app.pool, |conn| {
            // The camping mug stays view-only whatever the other routes do.
            let item = CAMPING_MUG_VIEW_ONLY;
            receive_stock(conn, app.demo_merchant_id(), item, location, 1);
            reservations::reserve(
                conn,
                &Actor::shopper("Matrix"),
                app.demo_merchant_id(),
                &reservations::ReservationRequest {
                    item_id: item,
                    location_id: location,
                    quantity: 1,
                    name: "Matrix".into(),
                    contact: Contact::parse(Some(&format!("{}@example.com", fresh_key())), None)
                        .expect("an email"),
                    client_address: None,
                },
            )
            .expect("a hold")
            .id
        })
    };
    let (held_downtown, held_riverside) = (hold_at(downtown), hold_at(riverside));
    let released_downtown = hold_at(downtown);
    let at = |location: i64| vec![("location_id".to_owned(), location.to_string())];
    let route = |what, method, path: String, fields, allowed| Route {
        what,
        method,
        path,
        fields,
        allowed,
    };
    vec![
        route(
            "schedule a change",
            "POST",
            format!("/items/{mug}/schedules"),
            f(&[
                ("change", "remove_from_online"),
                ("due_at", "2099-06-01T09:00"),
            ]),
            MANAGERS,
        ),
        route(
            "schedule a change for selected items",
            "POST",
            "/items/schedules/bulk".into(),
            f(&[
                ("ids", &format!("{mug}:VERSION")),
                ("action", "sell_online"),
                ("due_at", "2099-06-01T09:00"),
            ]),
            MANAGERS,
        ),
        route(
            "scheduled changes",
            "GET",
            "/items/schedules".into(),
            vec![],
            MANAGERS,
        ),
        route(
            "cancel a scheduled change",
            "POST",
            format!("/items/{mug}/schedules/{planned}/cancel"),
            vec![],
            MANAGERS,
        ),
        route(
            "designation button",
            "POST",
            format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/designation"),
            f(&[("action", "sell_online"), ("version", "VERSION")]),
            MANAGERS,
        ),
        route(
            "bulk",
            "POST",
            "/items/bulk".into(),
            f(&[
                ("action", "remove_from_online"),
                ("ids", &format!("{mug}:VERSION")),
            ]),
            MANAGERS,
        ),
        route(
            "bulk editor",
            "GET",
            format!("/items/bulk-edit?ids={mug}"),
            vec![],
            MANAGERS,
        ),
        route(
            "edit selected",
            "POST",
            "/items/bulk-edit/open".into(),
            f(&[("ids", &format!("{mug}:VERSION"))]),
            MANAGERS,
        ),
        route(
            "bulk editor columns",
            "POST",
            "/items/bulk-edit/columns".into(),
            f(&[("ids", &mug.to_string()), ("column", "price")]),
            MANAGERS,
        ),
        route(
            "bulk editor save",
            "POST",
            "/items/bulk-edit".into(),
            f(&[
                ("column", "price"),
                ("row", &format!("{mug}:VERSION")),
                (&format!("cell-{mug}-price"), "98.00"),
            ]),
            MANAGERS,
        ),
        route(
            "undo a bulk edit",
            "POST",
            "/activity/bulk-edits/1/undo".into(),
            vec![],
            MANAGERS,
        ),
        route(
            "new item form",
            "GET",
            "/items/new".into(),
            vec![],
            MANAGERS,
        ),
        route(
            "create item",
            "POST",
            "/items/new".into(),
            f(&[
                ("sku", "MATRIX-1"),
                ("name", "Matrix"),
                ("price", "1.00"),
                ("online", "hidden"),
            ]),
            MANAGERS,
        ),
        route(
            "edit item",
            "POST",
            format!("/items/{mug}"),
            f(&[
                ("sku", "CG-1001"),
                ("name", "Blue mug"),
                ("price", "99.00"),
                ("version", "VERSION"),
            ]),
            MANAGERS,
        ),
        route(
            "archive item",
            "POST",
            format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}/archive"),
            f(&[("to", "archive"), ("version", "VERSION")]),
            MANAGERS,
        ),
        route(
            "stock settings",
            "POST",
            format!("/items/{mug}/stock/settings"),
            f(&[("online_buffer", "3"), ("version", "VERSION")]),
            MANAGERS,
        ),
        route(
            "adjust stock",
            "POST",
            format!("/items/{mug}/stock/adjust"),
            stock(downtown, "-1"),
            MANAGERS,
        ),
        route(
            "receive at another store",
            "POST",
            format!("/items/{mug}/stock/receive"),
            stock(riverside, "2"),
            MANAGERS,
        ),
        route(
            "count at another store",
            "POST",
            format!("/items/{mug}/stock/count"),
            stock(riverside, "5"),
            MANAGERS,
        ),
        route(
            "receive at own store",
            "POST",
            format!("/items/{mug}/stock/receive"),
            stock(downtown, "2"),
            ALL,
        ),
        route(
            "count at own store",
            "POST",
            format!("/items/{mug}/stock/count"),
            stock(downtown, "7"),
            ALL,
        ),
        route("activity", "GET", "/activity".into(), vec![], MANAGERS),
        route(
            "export the catalogue",
            "GET",
            "/items/export.csv".into(),
            vec![],
            MANAGERS,
        ),
        route(
            "import page",
            "GET",
            "/items/import".into(),
            vec![],
            MANAGERS,
        ),
        route(
            "counter sale at another store",
            "POST",
            format!("/counter/items/{mug}/sale"),
            counter(riverside),
            MANAGERS,
        ),
        route(
            "counter sale at one's own store",
            "POST",
            format!("/counter/items/{mug}/sale"),
            counter(downtown),
            ALL,
        ),
        route(
            "counter receipt at another store",
            "POST",
            format!("/counter/items/{mug}/receive"),
            counter(riverside),
            MANAGERS,
        ),
        route(
            "counter receipt at one's own store",
            "POST",
            format!("/counter/items/{mug}/receive"),
            counter(downtown),
            ALL,
        ),
        route(
            "reservation picked up at another store",
            "POST",
            format!("/counter/reservations/{held_riverside}/pickup"),
            at(riverside),
            MANAGERS,
        ),
        route(
            "reservation picked up at one's own store",
            "POST",
            format!("/counter/reservations/{held_downtown}/pickup"),
            at(downtown),
            ALL,
        ),
        route(
            "reservation released at one's own store",
            "POST",
            format!("/counter/reservations/{released_downtown}/release"),
            at(downtown),
            ALL,
        ),
        route(
            "undo",
            "POST",
            format!("/activity/{entry}/undo"),
            vec![],
            MANAGERS,
        ),
        route(
            "counter",
            "GET",
            format!("/counter?location={downtown}"),
            vec![],
            ALL,
        ),
        route(
            "tokens page",
            "GET",
            "/settings/tokens".into(),
            vec![],
            OWNERS,
        ),
        route(
            "create token",
            "POST",
            "/settings/tokens".into(),
            f(&[("name", "Matrix"), ("scope", "storefront")]),
            OWNERS,
        ),
        route(
            "revoke token",
            "POST",
            format!("/settings/tokens/{token}/revoke"),
            vec![],
            OWNERS,
        ),
        route(
            "webhooks page",
            "GET",
            "/settings/webhooks".into(),
            vec![],
            OWNERS,
        ),
        route(
            "add webhook",
            "POST",
            "/settings/webhooks".into(),
            f(&[
                ("url", "https://hooks.example/matrix"),
                ("event_types", "item.listing_changed"),
            ]),
            OWNERS,
        ),
        route(
            "stores page",
            "GET",
            "/settings/stores".into(),
            vec![],
            OWNERS,
        ),
        route(
            "add store",
            "POST",
            "/settings/stores".into(),
            f(&[("name", "Matrix store")]),
            OWNERS,
        ),
        route(
            "rename store",
            "POST",
            format!("/settings/stores/{riverside}"),
            f(&[("name", "Riverside Two")]),
            OWNERS,
        ),
        route(
            "archive store",
            "POST",
            format!("/settings/stores/{riverside}/archive"),
            vec![],
            OWNERS,
        ),
        route(
            "staff page",
            "GET",
            "/settings/staff".into(),
            vec![],
            OWNERS,
        ),
        route(
            "invite",
            "POST",
            "/settings/staff".into(),
            f(&[("email", "new@people.example"), ("role", "manager")]),
            OWNERS,
        ),
        route(
            "change role",
            "POST",
            format!("/settings/staff/{temp}/role"),
            f(&[("role", "manager")]),
            OWNERS,
        ),
        route(
            "reset password",
            "POST",
            format!("/settings/staff/{temp}/reset"),
            vec![],
            OWNERS,
        ),
        route(
            "deactivate",
            "POST",
            format!("/settings/staff/{temp}/deactivate"),
            vec![],
            OWNERS,
        ),
        route(
            "shop settings page",
            "GET",
            "/settings/shop".into(),
            vec![],
            OWNERS,
        ),
        route(
            "shop settings",
            "POST",
            "/settings/shop".into(),
            f(&[
                ("name", "Matrix Goods"),
                ("slug", "corner-goods"),
                ("currency", "USD"),
                ("time_zone", "Europe/Dublin"),
            ]),
            OWNERS,
        ),
        route(
            "default buffer",
            "POST",
            "/settings/online-buffer".into(),
            f(&[("online_buffer", "2")]),
            OWNERS,
        ),
    ]
}

async fn every_role_meets_every_unsafe_route_with_403_and_no_change_or_is_allowed(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let (downtown, riverside, token) = with_conn(&app.pool, |conn| {
        let stores = Location::all_of(conn, merchant).expect("stores");
        let token = create_token(conn, merchant, "Matrix", TokenScope::Storefront, None)
            .expect("a token")
            .token
            .id;
        (stores[0].id, stores[1].id, token)
    });
    let (manager, _) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Mona", "manager", None)
    });
    let (cashier, _) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Cato", "cashier", Some(downtown))
    });
    let (_, temp) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Temp", "cashier", Some(downtown))
    });
    let people = [
        (Who::Cashier, signed_in(&app, &cashier, PASSWORD).await),
        (Who::Manager, signed_in(&app, &manager, PASSWORD).await),
        (Who::Owner, signed_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await),
    ];

    let mut checked = 0;
    for (who, client) in &people {
        for route in routes(&app, downtown, riverside, temp, token) {
            let before = with_conn(&app.pool, |conn| fingerprint(conn, merchant));
            let version = version_of(
                &app,
                if route
                    .path
                    .contains(&format!("/items/{SPECKLED_MUG_IN_STORE_ONLY}"))
                {
                    SPECKLED_MUG_IN_STORE_ONLY
                } else {
                    BLUE_MUG_FOR_SALE
                },
            );
            let fields: Vec<(String, String)> = route
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), v.replace("VERSION", &version)))
                .collect();
            let borrowed: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let response = if route.method == "GET" {
                client.get(app.url(&route.path)).send().await.expect("GET")
            } else {
                app.post_form_as(client, &route.path, &borrowed).await
            };
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            let after = with_conn(&app.pool, |conn| fingerprint(conn, merchant));
            if route.allowed.contains(who) {
                assert!(
                    status != 403 && status < 500,
                    "{who:?} may use {} ({}), got {status}",
                    route.what,
                    route.path
                );
            } else {
                assert_eq!(
                    status, 403,
                    "{who:?} must be refused {} ({})",
                    route.what, route.path
                );
                let page = html(&body);
                assert!(
                    page.select(&sel(".error-message[data-status='403']"))
                        .next()
                        .is_some(),
                    "a 403 page for {} ({who:?})",
                    route.what
                );
                assert_eq!(
                    before, after,
                    "{who:?} changed something through {}",
                    route.what
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 90, "{checked} requests checked");
}

async fn a_cashier_sees_only_the_counter_and_lookup_without_buttons(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let downtown = with_conn(&app.pool, |conn| {
        Location::all_of(conn, merchant).expect("stores")[0].id
    });
    let (cashier, _) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Cato", "cashier", Some(downtown))
    });
    let client = signed_in(&app, &cashier, PASSWORD).await;

    let items = html(
        &client
            .get(app.url("/items"))
            .send()
            .await
            .expect("items")
            .text()
            .await
            .expect("a body"),
    );
    let nav: Vec<String> = items
        .select(&sel(".topbar nav a"))
        .map(|a| a.text().collect::<String>())
        .collect();
    assert_eq!(nav, vec!["Lookup", "Counter", "Account", "Online shop"]);
    assert!(
        items.select(&sel("tr.item-row")).next().is_some(),
        "items are listed"
    );
    assert!(
        items
            .select(&sel("tr.item-row td.actions button"))
            .next()
            .is_none()
    );
    assert!(items.select(&sel("form#bulk")).next().is_none());
    let page = html(
        &client
            .get(app.url(&format!("/items/{BLUE_MUG_FOR_SALE}")))
            .send()
            .await
            .expect("item page")
            .text()
            .await
            .expect("a body"),
    );
    assert!(page.select(&sel("#receive-form")).next().is_some());
    assert!(page.select(&sel("#count-form")).next().is_some());
    assert!(page.select(&sel("#adjust-form")).next().is_none());
    assert!(page.select(&sel("form.item-form button")).next().is_none());
    let stores: Vec<String> = page
        .select(&sel("#receive-location option"))
        .filter_map(|o| o.value().attr("value").map(str::to_owned))
        .collect();
    assert_eq!(stores, vec![downtown.to_string()], "only their own store");
}
