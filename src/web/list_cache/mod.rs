//! Rendered channel lists: the JSON lists of the API and the hosted
//! storefront page, served from memory.
//!
//! Two kinds of body live here:
//! - pages of the online list (full reads and `/shop`), assembled from
//!   per-item pieces kept by `online`; a page is re-assembled only when the
//!   items it shows changed, and its ETag names what it is made of, so it
//!   survives changes elsewhere in the list;
//! - other lists (deltas, store lists), cached whole by catalog version.
//!
//! Reads served from memory take no database connection. What must be read
//! is read on the bounded read pool, one request at a time per merchant (for
//! pieces) or per body (for whole lists): the others wait and use its result.

mod http;
pub mod online;
mod pieces;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use actix_web::http::header::HeaderValue;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::AppState;
use crate::db::DbConnection;
use crate::inventory::{self, InventoryError};
use crate::metrics;

/// The most bytes (identity + gzip) of bodies the cache holds before evicting.
/// Pages of the online list are cheap to assemble again from their pieces, so
/// this keeps the hot ones (first pages, recently read), not every page.
pub const DEFAULT_MAX_BYTES: usize = 4 * 1024 * 1024;

/// How many whole-body builds may run at once (one per stripe of keys).
const BUILD_STRIPES: usize = 64;

/// What kind of body a list is, which fixes its response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// A JSON list of the API: private to the token's merchant.
    ApiJson,
    /// The public storefront page.
    ShopHtml,
}

/// A list body as a builder produced it, before it is cached.
pub struct BuiltList {
    pub merchant_id: i64,
    /// The merchant's catalog version the body was read at.
    pub catalog_version: i64,
    pub body: Vec<u8>,
}

/// One cached list body and what is needed to serve or revalidate it.
pub struct CachedList {
    /// The merchant the list belongs to.
    merchant_id: i64,
    /// A whole body: the catalog version it was built at. A page of pieces:
    /// the stamp of the in-memory list at which it was last found current.
    version: AtomicI64,
    /// A page of pieces: a hash of what it is made of; 0 for a whole body.
    signature: u64,
    kind: ListKind,
    /// Strong ETag of the identity body.
    etag: HeaderValue,
    /// Strong ETag of the gzip body (the identity one with `.gz`).
    etag_gzip: HeaderValue,
    /// The `catalog_version` the body reports, sent as `Shelfsync-Catalog-Version`.
    body_version: HeaderValue,
    body: Bytes,
    /// The body gzipped once, when a client first asks for gzip and that
    /// makes it smaller.
    gzip: OnceLock<Option<Bytes>>,
    /// `changes::generation()` when the body was last known to match the
    /// database; while the generation has not moved, nothing has changed.
    validated_at: AtomicU64,
    /// The cache's clock at the last use, for least-recently-used eviction.
    last_used: AtomicU64,
}

impl CachedList {
    fn new(
        merchant_id: i64,
        kind: ListKind,
        key: &str,
        content: &str,
        body_version: i64,
        body: Bytes,
    ) -> CachedList {
        let (etag, etag_gzip) = http::etags(merchant_id, content, key);
        CachedList {
            merchant_id,
            version: AtomicI64::new(0),
            signature: 0,
            kind,
            etag,
            etag_gzip,
            body_version: HeaderValue::from(body_version),
            gzip: OnceLock::new(),
            body,
            validated_at: AtomicU64::new(0),
            last_used: AtomicU64::new(0),
        }
    }

    fn size(&self) -> usize {
        self.body.len()
            + self
                .gzip
                .get()
                .and_then(Option::as_ref)
                .map_or(0, Bytes::len)
    }
}

/// Rendered list bodies keyed by endpoint, merchant and normalised query.
pub struct ListCache {
    /// The entries; read-locked on every hit, write-locked to insert or evict.
    entries: RwLock<HashMap<String, Arc<CachedList>>>,
    /// Eviction starts when the bodies held exceed this many bytes.
    max_bytes: usize,
    /// Ticks on every use; orders entries for eviction.
    clock: AtomicU64,
    /// Builds of whole bodies, one at a time per stripe of keys, so a crowd
    /// asking for the same body waits for one build instead of repeating it.
    builds: Vec<tokio::sync::Mutex<()>>,
}

impl Default for ListCache {
    fn default() -> Self {
        ListCache::with_max_bytes(DEFAULT_MAX_BYTES)
    }
}

impl ListCache {
    pub fn with_max_bytes(max_bytes: usize) -> ListCache {
        ListCache {
            entries: RwLock::new(HashMap::new()),
            max_bytes,
            clock: AtomicU64::new(0),
            builds: (0..BUILD_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    fn get(&self, key: &str) -> Option<Arc<CachedList>> {
        // A poisoned lock only means another request panicked mid-insert; the map is intact.
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key).cloned()?;
        entry.last_used.store(self.tick(), Ordering::Relaxed);
        Some(entry)
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn build_lock(&self, key: &str) -> &tokio::sync::Mutex<()> {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        &self.builds[(hasher.finish() % BUILD_STRIPES as u64) as usize]
    }

    fn insert(&self, key: String, entry: CachedList) -> Arc<CachedList> {
        entry.last_used.store(self.tick(), Ordering::Relaxed);
        let entry = Arc::new(entry);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        // Two requests may build at once; never replace a newer body with an older one.
        if let Some(existing) = entries.get(&key)
            && existing.version.load(Ordering::SeqCst) > entry.version.load(Ordering::SeqCst)
        {
            return existing.clone();
        }
        entries.insert(key, entry.clone());
        let mut total: usize = entries.values().map(|e| e.size()).sum();
        if total > self.max_bytes {
            let mut by_age: Vec<(u64, String, usize)> = entries
                .iter()
                .map(|(k, e)| (e.last_used.load(Ordering::Relaxed), k.clone(), e.size()))
                .collect();
            by_age.sort_unstable();
            for (_, key, size) in by_age {
                if total <= self.max_bytes / 2 {
                    break;
                }
                if Arc::ptr_eq(&entries[&key], &entry) {
                    continue;
                }
                entries.remove(&key);
                total -= size;
            }
        }
        entry
    }

    /// How many bodies are cached (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs blocking database work on a connection of the read pool, with the
/// caller's error type. Sales and other writes use the main pool, so a storm
/// of reads can't take the connections they need.
pub(crate) async fn read_blocking<T, E, F>(state: &AppState, f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<InventoryError> + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
{
    let pool = state.read_pool.clone();
    web::block(crate::logging::carry(move || {
        let waiting = crate::metrics::pool_wait(crate::metrics::PoolName::Read);
        let mut conn = pool
            .get()
            .map_err(|e| E::from(InventoryError::Unavailable(e.to_string())))?;
        drop(waiting);
        f(&mut conn)
    }))
    .await
    .map_err(|e| E::from(InventoryError::Unavailable(e.to_string())))?
}

/// Serves the whole body at `key` from the cache, revalidating it against the
/// merchant's catalog version when a change has been heard of since, and
/// calling `build` only when there is no body for the current version.
///
/// `key` must name everything the body depends on besides the catalog version:
/// endpoint, merchant (or shop slug), token location, normalised query.
pub async fn serve<E, F>(
    state: &AppState,
    req: &HttpRequest,
    kind: ListKind,
    key: String,
    build: F,
) -> Result<HttpResponse, E>
where
    E: From<InventoryError> + ResponseError + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<BuiltList, E> + Send + 'static,
{
    // Read before any database work: a change committed after this point bumps
    // the generation again, so the next request looks again.
    let generation = state.change_generation().await;
    let fresh = |entry: &CachedList| entry.validated_at.load(Ordering::SeqCst) >= generation;
    if let Some(entry) = state.lists.get(&key)
        && fresh(&entry)
    {
        metrics::record_list_read(metrics::ListKind::List, metrics::ListSource::Cache);
        return Ok(http::respond(req, &entry));
    }
    let _building = state.lists.build_lock(&key).lock().await;
    if let Some(entry) = state.lists.get(&key) {
        if fresh(&entry) {
            metrics::record_list_read(metrics::ListKind::List, metrics::ListSource::Cache);
            return Ok(http::respond(req, &entry));
        }
        let merchant_id = entry.merchant_id;
        let current = read_blocking(state, move |conn| {
            inventory::catalog_version(conn, merchant_id).map_err(E::from)
        })
        .await?;
        if current == entry.version.load(Ordering::SeqCst) {
            entry.validated_at.fetch_max(generation, Ordering::SeqCst);
            metrics::record_list_read(metrics::ListKind::List, metrics::ListSource::Revalidated);
            return Ok(http::respond(req, &entry));
        }
    }
    let built = read_blocking(state, build).await?;
    metrics::record_list_read(metrics::ListKind::List, metrics::ListSource::Rebuilt);
    let entry = CachedList::new(
        built.merchant_id,
        kind,
        &key,
        &built.catalog_version.to_string(),
        built.catalog_version,
        Bytes::from(built.body),
    );
    entry.version.store(built.catalog_version, Ordering::SeqCst);
    entry.validated_at.store(generation, Ordering::SeqCst);
    let entry = state.lists.insert(key, entry);
    Ok(http::respond(req, &entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: i64, size: usize) -> CachedList {
        let entry = CachedList::new(
            1,
            ListKind::ApiJson,
            "k",
            &version.to_string(),
            version,
            Bytes::from(vec![b'x'; size]),
        );
        entry.version.store(version, Ordering::SeqCst);
        entry
    }

    #[test]
    fn an_older_body_never_replaces_a_newer_one() {
        let cache = ListCache::default();
        cache.insert("k".into(), entry(7, 10));
        let kept = cache.insert("k".into(), entry(6, 10));
        assert_eq!(kept.version.load(Ordering::SeqCst), 7);
    }

    #[test]
    fn the_cache_evicts_least_recently_used_bodies_beyond_its_budget() {
        let cache = ListCache::with_max_bytes(100);
        cache.insert("a".into(), entry(1, 40));
        cache.insert("b".into(), entry(1, 40));
        cache.get("a");
        cache.insert("c".into(), entry(1, 40));
        assert!(cache.get("c").is_some(), "the new body stays");
        assert!(
            cache.get("b").is_none(),
            "the least recently used body goes"
        );
    }
}
