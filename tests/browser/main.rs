//! The merchant dashboard in a real headless Chromium: signing in, the
//! designation buttons swapping a row in place through htmx, conflicts with a
//! second session, bulk changes, and the hosted shop page, on SQLite and
//! PostgreSQL. Screenshots of every step land in `target/screenshots/`.

#[path = "../common/mod.rs"]
mod common;
mod driver;

mod bulk;
mod bulk_edit;
mod content_security;
mod counter;
mod counter_scan;
mod designations;
mod error_pages;
mod escaping;
mod import;
mod layout;
mod own_shop;
mod reservations;
mod sign_in;
mod stock;
mod tokens;
mod webhooks;

use common::{DEMO_EMAIL, DEMO_PASSWORD, TestApp};
use driver::Browser;

/// A demo item as the seed creates it (ids follow the catalogue order).
pub struct DemoItem {
    pub id: i64,
    pub sku: &'static str,
    pub name: &'static str,
}

impl DemoItem {
    /// The item's row on the dashboard, e.g. `#item-2`.
    pub fn row(&self) -> String {
        format!("#item-{}", self.id)
    }

    /// The designation button with `action` in the item's row.
    pub fn button(&self, action: &str) -> String {
        format!("#item-{} button[name=action][value={action}]", self.id)
    }

    /// The message a designation press on the item leaves in the toast
    /// region (never in the row, which would push the list down).
    pub fn row_notice(&self) -> String {
        "#flash p.notice".to_owned()
    }

    /// The item on the shop page, listed with `online` (`for_sale`, `view_only`).
    pub fn shop_product(&self, online: &str) -> String {
        format!(
            "article.product[data-item-id=\"{}\"][data-online=\"{online}\"]",
            self.id
        )
    }

    /// The dashboard list narrowed to this item.
    pub fn search_path(&self) -> String {
        format!("/items?q={}", self.sku)
    }
}

/// In store, not online.
pub const SPECKLED_MUG: DemoItem = DemoItem {
    id: 2,
    sku: "CG-1002",
    name: "Speckled mug",
};
/// In store and for sale online.
pub const ESPRESSO_CUPS: DemoItem = DemoItem {
    id: 4,
    sku: "CG-1004",
    name: "Espresso cup pair",
};
/// In store, not online.
pub const CHAMOMILE_TEA: DemoItem = DemoItem {
    id: 8,
    sku: "CG-1008",
    name: "Chamomile tea",
};
/// For sale online only, not in store.
pub const GEL_PENS: DemoItem = DemoItem {
    id: 17,
    sku: "CG-1017",
    name: "Gel pens, set of 5",
};
/// In store, not online.
pub const GREETING_CARD: DemoItem = DemoItem {
    id: 20,
    sku: "CG-1020",
    name: "Greeting card, botanical",
};
/// In store, not online.
pub const LINEN_TEA_TOWEL: DemoItem = DemoItem {
    id: 26,
    sku: "CG-1026",
    name: "Linen tea towel",
};

/// Signs in through the login form as the demo staff member and waits for
/// the item list it leads to.
pub async fn sign_in(browser: &Browser, app: &TestApp) {
    browser.goto(&app.url("/login")).await;
    browser.fill("#email", DEMO_EMAIL).await;
    browser.fill("#password", DEMO_PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for("tr.item-row").await;
}

/// The catalog version the page header shows.
pub async fn catalog_version(browser: &Browser) -> i64 {
    browser
        .attr("#catalog-version", "data-version")
        .await
        .expect("the header shows the catalog version")
        .parse()
        .expect("the catalog version is a number")
}

/// Marks the current page so a test can tell it was not reloaded since.
pub async fn mark_page(browser: &Browser) {
    browser.script("window.__noReload = 'yes';", vec![]).await;
}

/// The designation buttons the item's row offers, by form value.
pub async fn offered_actions(browser: &Browser, item: &DemoItem) -> Vec<String> {
    browser
        .attrs(&format!("{} button[name=action]", item.row()), "value")
        .await
}

/// Whether the page marked by `mark_page` is still the one showing.
pub async fn page_is_still_marked(browser: &Browser) -> bool {
    browser
        .script("return window.__noReload || null;", vec![])
        .await
        == "yes"
}
