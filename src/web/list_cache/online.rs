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
//!   are looked for before the generation is read
//!   (`AppState::change_generation`: on PostgreSQL a look at the database
//!   that started after the read arrived; on SQLite, other processes'
//!   commits), and the database is asked again at least every `RECHECK` in
//!   any case.
//! - **Single flight.** Catching up and rendering missing pieces happen one
//!   at a time per merchant, on the read pool; others wait and use the result.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};

use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::pieces::{MerchantList, now_ms};
use super::{CachedList, ListKind, http, read_blocking};
use crate::inventory::InventoryError;
use crate::inventory::list_feed::{self, ListContext};
use crate::inventory::lists::OnlineListEntry;
use crate::metrics;
use crate::web::AppState;

pub use super::pieces::{Form, Outline, PageRequest, Piece};

/// How many times a read tries to gather a page while the list keeps moving.
/// Each try renders only what the last one found missing, so tries are cheap;
/// five were seen to run out on a loaded 2-core machine while a test wrote
/// as fast as it could (a 503), so a storm of writes gets more room.
const ATTEMPTS: usize = 20;

/// Renders an item's pieces (its JSON record and its shop card) in the
/// shop's context (the card links to the item's page and the merchant's store).
pub type Renderer = fn(&ListContext, &OnlineListEntry) -> Result<Vec<u8>, InventoryError>;

/// What surrounds a page's pieces: the body is `head`, the pieces joined by
/// `separator`, then `tail`.
pub struct Frame {
    /// The `catalog_version` the body reports.
    pub body_version: i64,
    pub head: Bytes,
    pub separator: &'static [u8],
    pub tail: Bytes,
}

/// Every merchant's online list held in memory.
pub struct OnlineLists {
    merchants: RwLock<HashMap<i64, Arc<MerchantList>>>,
    /// Shop slugs seen, to their merchant and the change-feed generation at
    /// which that was read (a shop's slug can change, which moves the catalog).
    slugs: RwLock<HashMap<String, (i64, u64)>>,
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
            .or_insert_with(|| Arc::new(MerchantList::new(merchant_id)))
            .clone()
    }

    /// The merchant of a shop slug (read once, then remembered).
    pub async fn merchant_of_slug(
        &self,
        app: &AppState,
        slug: &str,
    ) -> Result<i64, InventoryError> {
        let generation = app.change_generation().await;
        if let Some((id, _)) = self
            .slugs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(slug)
            .filter(|(_, seen)| *seen == generation)
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
            .insert(slug.to_owned(), (merchant.id, generation));
        Ok(merchant.id)
    }

    /// Catches the merchant's list up with the database, unless the feed says
    /// nothing changed since the last check.
    async fn catch_up(&self, app: &AppState, list: &MerchantList) -> Result<(), InventoryError> {
        let generation = app.change_generation().await;
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
                .map(|entry| {
                    let piece = Piece::from(renderer(&context, entry)?);
                    Ok((entry.id, entry.changed_version, piece))
                })
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
        A: FnOnce(&Outline) -> Result<Frame, E>,
    {
        let list = self.merchant(merchant_id);
        self.catch_up(app, &list).await?;
        let cached = app.lists.get(&key);
        if let Some(entry) = &cached
            && entry.version.load(Ordering::SeqCst) == list.stamp.load(Ordering::SeqCst)
        {
            metrics::record_list_read(metrics::ListKind::OnlinePage, metrics::ListSource::Cache);
            return Ok(http::respond(req, entry));
        }
        let outline = self.outline(app, &list, page, renderer).await?;
        if let Some(entry) = &cached
            && entry.signature == outline.signature
        {
            entry.version.fetch_max(outline.stamp, Ordering::SeqCst);
            // The list moved, but none of this page's items: still the body in memory.
            metrics::record_list_read(
                metrics::ListKind::OnlinePage,
                metrics::ListSource::Revalidated,
            );
            return Ok(http::respond(req, entry));
        }
        metrics::record_list_read(metrics::ListKind::OnlinePage, metrics::ListSource::Rebuilt);
        let frame = assemble(&outline)?;
        let pieces: usize = outline.pieces.iter().map(|piece| piece.len()).sum();
        let mut body = BytesMut::with_capacity(
            frame.head.len()
                + pieces
                + frame.separator.len() * outline.pieces.len()
                + frame.tail.len(),
        );
        body.extend_from_slice(&frame.head);
        for (index, piece) in outline.pieces.iter().enumerate() {
            if index > 0 {
                body.extend_from_slice(frame.separator);
            }
            body.extend_from_slice(piece);
        }
        body.extend_from_slice(&frame.tail);
        let mut entry = CachedList::new(
            merchant_id,
            kind,
            &key,
            &format!("{:016x}", outline.signature),
            frame.body_version,
            body.freeze(),
        );
        entry.signature = outline.signature;
        entry.version.store(outline.stamp, Ordering::SeqCst);
        let entry = app.lists.insert(key, entry);
        Ok(http::respond(req, &entry))
    }
}
