//! `shelfsync serve`'s standard error: `--log-format json` is one JSON
//! object per line and a request's lines carry its id; a first start logs the
//! demo seed in one line; health checks stay out of the info log.

use serde_json::{Value, json};
use shelfsync::domain::TokenScope;
use shelfsync::inventory::merchants::{Location, Merchant};

use crate::common::fixtures::fresh_key;
use crate::common::{Backend, TestDb, demo, with_conn};
use crate::on_both_backends;
use crate::support::Served;

on_both_backends!(
    json_log_lines_parse_and_a_requests_lines_carry_its_id,
    a_first_start_logs_the_demo_in_one_line_and_no_health_check
);

/// A pos token of the demo merchant, for its first store.
fn pos_token(db: &TestDb) -> String {
    with_conn(&db.pool(), |conn| {
        let merchant = Merchant::by_slug(conn, "corner-goods").expect("the demo merchant");
        let downtown = Location::all_of(conn, merchant.id).expect("stores")[0].id;
        shelfsync::inventory::tokens::create_token(
            conn,
            merchant.id,
            "till",
            TokenScope::Pos,
            Some(downtown),
        )
        .expect("a token")
        .secret
    })
}

async fn json_log_lines_parse_and_a_requests_lines_carry_its_id(backend: Backend) {
    let db = TestDb::new(backend);
    let server = Served::start(&db.url, &["--log-format", "json"]);
    let token = pos_token(&db);
    let client = reqwest::Client::new();

    // A sale recorded below zero: the service logs a warning on a blocking
    // thread. A dashboard page: the access log writes its line.
    let sale = client
        .post(server.url("/api/v1/pos/sales"))
        .bearer_auth(&token)
        .header("Idempotency-Key", fresh_key())
        .header("X-Request-Id", "sale-below-zero-1")
        .json(&json!({
            "lines": [{ "item_id": demo::SPECKLED_MUG_IN_STORE_ONLY, "quantity": 500 }],
            "record_anyway": true
        }))
        .send()
        .await
        .expect("the sale is answered");
    let page = client
        .get(server.url("/login"))
        .header("X-Request-Id", "login-page-2")
        .send()
        .await
        .expect("the login page is answered");
    assert_eq!(sale.status(), 201);
    assert_eq!(page.status(), 200);
    let lines = server.stop();

    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    for line in &parsed {
        for field in ["time", "level", "target", "message"] {
            assert!(line[field].is_string(), "{field} missing: {line}");
        }
    }
    let of = |id: &str| -> Vec<&Value> {
        parsed
            .iter()
            .filter(|line| line["request_id"] == id)
            .collect()
    };
    let sale_lines = of("sale-below-zero-1");
    assert!(
        sale_lines.iter().any(|line| line["level"] == "warn"
            && line["message"]
                .as_str()
                .is_some_and(|m| m.contains("left a negative level"))),
        "the service's warning carries the sale's id: {sale_lines:?}"
    );
    let page_lines = of("login-page-2");
    assert!(
        page_lines
            .iter()
            .any(|line| line["target"] == "shelfsync::access"
                && line["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("GET /login 200"))),
        "the access log line carries the page's id: {page_lines:?}"
    );
    let started = parsed
        .iter()
        .find(|line| {
            line["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("shelfsync is serving on"))
        })
        .expect("the serving line");
    assert!(
        started.get("request_id").is_none(),
        "a line outside a request has no id"
    );
}

async fn a_first_start_logs_the_demo_in_one_line_and_no_health_check(backend: Backend) {
    let db = TestDb::new(backend);
    let server = Served::start(&db.url, &[]);
    let client = reqwest::Client::new();
    for path in ["/healthz", "/readyz", "/login"] {
        let answer = client.get(server.url(path)).send().await.expect("answered");
        assert_eq!(answer.status(), 200, "{path}");
    }
    let lines = server.stop();

    let serving = lines
        .iter()
        .position(|line| line.contains("shelfsync is serving on"))
        .expect("the serving line");
    let demo_lines: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains("demo merchant"))
        .collect();
    assert_eq!(demo_lines.len(), 1, "{lines:#?}");
    let demo_line = demo_lines[0];
    assert!(
        demo_line.contains("sign in as sam@cornergoods.example with password shelfsync-demo"),
        "{demo_line}"
    );
    assert!(
        demo_line.contains("60 items"),
        "the line sums up the seed: {demo_line}"
    );
    assert!(
        serving <= 10,
        "a first start reaches the serving line in a few lines, not {serving}: {lines:#?}"
    );
    assert!(
        !lines.iter().any(|line| line.contains("receipt +")),
        "no line per stock receipt"
    );
    assert!(
        lines.iter().any(|line| line.contains("GET /login 200")),
        "the access log runs: {lines:#?}"
    );
    assert!(
        !lines
            .iter()
            .any(|line| line.contains("/healthz") || line.contains("/readyz")),
        "health checks are not logged at info: {lines:#?}"
    );
}
