//! `/items/export.csv`: the catalogue as a CSV file, for the list's search
//! and filter, with spreadsheet formulas neutralised.

use diesel::prelude::*;
use shelfsync::db::schema::{items, locations};

use crate::common::{Backend, TestApp, spawn_app, with_conn};
use crate::on_both_backends;
use crate::support::{PASSWORD, person, signed_in};

on_both_backends!(
    the_export_has_every_active_item_with_a_stock_column_per_store,
    the_export_follows_the_lists_search_and_filter,
    a_cell_a_spreadsheet_would_run_as_a_formula_is_prefixed,
    a_cashier_may_not_export_and_a_bad_filter_is_named,
    the_item_list_links_its_own_export_and_the_import
);

async fn the_item_list_links_its_own_export_and_the_import(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let list = app.get_html("/items?q=blue+mug&filter=for_sale").await;

    let href = crate::common::attr_of(&list, "#export-csv", "href").expect("an export link");
    assert_eq!(href, "/items/export.csv?q=blue+mug&filter=for_sale");
    assert_eq!(
        crate::common::attr_of(&list, "#import-csv", "href").as_deref(),
        Some("/items/import")
    );
    let rows = exported(&app, &app.client, &href["/items/export.csv".len()..]).await;
    assert_eq!(rows.len(), 2, "the blue mug alone: {rows:?}");
}

/// The file's rows (header first), parsed as CSV.
async fn exported(app: &TestApp, client: &reqwest::Client, query: &str) -> Vec<Vec<String>> {
    let response = client
        .get(app.url(&format!("/items/export.csv{query}")))
        .send()
        .await
        .expect("the export answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.starts_with("attachment") && disposition.contains(".csv"),
        "{disposition}"
    );
    let body = response.bytes().await.expect("a body");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_ref())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

async fn the_export_has_every_active_item_with_a_stock_column_per_store(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let (active, stores): (i64, Vec<String>) = with_conn(&app.pool, |conn| {
        let active = items::table
            .filter(items::merchant_id.eq(merchant))
            .filter(items::archived.eq(false))
            .count()
            .get_result(conn)
            .expect("a count");
        let stores = locations::table
            .filter(locations::merchant_id.eq(merchant))
            .filter(locations::archived_at.is_null())
            .order(locations::id)
            .select(locations::name)
            .load(conn)
            .expect("stores");
        (active, stores)
    });

    let rows = exported(&app, &app.client, "").await;

    let mut header = vec![
        "sku",
        "name",
        "description",
        "price",
        "barcode",
        "in_store",
        "online",
        "archived",
        "online_buffer",
        "backorder",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    header.extend(stores.iter().map(|s| format!("stock:{s}")));
    assert_eq!(rows[0], header);
    assert_eq!(rows.len() as i64 - 1, active);
    let blue = rows
        .iter()
        .find(|r| r[1] == "Blue mug")
        .expect("the blue mug is exported");
    assert_eq!(blue[3], "14.50");
    assert_eq!(blue[5], "yes");
    assert_eq!(blue[6], "for_sale");
    assert_eq!(blue[7], "no");
    for row in &rows[1..] {
        assert_eq!(row.len(), header.len(), "a ragged row: {row:?}");
        assert!(["not_online", "view_only", "for_sale"].contains(&row[6].as_str()));
        for count in &row[10..] {
            count.parse::<i64>().expect("stock columns are counts");
        }
    }
}

async fn the_export_follows_the_lists_search_and_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let for_sale = exported(&app, &app.client, "?filter=for_sale").await;
    let mugs = exported(&app, &app.client, "?q=mug").await;
    let everything = exported(&app, &app.client, "").await;

    assert!(for_sale.len() > 1);
    assert!(for_sale[1..].iter().all(|r| r[6] == "for_sale"));
    assert!(for_sale.len() < everything.len());
    assert!(mugs.len() > 1);
    assert!(
        mugs[1..]
            .iter()
            .all(|r| r[1].to_lowercase().contains("mug") || r[0].to_lowercase().contains("mug"))
    );
    assert!(mugs.len() < everything.len());
}

async fn a_cell_a_spreadsheet_would_run_as_a_formula_is_prefixed(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let created = app
        .post_form(
            "/items/new",
            &[
                ("sku", "FX-1"),
                ("name", "=HYPERLINK(\"http://evil.example\",\"x\")"),
                ("price", "3"),
                ("barcode", ""),
                ("description", "+1 free with every order"),
                ("in_store", "1"),
                ("online", "hidden"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);

    let rows = exported(&app, &app.client, "?q=FX-1").await;

    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][1], "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(rows[1][2], "'+1 free with every order");
}

async fn a_cashier_may_not_export_and_a_bad_filter_is_named(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let (email, _) = with_conn(&app.pool, |conn| {
        let downtown = locations::table
            .filter(locations::merchant_id.eq(merchant))
            .order(locations::id)
            .select(locations::id)
            .first::<i64>(conn)
            .expect("a store");
        person(conn, merchant, "Cora", "cashier", Some(downtown))
    });
    let cashier = signed_in(&app, &email, PASSWORD).await;

    let refused = cashier
        .get(app.url("/items/export.csv"))
        .send()
        .await
        .expect("an answer");
    let bad = app.get("/items/export.csv?filter=bogus").await;

    assert_eq!(refused.status(), 403);
    assert_eq!(bad.status(), 400);
    let page = crate::common::html(&bad.text().await.expect("a body"));
    let message = crate::common::text_of(&page, ".error-message[data-status='400']")
        .expect("a 400 page with its message");
    assert!(message.starts_with("filter:"), "{message}");
}
