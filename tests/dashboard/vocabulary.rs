//! One vocabulary: the item page's history and `/activity` name designations
//! with the dashboard's labels, never the API's codes.

use crate::common::demo::SPECKLED_MUG_IN_STORE_ONLY;
use crate::common::{Backend, sel, spawn_app};
use crate::on_both_backends;
use crate::support::version_of;

on_both_backends!(
    the_item_history_and_the_activity_log_use_the_same_labels,
    conflict_messages_name_states_with_labels
);

/// The page's visible text (attributes left out), whitespace collapsed.
fn visible_text(doc: &scraper::Html, selector: &str) -> Vec<String> {
    doc.select(&sel(selector))
        .map(|el| {
            el.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

async fn the_item_history_and_the_activity_log_use_the_same_labels(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let item = SPECKLED_MUG_IN_STORE_ONLY;
    for action in ["view_online_buy_in_store", "sell_online"] {
        let version = version_of(&app, item).await;
        app.htmx_post(
            &format!("/items/{item}/designation"),
            &[("action", action), ("version", &version.to_string())],
        )
        .await;
    }

    let page = app.get_html(&format!("/items/{item}")).await;
    let history = visible_text(&page, ".history-change");
    assert!(
        history.contains(&"Online: Not online → View online, buy in store".to_owned()),
        "{history:?}"
    );
    assert!(
        history.contains(&"Online: View online, buy in store → For sale online".to_owned()),
        "{history:?}"
    );
    let activity = app.get_html(&format!("/activity?item={item}")).await;
    let changes = visible_text(&activity, "tr.audit-entry td:nth-child(5)");
    assert!(
        changes.contains(&"View online, buy in store → For sale online".to_owned()),
        "{changes:?}"
    );
    for (name, doc) in [("item page", &page), ("activity", &activity)] {
        let text = visible_text(doc, "main").join(" ");
        for code in ["for_sale", "view_only", "in_store", "hidden →", "→ hidden"] {
            assert!(
                !text.contains(code),
                "the {name} shows the code {code:?}: {text}"
            );
        }
    }
}

async fn conflict_messages_name_states_with_labels(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login().await;
    let item = SPECKLED_MUG_IN_STORE_ONLY;
    let stale = version_of(&app, item).await;
    app.htmx_post(
        &format!("/items/{item}/designation"),
        &[("action", "sell_online"), ("version", &stale.to_string())],
    )
    .await;

    let response = app
        .htmx_post(
            &format!("/items/{item}/designation"),
            &[
                ("action", "remove_from_online"),
                ("version", &stale.to_string()),
            ],
        )
        .await;

    let body = response.text().await.expect("a body");
    let doc = scraper::Html::parse_fragment(&body);
    let text = doc.root_element().text().collect::<String>();
    assert!(text.contains("For sale online, sold in store"), "{text}");
    assert!(!text.contains("for_sale"), "{text}");
}
