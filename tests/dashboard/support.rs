//! Reading the item list, for the dashboard tests. The demo's item ids are
//! in `common::demo`, a second merchant in `common::fixtures`.

use crate::common::{TestApp, sel};

/// The row of an item on a parsed page: (data-online, data-in-store, data-version).
pub fn row_state(doc: &scraper::Html, item_id: i64) -> Option<(String, String, i64)> {
    let row = doc.select(&sel(&format!("tr#item-{item_id}"))).next()?;
    let value = row.value();
    Some((
        value.attr("data-online")?.to_owned(),
        value.attr("data-in-store")?.to_owned(),
        value.attr("data-version")?.parse().ok()?,
    ))
}

/// The item's current version as the list shows it.
pub async fn version_of(app: &TestApp, item_id: i64) -> i64 {
    let doc = app
        .get_html(&format!("/items?q=CG-{}", 1000 + item_id))
        .await;
    row_state(&doc, item_id).expect("the item is listed").2
}
