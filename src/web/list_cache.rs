//! Rendered channel lists, cached by catalog version: the JSON lists of the API
//! and the hosted storefront page. A read while nothing changed serves stored
//! bytes without touching the database; a read after a change (heard of through
//! `inventory::changes`) costs one query for the merchant's catalog version, and
//! the list is rebuilt only if that version moved.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::db::DbConnection;
use crate::inventory::{self, InventoryError, changes};

/// The most bytes (identity + gzip) the cache holds before evicting.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Bodies smaller than this are not worth a gzip copy.
const GZIP_MIN_BYTES: usize = 1024;

/// What kind of body a list is, which fixes its response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// A JSON list of the API: private to the token's merchant.
    ApiJson,
    /// The public storefront page.
    ShopHtml,
}

impl ListKind {
    fn content_type(self) -> &'static str {
        match self {
            ListKind::ApiJson => "application/json",
            ListKind::ShopHtml => "text/html; charset=utf-8",
        }
    }

    /// Caches may keep a copy but must ask again before using it, so the next
    /// request after a change always sees it.
    fn cache_control(self) -> &'static str {
        match self {
            ListKind::ApiJson => "private, no-cache",
            ListKind::ShopHtml => "public, no-cache",
        }
    }
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
    /// The merchant the list belongs to, whose catalog version decides freshness.
    merchant_id: i64,
    /// The merchant's catalog version the body was built at.
    catalog_version: i64,
    kind: ListKind,
    /// Strong ETag of the identity body: merchant, catalog version, endpoint and query.
    etag: HeaderValue,
    /// Strong ETag of the gzip body (the identity one with `.gz`).
    etag_gzip: HeaderValue,
    body: Bytes,
    /// The body gzipped once at build time, when that makes it smaller.
    gzip: Option<Bytes>,
    /// `changes::generation()` when the body was last known to match the
    /// database; while the generation has not moved, nothing has changed.
    validated_at: AtomicU64,
    /// The cache's clock at the last use, for least-recently-used eviction.
    last_used: AtomicU64,
}

impl CachedList {
    fn size(&self) -> usize {
        self.body.len() + self.gzip.as_ref().map_or(0, Bytes::len)
    }

    pub fn catalog_version(&self) -> i64 {
        self.catalog_version
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

    fn insert(&self, key: String, entry: CachedList) -> Arc<CachedList> {
        let entry = Arc::new(entry);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        // Two requests may rebuild at once; never replace a newer body with an older one.
        if let Some(existing) = entries.get(&key)
            && existing.catalog_version > entry.catalog_version
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

fn etags(merchant_id: i64, catalog_version: i64, key: &str) -> (HeaderValue, HeaderValue) {
    let digest = Sha256::digest(key.as_bytes());
    let tag = format!(
        "{merchant_id}.{catalog_version}.{}",
        hex::encode(&digest[..8])
    );
    let value = |tag: String| {
        HeaderValue::from_str(&format!("\"{tag}\"")).expect("an ETag of digits, dots and hex")
    };
    (value(tag.clone()), value(format!("{tag}.gz")))
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    if body.len() < GZIP_MIN_BYTES {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(body).ok()?;
    encoder
        .finish()
        .ok()
        .filter(|zipped| zipped.len() < body.len())
        .map(Bytes::from)
}

/// Whether the client accepts gzip (`gzip` or `*` without `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    accept.split(',').any(|part| {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or("").trim();
        let refused = pieces.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// Whether `If-None-Match` names the current body (weak comparison, as RFC 9110 asks).
fn not_modified(req: &HttpRequest, entry: &CachedList) -> bool {
    let Some(wanted) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    wanted.split(',').map(str::trim).any(|tag| {
        let tag = tag.strip_prefix("W/").unwrap_or(tag).as_bytes();
        tag == b"*" || tag == entry.etag.as_bytes() || tag == entry.etag_gzip.as_bytes()
    })
}

/// The response for a cached body: 304 when the client has it, else 200.
fn respond(req: &HttpRequest, entry: &CachedList) -> HttpResponse {
    let gzip = entry.gzip.as_ref().filter(|_| accepts_gzip(req));
    let etag = if gzip.is_some() {
        &entry.etag_gzip
    } else {
        &entry.etag
    };
    let unchanged = not_modified(req, entry);
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, entry.kind.cache_control()))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((
            "Shelfsync-Catalog-Version",
            entry.catalog_version.to_string(),
        ));
    if unchanged {
        return response.finish();
    }
    response.content_type(entry.kind.content_type());
    match gzip {
        Some(zipped) => response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(zipped.clone()),
        None => {
            if req.headers().contains_key(header::ACCEPT_ENCODING) {
                // The ETag names these exact bytes: keep the compression middleware off them.
                response.insert_header((header::CONTENT_ENCODING, "identity"));
            }
            response.body(entry.body.clone())
        }
    }
}

/// Runs blocking database work on a pooled connection, with the caller's error type.
async fn blocking<T, E, F>(state: &AppState, f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<InventoryError> + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool
            .get()
            .map_err(|e| E::from(InventoryError::Unavailable(e.to_string())))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| E::from(InventoryError::Unavailable(e.to_string())))?
}

/// Serves the list at `key` from the cache, revalidating it against the
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
    let generation = changes::generation();
    if let Some(entry) = state.lists.get(&key) {
        if entry.validated_at.load(Ordering::SeqCst) == generation {
            return Ok(respond(req, &entry));
        }
        let merchant_id = entry.merchant_id;
        let current = blocking(state, move |conn| {
            inventory::catalog_version(conn, merchant_id).map_err(E::from)
        })
        .await?;
        if current == entry.catalog_version {
            entry.validated_at.fetch_max(generation, Ordering::SeqCst);
            return Ok(respond(req, &entry));
        }
    }
    let built = blocking(state, build).await?;
    let (etag, etag_gzip) = etags(built.merchant_id, built.catalog_version, &key);
    let gzip = gzip(&built.body);
    let entry = state.lists.insert(
        key,
        CachedList {
            merchant_id: built.merchant_id,
            catalog_version: built.catalog_version,
            kind,
            etag,
            etag_gzip,
            body: Bytes::from(built.body),
            gzip,
            validated_at: AtomicU64::new(generation),
            last_used: AtomicU64::new(state.lists.tick()),
        },
    );
    Ok(respond(req, &entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: i64, size: usize) -> CachedList {
        let (etag, etag_gzip) = etags(1, version, "k");
        CachedList {
            merchant_id: 1,
            catalog_version: version,
            kind: ListKind::ApiJson,
            etag,
            etag_gzip,
            body: Bytes::from(vec![b'x'; size]),
            gzip: None,
            validated_at: AtomicU64::new(0),
            last_used: AtomicU64::new(0),
        }
    }

    #[test]
    fn etags_differ_by_version_and_query_and_are_quoted() {
        let (a, a_gz) = etags(1, 5, "api/storefront/items?limit=100");
        let (b, _) = etags(1, 6, "api/storefront/items?limit=100");
        let (c, _) = etags(1, 5, "api/storefront/items?limit=10");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert!(a.to_str().expect("ascii").starts_with("\"1.5."));
        assert_eq!(
            a_gz.to_str().expect("ascii"),
            format!("{}.gz\"", a.to_str().expect("ascii").trim_end_matches('"'))
        );
    }

    #[test]
    fn an_older_body_never_replaces_a_newer_one() {
        let cache = ListCache::default();
        cache.insert("k".into(), entry(7, 10));
        let kept = cache.insert("k".into(), entry(6, 10));
        assert_eq!(kept.catalog_version, 7);
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
