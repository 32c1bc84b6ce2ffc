//! The counter's sale and receive forms by role: a cashier records them only
//! at their own store; at another store they are refused (403) and nothing
//! changes; managers and owners may use any store.

use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::stock::on_hand;

use crate::common::demo::SPECKLED_MUG_IN_STORE_ONLY;
use crate::common::{
    Backend, DEMO_EMAIL, DEMO_PASSWORD, TestApp, attr_of, html, sel, spawn_app, with_conn,
};
use crate::on_both_backends;
use crate::support::{PASSWORD, fingerprint, person, signed_in};

const MUG: i64 = SPECKLED_MUG_IN_STORE_ONLY;

/// The sale or receive form of the counter's item view at `store`, as `client` sees it.
async fn form_of(
    app: &TestApp,
    client: &reqwest::Client,
    store: i64,
    form: &str,
) -> Vec<(String, String)> {
    let body = client
        .get(app.url(&format!("/counter/items/{MUG}?location={store}")))
        .send()
        .await
        .expect("the item view")
        .text()
        .await
        .expect("a body");
    let doc = html(&body);
    assert!(
        attr_of(
            &doc,
            &format!("{form} input[name=idempotency_key]"),
            "value"
        )
        .is_some(),
        "{form} on the item view"
    );
    doc.select(&sel(&format!("{form} input[name]")))
        .filter(|input| input.value().attr("name") != Some("csrf_token"))
        .map(|input| {
            (
                input.value().attr("name").unwrap_or_default().to_owned(),
                input.value().attr("value").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `fields` with the store changed to `store`, as a forged form would send it.
fn at_store(fields: &[(String, String)], store: i64) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, value)| match name.as_str() {
            "location_id" => (name.clone(), store.to_string()),
            _ => (name.clone(), value.clone()),
        })
        .collect()
}

async fn post_as(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    app.post_form_as(client, path, &fields).await
}

on_both_backends!(
    a_cashier_sells_and_receives_at_their_own_store_only,
    an_owner_sells_at_any_store
);

async fn a_cashier_sells_and_receives_at_their_own_store_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let stores = with_conn(&app.pool, |conn| Location::all_of(conn, merchant)).expect("stores");
    let (downtown, riverside) = (stores[0].id, stores[1].id);
    let (cashier, _) = with_conn(&app.pool, |conn| {
        person(conn, merchant, "Cato", "cashier", Some(downtown))
    });
    let client = signed_in(&app, &cashier, PASSWORD).await;
    let sale = form_of(&app, &client, downtown, "#counter-sale").await;
    let receipt = form_of(&app, &client, downtown, "#counter-receive").await;
    let level = |store| with_conn(&app.pool, |conn| on_hand(conn, MUG, store)).expect("level");
    let (here, there) = (level(downtown), level(riverside));

    let before = with_conn(&app.pool, |conn| fingerprint(conn, merchant));
    let elsewhere_sale = post_as(
        &app,
        &client,
        &format!("/counter/items/{MUG}/sale"),
        &at_store(&sale, riverside),
    )
    .await;
    let elsewhere_receipt = post_as(
        &app,
        &client,
        &format!("/counter/items/{MUG}/receive"),
        &at_store(&receipt, riverside),
    )
    .await;
    let elsewhere_view = client
        .get(app.url(&format!("/counter/items/{MUG}?location={riverside}")))
        .send()
        .await
        .expect("the other store's view");
    let after = with_conn(&app.pool, |conn| fingerprint(conn, merchant));

    assert_eq!(elsewhere_sale.status(), 403);
    assert_eq!(elsewhere_receipt.status(), 403);
    assert_eq!(elsewhere_view.status(), 404, "not a store of theirs");
    assert_eq!(before, after, "nothing changed");
    assert_eq!(level(riverside), there);

    let own_sale = post_as(&app, &client, &format!("/counter/items/{MUG}/sale"), &sale).await;
    let own_receipt = post_as(
        &app,
        &client,
        &format!("/counter/items/{MUG}/receive"),
        &receipt,
    )
    .await;

    assert_eq!(own_sale.status(), 303);
    assert_eq!(own_receipt.status(), 303);
    assert_eq!(level(downtown), here - 1 + 1);
    assert_eq!(level(riverside), there);
    let ledger = with_conn(&app.pool, |conn| {
        shelfsync::inventory::stock::movements(conn, merchant, MUG, 2)
    })
    .expect("movements");
    assert_eq!(ledger.len(), 2);
    assert!(ledger.iter().all(|m| m.location_id == downtown));
    assert!(
        ledger.iter().all(|m| m.actor.contains("Cato")),
        "{ledger:?}"
    );
}

async fn an_owner_sells_at_any_store(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let riverside =
        with_conn(&app.pool, |conn| Location::all_of(conn, merchant)).expect("stores")[1].id;
    let client = signed_in(&app, DEMO_EMAIL, DEMO_PASSWORD).await;
    let level = || with_conn(&app.pool, |conn| on_hand(conn, MUG, riverside)).expect("level");
    with_conn(&app.pool, |conn| {
        crate::common::fixtures::receive_stock(conn, merchant, MUG, riverside, 2)
    });
    let there = level();
    let sale = form_of(&app, &client, riverside, "#counter-sale").await;

    let response = post_as(&app, &client, &format!("/counter/items/{MUG}/sale"), &sale).await;

    assert_eq!(response.status(), 303);
    assert_eq!(level(), there - 1);
}
