//! Tokens, requests and reads shared by the API tests.

use std::collections::BTreeMap;

use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde_json::Value;
use shelfsync::domain::TokenScope;
use shelfsync::inventory::merchants::Location;
use shelfsync::inventory::{Actor, DesignationChange, Item, designate};

use crate::common::TestApp;

/// A fresh secret of `scope` for the demo merchant; a pos token belongs to Downtown.
pub fn token(app: &TestApp, scope: TokenScope) -> String {
    let merchant = app.demo_merchant_id();
    token_for(app, merchant, scope)
}

pub fn token_for(app: &TestApp, merchant_id: i64, scope: TokenScope) -> String {
    let mut conn = app.conn();
    let location = (scope == TokenScope::Pos)
        .then(|| Location::all_of(&mut conn, merchant_id).expect("locations")[0].id);
    shelfsync::inventory::tokens::create_token(&mut conn, merchant_id, "test", scope, location)
        .expect("a token")
        .secret
}

pub async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .expect("GET should reach the server")
}

pub async fn get_with(
    app: &TestApp,
    token: &str,
    path: &str,
    header: (&str, &str),
) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(header.0, header.1)
        .send()
        .await
        .expect("GET should reach the server")
}

pub async fn patch(app: &TestApp, token: &str, item_id: i64, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/items/{item_id}")))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&body)
        .send()
        .await
        .expect("PATCH should reach the server")
}

/// Status, headers and parsed JSON body.
pub async fn read(response: reqwest::Response) -> (u16, HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON body ({e}): {text}"))
    };
    (status, headers, body)
}

/// Asserts the API's error shape and returns (code, details).
pub fn error_of(body: &Value) -> (String, Value) {
    let error = body
        .get("error")
        .unwrap_or_else(|| panic!("an error body: {body}"));
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (
        error["code"].as_str().expect("a code").to_owned(),
        error["details"].clone(),
    )
}

pub fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("a {name} header"))
        .to_owned()
}

/// The result of following a list through its pages.
pub struct PagedRead {
    /// The catalog version every page reported (they must agree).
    pub catalog_version: i64,
    /// Records in the order read, by id.
    pub records: Vec<Value>,
    pub pages: usize,
}

/// Reads every page of `path` (which may carry a query), following next_cursor.
pub async fn read_all(app: &TestApp, token: &str, path: &str) -> PagedRead {
    let mut url = path.to_owned();
    let mut records = Vec::new();
    let mut catalog_version = None;
    let mut pages = 0;
    loop {
        let (status, _, body) = read(get(app, token, &url).await).await;
        assert_eq!(status, 200, "GET {url}: {body}");
        pages += 1;
        let version = body["catalog_version"].as_i64().expect("catalog_version");
        assert_eq!(
            *catalog_version.get_or_insert(version),
            version,
            "every page of a read reports its first page's catalog version"
        );
        records.extend(body["items"].as_array().expect("items").iter().cloned());
        match body["next_cursor"].as_str() {
            Some(cursor) => {
                // Later pages carry only the cursor and the limit.
                let limit = path
                    .split(['?', '&'])
                    .find(|p| p.starts_with("limit="))
                    .map(|p| format!("&{p}"))
                    .unwrap_or_default();
                let base = path.split('?').next().unwrap_or(path);
                url = format!("{base}?cursor={cursor}{limit}");
            }
            None => break,
        }
    }
    PagedRead {
        catalog_version: catalog_version.expect("at least one page"),
        records,
        pages,
    }
}

/// Records by id, failing on a repeat.
pub fn by_id(records: &[Value]) -> BTreeMap<i64, Value> {
    let mut map = BTreeMap::new();
    for record in records {
        let id = record["id"].as_i64().expect("an id");
        assert!(
            map.insert(id, record.clone()).is_none(),
            "item {id} appears twice"
        );
    }
    map
}

/// Applies a designation change to an item as it is now, through the service.
pub fn designate_now(app: &TestApp, item_id: i64, change: DesignationChange) -> Item {
    let mut conn = app.conn();
    let merchant = app.demo_merchant_id();
    let item = Item::find(&mut conn, merchant, item_id).expect("item");
    designate(
        &mut conn,
        &Actor::system(),
        merchant,
        item_id,
        item.version,
        change,
    )
    .expect("designation")
    .item
}

/// The demo merchant's items, in id order.
pub fn demo_items(app: &TestApp) -> Vec<Item> {
    let mut conn = app.conn();
    let merchant = app.demo_merchant_id();
    let ids = shelfsync::inventory::item_list::matching_ids(
        &mut conn,
        merchant,
        "",
        shelfsync::inventory::item_list::ItemFilter::All,
    )
    .expect("ids");
    Item::find_many(&mut conn, merchant, &ids).expect("items")
}
