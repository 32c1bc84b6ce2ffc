//! The store's open reservations at `/counter`: listed with code, name,
//! item, quantity and time left; *Picked up* sells and consumes the hold,
//! *Release* frees it (htmx and plain forms); a pickup code typed into the
//! search box opens the reservation; a cashier only at their own store.

use shelfsync::domain::{Contact, OnlineListing};
use shelfsync::inventory::Actor;
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::reservations::{Reservation, ReservationRequest, reserve};
use shelfsync::inventory::stock;

use crate::common::fixtures::{PASSWORD, fresh_key, new_item, person, receive_stock, signed_in};
use crate::common::{Backend, TestApp, fragment, html, sel, spawn_app, text_of};
use crate::on_both_backends;

on_both_backends!(
    the_counter_lists_the_stores_open_reservations_with_the_time_left,
    picked_up_sells_the_held_units_and_takes_the_reservation_off_the_list,
    release_frees_the_units_without_a_sale,
    a_pickup_code_typed_into_the_search_box_opens_the_reservation,
    a_cashier_hands_over_only_at_their_own_store,
    a_counter_sale_of_held_units_asks_first_and_recorded_anyway_releases_the_hold,
    the_counter_shows_the_units_held_beside_what_is_on_hand
);

struct Held {
    app: TestApp,
    item: i64,
    downtown: i64,
    riverside: i64,
    reservation: Reservation,
}

/// The demo shop, signed in, with 2 of a new lantern held of 3 at Downtown.
async fn held(backend: Backend) -> Held {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let mut conn = app.conn();
    let stores = Location::all_of(&mut conn, merchant).expect("stores");
    let item = new_item(
        &mut conn,
        merchant,
        "LANTERN",
        "Lantern",
        true,
        OnlineListing::ViewOnly,
    )
    .id;
    receive_stock(&mut conn, merchant, item, stores[0].id, 3);
    let reservation = reserve(
        &mut conn,
        &Actor::shopper("Ana Lima"),
        merchant,
        &ReservationRequest {
            item_id: item,
            location_id: stores[0].id,
            quantity: 2,
            name: "Ana Lima".into(),
            contact: Contact::parse(Some("ana@example.com"), None).expect("an email"),
            client_address: None,
        },
    )
    .expect("held");
    drop(conn);
    Held {
        app,
        item,
        downtown: stores[0].id,
        riverside: stores[1].id,
        reservation,
    }
}

impl Held {
    fn on_hand(&self) -> i64 {
        stock::on_hand(&mut self.app.conn(), self.item, self.downtown).expect("a level")
    }

    fn status(&self) -> String {
        Reservation::find(
            &mut self.app.conn(),
            self.app.demo_merchant_id(),
            self.reservation.id,
        )
        .expect("the reservation")
        .status
        .as_str()
        .to_owned()
    }
}

async fn the_counter_lists_the_stores_open_reservations_with_the_time_left(backend: Backend) {
    let held = held(backend).await;

    let downtown = held
        .app
        .get_html(&format!("/counter?location={}", held.downtown))
        .await;
    let riverside = held
        .app
        .get_html(&format!("/counter?location={}", held.riverside))
        .await;

    let row = format!("#reservation-{}", held.reservation.id);
    assert_eq!(
        text_of(&downtown, &format!("{row} .code")),
        Some(held.reservation.pickup_code.clone())
    );
    assert_eq!(
        text_of(&downtown, &format!("{row} .name")).as_deref(),
        Some("Ana Lima")
    );
    assert!(text_of(&downtown, &format!("{row} .item")).is_some_and(|t| t.contains("Lantern")));
    assert_eq!(
        text_of(&downtown, &format!("{row} .quantity")).as_deref(),
        Some("2")
    );
    assert!(
        text_of(&downtown, &format!("{row} .time-left"))
            .is_some_and(|t| t.contains(" d ") || t.contains(" h "))
    );
    assert_eq!(riverside.select(&sel("tr.reservation")).count(), 0);
}

async fn picked_up_sells_the_held_units_and_takes_the_reservation_off_the_list(backend: Backend) {
    let held = held(backend).await;
    let downtown = held.downtown.to_string();

    let response = held
        .app
        .htmx_post(
            &format!("/counter/reservations/{}/pickup", held.reservation.id),
            &[("location_id", &downtown)],
        )
        .await;

    assert_eq!(response.status().as_u16(), 200);
    let section = fragment(&response.text().await.expect("a body"));
    assert!(section.select(&sel("tr.reservation")).next().is_none());
    assert!(text_of(&section, ".reservation-notice").is_some_and(|t| t.contains("Picked up")));
    assert_eq!(held.on_hand(), 1);
    assert_eq!(held.status(), "picked_up");
    // Twice is once.
    let again = held
        .app
        .post_form(
            &format!("/counter/reservations/{}/pickup", held.reservation.id),
            &[("location_id", &downtown)],
        )
        .await;
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(held.on_hand(), 1);
}

async fn release_frees_the_units_without_a_sale(backend: Backend) {
    let held = held(backend).await;
    let downtown = held.downtown.to_string();

    let response = held
        .app
        .post_form(
            &format!("/counter/reservations/{}/release", held.reservation.id),
            &[("location_id", &downtown)],
        )
        .await;

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(held.status(), "released");
    assert_eq!(held.on_hand(), 3);
}

async fn a_pickup_code_typed_into_the_search_box_opens_the_reservation(backend: Backend) {
    let held = held(backend).await;
    let typed = held.reservation.pickup_code.to_lowercase();

    let response = held
        .app
        .get(&format!("/counter?location={}&q={typed}", held.downtown))
        .await;

    assert_eq!(response.status().as_u16(), 303);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        location,
        format!(
            "/counter/reservations/{}?location={}",
            held.reservation.id, held.downtown
        )
    );
    let page = html(&held.app.get(&location).await.text().await.expect("a body"));
    assert_eq!(
        text_of(&page, ".pickup-code"),
        Some(held.reservation.pickup_code.clone())
    );
    assert!(page.select(&sel("button.pickup-button")).next().is_some());
}

async fn a_cashier_hands_over_only_at_their_own_store(backend: Backend) {
    let held = held(backend).await;
    let merchant = held.app.demo_merchant_id();
    let (email, _) = person(
        &mut held.app.conn(),
        merchant,
        "Cass",
        "cashier",
        Some(held.riverside),
    );
    let cashier = signed_in(&held.app, &email, PASSWORD).await;
    let downtown = held.downtown.to_string();

    let response = held
        .app
        .post_form_as(
            &cashier,
            &format!("/counter/reservations/{}/pickup", held.reservation.id),
            &[("location_id", &downtown)],
        )
        .await;

    assert!(
        matches!(response.status().as_u16(), 403 | 404),
        "{}",
        response.status()
    );
    assert_eq!(held.status(), "open");
    assert_eq!(held.on_hand(), 3);
}

async fn a_counter_sale_of_held_units_asks_first_and_recorded_anyway_releases_the_hold(
    backend: Backend,
) {
    let held = held(backend).await;
    let downtown = held.downtown.to_string();
    let path = format!("/counter/items/{}/sale", held.item);

    let asked = held
        .app
        .post_form(
            &path,
            &[
                ("location_id", &downtown),
                ("quantity", "2"),
                ("idempotency_key", &fresh_key()),
            ],
        )
        .await;

    assert_eq!(asked.status().as_u16(), 409);
    let page = html(&asked.text().await.expect("a body"));
    let warning =
        text_of(&page, "#counter-confirm .held-warning").expect("the question names the holds");
    assert!(warning.contains("2 are held"), "{warning}");
    assert_eq!(held.on_hand(), 3);
    assert_eq!(held.status(), "open");

    let recorded = held
        .app
        .post_form(
            &path,
            &[
                ("location_id", &downtown),
                ("quantity", "2"),
                ("idempotency_key", &fresh_key()),
                ("record_anyway", "1"),
            ],
        )
        .await;

    assert_eq!(recorded.status().as_u16(), 303);
    assert_eq!(held.on_hand(), 1);
    assert_eq!(
        held.status(),
        "released",
        "the hold no longer fits and is let go"
    );
}

async fn the_counter_shows_the_units_held_beside_what_is_on_hand(backend: Backend) {
    let held = held(backend).await;

    let card = held
        .app
        .get_html(&format!(
            "/counter/items/{}?location={}",
            held.item, held.downtown
        ))
        .await;
    assert_eq!(text_of(&card, "#counter-on-hand").as_deref(), Some("3"));
    assert_eq!(text_of(&card, "#counter-held").as_deref(), Some("2"));
    let list = held
        .app
        .get_html(&format!("/counter?location={}&q=Lant", held.downtown))
        .await;
    let cell = list
        .select(&sel("td.on-hand"))
        .map(|cell| cell.text().collect::<String>())
        .find(|text| text.contains("held"))
        .expect("the lantern's row says what is held");
    assert_eq!(
        cell.split_whitespace().collect::<Vec<_>>(),
        ["3", "(2", "held)"]
    );

    // Where nothing is held, nothing is said about holds.
    let elsewhere = held
        .app
        .get_html(&format!(
            "/counter/items/{}?location={}",
            held.item, held.riverside
        ))
        .await;
    assert_eq!(text_of(&elsewhere, "#counter-held"), None);
}
