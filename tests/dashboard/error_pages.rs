//! Error pages: a malformed id, an unknown address and an unknown shop are
//! HTML pages with a plain sentence and a way back; the shop's never link to
//! staff pages.

use crate::common::{Backend, attr_of, html, sel, spawn_app, text_of};
use crate::on_both_backends;

on_both_backends!(
    a_malformed_item_id_is_a_404_page_with_the_navigation,
    an_unknown_address_is_a_404_page,
    the_shops_404_links_only_to_the_shop
);

fn links(doc: &scraper::Html) -> Vec<String> {
    doc.select(&sel("a[href]"))
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

async fn a_malformed_item_id_is_a_404_page_with_the_navigation(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;

    let response = app.get("/items/abc").await;

    assert_eq!(response.status().as_u16(), 404);
    let doc = html(&response.text().await.expect("a body"));
    assert_eq!(
        attr_of(&doc, "p.error-message", "data-status").as_deref(),
        Some("404")
    );
    assert_eq!(
        text_of(&doc, "p.error-message").as_deref(),
        Some("There is no page at this address.")
    );
    let nav = links(&doc);
    assert!(nav.contains(&"/items".to_owned()), "{nav:?}");
    assert!(nav.contains(&"/activity".to_owned()), "{nav:?}");
    assert_eq!(
        attr_of(&doc, "p.way-back a", "href").as_deref(),
        Some("/items")
    );
}

async fn an_unknown_address_is_a_404_page(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.get("/no-such-page").await;

    assert_eq!(response.status().as_u16(), 404);
    let doc = html(&response.text().await.expect("a body"));
    assert_eq!(
        attr_of(&doc, "p.error-message", "data-status").as_deref(),
        Some("404")
    );
    assert_eq!(text_of(&doc, "h1").as_deref(), Some("Not found"));
    assert!(doc.select(&sel("header.topbar nav a")).count() >= 3);
}

async fn the_shops_404_links_only_to_the_shop(backend: Backend) {
    let app = spawn_app(backend).await;
    let slug = shelfsync::demo::SLUG;

    let missing_item = app.get(&format!("/shop/{slug}/items/999999")).await;
    assert_eq!(missing_item.status().as_u16(), 404);
    let doc = html(&missing_item.text().await.expect("a body"));
    assert_eq!(
        text_of(&doc, "p.error-message").as_deref(),
        Some("That shop or item was not found.")
    );
    assert_eq!(links(&doc), vec![format!("/shop/{slug}")]);

    let missing_shop = app.get("/shop/no-such-shop").await;
    assert_eq!(missing_shop.status().as_u16(), 404);
    let doc = html(&missing_shop.text().await.expect("a body"));
    assert_eq!(
        attr_of(&doc, "p.error-message", "data-status").as_deref(),
        Some("404")
    );
    assert!(
        links(&doc).is_empty(),
        "an unknown shop links nowhere: {:?}",
        links(&doc)
    );
}
