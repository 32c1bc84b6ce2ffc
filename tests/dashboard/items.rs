//! `/items`: columns, search, filters, sorting, paging, escaping.

use shelfsync::domain::{Designation, OnlineListing};
use shelfsync::inventory::{Actor, items::create_item};

use crate::common::demo::BLUE_MUG_FOR_SALE;
use crate::common::fixtures::item_fields;
use crate::common::{Backend, attr_of, fragment, row_fragment, sel, spawn_app, text_of};
use crate::on_both_backends;
use crate::support::row_state;

fn names(doc: &scraper::Html) -> Vec<String> {
    doc.select(&sel("tr.item-row td.name a"))
        .map(|a| a.text().collect::<String>())
        .collect()
}

on_both_backends!(
    the_list_shows_each_items_columns_and_the_catalog_version,
    search_finds_by_name_sku_or_barcode,
    filters_show_each_designation_state,
    an_unknown_filter_or_page_shows_all_items_with_a_message,
    pages_and_sorting_cover_every_item_once,
    htmx_search_gets_only_the_table,
    user_strings_render_as_text_in_pages_and_fragments
);

async fn the_list_shows_each_items_columns_and_the_catalog_version(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let doc = app.get_html("/items?q=CG-1001").await;

    let row = format!("tr#item-{BLUE_MUG_FOR_SALE}");
    assert_eq!(
        text_of(&doc, &format!("{row} td.sku")).as_deref(),
        Some("CG-1001")
    );
    assert_eq!(
        text_of(&doc, &format!("{row} td.name a")).as_deref(),
        Some("Blue mug")
    );
    assert_eq!(
        text_of(&doc, &format!("{row} td.price")).as_deref(),
        Some("$14.50")
    );
    assert_eq!(
        text_of(&doc, &format!("{row} td.in-store")).as_deref(),
        Some("In store")
    );
    let stock: Vec<(String, String)> = doc
        .select(&sel(&format!("{row} td.stock")))
        .map(|td| {
            (
                td.value().attr("data-store").unwrap_or_default().to_owned(),
                td.text().collect(),
            )
        })
        .collect();
    assert_eq!(
        stock,
        vec![
            ("Downtown".to_owned(), "0".to_owned()),
            ("Riverside".to_owned(), "0".to_owned())
        ],
        "a stock column per store"
    );
    assert_eq!(
        text_of(&doc, &format!("{row} td.online")).as_deref(),
        Some("For sale online")
    );
    let version: i64 = attr_of(&doc, "#catalog-version", "data-version")
        .expect("header")
        .parse()
        .expect("number");
    let expected = shelfsync::inventory::catalog_version(&mut app.conn(), app.demo_merchant_id())
        .expect("version");
    assert_eq!(version, expected);
}

async fn search_finds_by_name_sku_or_barcode(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let by_name = app.get_html("/items?q=MUG").await;
    let by_sku = app.get_html("/items?q=cg-1002").await;
    let by_barcode = app.get_html("/items?q=2000047110005").await;

    assert_eq!(
        names(&by_name),
        vec!["Blue mug", "Enamel camping mug", "Speckled mug"]
    );
    assert_eq!(names(&by_sku), vec!["Speckled mug"]);
    assert_eq!(names(&by_barcode), vec!["Blue mug"]);
}

async fn filters_show_each_designation_state(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    for (filter, count, online, in_store) in [
        ("for_sale", 30, Some("for_sale"), None),
        ("view_only", 10, Some("view_only"), Some("true")),
        ("in_store_only", 10, Some("hidden"), Some("true")),
        ("nowhere", 10, Some("hidden"), Some("false")),
    ] {
        let doc = app.get_html(&format!("/items?filter={filter}")).await;
        let rows: Vec<_> = doc.select(&sel("tr.item-row")).collect();
        assert_eq!(rows.len(), count, "{filter}");
        for row in rows {
            if let Some(online) = online {
                assert_eq!(row.value().attr("data-online"), Some(online), "{filter}");
            }
            if let Some(in_store) = in_store {
                assert_eq!(
                    row.value().attr("data-in-store"),
                    Some(in_store),
                    "{filter}"
                );
            }
        }
    }
}

async fn an_unknown_filter_or_page_shows_all_items_with_a_message(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let doc = app.get_html("/items?filter=bogus&page=zero").await;

    let warnings: Vec<String> = doc
        .select(&sel("p.notice.warning"))
        .map(|p| p.text().collect())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("Unknown filter"));
    assert_eq!(doc.select(&sel("tr.item-row")).count(), 50);
}

async fn pages_and_sorting_cover_every_item_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let first = app.get_html("/items?sort=-price").await;
    let second = app.get_html("/items?sort=-price&page=2").await;

    assert_eq!(text_of(&first, "p.count").as_deref(), Some("60 items"));
    assert_eq!(
        text_of(&first, "nav.pager span").as_deref(),
        Some("Page 1 of 2")
    );
    assert_eq!(names(&first)[0], "Vintage radio");
    let mut all = names(&first);
    all.extend(names(&second));
    assert_eq!(all.len(), 60);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 60);
}

async fn htmx_search_gets_only_the_table(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app
        .client
        .get(app.url("/items?q=tea"))
        .header("HX-Request", "true")
        .header("HX-Target", "item-table")
        .send()
        .await
        .expect("get");

    let body = response.text().await.expect("body");
    let doc = fragment(&body);
    assert!(
        doc.select(&sel("div#item-table table.items"))
            .next()
            .is_some()
    );
    assert!(doc.select(&sel("header.topbar")).next().is_none());
    assert_eq!(
        names(&doc),
        vec![
            "Chamomile tea",
            "Earl Grey tea",
            "Linen tea towel",
            "Sencha green tea",
            "Tealights, 24",
            "Teapot, 1 litre"
        ]
    );
}

async fn user_strings_render_as_text_in_pages_and_fragments(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let merchant = app.demo_merchant_id();
    let mut ids = Vec::new();
    for (sku, name) in [
        ("XSS-1", "<script>alert(1)</script>"),
        ("XSS-2", "\"><img src=x onerror=alert(1)>"),
    ] {
        let fields = item_fields(sku, name, "1.00");
        let item = create_item(
            &mut app.conn(),
            &Actor::staff("<b>Mallory</b>"),
            merchant,
            &fields,
            Designation::new(true, OnlineListing::Hidden).expect("valid"),
        )
        .expect("create");
        ids.push((item.id, name));
    }

    let page = app.get_html("/items?q=XSS").await;
    let activity = app.get_html("/activity").await;
    let (id, name) = ids[0];
    let swap = app
        .htmx_post(
            &format!("/items/{id}/designation"),
            &[("action", "sell_online"), ("version", "1")],
        )
        .await;
    let swap = row_fragment(&swap.text().await.expect("body"));
    let shop = app.get_html("/shop/corner-goods").await;

    for doc in [&page, &activity, &swap, &shop] {
        assert!(
            // The shop's schema.org blocks are data, not scripts that run.
            doc.select(&sel(
                "script:not([src]):not([type=\"application/ld+json\"])"
            ))
            .next()
            .is_none(),
            "no inline script was injected"
        );
        assert!(
            doc.select(&sel("img")).next().is_none(),
            "no image was injected"
        );
    }
    for (id, name) in &ids {
        assert_eq!(
            text_of(&page, &format!("tr#item-{id} td.name a")).as_deref(),
            Some(*name)
        );
    }
    assert_eq!(
        text_of(&swap, &format!("tr#item-{id} td.name a")).as_deref(),
        Some(name)
    );
    assert!(row_state(&swap, id).is_some());
    assert_eq!(
        text_of(&shop, &format!("article[data-item-id=\"{id}\"] h2")).as_deref(),
        Some(name)
    );
}
