//! The first start without the demo: the setup page, once.

use shelfsync::inventory::merchants::{Location, Merchant};
use shelfsync::inventory::staff::list_staff;

use crate::common::{Backend, attr_of, html, new_client, spawn_empty_app, text_of, with_conn};
use crate::on_both_backends;
use crate::support::page_token;

on_both_backends!(
    an_empty_database_shows_the_setup_page_once_and_opens_the_shop,
    a_bad_slug_or_weak_password_is_refused_beside_its_field_and_creates_nothing,
    racing_setup_submissions_create_exactly_one_merchant
);

fn harbour_books<'a>(
    token: &'a str,
    slug: &'a str,
    email: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("csrf_token", token),
        ("name", "Harbour Books"),
        ("slug", slug),
        ("currency", "EUR"),
        ("time_zone", "Europe/Dublin"),
        ("store_name", "Quayside"),
        ("store_address", "1 Quay Street, Galway"),
        ("owner_name", "Hanna"),
        ("owner_email", email),
        ("owner_password", "harbour-books-2026"),
    ]
}

async fn an_empty_database_shows_the_setup_page_once_and_opens_the_shop(backend: Backend) {
    let app = spawn_empty_app(backend).await;
    let login = app.get("/login").await;
    assert_eq!(login.status(), 303);
    assert_eq!(
        login
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/setup")
    );
    let token = page_token(&app.client, &app.url("/setup")).await;

    let opened = app
        .client
        .post(app.url("/setup"))
        .form(&harbour_books(
            &token,
            "harbour-books",
            "hanna@harbour.example",
        ))
        .send()
        .await
        .expect("setup");

    assert_eq!(opened.status(), 303);
    let items = app.get_html("/items").await;
    assert_eq!(
        text_of(&items, ".brand strong").as_deref(),
        Some("Harbour Books")
    );
    let (merchants, stores, people) = with_conn(&app.pool, |conn| {
        let merchants = Merchant::all(conn).expect("merchants");
        let stores = Location::every_of(conn, merchants[0].id).expect("stores");
        let people = list_staff(conn, merchants[0].id).expect("staff");
        (merchants, stores, people)
    });
    assert_eq!(merchants.len(), 1);
    assert_eq!(merchants[0].slug, "harbour-books");
    assert_eq!(merchants[0].currency.as_str(), "EUR");
    assert_eq!(merchants[0].time_zone.name(), "Europe/Dublin");
    assert_eq!(stores.len(), 1);
    assert_eq!(stores[0].address, "1 Quay Street, Galway");
    assert_eq!(people[0].role.as_str(), "owner");
    // Once set up, the page is gone, for this browser and any other.
    let again = new_client()
        .get(app.url("/setup"))
        .send()
        .await
        .expect("setup again");
    assert_eq!(again.status(), 303);
    assert_eq!(
        again
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );
}

async fn a_bad_slug_or_weak_password_is_refused_beside_its_field_and_creates_nothing(
    backend: Backend,
) {
    let app = spawn_empty_app(backend).await;
    let token = page_token(&app.client, &app.url("/setup")).await;

    for (field, value) in [
        ("slug", "Harbour Books!"),
        ("owner_password", "password123"),
    ] {
        let mut form = harbour_books(&token, "harbour-books", "hanna@harbour.example");
        form.retain(|(name, _)| *name != field);
        form.push((field, value));
        let refused = app
            .client
            .post(app.url("/setup"))
            .form(&form)
            .send()
            .await
            .expect("setup");

        assert_eq!(refused.status(), 422, "{field}");
        let page = html(&refused.text().await.expect("a body"));
        assert!(
            text_of(&page, &format!(".field-error[data-field={field}]")).is_some(),
            "a message beside {field}"
        );
        assert_eq!(
            attr_of(&page, "#name", "value").as_deref(),
            Some("Harbour Books")
        );
    }
    let password_rule = {
        let mut form = harbour_books(&token, "harbour-books", "hanna@harbour.example");
        form.retain(|(name, _)| *name != "owner_password");
        form.push(("owner_password", "short"));
        let page = app
            .client
            .post(app.url("/setup"))
            .form(&form)
            .send()
            .await
            .expect("setup")
            .text()
            .await
            .expect("a body");
        text_of(&html(&page), ".field-error[data-field=owner_password]").unwrap_or_default()
    };
    assert!(
        password_rule.contains("at least 10 characters"),
        "{password_rule}"
    );
    assert!(with_conn(&app.pool, |conn| Merchant::all(conn).expect("merchants")).is_empty());
}

async fn racing_setup_submissions_create_exactly_one_merchant(backend: Backend) {
    let app = spawn_empty_app(backend).await;
    let (first, second) = (new_client(), new_client());
    let first_token = page_token(&first, &app.url("/setup")).await;
    let second_token = page_token(&second, &app.url("/setup")).await;

    let first_form = harbour_books(&first_token, "harbour-books", "hanna@harbour.example");
    let second_form = harbour_books(&second_token, "quay-books", "quinn@quay.example");
    let (a, b) = tokio::join!(
        first.post(app.url("/setup")).form(&first_form).send(),
        second.post(app.url("/setup")).form(&second_form).send(),
    );

    let mut statuses = vec![
        a.expect("first setup").status().as_u16(),
        b.expect("second setup").status().as_u16(),
    ];
    statuses.sort();
    assert_eq!(
        statuses,
        vec![303, 403],
        "one opens the shop, the other is refused"
    );
    let merchants = with_conn(&app.pool, |conn| Merchant::all(conn).expect("merchants"));
    assert_eq!(merchants.len(), 1);
    let people = with_conn(&app.pool, |conn| {
        list_staff(conn, merchants[0].id).expect("staff")
    });
    assert_eq!(people.len(), 1, "one owner, of the one shop");
}
