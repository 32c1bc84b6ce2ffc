//! `/shop/{merchant}`: the hosted storefront page.

use crate::common::demo::{
    BLUE_MUG_FOR_SALE, CAMPING_MUG_VIEW_ONLY, SENCHA_NOWHERE, SPECKLED_MUG_IN_STORE_ONLY,
};
use crate::common::{Backend, sel, spawn_app, text_of};
use crate::on_both_backends;

on_both_backends!(
    the_shop_lists_online_items_with_buy_online_or_buy_in_store,
    an_unknown_shop_is_not_found
);

async fn the_shop_lists_online_items_with_buy_online_or_buy_in_store(backend: Backend) {
    let app = spawn_app(backend).await;

    let doc = app.get_html("/shop/corner-goods").await;

    assert_eq!(doc.select(&sel("article.product")).count(), 40);
    let camping = format!("article[data-item-id=\"{CAMPING_MUG_VIEW_ONLY}\"]");
    assert_eq!(
        text_of(&doc, &format!("{camping} .availability")).as_deref(),
        Some("See it here — buy it in store at Downtown (in stock) or Riverside (in stock)")
    );
    let blue = format!("article[data-item-id=\"{BLUE_MUG_FOR_SALE}\"]");
    assert_eq!(
        text_of(&doc, &format!("{blue} .availability")).as_deref(),
        Some("Sold out online")
    );
    let teapot = "article[data-item-id=\"5\"]";
    assert_eq!(
        text_of(&doc, &format!("{teapot} .availability")).as_deref(),
        Some("Buy online 2 available")
    );
    assert_eq!(
        text_of(&doc, &format!("{teapot} .price")).as_deref(),
        Some("$48.00")
    );
    for hidden in [SPECKLED_MUG_IN_STORE_ONLY, SENCHA_NOWHERE] {
        assert!(
            doc.select(&sel(&format!("article[data-item-id=\"{hidden}\"]")))
                .next()
                .is_none()
        );
    }
}

async fn an_unknown_shop_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/shop/nobody").await.status(), 404);
    assert_eq!(app.get("/shop/corner-goods?after=x").await.status(), 400);
}
