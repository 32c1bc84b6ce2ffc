//! `GET /api/v1/pos/items`: the store list of the token's store.

use serde_json::Value;
use shelfsync::domain::TokenScope;
use shelfsync::inventory::DesignationChange;
use shelfsync::inventory::merchants::Location;

use crate::common::{Backend, spawn_app};
use crate::on_both_backends;

use super::support::{
    demo_items, designate_now, error_of, get, get_with, header, read, read_all, token,
};

const LIST: &str = "/api/v1/pos/items";

on_both_backends!(
    the_store_list_answers_with_its_contract_for_the_tokens_store,
    include_all_adds_online_only_items_marked_not_sellable_in_store,
    a_designation_change_reaches_the_store_list_on_the_next_request,
    the_store_is_fixed_by_the_token,
    bad_store_list_parameters_are_422_naming_the_parameter
);

async fn the_store_list_answers_with_its_contract_for_the_tokens_store(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Pos);
    let downtown =
        Location::all_of(&mut app.conn(), app.demo_merchant_id()).expect("stores")[0].clone();

    let (status, headers, body) = read(get(&app, &secret, LIST).await).await;

    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert!(header(&headers, "etag").starts_with('"'));
    assert_eq!(body["location"]["id"], downtown.id);
    assert_eq!(body["location"]["name"], "Downtown");
    assert!(body["catalog_version"].is_i64());
    let expected: Vec<i64> = demo_items(&app)
        .iter()
        .filter(|i| i.in_store())
        .map(|i| i.id)
        .collect();
    let got: Vec<i64> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(got, expected);
    let first = &body["items"][0];
    for field in [
        "id",
        "sku",
        "name",
        "barcode",
        "price",
        "on_hand",
        "held",
        "sellable_in_store",
        "online",
        "changed_version",
    ] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }
    assert!(
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["sellable_in_store"] == true)
    );
    let on_hand = shelfsync::inventory::stock::on_hand(
        &mut app.conn(),
        first["id"].as_i64().expect("id"),
        downtown.id,
    )
    .expect("stock");
    assert_eq!(first["on_hand"], on_hand);
    assert_eq!(first["held"], 0, "the demo holds nothing for pickup");
}

async fn include_all_adds_online_only_items_marked_not_sellable_in_store(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Pos);

    let read_all_form = read_all(&app, &secret, &format!("{LIST}?include=all&limit=9")).await;

    let items = demo_items(&app);
    let expected: Vec<i64> = items
        .iter()
        .filter(|i| i.in_store() || i.online().is_listed())
        .map(|i| i.id)
        .collect();
    let got: Vec<i64> = read_all_form
        .records
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(got, expected);
    for record in &read_all_form.records {
        let item = items
            .iter()
            .find(|i| Some(i.id) == record["id"].as_i64())
            .expect("known");
        assert_eq!(record["sellable_in_store"], item.in_store(), "{record}");
    }
}

async fn a_designation_change_reaches_the_store_list_on_the_next_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Pos);
    let (_, headers, before) = read(get(&app, &secret, LIST).await).await;
    let etag = header(&headers, "etag");
    let (status, _, _) = read(get_with(&app, &secret, LIST, ("If-None-Match", &etag)).await).await;
    assert_eq!(status, 304);
    let item = demo_items(&app)
        .into_iter()
        .find(|i| i.in_store() && !i.online().is_listed())
        .expect("a store-only item");

    designate_now(&app, item.id, DesignationChange::STOP_SELLING_IN_STORE);
    let (status, headers, after) =
        read(get_with(&app, &secret, LIST, ("If-None-Match", &etag)).await).await;

    assert_eq!(status, 200);
    assert_ne!(header(&headers, "etag"), etag);
    let has = |body: &Value| {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|r| r["id"] == item.id)
    };
    assert!(has(&before) && !has(&after));
}

async fn the_store_is_fixed_by_the_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Pos);
    let stores = Location::all_of(&mut app.conn(), app.demo_merchant_id()).expect("stores");

    let (own, _, _) = read(
        get(
            &app,
            &secret,
            &format!("{LIST}?location_id={}", stores[0].id),
        )
        .await,
    )
    .await;
    let (other, _, other_body) = read(
        get(
            &app,
            &secret,
            &format!("{LIST}?location_id={}", stores[1].id),
        )
        .await,
    )
    .await;
    let (unknown, _, _) =
        read(get(&app, &secret, &format!("{LIST}?location_id=999999")).await).await;
    let (bad, _, bad_body) =
        read(get(&app, &secret, &format!("{LIST}?location_id=downtown")).await).await;

    assert_eq!(own, 200);
    assert_eq!(other, 403, "another store of the same merchant");
    assert_eq!(error_of(&other_body).0, "wrong_scope");
    assert_eq!(unknown, 404);
    assert_eq!(bad, 422);
    assert_eq!(error_of(&bad_body).1["parameter"], "location_id");
}

async fn bad_store_list_parameters_are_422_naming_the_parameter(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret = token(&app, TokenScope::Pos);

    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("include=unlisted", "include"),
        ("cursor=AAAA", "cursor"),
        ("since_version=3", "since_version"),
    ] {
        let (status, _, body) = read(get(&app, &secret, &format!("{LIST}?{query}")).await).await;

        assert_eq!(status, 422, "{query}");
        assert_eq!(error_of(&body).1["parameter"], parameter, "{query}");
    }
}
