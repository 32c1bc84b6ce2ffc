//! HTTP: the merchant dashboard (HTML + htmx), the JSON API, the hosted
//! storefront page, static assets, and the shared pieces they use (auth, CSRF, errors).

pub mod api;
pub mod api_docs;
pub mod assets;
pub mod auth;
pub mod client_address;
pub mod csrf;
pub mod dashboard;
pub mod errors;
pub mod health;
pub mod htmx;
pub mod input;
pub mod list_cache;
pub mod metrics;
pub mod observe;
pub mod roles;
pub mod security_headers;
pub mod shop;
pub mod shop_item;
pub mod shop_reserve;
pub mod sse;
pub mod structured_data;

use std::sync::Arc;

use actix_web::web;

use crate::db::{DbConnection, Pool};
use crate::inventory::{self, InventoryError};

/// What every handler shares.
pub struct AppState {
    /// Database connections; handlers borrow one inside `run` on a blocking thread.
    pub pool: Pool,
    /// Connections for the channel lists' reads only, so a storm of list
    /// reads can't take the connections that sales and edits need.
    pub read_pool: Pool,
    /// Rendered channel list bodies (API JSON and the storefront page), so
    /// an unchanged list is served without database work.
    pub lists: list_cache::ListCache,
    /// Each merchant's online list in memory, item by item, kept current
    /// from the change feed.
    pub online: list_cache::online::OnlineLists,
    /// API token checks in progress, shared by the requests that arrive
    /// while one runs (no answer outlives its round; see `api::token_checks`).
    pub token_checks: api::token_checks::TokenChecks,
    /// Webhook and live-stream settings, and the dispatcher to wake.
    pub push: PushState,
    /// The largest catalogue file an import accepts, in bytes.
    pub import_limit: usize,
    /// On SQLite, notices what other processes commit (`None` on PostgreSQL,
    /// where other instances announce their changes themselves).
    pub outside_writes: Option<Arc<inventory::changes::OutsideWrites>>,
    /// On PostgreSQL, asks the database what other instances committed
    /// before a cached read (`None` on SQLite).
    pub other_instances: Option<Arc<inventory::changes::OtherInstances>>,
    /// The secret a scraper sends for `/metrics`; `None` turns the route off.
    pub metrics_token: Option<crate::config::MetricsToken>,
    /// Reverse proxies whose `X-Forwarded-For` names the client
    /// (`client_address`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl AppState {
    pub fn new(pool: Pool, read_pool: Pool, push: PushState) -> AppState {
        AppState {
            pool,
            read_pool,
            lists: list_cache::ListCache::default(),
            online: list_cache::online::OnlineLists::default(),
            token_checks: api::token_checks::TokenChecks::default(),
            push,
            import_limit: 50 * 1024 * 1024,
            outside_writes: None,
            other_instances: None,
            metrics_token: None,
            trusted_proxies: Vec::new(),
        }
    }

    /// The change-feed generation a cached read compares with, after taking
    /// in what other processes committed: read before any database work.
    /// On PostgreSQL this waits for a look at the database that started
    /// after the call, so a change another instance acknowledged before this
    /// read began is in it.
    pub async fn change_generation(&self) -> u64 {
        if let Some(outside) = &self.outside_writes {
            outside.check();
        }
        if let Some(others) = &self.other_instances {
            others.catch_up().await;
        }
        inventory::changes::generation()
    }
}

/// What the webhook settings pages and the live streams need.
#[derive(Debug, Clone, Default)]
pub struct PushState {
    /// Wakes this process's webhook dispatcher (a no-op when it runs none).
    pub dispatcher: crate::delivery::DispatcherWaker,
    /// How long a rotated-out webhook secret keeps verifying.
    pub secret_grace: std::time::Duration,
    /// How often live event streams send a keep-alive comment.
    pub heartbeat: std::time::Duration,
    /// Which addresses webhook endpoints may point at.
    pub destinations: crate::domain::Destinations,
    /// Every open live stream (events, the counter page), ended on shutdown.
    pub streams: sse::Streams,
}

/// Runs a service call on a pooled connection on the blocking thread pool, so
/// Diesel's synchronous work never stalls the async workers. Its log lines
/// carry the request's id.
pub async fn run<T, F>(state: &AppState, f: F) -> inventory::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> inventory::Result<T> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(crate::logging::carry(move || {
        let waiting = crate::metrics::pool_wait(crate::metrics::PoolName::Write);
        let mut conn = pool
            .get()
            .map_err(|e| InventoryError::Unavailable(e.to_string()))?;
        drop(waiting);
        f(&mut conn)
    }))
    .await
    .map_err(|e| InventoryError::Unavailable(e.to_string()))?
}

/// Registers the routes that need no staff session: the JSON API (bearer
/// tokens), its reference page and the hosted shop. They run without the
/// dashboard's layers.
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    health::config(cfg);
    metrics::config(cfg);
    api::config(cfg);
    api_docs::config(cfg);
    shop::config(cfg);
}

/// Registers the dashboard's routes (staff sessions, CSRF-checked forms) and
/// the static assets its pages and the shop load.
pub fn dashboard_routes(cfg: &mut web::ServiceConfig) {
    assets::config(cfg);
    dashboard::config(cfg);
}
