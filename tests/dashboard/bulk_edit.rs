//! `/items/bulk-edit`: the bulk editor. A grid of the selected items with
//! the person's columns, saved all or nothing through the item writer, with
//! every problem beside its cell, conflicts held until confirmed, and one
//! activity entry that Undo restores.

use diesel::prelude::*;
use scraper::Html;
use shelfsync::db::schema::{bulk_edits, outbox_events, stock_movements};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::{Actor, Item, ItemChange, change_item};

use crate::common::demo::{BLUE_MUG_FOR_SALE, CAMPING_MUG_VIEW_ONLY, SPECKLED_MUG_IN_STORE_ONLY};
use crate::common::fixtures::{
    PASSWORD, item_fields, listed_price, online_list, other_merchant, person, signed_in,
};
use crate::common::{Backend, TestApp, attr_of, html, sel, spawn_app, text_of};
use crate::on_both_backends;
use crate::support::{form_fields, set_field, unset_field};

on_both_backends!(
    edit_selected_opens_the_editor_for_the_selected_items,
    select_all_matching_opens_the_editor_for_every_matching_item,
    saving_the_grid_changes_every_row_and_records_counts_on_the_ledger,
    every_bad_cell_saves_nothing_and_is_named_beside_its_cell_with_the_input_kept,
    a_tampered_or_another_merchants_item_id_is_404_and_nothing_is_saved,
    more_rows_than_the_bulk_limit_save_nothing,
    an_item_changed_in_another_session_is_marked_and_saved_only_when_confirmed,
    undo_restores_the_whole_edit_and_leaves_an_item_changed_since_alone_unless_confirmed,
    a_cashier_may_not_open_or_save_the_editor,
    the_chosen_columns_are_remembered_for_each_person
);

/// Item 4 of the demo: in store and for sale online, at a price of its own.
const TEA_TOWEL_FOR_SALE: i64 = 4;

fn sku_of(id: i64) -> String {
    format!("CG-{}", 1000 + id)
}

fn item(app: &TestApp, id: i64) -> Item {
    Item::find(&mut app.conn(), app.demo_merchant_id(), id).expect("the item")
}

fn downtown(app: &TestApp) -> i64 {
    Location::all_of(&mut app.conn(), app.demo_merchant_id()).expect("stores")[0].id
}

fn bulk_edit_count(app: &TestApp) -> i64 {
    bulk_edits::table
        .count()
        .get_result(&mut app.conn())
        .expect("bulk edits")
}

/// Chooses the editor's columns for the signed-in person.
async fn choose_columns(app: &TestApp, columns: &[&str]) {
    let mut fields: Vec<(&str, &str)> = columns.iter().map(|c| ("column", *c)).collect();
    fields.push(("ids", "1"));
    let response = app.post_form("/items/bulk-edit/columns", &fields).await;
    assert_eq!(response.status(), 303, "the columns are saved");
}

/// The editor for these items, parsed.
async fn editor(app: &TestApp, ids: &[i64]) -> Html {
    let query: Vec<String> = ids.iter().map(|id| format!("ids={id}")).collect();
    app.get_html(&format!("/items/bulk-edit?{}", query.join("&")))
        .await
}

async fn post_grid(app: &TestApp, fields: &[(String, String)]) -> reqwest::Response {
    app.client
        .post(app.url("/items/bulk-edit"))
        .form(fields)
        .send()
        .await
        .expect("the grid is posted")
}

fn cell(item_id: i64, column: &str) -> String {
    format!("cell-{item_id}-{column}")
}

/// The message beside a cell, if any.
fn cell_error(doc: &Html, item_id: i64, column: &str) -> Option<String> {
    text_of(
        doc,
        &format!("tr[data-item-id=\"{item_id}\"] td[data-column=\"{column}\"] .cell-error"),
    )
}

fn cell_value(doc: &Html, item_id: i64, column: &str) -> Option<String> {
    attr_of(
        doc,
        &format!("input[name=\"{}\"]", cell(item_id, column)),
        "value",
    )
}

async fn edit_selected_opens_the_editor_for_the_selected_items(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let list = app.get_html("/items").await;
    assert!(
        list.select(&sel("form#bulk button#bulk-edit-open"))
            .next()
            .is_some(),
        "the item list offers Edit selected"
    );

    let response = app
        .post_form(
            "/items/bulk-edit/open",
            &[
                ("ids", &format!("{BLUE_MUG_FOR_SALE}:1")),
                ("ids", &CAMPING_MUG_VIEW_ONLY.to_string()),
                ("q", ""),
                ("filter", "all"),
            ],
        )
        .await;

    assert_eq!(response.status(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("a location")
        .to_owned();
    assert_eq!(location, "/items/bulk-edit?ids=1&ids=3&q=&filter=all");
    let doc = app.get_html(&location).await;
    let rows: Vec<String> = doc
        .select(&sel("form#bulk-edit tr.bulk-row"))
        .filter_map(|row| row.value().attr("data-item-id").map(str::to_owned))
        .collect();
    assert_eq!(rows, ["1", "3"]);
    let headings: Vec<String> = doc
        .select(&sel("table.bulk-grid thead tr:first-child th[data-column]"))
        .map(|th| th.text().collect::<String>())
        .collect();
    assert_eq!(headings, ["Name", "SKU", "Price"], "the default columns");
    assert_eq!(
        cell_value(&doc, BLUE_MUG_FOR_SALE, "price"),
        Some(item(&app, BLUE_MUG_FOR_SALE).price.decimal())
    );
}

async fn select_all_matching_opens_the_editor_for_every_matching_item(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let list = app.get_html("/items?q=mug&filter=all").await;
    let listed: Vec<String> = list
        .select(&sel("tr.item-row"))
        .filter_map(|row| row.value().attr("data-item-id").map(str::to_owned))
        .collect();

    let response = app
        .post_form(
            "/items/bulk-edit/open",
            &[("all_matching", "1"), ("q", "mug"), ("filter", "all")],
        )
        .await;

    assert_eq!(response.status(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("a location")
        .to_owned();
    let doc = app.get_html(&location).await;
    let mut rows: Vec<String> = doc
        .select(&sel("form#bulk-edit tr.bulk-row"))
        .filter_map(|row| row.value().attr("data-item-id").map(str::to_owned))
        .collect();
    let mut expected = listed.clone();
    rows.sort();
    expected.sort();
    assert!(!expected.is_empty(), "some items match");
    assert_eq!(rows, expected, "every matching item, once");
}

async fn saving_the_grid_changes_every_row_and_records_counts_on_the_ledger(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let store = downtown(&app);
    let stock = format!("stock-{store}");
    choose_columns(&app, &["price", "description", &stock]).await;
    let ids = [BLUE_MUG_FOR_SALE, TEA_TOWEL_FOR_SALE];
    let doc = editor(&app, &ids).await;
    let mut fields = form_fields(&doc, "form#bulk-edit");
    let last_event: i64 = outbox_events::table
        .select(diesel::dsl::max(outbox_events::id))
        .first::<Option<i64>>(&mut app.conn())
        .expect("the outbox")
        .unwrap_or(0);

    set_field(&mut fields, &cell(BLUE_MUG_FOR_SALE, "price"), "21.50");
    set_field(&mut fields, &cell(BLUE_MUG_FOR_SALE, &stock), "17");
    set_field(&mut fields, &cell(TEA_TOWEL_FOR_SALE, "price"), "3.25");
    set_field(
        &mut fields,
        &cell(TEA_TOWEL_FOR_SALE, "description"),
        "Linen, washed.",
    );
    let response = post_grid(&app, &fields).await;

    assert_eq!(response.status(), 303, "saved");
    let list = app.get_html("/items").await;
    assert_eq!(
        text_of(&list, "#flash p.notice.success").as_deref(),
        Some("Saved: 2 items changed.")
    );
    let merchant = app.demo_merchant_id();
    let online = online_list(&app, merchant).await;
    assert_eq!(
        listed_price(&online, &sku_of(BLUE_MUG_FOR_SALE)),
        Some(2150)
    );
    assert_eq!(
        listed_price(&online, &sku_of(TEA_TOWEL_FOR_SALE)),
        Some(325)
    );
    assert_eq!(item(&app, TEA_TOWEL_FOR_SALE).description, "Linen, washed.");
    let counts: Vec<(String, i64, String)> = stock_movements::table
        .filter(stock_movements::item_id.eq(BLUE_MUG_FOR_SALE))
        .filter(stock_movements::location_id.eq(store))
        .order(stock_movements::id.desc())
        .select((
            stock_movements::kind,
            stock_movements::on_hand_after,
            stock_movements::reason,
        ))
        .limit(1)
        .load(&mut app.conn())
        .expect("movements");
    assert_eq!(counts, [("count".to_owned(), 17, "bulk edit".to_owned())]);
    let untouched: i64 = stock_movements::table
        .filter(stock_movements::item_id.eq(TEA_TOWEL_FOR_SALE))
        .filter(stock_movements::kind.eq("count"))
        .count()
        .get_result(&mut app.conn())
        .expect("movements");
    assert_eq!(untouched, 0, "an untouched stock cell records nothing");
    let mut announced: Vec<(Option<i64>, String)> = outbox_events::table
        .filter(outbox_events::id.gt(last_event))
        .select((outbox_events::item_id, outbox_events::event_type))
        .load(&mut app.conn())
        .expect("the outbox");
    announced.sort();
    announced.dedup();
    for id in ids {
        assert!(
            announced.contains(&(Some(id), "item.listing_changed".to_owned())),
            "webhooks and live events hear of item {id}: {announced:?}"
        );
    }
    let activity = app.get_html("/activity").await;
    assert_eq!(
        text_of(&activity, "li.bulk-edit-record .summary").as_deref(),
        Some("Bulk edit of 2 items by Sam Rivera")
    );
}

async fn every_bad_cell_saves_nothing_and_is_named_beside_its_cell_with_the_input_kept(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let stock = format!("stock-{}", downtown(&app));
    choose_columns(&app, &["sku", "price", "in_store", "online", &stock]).await;
    let ids = [1, 2, 3, 4];
    let before: Vec<Item> = ids.iter().map(|id| item(&app, *id)).collect();
    let doc = editor(&app, &ids).await;
    let mut fields = form_fields(&doc, "form#bulk-edit");

    set_field(&mut fields, &cell(1, "sku"), "DUP-1");
    set_field(&mut fields, &cell(2, "sku"), "DUP-1");
    set_field(&mut fields, &cell(2, "price"), "-2");
    set_field(&mut fields, &cell(3, "sku"), &sku_of(10));
    set_field(&mut fields, &cell(3, "price"), "abc");
    set_field(&mut fields, &cell(4, &stock), "-1");
    set_field(&mut fields, &cell(1, &stock), "2.5");
    // Item 3 is view-only online: it can't stop selling in store.
    unset_field(&mut fields, &cell(3, "in_store"));
    let response = post_grid(&app, &fields).await;

    assert_eq!(response.status(), 422);
    let page = html(&response.text().await.expect("a body"));
    for (id, column) in [
        (1, "sku"),
        (2, "sku"),
        (2, "price"),
        (3, "sku"),
        (3, "price"),
        (4, stock.as_str()),
        (1, stock.as_str()),
    ] {
        assert!(
            cell_error(&page, id, column).is_some(),
            "a message beside item {id}'s {column}"
        );
    }
    assert_eq!(
        cell_error(&page, 3, "sku"),
        Some(format!(
            "SKU {} is already used by another item",
            sku_of(10)
        ))
    );
    assert!(
        cell_error(&page, 3, "in_store").is_some() || cell_error(&page, 3, "online").is_some(),
        "the view-only rule is named beside the row's designation"
    );
    assert_eq!(
        cell_error(&page, 4, "price"),
        None,
        "a good cell has no message"
    );
    assert_eq!(cell_value(&page, 2, "price").as_deref(), Some("-2"));
    assert_eq!(cell_value(&page, 3, "price").as_deref(), Some("abc"));
    assert_eq!(cell_value(&page, 1, "sku").as_deref(), Some("DUP-1"));
    let after: Vec<Item> = ids.iter().map(|id| item(&app, *id)).collect();
    assert_eq!(before, after, "nothing was saved");
    assert_eq!(bulk_edit_count(&app), 0);
}

async fn a_tampered_or_another_merchants_item_id_is_404_and_nothing_is_saved(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let theirs = other_merchant(&app);
    let their_item = theirs.items[0].clone();
    let doc = editor(&app, &[BLUE_MUG_FOR_SALE]).await;
    let fields = form_fields(&doc, "form#bulk-edit");
    let before = item(&app, BLUE_MUG_FOR_SALE);

    for tampered in [
        format!("{}:{}", their_item.id, their_item.version),
        "999999:1".to_owned(),
    ] {
        let mut fields = fields.clone();
        set_field(&mut fields, &cell(BLUE_MUG_FOR_SALE, "price"), "1.00");
        let id = tampered.split(':').next().unwrap_or_default().to_owned();
        fields.push(("row".to_owned(), tampered.clone()));
        fields.push((cell(id.parse().expect("an id"), "price"), "1.00".to_owned()));
        let response = post_grid(&app, &fields).await;

        assert_eq!(response.status(), 404, "row {tampered}");
    }
    assert_eq!(item(&app, BLUE_MUG_FOR_SALE), before, "nothing was saved");
    let theirs_now = Item::find(&mut app.conn(), theirs.id, their_item.id).expect("theirs");
    assert_eq!(theirs_now, their_item);
    assert_eq!(bulk_edit_count(&app), 0);
}

async fn more_rows_than_the_bulk_limit_save_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let before = item(&app, BLUE_MUG_FOR_SALE);
    let token = app.csrf_token().await;
    let mut fields = vec![
        ("csrf_token".to_owned(), token),
        ("column".to_owned(), "price".to_owned()),
    ];
    for id in 1..=(shelfsync::inventory::designations::MAX_BULK as i64 + 1) {
        fields.push(("row".to_owned(), format!("{id}:1")));
    }
    fields.push((cell(BLUE_MUG_FOR_SALE, "price"), "1.00".to_owned()));

    let response = post_grid(&app, &fields).await;

    assert_eq!(response.status(), 422);
    let page = html(&response.text().await.expect("a body"));
    assert_eq!(
        text_of(&page, "#bulk-edit-notice").as_deref(),
        Some("Edit at most 10000 items at once; nothing was saved.")
    );
    assert_eq!(item(&app, BLUE_MUG_FOR_SALE), before);
    assert_eq!(bulk_edit_count(&app), 0);
}

async fn an_item_changed_in_another_session_is_marked_and_saved_only_when_confirmed(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let ids = [BLUE_MUG_FOR_SALE, TEA_TOWEL_FOR_SALE];
    let doc = editor(&app, &ids).await;
    let mut fields = form_fields(&doc, "form#bulk-edit");
    set_field(&mut fields, &cell(BLUE_MUG_FOR_SALE, "price"), "30.00");
    set_field(&mut fields, &cell(TEA_TOWEL_FOR_SALE, "price"), "4.00");
    let (email, _) = person(&mut app.conn(), merchant, "Mia", "manager", None);
    let mia = signed_in(&app, &email, PASSWORD).await;
    let version = item(&app, BLUE_MUG_FOR_SALE).version;
    let theirs = app
        .post_form_as(
            &mia,
            &format!("/items/{BLUE_MUG_FOR_SALE}"),
            &[
                ("version", &version.to_string()),
                ("sku", &sku_of(BLUE_MUG_FOR_SALE)),
                ("name", "Blue mug, large"),
                ("price", "25.00"),
                ("barcode", ""),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(theirs.status(), 303, "Mia saves the item meanwhile");
    let towel = item(&app, TEA_TOWEL_FOR_SALE);

    let refused = post_grid(&app, &fields).await;

    assert_eq!(refused.status(), 409);
    let page = html(&refused.text().await.expect("a body"));
    let note = text_of(
        &page,
        &format!("tr.bulk-row.conflict[data-item-id=\"{BLUE_MUG_FOR_SALE}\"] .conflict-note"),
    )
    .expect("the row is marked");
    assert!(note.starts_with("Changed by Mia at "), "{note}");
    assert!(
        note.contains("“25.00”"),
        "the current price is shown: {note}"
    );
    assert_eq!(
        page.select(&sel("tr.bulk-row.conflict")).count(),
        1,
        "only the changed row is marked"
    );
    assert_eq!(item(&app, BLUE_MUG_FOR_SALE).price.decimal(), "25.00");
    assert_eq!(item(&app, TEA_TOWEL_FOR_SALE), towel, "nothing was saved");
    assert_eq!(
        cell_value(&page, BLUE_MUG_FOR_SALE, "price").as_deref(),
        Some("30.00"),
        "my input is kept"
    );

    let unconfirmed = form_fields(&page, "form#bulk-edit");
    let again = post_grid(&app, &unconfirmed).await;
    assert_eq!(again.status(), 409, "not saved until confirmed");

    let confirm = attr_of(&page, "input[name=confirm]", "value").expect("a confirm box");
    let mut confirmed = unconfirmed.clone();
    confirmed.push(("confirm".to_owned(), confirm));
    let saved = post_grid(&app, &confirmed).await;

    assert_eq!(saved.status(), 303);
    assert_eq!(item(&app, BLUE_MUG_FOR_SALE).price.decimal(), "30.00");
    assert_eq!(item(&app, TEA_TOWEL_FOR_SALE).price.decimal(), "4.00");
}

async fn undo_restores_the_whole_edit_and_leaves_an_item_changed_since_alone_unless_confirmed(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let ids = [
        BLUE_MUG_FOR_SALE,
        SPECKLED_MUG_IN_STORE_ONLY,
        CAMPING_MUG_VIEW_ONLY,
    ];
    let before: Vec<Item> = ids.iter().map(|id| item(&app, *id)).collect();
    let doc = editor(&app, &ids).await;
    let mut fields = form_fields(&doc, "form#bulk-edit");
    for id in ids {
        set_field(&mut fields, &cell(id, "price"), "50.00");
    }
    assert_eq!(post_grid(&app, &fields).await.status(), 303);
    let blue = item(&app, BLUE_MUG_FOR_SALE);
    change_item(
        &mut app.conn(),
        &Actor::staff("Mia"),
        merchant,
        BLUE_MUG_FOR_SALE,
        blue.version,
        &ItemChange::fields(&item_fields(&blue.sku, &blue.name, "60.00")),
    )
    .expect("Mia changes the blue mug since");
    let activity = app.get_html("/activity").await;
    assert_eq!(
        text_of(&activity, "li.bulk-edit-record .summary").as_deref(),
        Some("Bulk edit of 3 items by Sam Rivera")
    );
    let undo_url = attr_of(&activity, "li.bulk-edit-record form", "action").expect("an Undo");

    let response = app.post_form(&undo_url, &[]).await;

    assert_eq!(response.status(), 200);
    let page = html(&response.text().await.expect("a body"));
    let left: Vec<String> = page
        .select(&sel("tr.left-alone-item"))
        .filter_map(|row| row.value().attr("data-item-id").map(str::to_owned))
        .collect();
    assert_eq!(left, [BLUE_MUG_FOR_SALE.to_string()]);
    assert_eq!(item(&app, BLUE_MUG_FOR_SALE).price.decimal(), "60.00");
    for (id, was) in ids.iter().zip(&before).skip(1) {
        assert_eq!(item(&app, *id).price, was.price, "item {id} is restored");
    }

    let confirm = attr_of(&page, "input[name=confirm]", "value").expect("a confirm");
    let confirmed = app
        .post_form(&undo_url, &[("confirm", confirm.as_str())])
        .await;

    assert_eq!(confirmed.status(), 303);
    assert_eq!(item(&app, BLUE_MUG_FOR_SALE).price, before[0].price);
    let activity = app.get_html("/activity").await;
    assert_eq!(
        text_of(&activity, "li.bulk-edit-record .undone").as_deref(),
        Some("Undone")
    );
}

async fn a_cashier_may_not_open_or_save_the_editor(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let store = downtown(&app);
    let (email, _) = person(&mut app.conn(), merchant, "Cleo", "cashier", Some(store));
    let cleo = signed_in(&app, &email, PASSWORD).await;
    let before = item(&app, BLUE_MUG_FOR_SALE);

    let opened = cleo
        .get(app.url(&format!("/items/bulk-edit?ids={BLUE_MUG_FOR_SALE}")))
        .send()
        .await
        .expect("GET");
    let saved = app
        .post_form_as(
            &cleo,
            "/items/bulk-edit",
            &[
                ("column", "price"),
                ("row", &format!("{BLUE_MUG_FOR_SALE}:{}", before.version)),
                (&cell(BLUE_MUG_FOR_SALE, "price"), "1.00"),
            ],
        )
        .await;

    assert_eq!(opened.status(), 403);
    assert_eq!(saved.status(), 403);
    assert_eq!(item(&app, BLUE_MUG_FOR_SALE), before);
    let list = html(
        &cleo
            .get(app.url("/items"))
            .send()
            .await
            .expect("the list")
            .text()
            .await
            .expect("a body"),
    );
    assert!(
        list.select(&sel("#bulk-edit-open")).next().is_none(),
        "a cashier is not offered Edit selected"
    );
}

async fn the_chosen_columns_are_remembered_for_each_person(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let stock = format!("stock-{}", downtown(&app));

    choose_columns(&app, &["price", "barcode", &stock]).await;

    let headings = |doc: &Html| -> Vec<String> {
        doc.select(&sel("table.bulk-grid thead tr:first-child th[data-column]"))
            .filter_map(|th| th.value().attr("data-column").map(str::to_owned))
            .collect()
    };
    let mine = editor(&app, &[BLUE_MUG_FOR_SALE]).await;
    assert_eq!(headings(&mine), ["price", "barcode", stock.as_str()]);
    let (email, _) = person(
        &mut app.conn(),
        app.demo_merchant_id(),
        "Max",
        "manager",
        None,
    );
    let max = signed_in(&app, &email, PASSWORD).await;
    let theirs = html(
        &max.get(app.url(&format!("/items/bulk-edit?ids={BLUE_MUG_FOR_SALE}")))
            .send()
            .await
            .expect("the editor")
            .text()
            .await
            .expect("a body"),
    );
    assert_eq!(headings(&theirs), ["name", "sku", "price"]);
    let mine_again = editor(&app, &[BLUE_MUG_FOR_SALE]).await;
    assert_eq!(headings(&mine_again), ["price", "barcode", stock.as_str()]);

    let chosen_in_address = app
        .get_html(&format!(
            "/items/bulk-edit?ids={BLUE_MUG_FOR_SALE}&column=sku&column=online"
        ))
        .await;
    assert_eq!(headings(&chosen_in_address), ["sku", "online"]);
    let next_time = editor(&app, &[BLUE_MUG_FOR_SALE]).await;
    assert_eq!(headings(&next_time), ["sku", "online"], "remembered too");
}
