//! The bulk editor in Chromium: twenty items repriced by 10% with *Apply to
//! column* and recounted, a bad price refused beside its cell with nothing
//! saved, then fixed and saved; the JSON list, the shop page and the ledger
//! carry it. And the spreadsheet keys: Enter moves down, a pasted column
//! fills the cells below.

use diesel::prelude::*;
use serde_json::json;
use shelfsync::db::schema::stock_movements;
use shelfsync::domain::{Currency, Money};
use shelfsync::inventory::Item;
use shelfsync::inventory::merchants::Location;

use crate::common::fixtures::{PASSWORD, listed_price, online_list, person, signed_in};
use crate::common::{Backend, html, sel, spawn_app, text_of};
use crate::driver::Browser;
use crate::{on_both_backends, sign_in};

on_both_backends!(
    twenty_items_are_repriced_and_recounted_in_one_save_after_a_bad_price_is_fixed,
    enter_moves_down_and_a_pasted_column_fills_the_cells_below,
    an_item_another_session_changed_is_marked_and_saved_only_once_confirmed
);

/// The price cell of an item's row.
fn price_cell(item_id: i64) -> String {
    format!("tr.bulk-row[data-item-id=\"{item_id}\"] td[data-column=\"price\"] input")
}

/// The values of every input matching `css`, as typed (not as drawn).
async fn values(browser: &Browser, css: &str) -> Vec<String> {
    browser
        .script(
            "return Array.from(document.querySelectorAll(arguments[0]), el => el.value);",
            vec![json!(css)],
        )
        .await
        .as_array()
        .map(|values| {
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn twenty_items_are_repriced_and_recounted_in_one_save_after_a_bad_price_is_fixed(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let downtown = Location::all_of(&mut app.conn(), merchant).expect("stores")[0].id;
    let browser = Browser::start("bulk_edit", backend).await;
    browser.resize(1280, 1000).await;
    sign_in(&browser, &app).await;
    browser.goto(&app.url("/items?filter=for_sale")).await;
    browser.wait_for("tr.item-row").await;

    // 1. Select 20 items and open the editor with price and stock columns.
    let rows = browser.attrs("tr.item-row", "id").await;
    let mut ids: Vec<i64> = rows
        .iter()
        .filter_map(|id| id.strip_prefix("item-")?.parse().ok())
        .take(20)
        .collect();
    // The list is by name; the editor's grid is in item order.
    ids.sort_unstable();
    assert_eq!(ids.len(), 20, "twenty items for sale to select");
    for id in &ids {
        browser
            .click(&format!("#item-{id} input[name=ids][form=bulk]"))
            .await;
    }
    browser.screenshot("selected").await;
    browser.click("#bulk-edit-open").await;
    browser.wait_for("form#bulk-edit tr.bulk-row").await;
    browser.click("details.column-picker summary").await;
    for column in ["name", "sku"] {
        browser
            .click(&format!("input[name=column][value=\"{column}\"]"))
            .await;
    }
    browser
        .click(&format!("input[name=column][value=\"stock-{downtown}\"]"))
        .await;
    browser.click("#show-columns").await;
    browser
        .wait_for(&format!("th[data-column=\"stock-{downtown}\"]"))
        .await;
    assert_eq!(browser.count("form#bulk-edit tr.bulk-row").await, 20);
    assert_eq!(
        browser
            .attrs(
                "table.bulk-grid thead tr:first-child th[data-column]",
                "data-column"
            )
            .await,
        ["price".to_owned(), format!("stock-{downtown}")]
    );
    let before: Vec<Item> = ids
        .iter()
        .map(|id| Item::find(&mut app.conn(), merchant, *id).expect("the item"))
        .collect();
    browser.screenshot("editor").await;

    // 2. Raise prices by 10% with Apply to column.
    browser
        .choose(
            "tr.apply-row td[data-column=price] [data-apply-mode]",
            "percent",
        )
        .await;
    browser
        .fill(
            "tr.apply-row td[data-column=price] input[data-apply-value]",
            "10",
        )
        .await;
    browser.click("[data-apply-column=price]").await;
    let raised: Vec<i64> = before
        .iter()
        .map(|item| (item.price.amount_minor * 110 + 50) / 100)
        .collect();
    let usd = Currency::parse("USD").expect("USD");
    let expected: Vec<String> = raised
        .iter()
        .map(|minor| Money::from_minor(*minor, usd).expect("a price").decimal())
        .collect();
    assert_eq!(
        values(&browser, "tr.bulk-row td[data-column=price] input").await,
        expected
    );
    let repriced = before
        .iter()
        .zip(&raised)
        .filter(|(item, minor)| item.price.amount_minor != **minor)
        .count();
    browser
        .wait_for_text("#changed-count", &format!("{repriced} items changed"))
        .await;
    let stock_cell = |id: i64| {
        format!("tr.bulk-row[data-item-id=\"{id}\"] td[data-column=\"stock-{downtown}\"] input")
    };
    browser.fill(&stock_cell(ids[0]), "1042").await;
    browser.fill(&stock_cell(ids[1]), "1043").await;
    browser.screenshot("raised").await;

    // 3. Type one bad price, save, and see the error beside that cell.
    let bad = ids[4];
    browser.fill(&price_cell(bad), "12.3.4").await;
    browser.click("#save-bulk-edit").await;
    let error =
        format!("tr.bulk-row[data-item-id=\"{bad}\"] td[data-column=\"price\"] .cell-error");
    browser.wait_for(&error).await;
    browser.scroll_to(&error).await;
    browser.screenshot("refused").await;
    assert_eq!(
        browser.count(".cell-error").await,
        1,
        "one message, beside its cell"
    );
    assert_eq!(
        values(&browser, &price_cell(ids[0])).await,
        [expected[0].clone()],
        "the rest of the input is kept"
    );
    for item in &before {
        assert_eq!(
            &Item::find(&mut app.conn(), merchant, item.id).expect("the item"),
            item,
            "nothing was saved"
        );
    }

    // 4. Fix it and save.
    browser.fill(&price_cell(bad), &expected[4]).await;
    browser.click("#save-bulk-edit").await;
    // Every repriced item, and the two recounted ones (repriced or not).
    let changed = before
        .iter()
        .zip(&raised)
        .filter(|(item, minor)| {
            item.price.amount_minor != **minor || item.id == ids[0] || item.id == ids[1]
        })
        .count();
    browser
        .wait_for_text(
            "#flash p.notice.success",
            &format!("Saved: {changed} items changed."),
        )
        .await;
    browser.screenshot("saved").await;

    // 5. The JSON list and the shop page carry the new prices, the ledger the counts.
    let list = online_list(&app, merchant).await;
    for (item, minor) in before.iter().zip(&raised) {
        assert_eq!(listed_price(&list, &item.sku), Some(*minor), "{}", item.sku);
    }
    let shop = html(
        &app.client
            .get(app.url(&format!("/shop/{}", shelfsync::demo::SLUG)))
            .send()
            .await
            .expect("the shop page")
            .text()
            .await
            .expect("a body"),
    );
    let mut shown = 0;
    for (item, minor) in before.iter().zip(&raised) {
        let card = format!("article.product[data-item-id=\"{}\"] p.price", item.id);
        if shop.select(&sel(&card)).next().is_some() {
            assert_eq!(
                text_of(&shop, &card),
                Some(Money::from_minor(*minor, usd).expect("a price").to_string()),
                "{} on the shop page",
                item.sku
            );
            shown += 1;
        }
    }
    assert!(shown > 0, "the shop page shows the repriced items");
    browser
        .goto(&app.url(&format!("/shop/{}", shelfsync::demo::SLUG)))
        .await;
    browser.wait_for("article.product").await;
    browser.screenshot("shop").await;
    for (id, counted) in [(ids[0], 1042), (ids[1], 1043)] {
        let last: Option<(String, i64)> = stock_movements::table
            .filter(stock_movements::item_id.eq(id))
            .filter(stock_movements::location_id.eq(downtown))
            .order(stock_movements::id.desc())
            .select((stock_movements::kind, stock_movements::on_hand_after))
            .first(&mut app.conn())
            .optional()
            .expect("the ledger");
        assert_eq!(
            last,
            Some(("count".to_owned(), counted)),
            "item {id}'s count is on the ledger"
        );
    }
    browser.close().await;
}

async fn enter_moves_down_and_a_pasted_column_fills_the_cells_below(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start("bulk_edit_keys", backend).await;
    sign_in(&browser, &app).await;
    browser
        .goto(&app.url("/items/bulk-edit?ids=1&ids=2&ids=3&ids=4"))
        .await;
    browser.wait_for("form#bulk-edit tr.bulk-row").await;

    browser.click(&price_cell(1)).await;
    browser.type_keys("\u{e007}").await;

    assert!(
        browser.focused_is(&price_cell(2)).await,
        "Enter moves to the cell below"
    );
    browser.type_keys("\u{e007}").await;
    assert!(browser.focused_is(&price_cell(3)).await);

    browser
        .script(
            "const cell = document.querySelector(arguments[0]);
             const data = new DataTransfer();
             data.setData('text/plain', '5.00\\n6.00\\n7.00\\n');
             cell.focus();
             cell.dispatchEvent(new ClipboardEvent('paste', {
               clipboardData: data, bubbles: true, cancelable: true }));",
            vec![json!(price_cell(2))],
        )
        .await;

    assert_eq!(
        values(&browser, "tr.bulk-row td[data-column=price] input").await[1..],
        ["5.00", "6.00", "7.00"],
        "the pasted lines fill the cell and the cells below"
    );
    browser
        .wait_for_text("#changed-count", "3 items changed")
        .await;
    assert_eq!(
        browser.count("tr.bulk-row td.changed").await,
        3,
        "the changed cells are highlighted"
    );
    browser.screenshot("pasted").await;
    browser.close().await;
}

async fn an_item_another_session_changed_is_marked_and_saved_only_once_confirmed(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let browser = Browser::start("bulk_edit_conflict", backend).await;
    browser.resize(1280, 1000).await;
    sign_in(&browser, &app).await;
    browser.goto(&app.url("/items/bulk-edit?ids=1&ids=4")).await;
    browser.wait_for("form#bulk-edit tr.bulk-row").await;
    browser.fill(&price_cell(1), "31.00").await;
    browser.fill(&price_cell(4), "5.00").await;
    // Another session saves the first item meanwhile.
    let (email, _) = person(&mut app.conn(), merchant, "Mia", "manager", None);
    let mia = signed_in(&app, &email, PASSWORD).await;
    let theirs = Item::find(&mut app.conn(), merchant, 1).expect("the item");
    let saved = app
        .post_form_as(
            &mia,
            "/items/1",
            &[
                ("version", &theirs.version.to_string()),
                ("sku", &theirs.sku),
                ("name", &theirs.name),
                ("price", "25.00"),
                ("barcode", theirs.barcode.as_deref().unwrap_or("")),
                ("description", &theirs.description),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303, "Mia's save");
    let other = Item::find(&mut app.conn(), merchant, 4).expect("the item");

    browser.click("#save-bulk-edit").await;

    let note = "tr.bulk-row.conflict[data-item-id=\"1\"] .conflict-note";
    browser.wait_for(note).await;
    browser.screenshot("conflict").await;
    let text = browser.text(note).await.expect("the note");
    assert!(text.starts_with("Changed by Mia at "), "{text}");
    assert_eq!(
        Item::find(&mut app.conn(), merchant, 4).expect("the item"),
        other,
        "nothing was saved"
    );
    assert_eq!(
        values(&browser, &price_cell(1)).await,
        ["31.00"],
        "my input is kept"
    );

    browser
        .click("tr.bulk-row.conflict[data-item-id=\"1\"] input[name=confirm]")
        .await;
    browser.click("#save-bulk-edit").await;

    browser
        .wait_for_text("#flash p.notice.success", "Saved: 2 items changed.")
        .await;
    browser.screenshot("confirmed").await;
    let prices: Vec<String> = [1, 4]
        .iter()
        .map(|id| {
            Item::find(&mut app.conn(), merchant, *id)
                .expect("the item")
                .price
                .decimal()
        })
        .collect();
    assert_eq!(prices, ["31.00", "5.00"]);
    browser.close().await;
}
