//! `/items/import`: a file is previewed (every change and every problem by
//! row and column) and then applied all or nothing, never over a change
//! made since the preview.

use diesel::prelude::*;
use shelfsync::db::DbConnection;
use shelfsync::db::schema::{audit_entries, items, merchants, stock_levels, stock_movements};

use crate::common::{Backend, TestApp, attr_of, html, sel, spawn_app, text_of, with_conn};
use crate::on_both_backends;
use crate::support::{PASSWORD, person, signed_in};

on_both_backends!(
    a_file_is_previewed_with_its_diffs_and_problems_and_nothing_changes,
    a_clean_file_is_applied_at_one_catalog_version_with_audit_and_ledger,
    apply_refuses_when_the_catalogue_moved_since_the_preview,
    an_unknown_header_is_mapped_and_the_preview_follows,
    a_shopify_export_imports_each_variant_as_its_own_item,
    export_then_import_changes_nothing,
    every_kind_of_bad_input_is_named_and_changes_nothing,
    skus_of_another_merchant_become_new_items_of_this_one,
    archive_missing_is_shown_and_applied,
    a_cashier_may_not_import,
    a_file_over_the_limit_is_refused_beside_the_field
);

async fn a_file_over_the_limit_is_refused_beside_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let before = with_conn(&app.pool, |conn| catalogue_state(conn, merchant));
    // The test server keeps the default limit of 50 MB.
    let mut body = b"sku,name,price\n".to_vec();
    let line = b"BIG-1,Too much,1\n";
    while body.len() < 60 * 1024 * 1024 {
        body.extend_from_slice(line);
    }

    let (status, _, doc) = upload(&app, &app.client, "huge.csv", body).await;

    assert_eq!(status, 413);
    let message = text_of(&doc, "#file-error").expect("a message beside the file field");
    assert!(message.contains("50 MB"), "{message}");
    assert_eq!(
        with_conn(&app.pool, |conn| catalogue_state(conn, merchant)),
        before
    );
}

/// Everything an import could change, as one value.
fn catalogue_state(conn: &mut DbConnection, merchant_id: i64) -> String {
    let version: i64 = merchants::table
        .find(merchant_id)
        .select(merchants::catalog_version)
        .first(conn)
        .expect("the merchant");
    let rows: Vec<(i64, String, i64, bool)> = items::table
        .filter(items::merchant_id.eq(merchant_id))
        .order(items::id)
        .select((items::id, items::sku, items::version, items::archived))
        .load(conn)
        .expect("items");
    let movements: i64 = stock_movements::table
        .filter(stock_movements::merchant_id.eq(merchant_id))
        .count()
        .get_result(conn)
        .expect("movements");
    format!("{version} {rows:?} {movements}")
}

/// Uploads `body` as `name` and follows to the preview; returns the
/// preview's address and page.
async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    body: Vec<u8>,
) -> (reqwest::StatusCode, String, scraper::Html) {
    let token = app.csrf_token_of(client).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(body).file_name(name.to_owned()),
    );
    let response = client
        .post(app.url(&format!("/items/import?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .expect("the upload answers");
    if response.status() == 303 {
        let url = response.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let preview = client.get(app.url(&url)).send().await.expect("the preview");
        let status = preview.status();
        return (status, url, html(&preview.text().await.expect("a body")));
    }
    let status = response.status();
    let url = response.url().path().to_owned();
    let doc = html(&response.text().await.expect("a body"));
    (status, url, doc)
}

async fn exported(app: &TestApp) -> Vec<Vec<String>> {
    let body = app
        .get("/items/export.csv")
        .await
        .bytes()
        .await
        .expect("a body");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_ref())
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
        .collect()
}

fn to_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(row).expect("a row");
    }
    out.into_inner().expect("the file")
}

fn count(doc: &scraper::Html, id: &str) -> usize {
    text_of(doc, &format!("#{id}"))
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("#{id} is a number"))
}

/// (row, column, message) of each problem the preview lists.
fn problems(doc: &scraper::Html) -> Vec<(String, String, String)> {
    doc.select(&sel("tr.import-problem"))
        .map(|tr| {
            let cell = |class: &str| {
                tr.select(&sel(&format!("td.{class}")))
                    .next()
                    .map(|td| td.text().collect::<String>().trim().to_owned())
                    .unwrap_or_default()
            };
            (
                cell("problem-row"),
                cell("problem-column"),
                cell("problem-message"),
            )
        })
        .collect()
}

fn row(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

async fn a_file_is_previewed_with_its_diffs_and_problems_and_nothing_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let mut rows = exported(&app).await;
    rows[1][3] = "15.00".to_owned();
    let width = rows[0].len();
    let mut new = row(&[
        "NEW-1",
        "Oak bowl",
        "Turned oak",
        "24.50",
        "",
        "yes",
        "view_only",
        "no",
        "",
        "no",
    ]);
    new.resize(width, "2".to_owned());
    rows.push(new);
    let mut bad = row(&[
        "NEW-2",
        "Bad one",
        "",
        "-1",
        "",
        "no",
        "view_only",
        "no",
        "",
        "no",
    ]);
    bad.resize(width, "0".to_owned());
    rows.push(bad);
    let before = with_conn(&app.pool, |conn| catalogue_state(conn, merchant));

    let (status, url, doc) = upload(&app, &app.client, "catalogue.csv", to_csv(&rows)).await;

    assert_eq!(status, 200);
    assert!(url.starts_with("/items/import/"), "{url}");
    assert_eq!(count(&doc, "count-new"), 1);
    assert_eq!(count(&doc, "count-changed"), 1);
    assert_eq!(count(&doc, "count-errors"), 2);
    let found = problems(&doc);
    let last = (rows.len()).to_string();
    assert!(
        found.contains(&(
            last.clone(),
            "price".to_owned(),
            "Price cannot be negative".to_owned()
        )),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(r, c, m)| *r == last && c == "online" && m.contains("sold in store")),
        "{found:?}"
    );
    let change = doc
        .select(&sel(
            "tr.import-change[data-kind=changed] li[data-field=price]",
        ))
        .next()
        .map(|li| li.text().collect::<String>())
        .expect("the price diff");
    assert!(
        change.contains("14.50") && change.contains("15.00"),
        "{change}"
    );
    assert!(
        doc.select(&sel("#apply-import")).next().is_none(),
        "no apply while there are problems"
    );
    assert_eq!(
        with_conn(&app.pool, |conn| catalogue_state(conn, merchant)),
        before
    );
}

async fn a_clean_file_is_applied_at_one_catalog_version_with_audit_and_ledger(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let mut rows = exported(&app).await;
    let stock_column = rows[0]
        .iter()
        .position(|c| c.starts_with("stock:"))
        .expect("a stock column");
    rows[1][3] = "15.00".to_owned();
    rows[2][stock_column] = "42".to_owned();
    let width = rows[0].len();
    let mut new = row(&[
        "NEW-1",
        "Oak bowl",
        "Turned oak",
        "24.50",
        "",
        "yes",
        "for_sale",
        "no",
        "",
        "no",
    ]);
    new.resize(width, "3".to_owned());
    rows.push(new);
    let (first_sku, second_sku) = (rows[1][0].clone(), rows[2][0].clone());
    let version_before: i64 = with_conn(&app.pool, |conn| {
        merchants::table
            .find(merchant)
            .select(merchants::catalog_version)
            .first(conn)
            .expect("v")
    });

    let (_, url, preview) = upload(&app, &app.client, "spring.csv", to_csv(&rows)).await;
    let fingerprint = attr_of(&preview, "input[name=fingerprint]", "value").expect("an apply form");
    let applied = app
        .post_form(&format!("{url}/apply"), &[("fingerprint", &fingerprint)])
        .await;

    assert_eq!(applied.status(), 303);
    let list = app.get_html("/items").await;
    let flash = text_of(&list, "#flash p.notice.success").expect("a message");
    assert!(
        flash.contains("spring.csv") && flash.contains("1 new") && flash.contains("2 changed"),
        "{flash}"
    );
    let (price, on_hand, new_item, audit, movements, version_after) =
        with_conn(&app.pool, |conn| {
            let price: i64 = items::table
                .filter(items::merchant_id.eq(merchant))
                .filter(items::sku.eq(&first_sku))
                .select(items::price_minor)
                .first(conn)
                .expect("the first item");
            let second: i64 = items::table
                .filter(items::merchant_id.eq(merchant))
                .filter(items::sku.eq(&second_sku))
                .select(items::id)
                .first(conn)
                .expect("the second item");
            let on_hand: Vec<i64> = stock_levels::table
                .filter(stock_levels::item_id.eq(second))
                .select(stock_levels::on_hand)
                .load(conn)
                .expect("levels");
            let new_item: (String, bool, String) = items::table
                .filter(items::merchant_id.eq(merchant))
                .filter(items::sku.eq("NEW-1"))
                .select((items::name, items::in_store, items::online))
                .first(conn)
                .expect("the new item");
            let audit: Vec<String> = audit_entries::table
                .filter(audit_entries::merchant_id.eq(merchant))
                .filter(audit_entries::catalog_version.gt(version_before))
                .select(audit_entries::actor)
                .load(conn)
                .expect("audit");
            let movements: Vec<(String, String)> = stock_movements::table
                .filter(stock_movements::merchant_id.eq(merchant))
                .filter(stock_movements::catalog_version.gt(version_before))
                .select((stock_movements::kind, stock_movements::reason))
                .load(conn)
                .expect("movements");
            let version_after: i64 = merchants::table
                .find(merchant)
                .select(merchants::catalog_version)
                .first(conn)
                .expect("v");
            (price, on_hand, new_item, audit, movements, version_after)
        });
    assert_eq!(price, 1500);
    assert!(on_hand.contains(&42), "{on_hand:?}");
    assert_eq!(
        new_item,
        ("Oak bowl".to_owned(), true, "for_sale".to_owned())
    );
    assert!(!audit.is_empty());
    assert!(
        audit
            .iter()
            .all(|a| a == "Sam Rivera (import of spring.csv)"),
        "{audit:?}"
    );
    assert!(!movements.is_empty());
    assert!(
        movements
            .iter()
            .all(|(kind, reason)| kind == "count" && reason == "import of spring.csv"),
        "{movements:?}"
    );
    assert_eq!(
        version_after,
        version_before + 1,
        "one version for the items and their counts"
    );
    let shop = app.get_html("/shop/corner-goods").await;
    let products: Vec<String> = shop
        .select(&sel("article.product h2"))
        .map(|h| h.text().collect::<String>().trim().to_owned())
        .collect();
    assert!(
        products.iter().any(|name| name == "Oak bowl"),
        "the shop shows the new item: {products:?}"
    );
    let token = with_conn(&app.pool, |conn| {
        shelfsync::inventory::tokens::create_token(
            conn,
            merchant,
            "Online store",
            shelfsync::domain::TokenScope::Storefront,
            None,
        )
        .expect("a token")
    });
    let list: serde_json::Value = app
        .client
        .get(app.url("/api/v1/storefront/items?limit=500"))
        .bearer_auth(&token.secret)
        .send()
        .await
        .expect("the online list")
        .json()
        .await
        .expect("JSON");
    let record = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|record| record["sku"] == "NEW-1")
        .expect("the online list carries the new item");
    assert_eq!(record["name"], "Oak bowl");
    assert_eq!(record["online"], "for_sale");
    let activity = app.get_html("/activity").await;
    assert_eq!(
        text_of(&activity, "tr.import-record td.file-name").as_deref(),
        Some("spring.csv")
    );
    // The upload is gone once applied.
    assert_eq!(app.get(&url).await.status(), 404);
}

async fn apply_refuses_when_the_catalogue_moved_since_the_preview(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let mut rows = exported(&app).await;
    rows[1][3] = "15.00".to_owned();
    let (_, url, preview) = upload(&app, &app.client, "late.csv", to_csv(&rows)).await;
    let fingerprint = attr_of(&preview, "input[name=fingerprint]", "value").expect("an apply form");
    // Someone renames the item meanwhile.
    let id: i64 = with_conn(&app.pool, |conn| {
        items::table
            .filter(items::merchant_id.eq(merchant))
            .filter(items::sku.eq(&rows[1][0]))
            .select(items::id)
            .first(conn)
            .expect("the item")
    });
    let page = app.get_html(&format!("/items/{id}")).await;
    let version = attr_of(&page, "input[name=version]", "value").expect("a version");
    let edited = app
        .post_form(
            &format!("/items/{id}"),
            &[
                ("version", &version),
                ("sku", &rows[1][0]),
                ("name", "Renamed meanwhile"),
                ("price", &rows[1][3].replace("15.00", "14.50")),
                ("barcode", &rows[1][4]),
                ("description", &rows[1][2]),
            ],
        )
        .await;
    assert_eq!(edited.status(), 303);
    let before = with_conn(&app.pool, |conn| catalogue_state(conn, merchant));

    let refused = app
        .post_form(&format!("{url}/apply"), &[("fingerprint", &fingerprint)])
        .await;

    assert_eq!(refused.status(), 409);
    let doc = html(&refused.text().await.expect("a body"));
    assert!(text_of(&doc, "#import-notice").is_some_and(|t| t.contains("changed since")));
    let name_diff = doc
        .select(&sel("tr.import-change li[data-field=name]"))
        .next()
        .map(|li| li.text().collect::<String>())
        .expect("the fresh preview shows the rename would be undone");
    assert!(name_diff.contains("Renamed meanwhile"), "{name_diff}");
    assert_eq!(
        with_conn(&app.pool, |conn| catalogue_state(conn, merchant)),
        before
    );
}

async fn an_unknown_header_is_mapped_and_the_preview_follows(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let file =
        "Code,Product,Cost,Notes\nMAP-1,Walnut board,30.00,fragile\nMAP-2,Maple board,\"28,50\",\n";

    let (_, url, doc) = upload(&app, &app.client, "supplier.csv", file.as_bytes().to_vec()).await;

    let unplaced: Vec<String> = problems(&doc)
        .into_iter()
        .map(|(_, column, _)| column)
        .collect();
    for column in ["Code", "Product", "Cost", "Notes"] {
        assert!(unplaced.contains(&column.to_owned()), "{unplaced:?}");
    }
    let mapped = app
        .post_form(
            &format!("{url}/options"),
            &[
                ("column", "Code"),
                ("field", "sku"),
                ("column", "Product"),
                ("field", "name"),
                ("column", "Cost"),
                ("field", "price"),
                ("column", "Notes"),
                ("field", "ignore"),
            ],
        )
        .await;
    assert_eq!(mapped.status(), 303);
    let doc = app.get_html(&url).await;
    assert_eq!(count(&doc, "count-errors"), 0, "{:?}", problems(&doc));
    assert_eq!(count(&doc, "count-new"), 2);
    assert_eq!(
        attr_of(&doc, "select[data-column=Cost] option[selected]", "value").as_deref(),
        Some("price")
    );
}

async fn a_shopify_export_imports_each_variant_as_its_own_item(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let file = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/shopify_products.csv"
    ))
    .expect("the sample export");

    let (_, url, preview) = upload(&app, &app.client, "products_export.csv", file).await;

    assert_eq!(
        count(&preview, "count-errors"),
        0,
        "{:?}",
        problems(&preview)
    );
    assert_eq!(
        count(&preview, "count-new"),
        4,
        "two scarf variants, the apron, the wrap"
    );
    let fingerprint = attr_of(&preview, "input[name=fingerprint]", "value").expect("an apply form");
    let applied = app
        .post_form(&format!("{url}/apply"), &[("fingerprint", &fingerprint)])
        .await;
    assert_eq!(applied.status(), 303);
    let imported: Vec<(String, String, String, i64, String)> = with_conn(&app.pool, |conn| {
        items::table
            .filter(items::merchant_id.eq(merchant))
            .filter(items::sku.like("HK-%"))
            .order(items::sku)
            .select((
                items::sku,
                items::name,
                items::description,
                items::price_minor,
                items::online,
            ))
            .load(conn)
            .expect("the imported items")
    });
    let names: Vec<&str> = imported.iter().map(|i| i.1.as_str()).collect();
    assert_eq!(
        names,
        [
            "Linen apron",
            "Wool scarf — Blue / Short",
            "Wool scarf — Red / Long",
            "Beeswax wrap"
        ]
    );
    let red = &imported[2];
    assert_eq!(
        red.2,
        "Soft merino, knitted in Dublin.\n180 cm long\nHand wash"
    );
    assert_eq!(red.3, 3900);
    assert_eq!(red.4, "for_sale");
    assert_eq!(imported[0].2, "Stonewashed linen & brass rings.");
    assert_eq!(imported[3].4, "hidden", "a draft product is not online");
}

async fn export_then_import_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let file = app
        .get("/items/export.csv")
        .await
        .bytes()
        .await
        .expect("the export")
        .to_vec();
    let before = with_conn(&app.pool, |conn| catalogue_state(conn, merchant));

    let (_, _, doc) = upload(&app, &app.client, "round-trip.csv", file).await;

    assert_eq!(count(&doc, "count-new"), 0);
    assert_eq!(count(&doc, "count-changed"), 0);
    assert_eq!(count(&doc, "count-errors"), 0);
    assert!(count(&doc, "count-unchanged") > 10);
    assert!(doc.select(&sel("#nothing-to-change")).next().is_some());
    assert!(doc.select(&sel("#apply-import")).next().is_none());
    assert_eq!(
        with_conn(&app.pool, |conn| catalogue_state(conn, merchant)),
        before
    );
}

async fn every_kind_of_bad_input_is_named_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let header = "sku,name,price,barcode,in_store,online,stock:Downtown\n";
    let long_name = "n".repeat(500);
    let cases: Vec<(&str, Vec<u8>, Option<&str>, &str)> = vec![
        (
            "duplicate SKU",
            format!("{header}D-1,A,1,,yes,not_online,1\nD-1,B,1,,yes,not_online,1\n").into_bytes(),
            Some("sku"),
            "row 2",
        ),
        (
            "empty SKU",
            format!("{header},A,1,,yes,not_online,1\n").into_bytes(),
            Some("sku"),
            "",
        ),
        (
            "name too long",
            format!("{header}L-1,{long_name},1,,yes,not_online,1\n").into_bytes(),
            Some("name"),
            "",
        ),
        (
            "negative price",
            format!("{header}P-1,A,-2,,yes,not_online,1\n").into_bytes(),
            Some("price"),
            "negative",
        ),
        (
            "price not a number",
            format!("{header}P-2,A,abc,,yes,not_online,1\n").into_bytes(),
            Some("price"),
            "",
        ),
        (
            "three decimals",
            format!("{header}P-3,A,1.234,,yes,not_online,1\n").into_bytes(),
            Some("price"),
            "two decimals",
        ),
        (
            "view_only without in_store",
            format!("{header}V-1,A,1,,no,view_only,1\n").into_bytes(),
            Some("online"),
            "sold in store",
        ),
        (
            "unknown store",
            "sku,name,price,stock:Atlantis\nS-1,A,1,1\n"
                .as_bytes()
                .to_vec(),
            Some("stock:Atlantis"),
            "Atlantis",
        ),
        (
            "negative stock",
            format!("{header}S-2,A,1,,yes,not_online,-3\n").into_bytes(),
            Some("stock:Downtown"),
            "stock count",
        ),
        (
            "fractional stock",
            format!("{header}S-3,A,1,,yes,not_online,2.5\n").into_bytes(),
            Some("stock:Downtown"),
            "stock count",
        ),
        (
            "bad check digit",
            format!("{header}B-1,A,1,4006381333932,yes,not_online,1\n").into_bytes(),
            Some("barcode"),
            "",
        ),
        (
            "not UTF-8",
            b"sku,name,price\nU-1,Caf\xe9,1\n".to_vec(),
            None,
            "UTF-8",
        ),
        (
            "binary",
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec(),
            None,
            "binary",
        ),
        ("empty", Vec::new(), None, "empty"),
        ("header only", header.as_bytes().to_vec(), None, "no items"),
        (
            "ragged",
            format!("{header}R-1,A,1\n").into_bytes(),
            None,
            "cells",
        ),
    ];
    let before = with_conn(&app.pool, |conn| catalogue_state(conn, merchant));
    for (case, body, column, says) in cases {
        let (status, _, doc) = upload(&app, &app.client, "bad.csv", body).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{case}: {status}"
        );
        let found = problems(&doc);
        assert!(!found.is_empty(), "{case}: no problem listed");
        assert!(
            found
                .iter()
                .any(|(_, c, m)| column.is_none_or(|col| c == col)
                    && (says.is_empty() || m.contains(says))),
            "{case}: {found:?}"
        );
        if column.is_some() {
            assert!(
                found.iter().any(|(r, _, _)| r.parse::<usize>().is_ok()),
                "{case}: a row number: {found:?}"
            );
        }
        assert!(
            doc.select(&sel("#apply-import")).next().is_none(),
            "{case}: no apply"
        );
    }
    assert_eq!(
        with_conn(&app.pool, |conn| catalogue_state(conn, merchant)),
        before
    );
}

async fn skus_of_another_merchant_become_new_items_of_this_one(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let other = with_conn(&app.pool, |conn| {
        let other = shelfsync::inventory::merchants::create_merchant(
            conn,
            "other-shop",
            "Other shop",
            shelfsync::domain::Currency::parse("USD").expect("USD"),
        )
        .expect("another merchant");
        let fields = shelfsync::inventory::ItemFields::parse(
            &shelfsync::inventory::items::ItemInput {
                sku: "SHARED-1",
                name: "Theirs",
                price: "9",
                ..Default::default()
            },
            other.currency,
        )
        .expect("fields");
        shelfsync::inventory::items::create_item(
            conn,
            &shelfsync::inventory::Actor::system(),
            other.id,
            &fields,
            shelfsync::domain::Designation::new(true, shelfsync::domain::OnlineListing::Hidden)
                .expect("a designation"),
        )
        .expect("their item");
        other.id
    });
    let theirs_before = with_conn(&app.pool, |conn| catalogue_state(conn, other));

    let (_, url, preview) = upload(
        &app,
        &app.client,
        "shared.csv",
        b"sku,name,price\nSHARED-1,Ours,12\n".to_vec(),
    )
    .await;
    assert_eq!(count(&preview, "count-new"), 1);
    let fingerprint = attr_of(&preview, "input[name=fingerprint]", "value").expect("an apply form");
    let applied = app
        .post_form(&format!("{url}/apply"), &[("fingerprint", &fingerprint)])
        .await;

    assert_eq!(applied.status(), 303);
    assert_eq!(
        with_conn(&app.pool, |conn| catalogue_state(conn, other)),
        theirs_before
    );
    let ours: String = with_conn(&app.pool, |conn| {
        items::table
            .filter(items::merchant_id.eq(merchant))
            .filter(items::sku.eq("SHARED-1"))
            .select(items::name)
            .first(conn)
            .expect("our new item")
    });
    assert_eq!(ours, "Ours");
}

async fn archive_missing_is_shown_and_applied(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let rows = exported(&app).await;
    let kept: Vec<Vec<String>> = rows[..4].to_vec();
    let (_, url, _) = upload(&app, &app.client, "few.csv", to_csv(&kept)).await;
    let active: i64 = with_conn(&app.pool, |conn| {
        items::table
            .filter(items::merchant_id.eq(merchant))
            .filter(items::archived.eq(false))
            .count()
            .get_result(conn)
            .expect("a count")
    });

    let chosen = app
        .post_form(&format!("{url}/options"), &[("archive_missing", "1")])
        .await;
    assert_eq!(chosen.status(), 303);
    let preview = app.get_html(&url).await;
    let missing = active - 3;
    assert_eq!(
        text_of(&preview, "#archive-missing-count").as_deref(),
        Some(format!("{missing} items not in the file will be archived.").as_str())
    );
    let fingerprint = attr_of(&preview, "input[name=fingerprint]", "value").expect("an apply form");
    let applied = app
        .post_form(&format!("{url}/apply"), &[("fingerprint", &fingerprint)])
        .await;

    assert_eq!(applied.status(), 303);
    let still_active: Vec<String> = with_conn(&app.pool, |conn| {
        items::table
            .filter(items::merchant_id.eq(merchant))
            .filter(items::archived.eq(false))
            .order(items::sku)
            .select(items::sku)
            .load(conn)
            .expect("skus")
    });
    let mut expected: Vec<String> = kept[1..].iter().map(|r| r[0].clone()).collect();
    expected.sort();
    assert_eq!(still_active, expected);
}

async fn a_cashier_may_not_import(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let (email, _) = with_conn(&app.pool, |conn| {
        let store = shelfsync::db::schema::locations::table
            .filter(shelfsync::db::schema::locations::merchant_id.eq(merchant))
            .select(shelfsync::db::schema::locations::id)
            .first::<i64>(conn)
            .expect("a store");
        person(conn, merchant, "Cass", "cashier", Some(store))
    });
    let cashier = signed_in(&app, &email, PASSWORD).await;
    let before = with_conn(&app.pool, |conn| catalogue_state(conn, merchant));

    let page = cashier
        .get(app.url("/items/import"))
        .send()
        .await
        .expect("an answer");
    let (status, _, _) = upload(
        &app,
        &cashier,
        "x.csv",
        b"sku,name,price\nC-1,A,1\n".to_vec(),
    )
    .await;

    assert_eq!(page.status(), 403);
    assert_eq!(status, 403);
    assert_eq!(
        with_conn(&app.pool, |conn| catalogue_state(conn, merchant)),
        before
    );
}
