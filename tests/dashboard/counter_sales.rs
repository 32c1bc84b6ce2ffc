//! The scan-first counter: a scanned code opens its item, other text narrows
//! the list; from the item, a sale or a receipt goes through the same stock
//! service as the POS API, once per rendered form.

use scraper::Html;
use shelfsync::domain::OnlineListing;
use shelfsync::inventory::Item;
use shelfsync::inventory::lists::{OnlineRecord, online_record_of};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::stock::{movements, on_hand};

use crate::common::demo::{SPECKLED_MUG_IN_STORE_ONLY, TEAPOT_ONLINE_ONLY};
use crate::common::fixtures::receive_stock;
use crate::common::{Backend, TestApp, attr_of, html, sel, spawn_app, text_of};
use crate::on_both_backends;

/// In store and for sale online (demo index 3), at Downtown, which ships online orders.
const SOLD_BOTH_WAYS: i64 = 4;

fn downtown(app: &TestApp) -> i64 {
    Location::all_of(&mut app.conn(), app.demo_merchant_id()).expect("stores")[0].id
}

fn item(app: &TestApp, id: i64) -> Item {
    Item::find(&mut app.conn(), app.demo_merchant_id(), id).expect("the item")
}

fn stock_here(app: &TestApp, item_id: i64, store: i64) -> i64 {
    on_hand(&mut app.conn(), item_id, store).expect("the level")
}

fn ledger_length(app: &TestApp, item_id: i64) -> usize {
    movements(&mut app.conn(), app.demo_merchant_id(), item_id, 1000)
        .expect("movements")
        .len()
}

fn available_online(app: &TestApp, item_id: i64) -> i64 {
    match online_record_of(&mut app.conn(), &item(app, item_id)).expect("the record") {
        OnlineRecord::Listed(entry) => entry.available_online,
        OnlineRecord::Removed(_) => panic!("item {item_id} should be listed online"),
    }
}

async fn item_page(app: &TestApp, item_id: i64, store: i64) -> Html {
    app.get_html(&format!("/counter/items/{item_id}?location={store}"))
        .await
}

/// The fields of a form on the page, as the browser would post them (without the CSRF token).
fn form_fields(doc: &Html, form: &str) -> Vec<(String, String)> {
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

fn with_quantity(fields: &[(String, String)], quantity: &str) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, value)| {
            let value = if name == "quantity" { quantity } else { value };
            (name.clone(), value.to_owned())
        })
        .collect()
}

async fn post(app: &TestApp, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    app.post_form(path, &fields).await
}

fn location_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

on_both_backends!(
    an_exact_barcode_or_sku_opens_the_item_and_other_text_narrows_the_list,
    the_item_view_shows_the_stock_here_with_a_sale_and_a_receive_form,
    a_sale_lowers_the_count_here_and_what_the_online_store_can_sell,
    a_sale_form_sent_twice_records_one_sale,
    a_sale_beyond_the_count_asks_first_and_is_then_recorded_anyway,
    receiving_adds_the_units_once_per_form,
    a_bad_quantity_is_named_beside_its_field_and_changes_nothing,
    an_online_only_item_has_no_sale_form_at_the_counter
);

async fn an_exact_barcode_or_sku_opens_the_item_and_other_text_narrows_the_list(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let store = downtown(&app);
    let mug = item(&app, SPECKLED_MUG_IN_STORE_ONLY);
    let barcode = mug.barcode.clone().expect("demo items have barcodes");
    let opened = format!("/counter/items/{SPECKLED_MUG_IN_STORE_ONLY}?location={store}");

    let by_barcode = app
        .get(&format!("/counter?location={store}&q={barcode}"))
        .await;
    let by_sku = app
        .get(&format!("/counter?location={store}&q={}", mug.sku))
        .await;
    let narrowed = app
        .get_html(&format!("/counter?location={store}&q=mug"))
        .await;
    let list = app.get_html(&format!("/counter?location={store}")).await;
    let as_typed = app
        .client
        .get(app.url(&format!("/counter?location={store}&q={barcode}")))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("the htmx request");

    assert_eq!(by_barcode.status(), 303);
    assert_eq!(location_of(&by_barcode), opened);
    assert_eq!(by_sku.status(), 303);
    assert_eq!(location_of(&by_sku), opened);
    let names: Vec<String> = narrowed
        .select(&sel("tr.counter-item td.name"))
        .map(|cell| cell.text().collect::<String>().to_lowercase())
        .collect();
    assert!(!names.is_empty(), "some demo items are mugs");
    assert!(names.iter().all(|name| name.contains("mug")), "{names:?}");
    assert_eq!(
        attr_of(&narrowed, "#counter-q", "value").as_deref(),
        Some("mug"),
        "the search box keeps what was typed"
    );
    assert!(
        list.select(&sel("#counter-q[autofocus]")).next().is_some(),
        "the scan box has the focus when the counter opens"
    );
    // Typing (htmx) narrows the list to the one item and never navigates.
    assert_eq!(as_typed.status(), 200);
    let fragment = html(&as_typed.text().await.expect("a body"));
    let ids: Vec<&str> = fragment
        .select(&sel("tr.counter-item"))
        .filter_map(|row| row.value().attr("data-item-id"))
        .collect();
    assert_eq!(ids, vec![SPECKLED_MUG_IN_STORE_ONLY.to_string().as_str()]);
    assert!(
        fragment.select(&sel("h1")).next().is_none(),
        "only the list"
    );
}

async fn the_item_view_shows_the_stock_here_with_a_sale_and_a_receive_form(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let store = downtown(&app);
    receive_stock(
        &mut app.conn(),
        app.demo_merchant_id(),
        SOLD_BOTH_WAYS,
        store,
        3,
    );
    let expected = stock_here(&app, SOLD_BOTH_WAYS, store);

    let first = item_page(&app, SOLD_BOTH_WAYS, store).await;
    let second = item_page(&app, SOLD_BOTH_WAYS, store).await;

    assert_eq!(
        text_of(&first, "#counter-item-name"),
        Some(item(&app, SOLD_BOTH_WAYS).name)
    );
    assert_eq!(
        text_of(&first, "#counter-on-hand"),
        Some(expected.to_string())
    );
    assert_eq!(
        attr_of(&first, "#counter-sale input[name=quantity]", "value").as_deref(),
        Some("1"),
        "a sale is of one unit unless changed"
    );
    assert!(first.select(&sel("#counter-receive")).next().is_some());
    assert!(
        first
            .select(&sel("form.counter-search #counter-q"))
            .next()
            .is_some(),
        "a scan box for the next item"
    );
    assert!(
        first.select(&sel("[autofocus]")).next().is_none(),
        "the view opens on the item, not scrolled to the scan box"
    );
    let key = |doc: &Html, form: &str| {
        attr_of(doc, &format!("{form} input[name=idempotency_key]"), "value")
            .expect("a one-time key")
    };
    assert_ne!(key(&first, "#counter-sale"), key(&second, "#counter-sale"));
    assert_ne!(
        key(&first, "#counter-sale"),
        key(&first, "#counter-receive")
    );
}

async fn a_sale_lowers_the_count_here_and_what_the_online_store_can_sell(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let store = downtown(&app);
    receive_stock(
        &mut app.conn(),
        app.demo_merchant_id(),
        SOLD_BOTH_WAYS,
        store,
        10,
    );
    assert_eq!(item(&app, SOLD_BOTH_WAYS).online(), OnlineListing::ForSale);
    let (here, online) = (
        stock_here(&app, SOLD_BOTH_WAYS, store),
        available_online(&app, SOLD_BOTH_WAYS),
    );
    let page = item_page(&app, SOLD_BOTH_WAYS, store).await;
    let sale = with_quantity(&form_fields(&page, "#counter-sale"), "2");

    let response = post(
        &app,
        &format!("/counter/items/{SOLD_BOTH_WAYS}/sale"),
        &sale,
    )
    .await;

    assert_eq!(response.status(), 303);
    assert_eq!(
        location_of(&response),
        format!("/counter/items/{SOLD_BOTH_WAYS}?location={store}")
    );
    assert_eq!(stock_here(&app, SOLD_BOTH_WAYS, store), here - 2);
    assert_eq!(available_online(&app, SOLD_BOTH_WAYS), online - 2);
    let after = item_page(&app, SOLD_BOTH_WAYS, store).await;
    assert_eq!(
        text_of(&after, "#counter-on-hand"),
        Some((here - 2).to_string())
    );
    let told = text_of(&after, "#flash .notice.success").expect("a confirmation");
    assert!(told.starts_with("Sold 2 ×"), "{told}");
    assert!(
        told.contains(&format!("{} on hand here now", here - 2)),
        "{told}"
    );
    let last = &movements(&mut app.conn(), app.demo_merchant_id(), SOLD_BOTH_WAYS, 1)
        .expect("movements")[0];
    assert_eq!(last.kind.as_str(), "store_sale");
    assert_eq!(last.quantity, -2);
    assert_eq!(last.reason, "Sale at the counter");
}

async fn a_sale_form_sent_twice_records_one_sale(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let store = downtown(&app);
    receive_stock(
        &mut app.conn(),
        app.demo_merchant_id(),
        SOLD_BOTH_WAYS,
        store,
        5,
    );
    let here = stock_here(&app, SOLD_BOTH_WAYS, store);
    let ledger = ledger_length(&app, SOLD_BOTH_WAYS);
    let sale = form_fields(
        &item_page(&app, SOLD_BOTH_WAYS, store).await,
        "#counter-sale",
    );
    let path = format!("/counter/items/{SOLD_BOTH_WAYS}/sale");

    let first = post(&app, &path, &sale).await;
    let second = post(&app, &path, &sale).await;

    assert_eq!(first.status(), 303);
    assert_eq!(second.status(), 303);
    assert_eq!(stock_here(&app, SOLD_BOTH_WAYS, store), here - 1);
    assert_eq!(ledger_length(&app, SOLD_BOTH_WAYS), ledger + 1);
    let told = text_of(
        &item_page(&app, SOLD_BOTH_WAYS, store).await,
        "#flash .notice.warning",
    )
    .expect("the second submission is told apart");
    assert!(told.contains("recorded once"), "{told}");
}

async fn a_sale_beyond_the_count_asks_first_and_is_then_recorded_anyway(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let store = downtown(&app);
    let here = stock_here(&app, SOLD_BOTH_WAYS, store);
    let ledger = ledger_length(&app, SOLD_BOTH_WAYS);
    let too_many = (here + 2).to_string();
    let sale = with_quantity(
        &form_fields(
            &item_page(&app, SOLD_BOTH_WAYS, store).await,
            "#counter-sale",
        ),
        &too_many,
    );
    let path = format!("/counter/items/{SOLD_BOTH_WAYS}/sale");

    let asked = post(&app, &path, &sale).await;

    assert_eq!(asked.status(), 409);
    let question = html(&asked.text().await.expect("a body"));
    assert_eq!(stock_here(&app, SOLD_BOTH_WAYS, store), here, "nothing yet");
    assert_eq!(ledger_length(&app, SOLD_BOTH_WAYS), ledger);
    assert_eq!(
        text_of(&question, "#counter-confirm button[type=submit]").as_deref(),
        Some("Record anyway")
    );
    let confirm = form_fields(&question, "#counter-confirm");
    assert!(confirm.contains(&("record_anyway".to_owned(), "1".to_owned())));
    assert!(confirm.contains(&("quantity".to_owned(), too_many.clone())));

    let recorded = post(&app, &path, &confirm).await;
    let again = post(&app, &path, &confirm).await;

    assert_eq!(recorded.status(), 303);
    assert_eq!(again.status(), 303);
    assert_eq!(stock_here(&app, SOLD_BOTH_WAYS, store), -2);
    assert_eq!(ledger_length(&app, SOLD_BOTH_WAYS), ledger + 1);
    let last = &movements(&mut app.conn(), app.demo_merchant_id(), SOLD_BOTH_WAYS, 1)
        .expect("movements")[0];
    assert_eq!(last.reason, "Sale at the counter, recorded anyway");
    let after = item_page(&app, SOLD_BOTH_WAYS, store).await;
    assert_eq!(text_of(&after, "#counter-on-hand").as_deref(), Some("-2"));
    let told = text_of(&after, "#flash .notice.warning").expect("a warning to count");
    assert!(told.contains("recorded anyway"), "{told}");
    assert!(told.contains("below zero: count it"), "{told}");
    assert!(
        after
            .select(&sel("#counter-on-hand.negative"))
            .next()
            .is_some()
    );
}

async fn receiving_adds_the_units_once_per_form(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let store = downtown(&app);
    let here = stock_here(&app, SPECKLED_MUG_IN_STORE_ONLY, store);
    let receipt = with_quantity(
        &form_fields(
            &item_page(&app, SPECKLED_MUG_IN_STORE_ONLY, store).await,
            "#counter-receive",
        ),
        "4",
    );
    let path = format!("/counter/items/{SPECKLED_MUG_IN_STORE_ONLY}/receive");

    let first = post(&app, &path, &receipt).await;
    let second = post(&app, &path, &receipt).await;

    assert_eq!(first.status(), 303);
    assert_eq!(second.status(), 303);
    assert_eq!(
        stock_here(&app, SPECKLED_MUG_IN_STORE_ONLY, store),
        here + 4
    );
    let last = &movements(
        &mut app.conn(),
        app.demo_merchant_id(),
        SPECKLED_MUG_IN_STORE_ONLY,
        2,
    )
    .expect("movements");
    assert_eq!(last[0].kind.as_str(), "receipt");
    assert_eq!(last[0].quantity, 4);
    assert_eq!(last[0].reason, "Received at the counter");
    assert!(
        last.len() < 2 || last[1].idempotency_key != last[0].idempotency_key,
        "one movement for the form"
    );
}

async fn a_bad_quantity_is_named_beside_its_field_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let store = downtown(&app);
    let here = stock_here(&app, SOLD_BOTH_WAYS, store);
    let ledger = ledger_length(&app, SOLD_BOTH_WAYS);
    let page = item_page(&app, SOLD_BOTH_WAYS, store).await;

    for (form, action) in [("#counter-sale", "sale"), ("#counter-receive", "receive")] {
        for bad in ["", "abc", "0", "-3", "2.5", "99999999999"] {
            let fields = with_quantity(&form_fields(&page, form), bad);
            let response = post(
                &app,
                &format!("/counter/items/{SOLD_BOTH_WAYS}/{action}"),
                &fields,
            )
            .await;

            assert_eq!(response.status(), 422, "{action} of {bad:?}");
            let doc = html(&response.text().await.expect("a body"));
            let message = text_of(&doc, &format!("{form} .field-error[data-field=quantity]"))
                .unwrap_or_else(|| panic!("a message beside the quantity ({action} {bad:?})"));
            assert!(!message.is_empty());
            assert_eq!(
                attr_of(&doc, &format!("{form} input[name=quantity]"), "value").as_deref(),
                Some(bad),
                "what was typed stays"
            );
        }
    }
    assert_eq!(stock_here(&app, SOLD_BOTH_WAYS, store), here);
    assert_eq!(ledger_length(&app, SOLD_BOTH_WAYS), ledger);
}

async fn an_online_only_item_has_no_sale_form_at_the_counter(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let store = downtown(&app);

    let page = item_page(&app, TEAPOT_ONLINE_ONLY, store).await;

    assert!(page.select(&sel("#counter-sale")).next().is_none());
    assert_eq!(
        text_of(&page, "#counter-item-stock .status").as_deref(),
        Some("Online only — not sold here")
    );
    assert_eq!(
        app.get(&format!("/counter/items/{TEAPOT_ONLINE_ONLY}?location=abc"))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.get(&format!("/counter/items/999999?location={store}"))
            .await
            .status(),
        404
    );
}
