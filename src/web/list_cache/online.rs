//! Each merchant's online list in memory, piece by piece: every item's JSON
//! record and shop card, kept by the item's own `changed_version`, and the
//! list order, updated from the change feed (`inventory::list_feed`).
//!
//! What it guarantees:
//! - **The database at one catalog version.** The order and versions are
//!   those of `version`; a piece is stored only if it was rendered from the
//!   item at the version the order holds, in the same shop context. A change
//!   re-reads only the items changed after `version`, and drops only their
//!   pieces; a change of the stores or shop settings drops every piece.
//! - **Read-your-writes.** A read first compares the change-feed generation
//!   with the one last checked; a change acknowledged on this instance has
//!   bumped it before its response went out, so the read asks the database
//!   for the catalog version and catches up. Changes made by other instances
//!   arrive through the feed too (LISTEN/NOTIFY on PostgreSQL), and the
//!   database is asked again at least every `RECHECK` in any case.
//! - **Single flight.** Catching up and rendering missing pieces happen one
//!   at a time per merchant, on the read pool; others wait and use the result.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::{CachedList, ListKind, http, read_blocking};
use crate::inventory::list_feed::{self, ListChanges, ListContext, ListedItem};
use crate::inventory::lists::OnlineListEntry;
use crate::inventory::{InventoryError, changes};
use crate::web::AppState;

/// The longest a read trusts the change feed alone before asking the database.
const RECHECK: Duration = Duration::from_millis(250);

/// How many times a read tries to gather a page while the list keeps moving.
const ATTEMPTS: usize = 5;

/// Renders an item's pieces (its JSON record and its shop card).
pub type Renderer = fn(&OnlineListEntry) -> Result<Bytes, InventoryError>;

/// Which form of the online list a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// The JSON list; `include_unlisted` adds store-only items.
    Json { include_unlisted: bool },
    /// The storefront page's cards.
    Shop,
}

impl Form {
    fn include_unlisted(self) -> bool {
        matches!(
            self,
            Form::Json {
                include_unlisted: true
            }
        )
    }
}

/// A stretch of the list: what a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub form: Form,
    pub after_id: Option<i64>,
    pub limit: usize,
}

/// A page's pieces in list order, and what they were gathered at.
pub struct Outline {
    /// The catalog version of the in-memory list.
    pub version: i64,
    /// The in-memory list's stamp (see `ListState::stamp`).
    stamp: i64,
    /// The page's own version (see `inventory::lists::OnlineListPage`).
    pub page_version: i64,
    pub pieces: Vec<Bytes>,
    pub next_after_id: Option<i64>,
    pub context: Arc<ListContext>,
    /// A hash of everything the page is made of.
    pub signature: u64,
}

/// One item's place in the list and its rendered pieces, if rendered.
struct Slot {
    item: ListedItem,
    json: Option<Bytes>,
    card: Option<Bytes>,
}

impl Slot {
    fn piece(&self, form: Form) -> Option<&Bytes> {
        match form {
            Form::Json { .. } => self.json.as_ref(),
            Form::Shop => self.card.as_ref(),
        }
    }
}

/// A merchant's list as of `version`.
struct ListState {
    version: i64,
    /// Moves whenever the version or the context does: a page assembled at
    /// one stamp is current while the stamp stays.
    stamp: i64,
    context: Arc<ListContext>,
    /// Bumped when the context changes; part of every page's signature.
    context_epoch: u64,
    /// Every item of the merchant, listed or not, by id (the list order).
    items: BTreeMap<i64, Slot>,
}

/// One merchant's list and the bookkeeping around it.
struct MerchantList {
    merchant_id: i64,
    /// Held while the database is read for this merchant (single flight).
    reading: tokio::sync::Mutex<()>,
    state: RwLock<Option<ListState>>,
    /// The version of `state`, readable without the lock; -1 before loading.
    version: AtomicI64,
    /// The stamp of `state`, readable without the lock.
    stamp: AtomicI64,
    /// `changes::generation()` taken before the last check against the database.
    checked_generation: AtomicU64,
    /// When that check was, in milliseconds since `epoch()`.
    checked_at: AtomicU64,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl MerchantList {
    fn is_current(&self, generation: u64) -> bool {
        self.version.load(Ordering::SeqCst) >= 0
            && self.checked_generation.load(Ordering::SeqCst) >= generation
            && now_ms().saturating_sub(self.checked_at.load(Ordering::SeqCst))
                < RECHECK.as_millis() as u64
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, Option<ListState>> {
        // A poisoned lock only means a reader panicked; the state is intact.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies what changed after the held version.
    fn apply(&self, changes: ListChanges) {
        let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
        let slot = |item: ListedItem| Slot {
            item,
            json: None,
            card: None,
        };
        match guard.as_mut() {
            Some(state) if changes.catalog_version >= state.version => {
                if changes.catalog_version != state.version || *state.context != changes.context {
                    state.stamp += 1;
                }
                if *state.context != changes.context {
                    state.context = Arc::new(changes.context);
                    state.context_epoch += 1;
                    for held in state.items.values_mut() {
                        held.json = None;
                        held.card = None;
                    }
                }
                for item in changes.items {
                    state.items.insert(item.id, slot(item));
                }
                state.version = changes.catalog_version;
            }
            _ => {
                let stamp = guard.as_ref().map_or(0, |state| state.stamp + 1);
                *guard = Some(ListState {
                    version: changes.catalog_version,
                    stamp,
                    context: Arc::new(changes.context),
                    context_epoch: 0,
                    items: changes.items.into_iter().map(|i| (i.id, slot(i))).collect(),
                });
            }
        }
        if let Some(state) = guard.as_ref() {
            self.version.store(state.version, Ordering::SeqCst);
            self.stamp.store(state.stamp, Ordering::SeqCst);
        }
    }

    /// Gathers a page from the pieces held, or names the items whose pieces are missing.
    fn gather(&self, page: PageRequest) -> Result<Outline, Vec<i64>> {
        let guard = self.state();
        let Some(state) = guard.as_ref() else {
            return Err(Vec::new());
        };
        let include_unlisted = page.form.include_unlisted();
        let mut hasher = DefaultHasher::new();
        (page, state.context_epoch).hash(&mut hasher);
        let mut page_version = 0;
        let mut pieces = Vec::with_capacity(page.limit);
        let mut missing = Vec::new();
        let mut last = None;
        let mut next_after_id = None;
        let start = page
            .after_id
            .map_or(i64::MIN, |after| after.saturating_add(1));
        for (id, slot) in state.items.range(start..) {
            // Every item up to the next page's first one counts, listed or not:
            // one leaving or joining the list changes this page.
            page_version = page_version.max(slot.item.changed_version);
            if !slot.item.in_online_list(include_unlisted) {
                continue;
            }
            if pieces.len() + missing.len() == page.limit {
                next_after_id = last;
                break;
            }
            (id, slot.item.changed_version).hash(&mut hasher);
            last = Some(*id);
            match slot.piece(page.form) {
                Some(piece) => pieces.push(piece.clone()),
                None => missing.push(*id),
            }
        }
        if !missing.is_empty() {
            return Err(missing);
        }
        (page_version, next_after_id).hash(&mut hasher);
        Ok(Outline {
            version: state.version,
            stamp: state.stamp,
            page_version,
            pieces,
            next_after_id,
            context: state.context.clone(),
            signature: hasher.finish(),
        })
    }

    /// Stores rendered pieces that match the held list.
    fn store(&self, form: Form, context: &ListContext, rendered: Vec<(i64, i64, Bytes)>) -> bool {
        let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
        let Some(state) = guard.as_mut() else {
            return false;
        };
        if *state.context != *context {
            return false;
        }
        for (id, changed_version, piece) in rendered {
            if let Some(slot) = state.items.get_mut(&id)
                && slot.item.changed_version == changed_version
            {
                match form {
                    Form::Json { .. } => slot.json = Some(piece),
                    Form::Shop => slot.card = Some(piece),
                }
            }
        }
        true
    }
}

/// Every merchant's online list held in memory.
pub struct OnlineLists {
    merchants: RwLock<HashMap<i64, Arc<MerchantList>>>,
    /// Shop slugs seen, to their merchant.
    slugs: RwLock<HashMap<String, i64>>,
}

impl Default for OnlineLists {
    fn default() -> Self {
        OnlineLists {
            merchants: RwLock::new(HashMap::new()),
            slugs: RwLock::new(HashMap::new()),
        }
    }
}

impl OnlineLists {
    fn merchant(&self, merchant_id: i64) -> Arc<MerchantList> {
        if let Some(list) = self
            .merchants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&merchant_id)
        {
            return list.clone();
        }
        self.merchants
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(merchant_id)
            .or_insert_with(|| {
                Arc::new(MerchantList {
                    merchant_id,
                    reading: tokio::sync::Mutex::new(()),
                    state: RwLock::new(None),
                    version: AtomicI64::new(-1),
                    stamp: AtomicI64::new(0),
                    checked_generation: AtomicU64::new(0),
                    checked_at: AtomicU64::new(0),
                })
            })
            .clone()
    }

    /// The merchant of a shop slug (read once, then remembered).
    pub async fn merchant_of_slug(
        &self,
        app: &AppState,
        slug: &str,
    ) -> Result<i64, InventoryError> {
        if let Some(id) = self
            .slugs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(slug)
        {
            return Ok(*id);
        }
        let owned = slug.to_owned();
        let merchant = read_blocking(app, move |conn| {
            crate::inventory::merchants::Merchant::by_slug(conn, &owned)
        })
        .await?;
        self.slugs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(slug.to_owned(), merchant.id);
        Ok(merchant.id)
    }

    /// Catches the merchant's list up with the database, unless the feed says
    /// nothing changed since the last check.
    async fn catch_up(&self, app: &AppState, list: &MerchantList) -> Result<(), InventoryError> {
        let generation = changes::generation();
        if list.is_current(generation) {
            return Ok(());
        }
        let _reading = list.reading.lock().await;
        if list.is_current(generation) {
            return Ok(());
        }
        let held = list.version.load(Ordering::SeqCst);
        let merchant_id = list.merchant_id;
        let changes = read_blocking(app, move |conn| {
            list_feed::list_changes(conn, merchant_id, (held >= 0).then_some(held))
        })
        .await?;
        list.apply(changes);
        list.checked_generation
            .fetch_max(generation, Ordering::SeqCst);
        list.checked_at.store(now_ms(), Ordering::SeqCst);
        Ok(())
    }

    /// Renders the missing pieces of a page (one merchant at a time).
    async fn render(
        &self,
        app: &AppState,
        list: &MerchantList,
        page: PageRequest,
        renderer: Renderer,
    ) -> Result<(), InventoryError> {
        let _reading = list.reading.lock().await;
        let Err(missing) = list.gather(page) else {
            return Ok(());
        };
        let merchant_id = list.merchant_id;
        let (context, rendered) = read_blocking(app, move |conn| {
            let (context, entries) = list_feed::online_entries(conn, merchant_id, &missing)?;
            let rendered = entries
                .iter()
                .map(|entry| Ok((entry.id, entry.changed_version, renderer(entry)?)))
                .collect::<Result<Vec<_>, InventoryError>>()?;
            Ok::<_, InventoryError>((context, rendered))
        })
        .await?;
        if !list.store(page.form, &context, rendered) {
            // The stores or settings moved: look again before the next try.
            list.checked_at.store(0, Ordering::SeqCst);
        }
        Ok(())
    }

    /// The page's pieces, read from memory when they are there.
    async fn outline(
        &self,
        app: &AppState,
        list: &MerchantList,
        page: PageRequest,
        renderer: Renderer,
    ) -> Result<Outline, InventoryError> {
        for _ in 0..ATTEMPTS {
            self.catch_up(app, list).await?;
            match list.gather(page) {
                Ok(outline) => return Ok(outline),
                Err(_) => self.render(app, list, page, renderer).await?,
            }
        }
        Err(InventoryError::Unavailable(format!(
            "the online list of merchant {} kept changing while a page was read",
            list.merchant_id
        )))
    }

    /// Serves one page of a merchant's online list, from memory when it and
    /// its items did not change: the page body is re-assembled (by
    /// `assemble`, from the outline's pieces) only when what it shows changed.
    ///
    /// `key` names the endpoint and everything of the query the body depends on.
    #[allow(clippy::too_many_arguments)]
    pub async fn serve<E, A>(
        &self,
        app: &AppState,
        req: &HttpRequest,
        kind: ListKind,
        key: String,
        merchant_id: i64,
        page: PageRequest,
        renderer: Renderer,
        assemble: A,
    ) -> Result<HttpResponse, E>
    where
        E: From<InventoryError> + ResponseError,
        A: FnOnce(&Outline) -> Result<(i64, Vec<Bytes>), E>,
    {
        let list = self.merchant(merchant_id);
        self.catch_up(app, &list).await?;
        let cached = app.lists.get(&key);
        if let Some(entry) = &cached
            && entry.version.load(Ordering::SeqCst) == list.stamp.load(Ordering::SeqCst)
        {
            return Ok(http::respond(req, entry));
        }
        let outline = self.outline(app, &list, page, renderer).await?;
        if let Some(entry) = &cached
            && entry.signature == outline.signature
        {
            entry.version.fetch_max(outline.stamp, Ordering::SeqCst);
            return Ok(http::respond(req, entry));
        }
        let (body_version, chunks) = assemble(&outline)?;
        let mut body = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
        for chunk in &chunks {
            body.extend_from_slice(chunk);
        }
        let mut entry = CachedList::new(
            merchant_id,
            kind,
            &key,
            &format!("{:016x}", outline.signature),
            body_version,
            body.freeze(),
        );
        entry.signature = outline.signature;
        entry.version.store(outline.stamp, Ordering::SeqCst);
        let entry = app.lists.insert(key, entry);
        Ok(http::respond(req, &entry))
    }
}
