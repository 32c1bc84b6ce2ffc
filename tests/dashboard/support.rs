//! Facts about the demo catalogue and helpers shared by the dashboard tests.

use shelfsync::domain::{Currency, Email};
use shelfsync::inventory::merchants;

use crate::common::{TestApp, sel};

/// Demo item ids (creation order) by state.
pub const BLUE_MUG_FOR_SALE: i64 = 1;
pub const SPECKLED_MUG_IN_STORE_ONLY: i64 = 2;
pub const CAMPING_MUG_VIEW_ONLY: i64 = 3;
pub const TEAPOT_ONLINE_ONLY: i64 = 5;
pub const SENCHA_NOWHERE: i64 = 6;

/// A second merchant with one item, and a staff login for it; returns (merchant id, item id).
pub fn other_merchant(app: &TestApp) -> (i64, i64) {
    let mut conn = app.conn();
    let merchant = merchants::create_merchant(
        &mut conn,
        "other-shop",
        "Other Shop",
        Currency::parse("USD").expect("USD"),
    )
    .expect("second merchant");
    shelfsync::inventory::stores::add_location(&mut conn, merchant.id, "Uptown", true)
        .expect("location");
    merchants::create_staff(
        &mut conn,
        merchant.id,
        &Email::parse("owner@other.example").expect("email"),
        "Olga",
        "other-password",
    )
    .expect("staff");
    let fields = crate::common_fields("OTHER-1", "Other item", "5.00");
    let designation =
        shelfsync::domain::Designation::new(true, shelfsync::domain::OnlineListing::Hidden)
            .expect("valid");
    let item = shelfsync::inventory::items::create_item(
        &mut conn,
        &shelfsync::inventory::Actor::staff("Olga"),
        merchant.id,
        &fields,
        designation,
    )
    .expect("item");
    (merchant.id, item.id)
}

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
