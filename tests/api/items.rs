//! `GET` and `PATCH /api/v1/items/{id}`: designations and fields with the
//! expected version, through the same service as the dashboard.

use serde_json::{Value, json};
use shelfsync::domain::TokenScope;
use shelfsync::inventory::{Item, audit};

use crate::common::{Backend, spawn_app};
use crate::on_both_backends;

use super::support::{demo_items, error_of, get, header, patch, read, token};

fn store_only(app: &crate::common::TestApp) -> Item {
    demo_items(app)
        .into_iter()
        .find(|i| i.in_store() && !i.online().is_listed())
        .expect("a store-only demo item")
}

on_both_backends!(
    an_admin_reads_an_item_with_its_version,
    patch_changes_designations_and_fields_together_as_one_version,
    a_stale_version_is_409_with_the_current_item_and_changes_nothing,
    a_refused_designation_leaves_the_fields_alone_too,
    a_bad_body_is_refused_naming_the_field,
    a_patch_that_changes_nothing_keeps_the_version,
    unknown_item_ids_are_404,
    a_designation_change_to_an_archived_item_is_a_refusal_naming_the_fix
);

async fn an_admin_reads_an_item_with_its_version(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token(&app, TokenScope::Admin);
    let item = store_only(&app);

    let (status, headers, body) =
        read(get(&app, &admin, &format!("/api/v1/items/{}", item.id)).await).await;

    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert_eq!(body["item"]["id"], item.id);
    assert_eq!(body["item"]["version"], item.version);
    assert_eq!(body["item"]["sku"], item.sku.as_str());
    assert_eq!(body["item"]["in_store"], true);
    assert_eq!(body["item"]["online"], "hidden");
    assert!(body["catalog_version"].is_i64());
}

async fn patch_changes_designations_and_fields_together_as_one_version(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token(&app, TokenScope::Admin);
    let storefront = token(&app, TokenScope::Storefront);
    let item = store_only(&app);
    let (_, _, list_before) = read(get(&app, &storefront, "/api/v1/storefront/items").await).await;
    let before = list_before["catalog_version"].as_i64().expect("version");

    let (status, _, body) = read(
        patch(
            &app,
            &admin,
            item.id,
            json!({
                "version": item.version,
                "online": "view_only",
                "name": "Speckled mug, seconds",
                "price": {"amount": 1250, "currency": "USD"}
            }),
        )
        .await,
    )
    .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["changed"], true);
    assert_eq!(
        body["item"]["version"],
        item.version + 1,
        "one change, one version"
    );
    assert_eq!(body["item"]["online"], "view_only");
    assert_eq!(body["item"]["name"], "Speckled mug, seconds");
    assert_eq!(
        body["item"]["price"],
        json!({"amount": 1250, "currency": "USD"})
    );
    assert_eq!(
        body["catalog_version"],
        before + 1,
        "one catalog version for the whole change"
    );
    let log = audit::entries(
        &mut app.conn(),
        app.demo_merchant_id(),
        Some(item.id),
        None,
        10,
    )
    .expect("audit");
    let fields: Vec<&str> = log
        .entries
        .iter()
        .filter(|e| e.catalog_version == before + 1)
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(fields.len(), 3, "{fields:?}");
    for field in ["name", "price", "online"] {
        assert!(fields.contains(&field), "{field} audited");
    }
    assert!(
        log.entries
            .iter()
            .all(|e| e.catalog_version != before + 1 || e.actor == "API token “test”")
    );
    let (_, _, list_after) = read(get(&app, &storefront, "/api/v1/storefront/items").await).await;
    let listed = list_after["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["id"] == item.id)
        .expect("now listed");
    assert_eq!(listed["online"], "view_only");
    assert_eq!(listed["name"], "Speckled mug, seconds");
    assert_eq!(listed["changed_version"], before + 1);
}

async fn a_stale_version_is_409_with_the_current_item_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token(&app, TokenScope::Admin);
    let item = store_only(&app);
    let (status, _, _) = read(
        patch(
            &app,
            &admin,
            item.id,
            json!({"version": item.version, "name": "First edit"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);

    let (status, headers, body) = read(
        patch(
            &app,
            &admin,
            item.id,
            json!({"version": item.version, "online": "for_sale"}),
        )
        .await,
    )
    .await;

    assert_eq!(status, 409);
    assert_eq!(header(&headers, "content-type"), "application/json");
    let (code, details) = error_of(&body);
    assert_eq!(code, "version_conflict");
    assert_eq!(details["current"]["version"], item.version + 1);
    assert_eq!(details["current"]["name"], "First edit");
    assert_eq!(details["current"]["online"], "hidden");
    let now = Item::find(&mut app.conn(), app.demo_merchant_id(), item.id).expect("item");
    assert_eq!(now.version, item.version + 1);
    assert!(!now.online().is_listed());
}

async fn a_refused_designation_leaves_the_fields_alone_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token(&app, TokenScope::Admin);
    let item = store_only(&app);

    let (status, _, body) = read(patch(&app, &admin, item.id, json!({
        "version": item.version, "in_store": false, "online": "view_only", "name": "Should not stick"
    })).await).await;

    assert_eq!(status, 422);
    let (code, details) = error_of(&body);
    assert_eq!(code, "designation_rule");
    assert_eq!(details["current"]["name"], item.name.as_str());
    let now = Item::find(&mut app.conn(), app.demo_merchant_id(), item.id).expect("item");
    assert_eq!(
        (now.version, now.name.as_str()),
        (item.version, item.name.as_str())
    );
}

async fn a_bad_body_is_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token(&app, TokenScope::Admin);
    let items = demo_items(&app);
    let (item, other) = (&items[0], &items[1]);

    for (body, field) in [
        (json!({"online": "for_sale"}), "version"),
        (json!({"version": item.version, "online": "sold"}), "online"),
        (json!({"version": item.version, "in_store": 1}), "in_store"),
        (
            json!({"version": item.version, "price": {"amount": "12"}}),
            "price",
        ),
        (json!({"version": item.version, "sku": other.sku}), "sku"),
        (json!({"version": item.version, "name": "  "}), "name"),
        (
            json!({"version": item.version, "barcode": "12345"}),
            "barcode",
        ),
        (
            json!({"version": item.version, "archived": true}),
            "archived",
        ),
        (json!({"version": item.version, "onlin": "hidden"}), "onlin"),
    ] {
        let (status, _, response) = read(patch(&app, &admin, item.id, body.clone()).await).await;

        assert_eq!(status, 422, "{body}: {response}");
        let (code, details) = error_of(&response);
        assert_eq!(code, "invalid_field", "{body}");
        assert_eq!(details["field"], field, "{body}");
    }
    let not_json = app
        .client
        .patch(app.url(&format!("/api/v1/items/{}", item.id)))
        .header("Authorization", format!("Bearer {admin}"))
        .header("Content-Type", "application/json")
        .body("{\"version\": ")
        .send()
        .await
        .expect("PATCH");
    let (status, _, response) = read(not_json).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&response).0, "bad_request");
    let (status, _, _) = read(patch(&app, &admin, item.id, json!([1, 2])).await).await;
    assert_eq!(status, 400);
    let unchanged = Item::find(&mut app.conn(), app.demo_merchant_id(), item.id).expect("item");
    assert_eq!(unchanged.version, item.version);
}

async fn a_patch_that_changes_nothing_keeps_the_version(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token(&app, TokenScope::Admin);
    let item = store_only(&app);

    let (status, _, body) = read(
        patch(
            &app,
            &admin,
            item.id,
            json!({
                "version": item.version, "in_store": true, "name": item.name
            }),
        )
        .await,
    )
    .await;

    assert_eq!(status, 200);
    assert_eq!(body["changed"], false);
    assert_eq!(body["item"]["version"], item.version);
}

async fn unknown_item_ids_are_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token(&app, TokenScope::Admin);

    for path in [
        "/api/v1/items/999999",
        "/api/v1/items/abc",
        "/api/v1/items/-1",
        "/api/v1/items/99999999999999999999",
    ] {
        let (status, _, body) = read(get(&app, &admin, path).await).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(error_of(&body).0, "not_found");
    }
    let (status, _, _) = read(patch(&app, &admin, 999_999, json!({"version": 1})).await).await;
    assert_eq!(status, 404);
    let (status, _, body) = read(get(&app, &admin, "/api/v1/nothing-here").await).await;
    assert_eq!(status, 404);
    assert_eq!(error_of(&body).0, "not_found");
    let _: Value = body;
}

async fn a_designation_change_to_an_archived_item_is_a_refusal_naming_the_fix(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token(&app, TokenScope::Admin);
    let item = store_only(&app);
    let archived = shelfsync::inventory::change_item(
        &mut app.conn(),
        &shelfsync::inventory::Actor::staff("Sam"),
        app.demo_merchant_id(),
        item.id,
        item.version,
        &shelfsync::inventory::ItemChange::Archive(true),
    )
    .expect("archived")
    .item;

    let (status, _, body) = read(
        patch(
            &app,
            &admin,
            item.id,
            json!({ "version": archived.version, "online": "for_sale" }),
        )
        .await,
    )
    .await;

    assert_eq!(status, 422);
    let (code, details) = error_of(&body);
    assert_eq!(code, "designation_rule");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Restore it")),
        "{body}"
    );
    assert_eq!(details["current"]["version"], archived.version);
    let now = Item::find(&mut app.conn(), app.demo_merchant_id(), item.id).expect("item");
    assert_eq!(now.version, archived.version, "nothing changed");
}
