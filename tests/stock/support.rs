//! A running shop with tokens for each channel, and helpers to call it.

use diesel::prelude::*;
use serde_json::{Value, json};
use shelfsync::db::schema::stock_movements;
use shelfsync::domain::{OnlineListing, TokenScope};
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::stock;
use shelfsync::inventory::tokens::create_token;

use crate::common::fixtures::{new_item, receive_stock};
use crate::common::{Backend, TestApp, spawn_app};

/// The demo shop, running, with a token per channel.
pub struct Shop {
    pub app: TestApp,
    pub merchant: i64,
    /// Fulfils online orders.
    pub downtown: i64,
    /// Does not.
    pub riverside: i64,
    pub storefront: String,
    pub pos_downtown: String,
    pub pos_riverside: String,
}

/// A response reduced to what the tests look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub replayed: bool,
    pub body: Value,
}

impl Shop {
    pub async fn start(backend: Backend) -> Shop {
        let app = spawn_app(backend).await;
        let merchant = app.demo_merchant_id();
        let mut conn = app.conn();
        let stores = Location::all_of(&mut conn, merchant).expect("stores");
        let (downtown, riverside) = (stores[0].id, stores[1].id);
        let token = |conn: &mut shelfsync::db::DbConnection, name: &str, scope, location| {
            create_token(conn, merchant, name, scope, location)
                .expect("a token")
                .secret
        };
        let storefront = token(&mut conn, "Online store", TokenScope::Storefront, None);
        let pos_downtown = token(&mut conn, "Downtown till", TokenScope::Pos, Some(downtown));
        let pos_riverside = token(
            &mut conn,
            "Riverside till",
            TokenScope::Pos,
            Some(riverside),
        );
        drop(conn);
        Shop {
            app,
            merchant,
            downtown,
            riverside,
            storefront,
            pos_downtown,
            pos_riverside,
        }
    }

    /// A new item named "Item {sku}", for sale online and in store, with no stock.
    pub fn new_item(&self, sku: &str) -> i64 {
        new_item(
            &mut self.app.conn(),
            self.merchant,
            sku,
            &format!("Item {sku}"),
            true,
            OnlineListing::ForSale,
        )
        .id
    }

    /// Receives stock at a store; returns the store's level after it.
    pub fn receive(&self, item: i64, location: i64, quantity: i64) -> i64 {
        receive_stock(
            &mut self.app.conn(),
            self.merchant,
            item,
            location,
            quantity,
        )
    }

    pub fn level(&self, item: i64, location: i64) -> i64 {
        stock::on_hand(&mut self.app.conn(), item, location).expect("a level")
    }

    pub fn movements_of(&self, item: i64) -> i64 {
        stock_movements::table
            .filter(stock_movements::item_id.eq(item))
            .count()
            .get_result(&mut self.app.conn())
            .expect("a count")
    }

    /// POSTs JSON with a bearer token and an optional idempotency key.
    pub async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        token: &str,
        key: Option<&str>,
        body: &str,
    ) -> Reply {
        let mut request = client
            .post(self.app.url(path))
            .bearer_auth(token)
            .header("Content-Type", "application/json")
            .body(body.to_owned());
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let replayed = response
            .headers()
            .get("Idempotent-Replayed")
            .is_some_and(|v| v == "true");
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("a JSON body from {path} ({status}): {e}: {text}"));
        Reply {
            status,
            replayed,
            body,
        }
    }

    pub async fn order(&self, client: &reqwest::Client, key: &str, body: &Value) -> Reply {
        self.post(
            client,
            "/api/v1/storefront/orders",
            &self.storefront,
            Some(key),
            &body.to_string(),
        )
        .await
    }

    pub async fn sale(
        &self,
        client: &reqwest::Client,
        token: &str,
        key: &str,
        body: &Value,
    ) -> Reply {
        self.post(
            client,
            "/api/v1/pos/sales",
            token,
            Some(key),
            &body.to_string(),
        )
        .await
    }
}

/// An order shipping one line.
pub fn ship(item: i64, quantity: i64) -> Value {
    json!({ "lines": [{ "item_id": item, "quantity": quantity }], "fulfilment": { "type": "ship" } })
}

/// A client of its own (its own connections), like a separate buyer.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}
