//! `/healthz` and `/readyz` for load balancers and orchestrators: no token,
//! no session, not in the access log.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;
use crate::db;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// How long readiness waits for a pooled connection before answering 503.
const CHECKOUT: Duration = Duration::from_secs(2);

/// The process is up and serving requests.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "up"}))
}

/// The database answers and its schema is the one this build expects;
/// otherwise 503 with the reason and `Retry-After`.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let checked = web::block(move || -> Result<(), String> {
        let mut conn = pool
            .get_timeout(CHECKOUT)
            .map_err(|e| format!("no database connection: {e}"))?;
        let pending = db::pending_migrations(&mut conn)
            .map_err(|e| format!("the database did not answer: {e}"))?;
        if pending.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the database lacks {} migration(s) this build needs ({}); run `shelfsync migrate`",
                pending.len(),
                pending.join(", ")
            ))
        }
    })
    .await
    .unwrap_or_else(|e| Err(format!("the check could not run: {e}")));
    match checked {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(reason) => HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(json!({"status": "unavailable", "reason": reason})),
    }
}
