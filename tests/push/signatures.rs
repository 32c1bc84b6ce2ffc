//! The signature scheme as storefront developers check it: the published test
//! vector, and the reference consumer refusing what was not signed by us.

use std::sync::Arc;

use shelfsync::inventory::webhooks::signature;

use crate::mirror::{self, Delta, DeltaSource, Receiver};
use crate::support::{free_addr, serve_at};

const SECRET: &str = "whsec_3f1a9c0e5b7d2468ace13579bdf02468";
const TIMESTAMP: i64 = 1_767_225_600;
const BODY: &str = r#"{"id":"evt_42","type":"item.listing_changed","catalog_version":7,"data":{}}"#;
const EXPECTED: &str = "a1570141eae53c44c2c7472eb53a276b4a8588f39d889008dffb1dfebbe4db3a";

#[test]
fn the_signature_test_vector_is_the_one_the_readme_publishes() {
    let readme = include_str!("../../README.md");

    let signed = signature::sign(SECRET, TIMESTAMP, BODY.as_bytes());

    assert_eq!(signed, EXPECTED);
    for published in [SECRET, &TIMESTAMP.to_string(), BODY, EXPECTED] {
        assert!(
            readme.contains(published),
            "README.md should show {published}"
        );
    }
}

#[test]
fn the_reference_consumer_verifies_the_test_vector_like_shelfsync_does() {
    let header = format!("t={TIMESTAMP},v1={EXPECTED}");

    assert_eq!(
        mirror::verify_signature(&header, SECRET, BODY.as_bytes(), TIMESTAMP + 5),
        Ok(())
    );
    assert!(mirror::verify_signature(&header, SECRET, BODY.as_bytes(), TIMESTAMP + 301).is_err());
    assert!(mirror::verify_signature(&header, "whsec_wrong", BODY.as_bytes(), TIMESTAMP).is_err());
}

/// A feed that is never needed in these tests.
struct NoFeed;

impl DeltaSource for NoFeed {
    async fn changes_since(&self, _version: i64) -> Result<Delta, String> {
        Err("no feed in this test".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_consumer_rejects_a_tampered_body_and_applies_a_genuine_one() {
    let receiver = Receiver::new(SECRET.to_owned(), NoFeed);
    let running = serve_at(free_addr(), mirror::routes(Arc::clone(&receiver)));
    let url = format!("http://{}/webhooks", running.addr);
    let body = serde_json::json!({
        "id": "evt_1",
        "type": "item.listing_changed",
        "catalog_version": 1,
        "data": { "item": { "id": 5, "sku": "MUG", "changed_version": 1, "listed_online": true } }
    })
    .to_string();
    let now = chrono::Utc::now().timestamp();
    let header = signature::header_value([SECRET], now, body.as_bytes());
    let client = reqwest::Client::new();
    let post = |body: String, header: String| {
        client
            .post(&url)
            .header("Shelfsync-Signature", header)
            .header("Shelfsync-Event-Id", "evt_1")
            .body(body)
            .send()
    };

    let tampered = post(body.replace("MUG", "GUM"), header.clone())
        .await
        .expect("the receiver answers");
    let stale_header = signature::header_value([SECRET], now - 600, body.as_bytes());
    let replayed = post(body.clone(), stale_header)
        .await
        .expect("the receiver answers");
    let genuine = post(body.clone(), header)
        .await
        .expect("the receiver answers");

    assert_eq!(tampered.status(), 400);
    assert_eq!(replayed.status(), 400);
    assert_eq!(genuine.status(), 204);
    let mirror = receiver.mirror.lock().await;
    assert_eq!(mirror.items.len(), 1);
    assert_eq!(mirror.items[&5]["sku"], "MUG");
    running.stop().await;
}
