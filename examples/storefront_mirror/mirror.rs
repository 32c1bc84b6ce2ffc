//! The core of the reference storefront consumer: a mirror of a merchant's
//! online list kept from shelfsync's webhooks, with the JSON feed
//! (`GET /api/v1/storefront/items?since_version=N`) as the fallback after a gap.
//!
//! It depends on nothing from shelfsync on purpose — signature checking is
//! written out here in a few lines so a storefront developer can port it.
//! The tests include this file (`#[path]`) to prove the claim end to end.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::Mutex;

/// Refuse signatures older (or newer) than this, against replays.
pub const TOLERANCE_SECS: i64 = 300;

/// Checks `Shelfsync-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]` against the raw
/// body: HMAC-SHA256 keyed with the secret's UTF-8 bytes over `"<t>.<body>"`,
/// compared in constant time; any `v1` may match (two during a secret rotation).
pub fn verify_signature(
    header: &str,
    secret: &str,
    body: &[u8],
    now: i64,
) -> Result<(), &'static str> {
    let mut timestamp: Option<i64> = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse().ok(),
            Some(("v1", hex_sig)) => signatures.extend(hex::decode(hex_sig).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or("no timestamp in the signature header")?;
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err("the signature is too old");
    }
    for signature in signatures {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| "bad key")?;
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        if mac.verify_slice(&signature).is_ok() {
            return Ok(());
        }
    }
    Err("no signature matches")
}

/// Changes to the online list since a version, all pages of it.
#[derive(Debug, Clone, Default)]
pub struct Delta {
    /// The catalog version the delta was read at.
    pub catalog_version: i64,
    /// Online-list records and tombstones (`{"id", "removed": true, "changed_version"}`).
    pub records: Vec<Value>,
}

/// Where the mirror reads `since_version` deltas from.
pub trait DeltaSource: Send + Sync + 'static {
    fn changes_since(&self, version: i64) -> impl Future<Output = Result<Delta, String>> + Send;
}

/// The JSON feed of a shelfsync server:
/// `GET /api/v1/storefront/items?since_version=N&limit=1000[&cursor=…]` →
/// `{"catalog_version": N, "items": [...], "next_cursor": "…" | null}`.
pub struct HttpFeed {
    pub base_url: String,
    pub token: String,
    pub client: reqwest::Client,
}

impl DeltaSource for HttpFeed {
    async fn changes_since(&self, version: i64) -> Result<Delta, String> {
        let mut delta = Delta::default();
        let mut cursor: Option<String> = None;
        loop {
            let mut request = self
                .client
                .get(format!(
                    "{}/api/v1/storefront/items",
                    self.base_url.trim_end_matches('/')
                ))
                .bearer_auth(&self.token)
                .query(&[
                    ("since_version", version.to_string()),
                    ("limit", "1000".to_owned()),
                ]);
            if let Some(cursor) = &cursor {
                request = request.query(&[("cursor", cursor)]);
            }
            let response = request.send().await.map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("the feed answered {}", response.status()));
            }
            let page: Value = response.json().await.map_err(|e| e.to_string())?;
            let page_version = page["catalog_version"]
                .as_i64()
                .ok_or("no catalog_version")?;
            // Keep the oldest page's version: later pages may be newer, never older.
            if delta.catalog_version == 0 || page_version < delta.catalog_version {
                delta.catalog_version = page_version;
            }
            delta
                .records
                .extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(delta),
            }
        }
    }
}

/// The storefront's copy of the online list.
#[derive(Debug, Default)]
pub struct Mirror {
    /// Listed items by id: the online-list record as shelfsync sent it.
    pub items: BTreeMap<i64, Value>,
    /// The catalog version each known item (or tombstone) was last changed at.
    versions: HashMap<i64, i64>,
    /// Every catalog version up to this one is reflected.
    pub applied_version: i64,
    /// Event ids already applied (duplicates are acknowledged and skipped).
    pub seen: HashSet<String>,
    /// First receipts, in arrival order: (event id, catalog version).
    pub received: Vec<(String, i64)>,
    /// How many times a gap sent the mirror to the feed.
    pub catch_ups: usize,
}

impl Mirror {
    /// Applies one record unless the mirror already has a newer state of the item.
    pub fn apply_record(&mut self, record: &Value) {
        let Some(id) = record["id"].as_i64() else {
            return;
        };
        let version = record["changed_version"].as_i64().unwrap_or(0);
        if self.versions.get(&id).is_some_and(|known| *known > version) {
            return;
        }
        self.versions.insert(id, version);
        if record["removed"].as_bool() == Some(true) {
            self.items.remove(&id);
        } else {
            self.items.insert(id, record.clone());
        }
    }

    /// Reads what changed since the applied version and applies it.
    pub async fn catch_up(&mut self, feed: &impl DeltaSource) -> Result<(), String> {
        let delta = feed.changes_since(self.applied_version).await?;
        for record in &delta.records {
            self.apply_record(record);
        }
        self.applied_version = self.applied_version.max(delta.catalog_version);
        self.catch_ups += 1;
        Ok(())
    }

    /// Applies a verified event (the webhook body), in the order received.
    pub async fn apply_event(
        &mut self,
        event: &Value,
        feed: &impl DeltaSource,
    ) -> Result<(), String> {
        let id = event["id"]
            .as_str()
            .ok_or("the event has no id")?
            .to_owned();
        if self.seen.contains(&id) {
            return Ok(());
        }
        let version = event["catalog_version"]
            .as_i64()
            .ok_or("the event has no catalog_version")?;
        let Some(record) = event["data"].get("item") else {
            // Not an item event (a test event, or a type this mirror does not know).
            self.seen.insert(id);
            return Ok(());
        };
        if version > self.applied_version + 1 {
            // Versions are consecutive; a jump means events were missed.
            self.catch_up(feed).await?;
        }
        self.apply_record(record);
        self.applied_version = self.applied_version.max(version);
        self.received.push((id.clone(), version));
        self.seen.insert(id);
        Ok(())
    }
}

/// The receiver's state: the mirror, the secret, and the feed for gaps.
pub struct Receiver<S> {
    pub mirror: Mutex<Mirror>,
    pub secret: String,
    pub feed: S,
    /// Bodies refused for a bad signature.
    pub rejected: std::sync::atomic::AtomicUsize,
}

impl<S: DeltaSource> Receiver<S> {
    pub fn new(secret: String, feed: S) -> Arc<Receiver<S>> {
        Arc::new(Receiver {
            mirror: Mutex::new(Mirror::default()),
            secret,
            feed,
            rejected: Default::default(),
        })
    }
}

/// `POST /webhooks`: verify, de-duplicate, apply in order; 2xx only when applied.
pub async fn webhook<S: DeltaSource>(
    receiver: web::Data<Receiver<S>>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let header = request
        .headers()
        .get("Shelfsync-Signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if let Err(why) = verify_signature(header, &receiver.secret, &body, now) {
        receiver
            .rejected
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        return HttpResponse::BadRequest().body(why);
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().body("the body is not JSON");
    };
    let mut mirror = receiver.mirror.lock().await;
    match mirror.apply_event(&event, &receiver.feed).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        // shelfsync retries; nothing was marked as seen.
        Err(why) => HttpResponse::ServiceUnavailable().body(why),
    }
}

/// Registers the receiver's route.
pub fn routes<S: DeltaSource>(
    receiver: Arc<Receiver<S>>,
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    move |cfg| {
        cfg.app_data(web::Data::from(Arc::clone(&receiver)))
            .app_data(web::PayloadConfig::new(2 * 1024 * 1024))
            .route("/webhooks", web::post().to(webhook::<S>));
    }
}
