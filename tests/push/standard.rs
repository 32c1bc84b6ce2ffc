//! Deliveries are signed per Standard Webhooks: checked by our own verifier
//! and by the reference library from PyPI (`standardwebhooks`), which
//! `tests/run.sh` installs into `target/pyenv`. A secret made before the
//! switch (`whsec_` + hex) keeps verifying with the library unchanged.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use diesel::prelude::*;
use shelfsync::db::schema::webhook_endpoints;
use shelfsync::inventory::webhooks::signature;

use crate::common::{Backend, spawn_app_with, with_conn};
use crate::on_both_backends;
use crate::support::{
    Received, Recorder, add_endpoint, catalog_changes, eventually, fast_push, free_addr,
    recorder_at,
};

/// The Python with `standardwebhooks` installed: `SHELFSYNC_TEST_PYTHON`, or
/// the virtual environment `tests/run.sh` makes under `target/`.
fn python() -> PathBuf {
    let path = std::env::var_os("SHELFSYNC_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python")
        });
    assert!(
        path.exists(),
        "{} is missing: run `bash tests/run.sh` once (it installs standardwebhooks from PyPI into target/pyenv), \
         or `python3 -m venv target/pyenv && target/pyenv/bin/pip install standardwebhooks`",
        path.display()
    );
    path
}

/// Runs the reference verifier over deliveries signed with `secret`.
fn reference_verifies(secret: &str, received: &[Received]) -> Result<String, String> {
    let deliveries: Vec<serde_json::Value> = received
        .iter()
        .map(|r| {
            serde_json::json!({
                "secret": secret,
                "body": r.body,
                "headers": {
                    "webhook-id": r.webhook_id,
                    "webhook-timestamp": r.webhook_timestamp,
                    "webhook-signature": r.webhook_signature,
                },
            })
        })
        .collect();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/push/verify_standard_webhooks.py"
    );
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python should start");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(serde_json::Value::Array(deliveries).to_string().as_bytes())
        .expect("the deliveries are written");
    let output = child.wait_with_output().expect("python finishes");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(said)
    } else {
        Err(said)
    }
}

on_both_backends!(
    deliveries_verify_with_the_standard_webhooks_reference_library,
    a_secret_made_before_standard_webhooks_still_verifies_with_the_library
);

async fn deliveries_verify_with_the_standard_webhooks_reference_library(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let recorder = Arc::new(Recorder::default());
    let receiver = recorder_at(free_addr(), recorder.clone());
    let merchant = app.demo_merchant_id();
    let issued = with_conn(&app.pool, |conn| {
        add_endpoint(conn, merchant, &receiver.url())
    });

    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 3));
    assert!(
        eventually(20, || recorder.count() >= 3).await,
        "three deliveries"
    );

    let received = recorder.received();
    assert!(issued.secret.starts_with("whsec_"));
    let now = chrono::Utc::now().timestamp();
    for delivery in &received {
        let body: serde_json::Value = serde_json::from_str(&delivery.body).expect("JSON");
        assert_eq!(
            delivery.webhook_id, body["id"],
            "webhook-id is the event id"
        );
        assert!(delivery.webhook_signature.starts_with("v1,"));
        assert_eq!(
            signature::verify_standard(
                &delivery.webhook_id,
                &delivery.webhook_timestamp,
                &delivery.webhook_signature,
                &issued.secret,
                delivery.body.as_bytes(),
                now,
                300,
            ),
            Ok(()),
            "our verifier"
        );
        assert!(
            !delivery.signature.is_empty(),
            "the deprecated Shelfsync-Signature is still sent"
        );
    }
    let verdict = reference_verifies(&issued.secret, &received);
    assert!(verdict.is_ok(), "the reference library: {verdict:?}");
    let mut tampered = received[0].clone();
    tampered.body = tampered.body.replacen('1', "2", 1);
    assert!(
        reference_verifies(&issued.secret, &[tampered]).is_err(),
        "a tampered body does not verify"
    );
    assert!(
        reference_verifies("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &received).is_err(),
        "another secret does not verify"
    );
    receiver.stop().await;
}

async fn a_secret_made_before_standard_webhooks_still_verifies_with_the_library(backend: Backend) {
    let app = spawn_app_with(backend, fast_push()).await;
    let recorder = Arc::new(Recorder::default());
    let receiver = recorder_at(free_addr(), recorder.clone());
    let merchant = app.demo_merchant_id();
    // The form secrets had before: whsec_ and 48 hex digits.
    let old_secret = "whsec_0123456789abcdef0123456789abcdef0123456789abcdef";
    with_conn(&app.pool, |conn| {
        let id = add_endpoint(conn, merchant, &receiver.url()).endpoint.id;
        diesel::update(webhook_endpoints::table.find(id))
            .set(webhook_endpoints::secret.eq(old_secret))
            .execute(conn)
            .expect("the secret is set");
    });

    with_conn(&app.pool, |conn| catalog_changes(conn, merchant, 1));
    assert!(eventually(20, || recorder.count() >= 1).await, "a delivery");

    let received = recorder.received();
    let verdict = reference_verifies(old_secret, &received);
    assert!(verdict.is_ok(), "the reference library: {verdict:?}");
    let now = chrono::Utc::now().timestamp();
    assert_eq!(
        signature::verify(
            &received[0].signature,
            old_secret,
            received[0].body.as_bytes(),
            now,
            300
        ),
        Ok(()),
        "the deprecated header verifies as before"
    );
    receiver.stop().await;
}
