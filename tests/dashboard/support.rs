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

/// What a browser would post for the form `form_css` of a parsed page:
/// every named input (a checkbox only when ticked) and select, in order.
pub fn form_fields(doc: &scraper::Html, form_css: &str) -> Vec<(String, String)> {
    let form = doc.select(&sel(form_css)).next().expect("the form");
    let mut fields = Vec::new();
    for control in form.select(&sel("input[name], select[name], textarea[name]")) {
        let element = control.value();
        let name = element.attr("name").unwrap_or_default().to_owned();
        match element.name() {
            "select" => {
                let chosen = control
                    .select(&sel("option[selected]"))
                    .next()
                    .or_else(|| control.select(&sel("option")).next())
                    .and_then(|option| option.value().attr("value"))
                    .unwrap_or_default();
                fields.push((name, chosen.to_owned()));
            }
            "textarea" => fields.push((name, control.text().collect())),
            _ => {
                let kind = element.attr("type").unwrap_or("text");
                if (kind == "checkbox" || kind == "radio") && element.attr("checked").is_none() {
                    continue;
                }
                fields.push((name, element.attr("value").unwrap_or_default().to_owned()));
            }
        }
    }
    fields
}

/// Sets the field `name` of posted form fields (adding it if absent).
pub fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(key, _)| key == name) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

/// Removes the field `name` (an unticked checkbox).
pub fn unset_field(fields: &mut Vec<(String, String)>, name: &str) {
    fields.retain(|(key, _)| key != name);
}
