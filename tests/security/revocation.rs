//! A revoked token is refused at its next request even while other requests
//! with it are being checked: checks are shared by concurrent requests, but
//! never by one that arrived before the revocation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use shelfsync::domain::TokenScope;
use shelfsync::inventory::tokens::{create_token, revoke_token};

use crate::common::{Backend, new_client, spawn_app, with_conn};
use crate::on_both_backends;

on_both_backends!(a_revoked_token_is_refused_at_once_while_requests_with_it_are_in_flight);

async fn a_revoked_token_is_refused_at_once_while_requests_with_it_are_in_flight(backend: Backend) {
    let app = spawn_app(backend).await;
    let merchant = app.demo_merchant_id();
    let issued = with_conn(&app.pool, |conn| {
        create_token(conn, merchant, "Online store", TokenScope::Storefront, None)
    })
    .expect("a token");
    let url = app.url("/api/v1/storefront/items?limit=1");
    let stop = Arc::new(AtomicBool::new(false));
    // Eight clients read with the token without pause, so checks of it are
    // running when the revocation lands and when the next request arrives.
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let (url, secret, stop) = (url.clone(), issued.secret.clone(), Arc::clone(&stop));
            tokio::spawn(async move {
                let client = new_client();
                let mut answered = 0;
                while !stop.load(Ordering::SeqCst) {
                    if let Ok(response) = client.get(&url).bearer_auth(&secret).send().await {
                        assert!(matches!(response.status().as_u16(), 200 | 401));
                        answered += 1;
                    }
                }
                answered
            })
        })
        .collect();
    let client = new_client();
    for _ in 0..20 {
        let status = client
            .get(&url)
            .bearer_auth(&issued.secret)
            .send()
            .await
            .expect("an answer")
            .status();
        assert_eq!(status, 200);
    }

    with_conn(&app.pool, |conn| {
        revoke_token(conn, merchant, issued.token.id)
    })
    .expect("revoked");

    for _ in 0..20 {
        let status = client
            .get(&url)
            .bearer_auth(&issued.secret)
            .send()
            .await
            .expect("an answer")
            .status();
        assert_eq!(status, 401, "every request after the revocation is refused");
    }
    stop.store(true, Ordering::SeqCst);
    for reader in readers {
        assert!(
            reader.await.expect("a reader") > 0,
            "the readers kept reading"
        );
    }
}
