//! `/healthz` and `/readyz`: no token, JSON, and 503 with the reason when
//! the database's schema is behind this build.

use diesel::connection::SimpleConnection;

use crate::common::{Backend, spawn_app, with_conn};
use crate::on_both_backends;

on_both_backends!(
    health_and_readiness_answer_without_a_token,
    readiness_is_503_naming_a_missing_migration
);

async fn health_and_readiness_answer_without_a_token(backend: Backend) {
    let app = spawn_app(backend).await;

    let health = app.get("/healthz").await;
    let ready = app.get("/readyz").await;

    assert_eq!(health.status(), 200);
    let health: serde_json::Value = health.json().await.expect("JSON");
    assert_eq!(health["status"], "up");
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.expect("JSON");
    assert_eq!(ready["status"], "ready");
}

async fn readiness_is_503_naming_a_missing_migration(backend: Backend) {
    let app = spawn_app(backend).await;
    // Forget the newest migration, as a database an older build migrated.
    with_conn(&app.pool, |conn| {
        conn.batch_execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = \
             (SELECT max_version FROM (SELECT MAX(version) AS max_version \
             FROM __diesel_schema_migrations) AS newest)",
        )
        .expect("the newest migration is forgotten");
    });

    let ready = app.get("/readyz").await;
    let health = app.get("/healthz").await;

    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
    let body: serde_json::Value = ready.json().await.expect("JSON");
    assert_eq!(body["status"], "unavailable");
    let reason = body["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("migration") && reason.contains("shelfsync migrate"),
        "{reason}"
    );
    assert_eq!(health.status(), 200, "the process itself is still up");
}
