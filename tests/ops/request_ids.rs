//! `X-Request-Id`: on every response, a proxy's sane id kept, anything else
//! replaced by a fresh one.

use crate::common::{Backend, TestApp, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    every_response_carries_a_fresh_request_id,
    a_proxys_request_id_is_echoed,
    a_malformed_request_id_is_replaced_by_a_fresh_one
);

fn is_generated(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

async fn id_of(app: &TestApp, path: &str, sent: Option<&[u8]>) -> (u16, String) {
    let mut request = app.client.get(app.url(path));
    if let Some(sent) = sent {
        request = request.header(
            "X-Request-Id",
            reqwest::header::HeaderValue::from_bytes(sent).expect("a header value"),
        );
    }
    let response = request.send().await.expect("the server answers");
    let id = response
        .headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("{path} answered without X-Request-Id"))
        .to_str()
        .expect("an ASCII id")
        .to_owned();
    (response.status().as_u16(), id)
}

async fn every_response_carries_a_fresh_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    // The dashboard, the API (refused), the shop, health, an asset, an unknown address.
    let paths = [
        ("/login", 200),
        ("/api/v1/storefront/items", 401),
        ("/shop/corner-goods", 200),
        ("/healthz", 200),
        ("/readyz", 200),
        ("/static/app.css", 200),
        ("/no/such/page", 404),
    ];

    let mut seen = Vec::new();
    for (path, status) in paths {
        let (answered, id) = id_of(&app, path, None).await;
        assert_eq!(answered, status, "{path}");
        assert!(is_generated(&id), "{path}: {id:?} is not 32 hex digits");
        seen.push(id);
    }

    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), paths.len(), "each request has an id of its own");
}

async fn a_proxys_request_id_is_echoed(backend: Backend) {
    let app = spawn_app(backend).await;
    let longest = "a".repeat(64);

    let (_, plain) = id_of(&app, "/login", Some(b"edge-7f3a.1")).await;
    let (_, uuid) = id_of(
        &app,
        "/api/v1/storefront/items",
        Some(b"0b6f4c9e-3d0a-4c55-9d1b-6a3c2f7e8d90"),
    )
    .await;
    let (_, long) = id_of(&app, "/healthz", Some(longest.as_bytes())).await;

    assert_eq!(plain, "edge-7f3a.1");
    assert_eq!(uuid, "0b6f4c9e-3d0a-4c55-9d1b-6a3c2f7e8d90");
    assert_eq!(long, longest);
}

async fn a_malformed_request_id_is_replaced_by_a_fresh_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let too_long = "a".repeat(65);
    let bad: [&[u8]; 5] = [
        b"two words",
        b"\"quoted\"",
        b"a,b",
        "caf\u{e9}".as_bytes(),
        too_long.as_bytes(),
    ];

    for sent in bad {
        let (status, id) = id_of(&app, "/login", Some(sent)).await;

        assert_eq!(status, 200);
        assert_ne!(id.as_bytes(), sent);
        assert!(is_generated(&id), "{id:?} replaced {sent:?}");
    }
}
