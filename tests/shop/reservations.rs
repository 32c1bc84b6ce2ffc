//! *Reserve for pickup* on the shop's product page: a form per store that
//! has the item free, a confirmation with the pickup code, the store's
//! address and hours; every mistake shown beside its field with nothing
//! held; the form's token; the limit per client address.

use diesel::prelude::*;
use shelfsync::db::schema::{locations, reservations};
use shelfsync::domain::OnlineListing;
use shelfsync::inventory::merchants::{Location, Merchant};

use crate::common::fixtures::{new_item, receive_stock};
use crate::common::{
    Backend, TestApp, attr_of, html, new_client, sel, spawn_app, spawn_app_configured, text_of,
};
use crate::on_both_backends;

on_both_backends!(
    a_shopper_reserves_at_a_store_that_has_it_and_gets_the_pickup_code,
    every_mistake_is_shown_beside_its_field_and_nothing_is_held,
    a_reservation_without_the_forms_token_is_refused,
    the_eleventh_reservation_from_one_address_in_an_hour_is_refused_with_a_message,
    behind_a_trusted_proxy_each_forwarded_address_has_its_own_hourly_limit
);

struct Page {
    app: TestApp,
    slug: String,
    item: i64,
    downtown: i64,
    riverside: i64,
}

/// The demo shop with a view-only lantern: `stock` at Downtown, none at Riverside.
async fn page(backend: Backend, stock: i64) -> Page {
    page_of(spawn_app(backend).await, stock)
}

fn page_of(app: TestApp, stock: i64) -> Page {
    let merchant = app.demo_merchant_id();
    let mut conn = app.conn();
    let slug = Merchant::find(&mut conn, merchant).expect("the shop").slug;
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
    receive_stock(&mut conn, merchant, item, stores[0].id, stock);
    diesel::update(locations::table.find(stores[0].id))
        .set((
            locations::address.eq("1 Main Street"),
            locations::hours.eq("Mon–Sat 9–18"),
        ))
        .execute(&mut conn)
        .expect("Downtown's address");
    drop(conn);
    Page {
        app,
        slug,
        item,
        downtown: stores[0].id,
        riverside: stores[1].id,
    }
}

impl Page {
    fn path(&self) -> String {
        format!("/shop/{}/items/{}", self.slug, self.item)
    }

    /// Opens the product page as `client`, returning the form token.
    async fn open(&self, client: &reqwest::Client) -> String {
        let body = client
            .get(self.app.url(&self.path()))
            .send()
            .await
            .expect("the product page")
            .text()
            .await
            .expect("a body");
        attr_of(
            &html(&body),
            "form.reserve-form input[name=csrf_token]",
            "value",
        )
        .expect("a reservation form with its token")
    }

    async fn reserve(
        &self,
        client: &reqwest::Client,
        token: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String) {
        self.reserve_via(client, token, fields, None).await
    }

    /// `reserve` through a proxy that says the shopper is `forwarded_for`.
    async fn reserve_via(
        &self,
        client: &reqwest::Client,
        token: &str,
        fields: &[(&str, &str)],
        forwarded_for: Option<&str>,
    ) -> (u16, String) {
        let downtown = self.downtown.to_string();
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token), ("location_id", &downtown)];
        form.extend_from_slice(fields);
        let mut request = client
            .post(self.app.url(&format!("{}/reserve", self.path())))
            .form(&form);
        if let Some(address) = forwarded_for {
            request = request.header("X-Forwarded-For", address);
        }
        let response = request.send().await.expect("answered");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    fn held(&self) -> i64 {
        reservations::table
            .filter(reservations::item_id.eq(self.item))
            .filter(reservations::status.eq("open"))
            .select(reservations::quantity)
            .load::<i64>(&mut self.app.conn())
            .expect("holds")
            .into_iter()
            .sum()
    }
}

/// What a case is called, the fields it sends, and the field it is refused on.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

const ANA: &[(&str, &str)] = &[
    ("name", "Ana Lima"),
    ("email", "ana@example.com"),
    ("phone", ""),
    ("quantity", "2"),
];

async fn a_shopper_reserves_at_a_store_that_has_it_and_gets_the_pickup_code(backend: Backend) {
    let page = page(backend, 3).await;
    let client = new_client();
    let doc = html(
        &client
            .get(page.app.url(&page.path()))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body"),
    );
    assert!(
        doc.select(&sel(&format!("#reserve-{}", page.downtown)))
            .next()
            .is_some(),
        "Downtown offers it"
    );
    assert!(
        doc.select(&sel(&format!("#reserve-{}", page.riverside)))
            .next()
            .is_none(),
        "Riverside has none"
    );
    let token = page.open(&client).await;

    let (status, body) = page.reserve(&client, &token, ANA).await;

    assert_eq!(status, 200, "{body}");
    let confirmation = html(&body);
    let code = text_of(&confirmation, ".pickup-code").expect("a pickup code");
    assert_eq!(code.len(), 6, "{code}");
    assert_eq!(
        text_of(&confirmation, ".reserved-quantity").as_deref(),
        Some("2")
    );
    assert_eq!(
        text_of(&confirmation, ".reserved-store").as_deref(),
        Some("Downtown")
    );
    assert!(text_of(&confirmation, ".reserved-until").is_some());
    assert_eq!(
        text_of(&confirmation, ".store-address").as_deref(),
        Some("1 Main Street")
    );
    assert!(
        text_of(&confirmation, ".store-hours").is_some(),
        "the store's hours"
    );
    assert_eq!(page.held(), 2);
    // What is left: 1 free at Downtown, still offered.
    let after = html(
        &client
            .get(page.app.url(&page.path()))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body"),
    );
    assert!(
        after
            .select(&sel(&format!("#reserve-{}", page.downtown)))
            .next()
            .is_some()
    );
}

async fn every_mistake_is_shown_beside_its_field_and_nothing_is_held(backend: Backend) {
    let page = page(backend, 3).await;
    let client = new_client();
    let token = page.open(&client).await;
    let cases: [Case; 6] = [
        (
            "above the maximum",
            &[
                ("name", "Ana"),
                ("email", "ana@example.com"),
                ("quantity", "3"),
            ],
            "quantity",
        ),
        (
            "not a number",
            &[
                ("name", "Ana"),
                ("email", "ana@example.com"),
                ("quantity", "two"),
            ],
            "quantity",
        ),
        (
            "an invalid email",
            &[
                ("name", "Ana"),
                ("email", "ana-at-example"),
                ("quantity", "1"),
            ],
            "email",
        ),
        (
            "an invalid phone",
            &[
                ("name", "Ana"),
                ("email", ""),
                ("phone", "12"),
                ("quantity", "1"),
            ],
            "phone",
        ),
        (
            "no contact",
            &[
                ("name", "Ana"),
                ("email", ""),
                ("phone", ""),
                ("quantity", "1"),
            ],
            "email",
        ),
        (
            "no name",
            &[
                ("name", ""),
                ("email", "ana@example.com"),
                ("quantity", "1"),
            ],
            "name",
        ),
    ];
    for (what, fields, field) in cases {
        let (status, body) = page.reserve(&client, &token, fields).await;
        assert_eq!(status, 422, "{what}: {body}");
        let doc = html(&body);
        let beside = format!(
            "#reserve-{} .field-error[data-field={field}]",
            page.downtown
        );
        assert!(
            text_of(&doc, &beside).is_some(),
            "{what}: a message beside {field}"
        );
    }
    // More than is free: 3 on hand, 2 held by someone else.
    assert_eq!(page.reserve(&client, &token, ANA).await.0, 200);
    let (status, body) = page
        .reserve(
            &client,
            &token,
            &[
                ("name", "Bo"),
                ("email", "bo@example.com"),
                ("quantity", "2"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let message =
        text_of(&html(&body), ".field-error[data-field=quantity]").expect("beside quantity");
    assert!(message.contains("Only 1"), "{message}");

    assert_eq!(page.held(), 2, "only the one good request holds anything");
}

async fn a_reservation_without_the_forms_token_is_refused(backend: Backend) {
    let page = page(backend, 3).await;
    let client = new_client();
    page.open(&client).await;

    let (forged, _) = page.reserve(&client, "0".repeat(64).as_str(), ANA).await;
    let (fresh_browser, _) = page.reserve(&new_client(), "", ANA).await;

    assert_eq!((forged, fresh_browser), (403, 403));
    assert_eq!(page.held(), 0);
}

async fn the_eleventh_reservation_from_one_address_in_an_hour_is_refused_with_a_message(
    backend: Backend,
) {
    let page = page(backend, 30).await;
    let client = new_client();
    let token = page.open(&client).await;
    for n in 0..10 {
        let email = format!("shopper{n}@example.com");
        let (status, body) = page
            .reserve(
                &client,
                &token,
                &[("name", "Shopper"), ("email", &email), ("quantity", "1")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    let (status, body) = page
        .reserve(
            &client,
            &token,
            &[
                ("name", "Shopper"),
                ("email", "late@example.com"),
                ("quantity", "1"),
            ],
        )
        .await;

    assert_eq!(status, 429, "{body}");
    let message = text_of(
        &html(&body),
        &format!("#reserve-{} .form-error", page.downtown),
    )
    .expect("a message on the form");
    assert!(message.contains("last hour"), "{message}");
    // A header naming another address is anyone's word without a trusted proxy.
    let (status, body) = page
        .reserve_via(
            &client,
            &token,
            &[
                ("name", "Shopper"),
                ("email", "sly@example.com"),
                ("quantity", "1"),
            ],
            Some("198.51.100.1"),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(page.held(), 10);
}

async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_hourly_limit(backend: Backend) {
    let app = spawn_app_configured(backend, |args| {
        args.trusted_proxies = vec!["127.0.0.1".parse().expect("an address")];
    })
    .await;
    let page = page_of(app, 30);
    let client = new_client();
    let token = page.open(&client).await;
    let shopper = |n: usize| format!("shopper{n}@example.com");
    for n in 0..10 {
        let email = shopper(n);
        let fields = [
            ("name", "Shopper"),
            ("email", email.as_str()),
            ("quantity", "1"),
        ];
        let (status, body) = page
            .reserve_via(&client, &token, &fields, Some("203.0.113.5"))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let email = shopper(10);
    let fields = [
        ("name", "Shopper"),
        ("email", email.as_str()),
        ("quantity", "1"),
    ];
    let (status, body) = page
        .reserve_via(&client, &token, &fields, Some("203.0.113.5"))
        .await;
    assert_eq!(status, 429, "the same shopper behind the proxy: {body}");
    let (status, body) = page
        .reserve_via(&client, &token, &fields, Some("203.0.113.6"))
        .await;
    assert_eq!(status, 200, "another shopper behind the same proxy: {body}");
    assert_eq!(page.held(), 11);
}
