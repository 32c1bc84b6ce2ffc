//! The merchant dashboard over HTTP: sign-in, CSRF, the item list, the
//! designation buttons (htmx and plain forms), bulk edits, item forms, the
//! counter, the activity log and the hosted shop page.

#[path = "../common/mod.rs"]
mod common;

mod activity;
mod auth;
mod bulk;
mod counter;
mod designation;
mod item_form;
mod items;
mod sessions;
mod shop;
mod support;

/// Parsed item fields for tests that create items directly through the service.
pub fn common_fields(sku: &str, name: &str, price: &str) -> shelfsync::inventory::ItemFields {
    shelfsync::inventory::ItemFields::parse(
        &shelfsync::inventory::items::ItemInput {
            sku,
            name,
            description: "",
            price,
            currency: "",
            barcode: "",
        },
        shelfsync::domain::Currency::parse("USD").expect("USD"),
    )
    .expect("valid fields")
}
