//! `GET /api/v1/storefront/items`: contract, parameters, pages, include,
//! deltas and the ETag / 304 flow.

use serde_json::Value;
use shelfsync::domain::TokenScope;
use shelfsync::inventory::DesignationChange;

use crate::common::{Backend, spawn_app};
use crate::on_both_backends;

use super::support::{
    by_id, demo_items, designate_now, error_of, get, get_with, header, read, read_all, token,
};

const LIST: &str = "/api/v1/storefront/items";

fn ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

on_both_backends!(
    the_online_list_answers_with_its_contract,
    pages_follow_the_cursor_in_id_order_without_gaps_or_repeats,
    bad_parameters_are_422_naming_the_parameter,
    include_unlisted_adds_store_only_items_marked_not_listed,
    the_same_etag_gives_304_until_a_change_and_then_the_new_list,
    a_different_query_has_a_different_etag,
    gzip_is_served_precompressed_with_its_own_etag,
    a_delta_carries_changes_after_since_version_with_tombstones
);

async fn the_online_list_answers_with_its_contract(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);

    let (status, headers, body) = read(get(&app, &secret, LIST).await).await;

    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert_eq!(header(&headers, "cache-control"), "private, no-cache");
    let etag = header(&headers, "etag");
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"),
        "a strong ETag: {etag}"
    );
    let version = body["catalog_version"].as_i64().expect("catalog_version");
    assert_eq!(
        header(&headers, "shelfsync-catalog-version"),
        version.to_string()
    );
    assert!(body["since_version"].is_null());
    assert!(
        body["next_cursor"].is_null(),
        "the demo's 40 listed items fit the default page of 100"
    );
    let items = body["items"].as_array().expect("items");
    let listed = demo_items(&app)
        .into_iter()
        .filter(|i| i.online().is_listed())
        .count();
    assert_eq!(items.len(), listed);
    let view_only = items
        .iter()
        .find(|i| i["online"] == "view_only")
        .expect("a view-only item");
    for field in [
        "id",
        "sku",
        "name",
        "description",
        "price",
        "online",
        "listed_online",
        "purchasable_online",
        "available_online",
        "stores",
        "changed_version",
    ] {
        assert!(view_only.get(field).is_some(), "{field} in {view_only}");
    }
    assert_eq!(view_only["purchasable_online"], false);
    assert_eq!(view_only["listed_online"], true);
    assert!(view_only["price"]["amount"].is_i64());
    assert_eq!(view_only["price"]["currency"], "USD");
    let store = &view_only["stores"][0];
    assert_eq!(store["name"], "Downtown");
    assert!(store["in_stock"].is_boolean() && store["location_id"].is_i64());
    assert!(
        items
            .iter()
            .all(|i| i["changed_version"].as_i64().expect("a version") <= version)
    );
    assert!(
        items
            .iter()
            .any(|i| i["online"] == "for_sale" && i["purchasable_online"] == true)
    );
}

async fn pages_follow_the_cursor_in_id_order_without_gaps_or_repeats(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);
    let (_, _, whole) = read(get(&app, &secret, LIST).await).await;

    let paged = read_all(&app, &secret, &format!("{LIST}?limit=7")).await;

    let paged_ids: Vec<i64> = paged
        .records
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(paged_ids, ids(&whole));
    assert_eq!(paged.pages, ids(&whole).len().div_ceil(7));
    let mut sorted = paged_ids.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, paged_ids, "id order");
}

async fn bad_parameters_are_422_naming_the_parameter(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);
    let (_, _, first) = read(get(&app, &secret, &format!("{LIST}?limit=2")).await).await;
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    let mut tampered = cursor.clone().into_bytes();
    tampered[4] = if tampered[4] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");

    for (query, parameter) in [
        ("limit=0".to_owned(), "limit"),
        ("limit=1001".to_owned(), "limit"),
        ("limit=-5".to_owned(), "limit"),
        ("limit=lots".to_owned(), "limit"),
        ("since_version=-1".to_owned(), "since_version"),
        ("since_version=abc".to_owned(), "since_version"),
        ("since_version=99999999".to_owned(), "since_version"),
        ("since_version=1e3".to_owned(), "since_version"),
        ("include=everything".to_owned(), "include"),
        ("include=all".to_owned(), "include"),
        (format!("cursor={tampered}"), "cursor"),
        ("cursor=%00%ff".to_owned(), "cursor"),
        (format!("cursor={cursor}&since_version=3"), "since_version"),
        (format!("cursor={cursor}&include=unlisted"), "include"),
        ("sort=price".to_owned(), "sort"),
        ("limit=5&limit=6".to_owned(), "limit"),
    ] {
        let (status, headers, body) =
            read(get(&app, &secret, &format!("{LIST}?{query}")).await).await;

        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(header(&headers, "content-type"), "application/json");
        let (code, details) = error_of(&body);
        assert_eq!(code, "invalid_parameter", "{query}");
        assert_eq!(details["parameter"], parameter, "{query}");
    }
    let (status, _, _) = read(get(&app, &secret, &format!("{LIST}?limit=1000")).await).await;
    assert_eq!(status, 200, "1000 is the largest page");
}

async fn include_unlisted_adds_store_only_items_marked_not_listed(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);

    let (status, _, body) =
        read(get(&app, &secret, &format!("{LIST}?include=unlisted")).await).await;

    assert_eq!(status, 200);
    let items = demo_items(&app);
    let expected: Vec<i64> = items
        .iter()
        .filter(|i| i.online().is_listed() || i.in_store())
        .map(|i| i.id)
        .collect();
    assert_eq!(ids(&body), expected);
    for record in body["items"].as_array().expect("items") {
        let item = items
            .iter()
            .find(|i| Some(i.id) == record["id"].as_i64())
            .expect("known item");
        assert_eq!(
            record["listed_online"],
            item.online().is_listed(),
            "{record}"
        );
        if !item.online().is_listed() {
            assert_eq!(record["online"], "hidden");
            assert_eq!(record["purchasable_online"], false);
        }
    }
}

async fn the_same_etag_gives_304_until_a_change_and_then_the_new_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);
    let (_, headers, before) = read(get(&app, &secret, LIST).await).await;
    let etag = header(&headers, "etag");

    let (status, headers, body) =
        read(get_with(&app, &secret, LIST, ("If-None-Match", &etag)).await).await;
    assert_eq!(status, 304);
    assert_eq!(body, Value::Null, "a 304 has no body");
    assert_eq!(header(&headers, "etag"), etag);
    let (status, _, _) = read(
        get_with(
            &app,
            &secret,
            LIST,
            ("If-None-Match", &format!("\"other\", W/{etag}")),
        )
        .await,
    )
    .await;
    assert_eq!(status, 304, "weak comparison and lists of tags");

    let first_listed = ids(&before)[0];
    designate_now(&app, first_listed, DesignationChange::REMOVE_FROM_ONLINE);
    let (status, headers, after) =
        read(get_with(&app, &secret, LIST, ("If-None-Match", &etag)).await).await;

    assert_eq!(status, 200, "the very next request sees the change");
    assert_ne!(header(&headers, "etag"), etag);
    assert!(after["catalog_version"].as_i64() > before["catalog_version"].as_i64());
    assert!(!ids(&after).contains(&first_listed));
}

async fn a_different_query_has_a_different_etag(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);

    let (_, plain, _) = read(get(&app, &secret, LIST).await).await;
    let (_, unlisted, _) =
        read(get(&app, &secret, &format!("{LIST}?include=unlisted")).await).await;
    let (status, _, _) = read(
        get_with(
            &app,
            &secret,
            &format!("{LIST}?include=unlisted"),
            ("If-None-Match", &header(&plain, "etag")),
        )
        .await,
    )
    .await;

    assert_ne!(header(&plain, "etag"), header(&unlisted, "etag"));
    assert_eq!(status, 200);
}

async fn gzip_is_served_precompressed_with_its_own_etag(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);
    let (_, plain, plain_body) = read(get(&app, &secret, LIST).await).await;

    let zipped = get_with(&app, &secret, LIST, ("Accept-Encoding", "gzip")).await;
    let headers = zipped.headers().clone();
    let bytes = zipped.bytes().await.expect("a body");

    assert_eq!(header(&headers, "content-encoding"), "gzip");
    assert!(header(&headers, "vary").contains("Accept-Encoding"));
    assert_ne!(header(&headers, "etag"), header(&plain, "etag"));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
        .expect("gzip");
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("json"),
        plain_body
    );
}

async fn a_delta_carries_changes_after_since_version_with_tombstones(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Storefront);
    let (_, _, before) = read(get(&app, &secret, LIST).await).await;
    let since = before["catalog_version"].as_i64().expect("version");
    let items = demo_items(&app);
    let leaving = items
        .iter()
        .find(|i| i.online().is_listed())
        .expect("a listed item")
        .id;
    let arriving = items
        .iter()
        .find(|i| !i.online().is_listed() && i.in_store())
        .expect("a store-only item")
        .id;

    designate_now(&app, leaving, DesignationChange::REMOVE_FROM_ONLINE);
    designate_now(&app, arriving, DesignationChange::VIEW_ONLINE_BUY_IN_STORE);
    let (status, _, delta) =
        read(get(&app, &secret, &format!("{LIST}?since_version={since}")).await).await;

    assert_eq!(status, 200);
    assert_eq!(delta["since_version"], since);
    assert_eq!(delta["catalog_version"], since + 2);
    let records = by_id(delta["items"].as_array().expect("items"));
    assert_eq!(records.keys().copied().collect::<Vec<_>>(), {
        let mut both = vec![leaving, arriving];
        both.sort_unstable();
        both
    });
    let tombstone = &records[&leaving];
    assert_eq!(tombstone["removed"], true);
    assert_eq!(tombstone["changed_version"], since + 1);
    let mut fields: Vec<&str> = tombstone
        .as_object()
        .expect("a tombstone object")
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["changed_version", "id", "removed"],
        "a tombstone carries only id, removed, changed_version: never the SKU of an item that may never have been listed"
    );
    assert_eq!(records[&arriving]["online"], "view_only");
    assert_eq!(records[&arriving]["changed_version"], since + 2);

    let (_, _, caught_up) = read(
        get(
            &app,
            &secret,
            &format!("{LIST}?since_version={}", since + 2),
        )
        .await,
    )
    .await;
    assert_eq!(
        caught_up["items"],
        Value::Array(vec![]),
        "nothing changed since the delta"
    );
    assert!(caught_up["next_cursor"].is_null());
}
