//! `GET /metrics`: the Prometheus text format, for a scraper holding the
//! deployment's metrics secret (`--metrics-token`). A secret of the
//! deployment rather than a merchant's admin token: the metrics are the
//! whole instance's, every merchant's traffic and webhook backlog together.
//! Without a configured secret the route answers 404.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use super::api::errors::ApiError;
use crate::inventory::webhooks::deliveries;
use crate::metrics::{self as recorded, EndpointBacklog, PoolName, PoolState, Scrape};

/// How long a scrape waits for a connection to count the webhook backlog.
const CHECKOUT: Duration = Duration::from_secs(2);

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

/// Whether the request's bearer token is the metrics secret, compared in
/// constant time (over digests, so the secret's length does not show either).
fn authorised(headers: &HeaderMap, secret: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let given = Sha256::digest(given.trim().as_bytes());
    let wanted = Sha256::digest(secret.as_bytes());
    given.ct_eq(&wanted).into()
}

async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some(secret) = &state.metrics_token else {
        return error(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "metrics are off: start shelfsync with --metrics-token (or SHELFSYNC_METRICS_TOKEN)",
        ));
    };
    if !authorised(req.headers(), secret.expose()) {
        let mut response = error(ApiError::unauthorized(
            "send the metrics token as `Authorization: Bearer <token>`",
        ));
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return response;
    }
    let mut scrape = Scrape {
        pools: vec![
            pool_state(PoolName::Write, &state.pool),
            pool_state(PoolName::Read, &state.read_pool),
        ],
        backlog: Vec::new(),
    };
    // The backlog needs the database; without it (within a short wait, so a
    // scrape during an outage doesn't hang) the rest still reports.
    let pool = state.pool.clone();
    let backlog = web::block(move || {
        let mut conn = pool
            .get_timeout(CHECKOUT)
            .map_err(|e| format!("no database connection: {e}"))?;
        deliveries::backlog(&mut conn).map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match backlog {
        Ok(backlog) => {
            let now = chrono::Utc::now().naive_utc();
            scrape.backlog = backlog
                .into_iter()
                .map(|endpoint| EndpointBacklog {
                    merchant_id: endpoint.merchant_id,
                    endpoint_id: endpoint.endpoint_id,
                    pending: endpoint.pending,
                    oldest_age_seconds: endpoint.oldest.map_or(0.0, |oldest| {
                        ((now - oldest).num_milliseconds().max(0) as f64) / 1000.0
                    }),
                })
                .collect();
        }
        Err(error) => log::warn!("metrics: the webhook backlog could not be read: {error}"),
    }
    HttpResponse::Ok()
        .content_type(recorded::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(recorded::render(&scrape))
}

fn pool_state(pool: PoolName, connections: &crate::db::Pool) -> PoolState {
    let state = connections.state();
    PoolState {
        pool,
        in_use: state.connections.saturating_sub(state.idle_connections),
        idle: state.idle_connections,
        max: connections.max_size(),
    }
}

fn error(error: ApiError) -> HttpResponse {
    HttpResponse::build(error.status).json(error.body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    #[test]
    fn only_the_exact_secret_as_a_bearer_token_is_authorised() {
        let secret = "0123456789abcdef-metrics";
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            headers
        };
        assert!(authorised(&with("Bearer 0123456789abcdef-metrics"), secret));
        assert!(!authorised(&with("Bearer 0123456789abcdef-metric"), secret));
        assert!(!authorised(&with("Basic 0123456789abcdef-metrics"), secret));
        assert!(!authorised(&HeaderMap::new(), secret));
    }
}
