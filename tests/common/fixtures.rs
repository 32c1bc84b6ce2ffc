//! Data the tests set up through the service: item fields, items, merchants,
//! idempotency keys and stock. One version of each, for every test binary.

use std::sync::atomic::{AtomicU64, Ordering};

use shelfsync::db::DbConnection;
use shelfsync::domain::{
    Currency, Designation, Email, FieldError, IdempotencyKey, OnlineListing, Quantity,
};
use shelfsync::inventory::items::{ItemInput, create_item};
use shelfsync::inventory::merchants;
use shelfsync::inventory::staff::{InviteInput, accept_link, invite};
use shelfsync::inventory::{Actor, Item, ItemFields};

use super::TestApp;

/// What the tests' items cost and are priced in.
pub const TEST_PRICE: &str = "9.99";

pub fn usd() -> Currency {
    Currency::parse("USD").expect("USD is a currency")
}

/// An item as typed into the item form: SKU, name and price, the rest empty.
/// Change a field with struct update syntax:
/// `ItemInput { description: "…", ..item_input("SKU-1", "Mug", "5.00") }`.
pub fn item_input<'a>(sku: &'a str, name: &'a str, price: &'a str) -> ItemInput<'a> {
    ItemInput {
        sku,
        name,
        description: "",
        price,
        currency: "",
        barcode: "",
    }
}

/// Parses typed fields for a merchant that sells in USD, like the demo's.
pub fn parse_item(input: &ItemInput) -> Result<ItemFields, Vec<FieldError>> {
    ItemFields::parse(input, usd())
}

/// Valid parsed fields from a SKU, a name and a price.
pub fn item_fields(sku: &str, name: &str, price: &str) -> ItemFields {
    parse_item(&item_input(sku, name, price))
        .unwrap_or_else(|errors| panic!("{sku} should have valid fields: {errors:?}"))
}

/// Creates an item through the service, as staff member "Test", at `TEST_PRICE`.
pub fn new_item(
    conn: &mut DbConnection,
    merchant: i64,
    sku: &str,
    name: &str,
    in_store: bool,
    online: OnlineListing,
) -> Item {
    let designation = Designation::new(in_store, online).expect("a valid designation");
    create_item(
        conn,
        &Actor::staff("Test"),
        merchant,
        &item_fields(sku, name, TEST_PRICE),
        designation,
    )
    .expect("the item is created")
}

/// The password of every staff login `seeded_merchant` creates.
pub const STAFF_PASSWORD: &str = "long-enough-password";

/// A merchant with two stores (Downtown ships online orders, Riverside does
/// not) and a staff login `staff@{slug}.example` (`STAFF_PASSWORD`); returns its id.
pub fn seeded_merchant(conn: &mut DbConnection, slug: &str) -> i64 {
    let merchant = merchants::create_merchant(conn, slug, &format!("Shop {slug}"), usd())
        .expect("the merchant is created");
    shelfsync::inventory::stores::add_location(conn, merchant.id, "Downtown", true)
        .expect("a store");
    shelfsync::inventory::stores::add_location(conn, merchant.id, "Riverside", false)
        .expect("a store");
    let email = Email::parse(&format!("staff@{slug}.example")).expect("an email");
    merchants::create_staff(conn, merchant.id, &email, "Staff", STAFF_PASSWORD)
        .expect("a staff login");
    merchant.id
}

/// A second merchant next to the demo, for tests that one merchant never
/// reaches another's data.
pub struct OtherMerchant {
    pub id: i64,
    /// Its one store, Uptown.
    pub location_id: i64,
    /// In store, and for sale online, view-only online and not online, in that order.
    pub items: Vec<Item>,
}

impl OtherMerchant {
    /// Its staff login (Olga).
    pub const EMAIL: &str = "owner@other.example";
    pub const PASSWORD: &str = "other-password";
    /// Shown in the dashboard's top bar.
    pub const NAME: &str = "Other Shop";

    /// The item that is in store and not online.
    pub fn store_only_item(&self) -> &Item {
        &self.items[2]
    }
}

/// Creates "Other Shop" with its store, its staff login and one item in
/// each online state, on the app's database.
pub fn other_merchant(app: &TestApp) -> OtherMerchant {
    let mut conn = app.conn();
    let merchant = merchants::create_merchant(&mut conn, "other-shop", OtherMerchant::NAME, usd())
        .expect("the second merchant is created");
    let location =
        shelfsync::inventory::stores::add_location(&mut conn, merchant.id, "Uptown", true)
            .expect("the second merchant's store");
    merchants::create_staff(
        &mut conn,
        merchant.id,
        &Email::parse(OtherMerchant::EMAIL).expect("an email"),
        "Olga",
        OtherMerchant::PASSWORD,
    )
    .expect("the second merchant's staff login");
    let items = [
        ("OTHER-1", OnlineListing::ForSale),
        ("OTHER-2", OnlineListing::ViewOnly),
        ("OTHER-3", OnlineListing::Hidden),
    ]
    .into_iter()
    .map(|(sku, online)| new_item(&mut conn, merchant.id, sku, "Other item", true, online))
    .collect();
    OtherMerchant {
        id: merchant.id,
        location_id: location.id,
        items,
    }
}

static KEYS: AtomicU64 = AtomicU64::new(0);

/// An idempotency key no other request of this test process uses.
pub fn fresh_key() -> String {
    format!(
        "test-key-{}-{}",
        std::process::id(),
        KEYS.fetch_add(1, Ordering::SeqCst)
    )
}

/// `fresh_key` as the service takes it.
pub fn idempotency_key() -> IdempotencyKey {
    IdempotencyKey::parse(&fresh_key()).expect("a valid idempotency key")
}

/// Receives stock through the ledger under a fresh idempotency key, as staff
/// member "Test"; returns the store's on-hand quantity after it.
pub fn receive_stock(
    conn: &mut DbConnection,
    merchant_id: i64,
    item_id: i64,
    location_id: i64,
    quantity: i64,
) -> i64 {
    shelfsync::inventory::stock::receive(
        conn,
        &Actor::staff("Test"),
        merchant_id,
        item_id,
        location_id,
        Quantity::new(quantity, "quantity").expect("a valid quantity"),
        idempotency_key(),
    )
    .expect("stock is received")
}

/// The password of every person `person` creates.
pub const PASSWORD: &str = "a-long-staff-password";

/// Adds a person of `role` (a cashier at `store`) who has set `PASSWORD`;
/// returns their email and id.
pub fn person(
    conn: &mut DbConnection,
    merchant_id: i64,
    name: &str,
    role: &str,
    store: Option<i64>,
) -> (String, i64) {
    let email = format!("{}@people.example", name.to_lowercase());
    let store = store.map(|id| id.to_string()).unwrap_or_default();
    let link = invite(
        conn,
        &Actor::system(),
        merchant_id,
        &InviteInput {
            email: &email,
            name,
            role,
            location_id: &store,
        },
    )
    .expect("the person is invited");
    accept_link(conn, &link.secret, PASSWORD).expect("the password is set");
    (email, link.staff.id)
}

/// A browser of its own, signed in as `email`.
pub async fn signed_in(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let client = super::new_client();
    app.login_as(&client, email, password).await;
    client
}

/// The storefront's online list as JSON, read through the API with a new
/// storefront token of the merchant.
pub async fn online_list(app: &TestApp, merchant_id: i64) -> serde_json::Value {
    let token = shelfsync::inventory::tokens::create_token(
        &mut app.conn(),
        merchant_id,
        "Online store",
        shelfsync::domain::TokenScope::Storefront,
        None,
    )
    .expect("a storefront token");
    app.client
        .get(app.url("/api/v1/storefront/items?limit=500"))
        .bearer_auth(&token.secret)
        .send()
        .await
        .expect("the online list")
        .json()
        .await
        .expect("the online list is JSON")
}

/// The price in cents the online list shows for `sku`, if it lists the item.
pub fn listed_price(list: &serde_json::Value, sku: &str) -> Option<i64> {
    list["items"]
        .as_array()?
        .iter()
        .find(|record| record["sku"] == sku)
        .and_then(|record| record["price"]["amount"].as_i64())
}
