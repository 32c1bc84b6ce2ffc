//! `GET /api/docs`: the reference drawn from the document, readable without
//! scripts or anything fetched from elsewhere.

use serde_json::Value;

use crate::common::{Backend, html, sel, spawn_app};
use crate::on_both_backends;

on_both_backends!(the_reference_page_shows_every_operation_and_schema_without_scripts);

async fn the_reference_page_shows_every_operation_and_schema_without_scripts(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .expect("served")
        .json()
        .await
        .expect("JSON");

    let response = reqwest::get(app.url("/api/docs")).await.expect("served");

    assert_eq!(response.status(), 200, "public, no sign-in");
    let page = html(&response.text().await.expect("a body"));
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("an item") {
            let id = op["operationId"].as_str().expect("an operation id");
            let article = page
                .select(&sel(&format!("article.operation#{id}")))
                .next()
                .unwrap_or_else(|| panic!("{method} {path} has its section"));
            assert_eq!(article.value().attr("data-path"), Some(path.as_str()));
            assert_eq!(
                article.value().attr("data-method"),
                Some(method.to_uppercase().as_str())
            );
            let statuses: Vec<&str> = article
                .select(&sel("table.responses tr[data-status]"))
                .filter_map(|row| row.value().attr("data-status"))
                .collect();
            let documented: Vec<&str> = op["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(statuses, documented, "{method} {path} lists its responses");
            assert!(
                page.select(&sel(&format!("nav.docs-toc a[href='#{id}']")))
                    .next()
                    .is_some(),
                "{id} is in the contents"
            );
        }
    }
    for name in doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        assert!(
            page.select(&sel(&format!("article.schema#schema-{name}")))
                .next()
                .is_some(),
            "schema {name} has its section"
        );
    }
    // Every link to a schema lands on one.
    for link in page.select(&sel("a[href^='#schema-']")) {
        let target = link.value().attr("href").unwrap_or_default();
        assert!(
            page.select(&sel(target)).next().is_some(),
            "{target} exists"
        );
    }
    assert!(
        page.select(&sel("script")).next().is_none(),
        "no script at all"
    );
    for element in page.select(&sel("link[href], img[src]")) {
        let url = element
            .value()
            .attr("href")
            .or_else(|| element.value().attr("src"))
            .unwrap_or_default();
        assert!(url.starts_with('/'), "{url} is served by shelfsync itself");
    }
    assert!(
        page.select(&sel("a[href='/api/v1/openapi.json']"))
            .next()
            .is_some(),
        "it links the document"
    );
}
