//! Importing a catalogue in Chromium: a 500-row file with three errors shows
//! them by row; the fixed file shows its diff; Apply changes the catalogue,
//! and the online list and the shop page show it.

use crate::common::{Backend, spawn_app, with_conn};
use crate::driver::Browser;
use crate::{on_both_backends, sign_in};

on_both_backends!(a_500_row_file_is_previewed_fixed_and_applied);

/// The demo's export with the first item repriced, then new items up to 500
/// rows; `broken` spoils three of the new rows.
async fn catalogue(app: &crate::common::TestApp, broken: bool) -> String {
    let export = app
        .get("/items/export.csv")
        .await
        .text()
        .await
        .expect("the export");
    let mut rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(export.as_bytes())
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
        .collect();
    rows[1][3] = "15.00".to_owned();
    let width = rows[0].len();
    let mut n = 0;
    while rows.len() < 501 {
        n += 1;
        let mut row: Vec<String> = [
            format!("IMP-{n:03}"),
            format!("Imported thing {n}"),
            String::new(),
            format!("{}.50", n % 40 + 1),
            String::new(),
            "yes".to_owned(),
            "for_sale".to_owned(),
            "no".to_owned(),
            String::new(),
            "no".to_owned(),
        ]
        .to_vec();
        row.resize(width, "2".to_owned());
        rows.push(row);
    }
    if broken {
        rows[100][3] = "-4".to_owned();
        rows[200][1] = String::new();
        rows[300][6] = "sometimes".to_owned();
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in &rows {
        out.write_record(row).expect("a row");
    }
    String::from_utf8(out.into_inner().expect("the file")).expect("UTF-8")
}

async fn a_500_row_file_is_previewed_fixed_and_applied(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let broken = dir.path().join("catalogue.csv");
    let fixed = dir.path().join("catalogue-fixed.csv");
    std::fs::write(&broken, catalogue(&app, true).await).expect("the broken file");
    std::fs::write(&fixed, catalogue(&app, false).await).expect("the fixed file");
    let browser = Browser::start("import", backend).await;
    sign_in(&browser, &app).await;

    browser.goto(&app.url("/items/import")).await;
    browser.screenshot_widths("upload").await;
    browser.attach("#import-file", &broken).await;
    browser
        .click("form.import-upload button[type=submit]")
        .await;
    browser.wait_for("#count-errors").await;
    assert_eq!(browser.text("#count-errors").await.as_deref(), Some("3"));
    let rows = browser
        .attrs("tr.import-problem td.problem-row", "class")
        .await;
    assert_eq!(rows.len(), 3);
    let problem_rows: Vec<String> = browser
        .script(
            "return [...document.querySelectorAll('tr.import-problem td.problem-row')].map(td => td.textContent.trim());",
            Vec::new(),
        )
        .await
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(problem_rows, ["101", "201", "301"]);
    assert_eq!(browser.count("#apply-import").await, 0);
    browser.screenshot_widths("problems").await;

    browser.goto(&app.url("/items/import")).await;
    browser.attach("#import-file", &fixed).await;
    browser
        .click("form.import-upload button[type=submit]")
        .await;
    browser.wait_for("#apply-import").await;
    assert_eq!(browser.text("#count-errors").await.as_deref(), Some("0"));
    assert_eq!(browser.text("#count-changed").await.as_deref(), Some("1"));
    let diff = browser
        .text("tr.import-change[data-kind=changed] li[data-field=price]")
        .await
        .expect("the price diff");
    assert!(diff.contains("14.50") && diff.contains("15.00"), "{diff}");
    browser.screenshot_widths("preview").await;

    browser.click("#apply-import").await;
    browser.wait_for("#flash p.notice.success").await;
    let flash = browser
        .text("#flash p.notice.success")
        .await
        .expect("a message");
    assert!(flash.contains("catalogue-fixed.csv"), "{flash}");
    browser.screenshot_widths("applied").await;

    browser.goto(&app.url("/shop/corner-goods")).await;
    let products: Vec<String> = browser
        .script(
            "return [...document.querySelectorAll('article.product h2')].map(h => h.textContent.trim());",
            Vec::new(),
        )
        .await
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        products.iter().any(|name| name == "Imported thing 1"),
        "the shop shows an imported item: {products:?}"
    );
    let token = with_conn(&app.pool, |conn| {
        shelfsync::inventory::tokens::create_token(
            conn,
            app.demo_merchant_id(),
            "Online store",
            shelfsync::domain::TokenScope::Storefront,
            None,
        )
        .expect("a token")
    });
    let list = app
        .client
        .get(app.url("/api/v1/storefront/items?limit=1000"))
        .bearer_auth(&token.secret)
        .send()
        .await
        .expect("the online list")
        .json::<serde_json::Value>()
        .await
        .expect("JSON");
    let skus: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|record| record["sku"].as_str())
        .filter(|sku| sku.starts_with("IMP-"))
        .collect();
    assert_eq!(
        skus.len(),
        440,
        "the online list carries every imported item"
    );
    browser.close().await;
}
