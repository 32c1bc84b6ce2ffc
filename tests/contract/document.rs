//! `GET /api/v1/openapi.json`: public, OpenAPI 3.1, and it lists exactly the
//! operations the router serves, with their scopes, headers and errors.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::common::{Backend, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    the_document_is_public_and_lists_every_registered_operation,
    every_operation_names_its_scope_and_its_errors,
    the_documented_headers_are_the_ones_sent,
    a_method_a_path_does_not_take_is_405_naming_those_it_does,
);

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(address: &str) -> Value {
    let response = reqwest::get(format!("{address}/api/v1/openapi.json"))
        .await
        .expect("the document is served");
    assert_eq!(response.status(), 200, "no token needed");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    response.json().await.expect("the document is JSON")
}

/// (METHOD, path) of every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                found.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

fn each_operation(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                all.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    all
}

async fn the_document_is_public_and_lists_every_registered_operation(backend: Backend) {
    let app = spawn_app(backend).await;

    let doc = document(&app.address).await;

    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "OpenAPI 3.1: {}",
        doc["openapi"]
    );
    let registered: BTreeSet<(String, String)> = shelfsync::web::api::registered_operations()
        .into_iter()
        .collect();
    assert!(
        registered.len() >= 8,
        "the router's list was read: {registered:?}"
    );
    assert_eq!(
        operations(&doc),
        registered,
        "the document and the router list the same operations"
    );
    // Every reference resolves.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for (at, _) in text.match_indices("#/components/schemas/") {
        let name: String = text[at + "#/components/schemas/".len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        assert!(schemas.contains_key(&name), "{name} is defined");
    }
    // Each documented operation is served: none falls to the API's 404.
    let client = reqwest::Client::new();
    for (method, path, _) in each_operation(&doc) {
        let url = format!("{}{}", app.address, path.replace("{id}", "1"));
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let response = client
            .request(method.clone(), &url)
            .send()
            .await
            .expect("answered");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(
            body["error"]["message"], "No such API endpoint.",
            "{method} {path} is served"
        );
    }
}

/// No module of the API registers a route around the contract: each goes
/// through `Operations::add`, which takes its path from `#[utoipa::path]`.
#[test]
fn no_api_route_is_registered_outside_the_contract() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/api");
    let mut stack = vec![root.clone()];
    let mut read = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the API's source") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            read += 1;
            let text = std::fs::read_to_string(&path).expect("a source file");
            let registrar = path == root.join("mod.rs");
            for call in [
                ".route(",
                "web::resource(",
                "web::get()",
                "web::post()",
                "web::patch()",
                "web::delete()",
                "web::put()",
            ] {
                if registrar && (call == ".route(" || call == "web::resource(") {
                    continue;
                }
                assert!(
                    !text.contains(call),
                    "{} registers a route with {call}; add it with `Operations::add` and `#[utoipa::path]` so the contract lists it",
                    path.display()
                );
            }
        }
    }
    assert!(read > 8, "the API's modules were read");
}

async fn every_operation_names_its_scope_and_its_errors(backend: Backend) {
    let app = spawn_app(backend).await;

    let doc = document(&app.address).await;

    let scheme = &doc["components"]["securitySchemes"]["api_token"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    for (method, path, op) in each_operation(&doc) {
        let responses = op["responses"].as_object().expect("responses");
        let errors: Vec<&String> = responses
            .keys()
            .filter(|s| s.starts_with(['4', '5']))
            .collect();
        for status in &errors {
            assert_eq!(
                responses[status.as_str()]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Error",
                "{method} {path} {status} has the error shape"
            );
        }
        assert!(
            responses.contains_key("503"),
            "{method} {path} documents 503"
        );
        if path.ends_with("/openapi.json") {
            assert!(op.get("security").is_none(), "the document is public");
            continue;
        }
        let scope = op["security"][0]["api_token"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} names its scope"));
        assert!(["storefront", "pos", "admin"].contains(&scope));
        assert_eq!(
            op["tags"][0], scope,
            "{method} {path} is grouped by its scope"
        );
        for status in ["401", "403"] {
            assert!(
                responses.contains_key(status),
                "{method} {path} documents {status}"
            );
        }
    }
    // Each code the API answers with is in the description's table.
    let description = doc["info"]["description"].as_str().expect("a description");
    for code in [
        "bad_request",
        "idempotency_key_required",
        "unauthorized",
        "wrong_scope",
        "not_found",
        "method_not_allowed",
        "version_conflict",
        "insufficient_stock",
        "invalid_parameter",
        "invalid_field",
        "designation_rule",
        "idempotency_key_reused",
        "unavailable",
    ] {
        assert!(
            description.contains(&format!("`{code}`")),
            "{code} is described"
        );
    }
}

async fn the_documented_headers_are_the_ones_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = document(&app.address).await;
    let op = |path: &str, method: &str| doc["paths"][path][method].clone();
    let parameters = |op: &Value| -> Vec<(String, String, bool)> {
        op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_owned(),
                    p["in"].as_str().unwrap_or_default().to_owned(),
                    p["required"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    };

    for path in ["/api/v1/storefront/items", "/api/v1/pos/items"] {
        let list = op(path, "get");
        assert!(parameters(&list).contains(&("If-None-Match".into(), "header".into(), false)));
        for header in ["ETag", "Cache-Control", "Shelfsync-Catalog-Version"] {
            assert!(
                list["responses"]["200"]["headers"].get(header).is_some(),
                "{path} 200 {header}"
            );
        }
        assert!(
            list["responses"]["304"]["headers"].get("ETag").is_some(),
            "{path} 304"
        );
    }
    for path in ["/api/v1/storefront/orders", "/api/v1/pos/sales"] {
        let write = op(path, "post");
        assert!(parameters(&write).contains(&("Idempotency-Key".into(), "header".into(), true)));
        for status in ["201", "409"] {
            assert!(
                write["responses"][status]["headers"]
                    .get("Idempotent-Replayed")
                    .is_some(),
                "{path} {status} Idempotent-Replayed"
            );
        }
    }
    let events = op("/api/v1/storefront/events", "get");
    assert!(parameters(&events).contains(&("Last-Event-ID".into(), "header".into(), false)));
    assert!(
        events["responses"]["200"]["content"]
            .get("text/event-stream")
            .is_some()
    );
    assert!(
        op("/api/v1/items/{id}", "patch")["responses"]["503"]["headers"]
            .get("Retry-After")
            .is_some()
    );

    // And the storefront list sends what its contract says.
    let token = crate::fuzzing::create_token(&app.db.url, "storefront");
    let client = reqwest::Client::new();
    let first = client
        .get(app.url("/api/v1/storefront/items"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answered");
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("ascii").to_owned();
    assert!(first.headers().contains_key("shelfsync-catalog-version"));
    let again = client
        .get(app.url("/api/v1/storefront/items"))
        .bearer_auth(&token)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("answered");
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().expect("ascii"), etag);
}

async fn a_method_a_path_does_not_take_is_405_naming_those_it_does(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = reqwest::Client::new();

    let response = client
        .delete(app.url("/api/v1/items/1"))
        .send()
        .await
        .expect("answered");

    assert_eq!(response.status(), 405);
    assert_eq!(
        response.headers()["allow"].to_str().expect("ascii"),
        "GET, PATCH"
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "method_not_allowed");
    let unknown = client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .expect("answered");
    assert_eq!(unknown.status(), 404);
}
