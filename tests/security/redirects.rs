//! `return_to` sends the browser back to a path on this site only.

use crate::common::{Backend, attr_of, spawn_app};
use crate::on_both_backends;

on_both_backends!(return_to_outside_this_site_falls_back_to_the_item_list);

async fn return_to_outside_this_site_falls_back_to_the_item_list(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let doc = app.get_html("/items?q=CG-1002").await;
    let row = "tr[data-item-id='2']";
    let mut version = attr_of(&doc, row, "data-version").expect("the speckled mug's row");
    let mut online = attr_of(&doc, row, "data-online").expect("its online state");

    for (target, expected) in [
        ("/\t/evil.example", "/items"),
        ("//evil.example", "/items"),
        ("/\\evil.example", "/items"),
        ("https://evil.example/", "/items"),
        ("/items?q=CG-1002", "/items?q=CG-1002"),
    ] {
        let action = if online == "hidden" {
            "sell_online"
        } else {
            "remove_from_online"
        };
        let response = app
            .post_form(
                "/items/2/designation",
                &[
                    ("action", action),
                    ("version", &version),
                    ("return_to", target),
                ],
            )
            .await;

        assert_eq!(response.status(), 303, "{target:?}");
        assert_eq!(response.headers()["location"], expected, "{target:?}");
        let doc = app.get_html("/items?q=CG-1002").await;
        version = attr_of(&doc, row, "data-version").expect("the row");
        online = attr_of(&doc, row, "data-online").expect("its online state");
    }
}
