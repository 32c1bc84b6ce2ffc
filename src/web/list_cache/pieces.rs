//! The pieces of one merchant's online list and the list order, as of one
//! catalog version: what `online` keeps per merchant (see its guarantees).

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use crate::inventory::list_feed::{ListChanges, ListContext, ListedItem};

/// The longest a read trusts the change feed alone before asking the database.
pub(super) const RECHECK: Duration = Duration::from_millis(250);

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
    pub(super) stamp: i64,
    /// The page's own version (see `inventory::lists::OnlineListPage`).
    pub page_version: i64,
    pub pieces: Vec<Piece>,
    pub next_after_id: Option<i64>,
    pub context: Arc<ListContext>,
    /// A hash of everything the page is made of.
    pub signature: u64,
}

/// An item's rendered record or card. Not `Bytes`: a piece lives as long as
/// its item does not change, and an `Arc<[u8]>` is one allocation and 16
/// bytes a slot (about 9 MB less at 100k items); pages copy pieces into
/// their body anyway.
pub type Piece = Arc<[u8]>;

/// One item's place in the list and its rendered pieces, if rendered.
pub(super) struct Slot {
    item: ListedItem,
    json: Option<Piece>,
    card: Option<Piece>,
}

impl Slot {
    fn piece(&self, form: Form) -> Option<&Piece> {
        match form {
            Form::Json { .. } => self.json.as_ref(),
            Form::Shop => self.card.as_ref(),
        }
    }
}

/// A merchant's list as of `version`.
pub(super) struct ListState {
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
pub(super) struct MerchantList {
    pub(super) merchant_id: i64,
    /// Held while the database is read for this merchant (single flight).
    pub(super) reading: tokio::sync::Mutex<()>,
    pub(super) state: RwLock<Option<ListState>>,
    /// The version of `state`, readable without the lock; -1 before loading.
    pub(super) version: AtomicI64,
    /// The stamp of `state`, readable without the lock.
    pub(super) stamp: AtomicI64,
    /// `changes::generation()` taken before the last check against the database.
    pub(super) checked_generation: AtomicU64,
    /// When that check was, in milliseconds since `epoch()`.
    pub(super) checked_at: AtomicU64,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

pub(super) fn now_ms() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl MerchantList {
    pub(super) fn new(merchant_id: i64) -> MerchantList {
        MerchantList {
            merchant_id,
            reading: tokio::sync::Mutex::new(()),
            state: RwLock::new(None),
            version: AtomicI64::new(-1),
            stamp: AtomicI64::new(0),
            checked_generation: AtomicU64::new(0),
            checked_at: AtomicU64::new(0),
        }
    }

    pub(super) fn is_current(&self, generation: u64) -> bool {
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
    pub(super) fn apply(&self, changes: ListChanges) {
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
    pub(super) fn gather(&self, page: PageRequest) -> Result<Outline, Vec<i64>> {
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
    pub(super) fn store(
        &self,
        form: Form,
        context: &ListContext,
        rendered: Vec<(i64, i64, Piece)>,
    ) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, OnlineListing};

    fn item(id: i64, changed_version: i64, online: OnlineListing) -> ListedItem {
        ListedItem {
            id,
            changed_version,
            online,
            in_store: true,
            archived: false,
        }
    }

    fn list(items: Vec<ListedItem>) -> MerchantList {
        let list = MerchantList::new(1);
        list.apply(ListChanges {
            catalog_version: 9,
            items,
            context: ListContext {
                merchant_id: 1,
                slug: "shop".into(),
                name: "Shop".into(),
                currency: Currency::parse("USD").expect("a currency"),
                online_buffer: 0,
                stores: Vec::new(),
                storefront_url: None,
                reservation_max_quantity: 2,
                time_zone: crate::domain::TimeZone::UTC,
            },
        });
        list
    }

    const FIRST_TWO: PageRequest = PageRequest {
        form: Form::Json {
            include_unlisted: false,
        },
        after_id: None,
        limit: 2,
    };

    #[test]
    fn a_page_names_the_items_whose_pieces_are_missing() {
        let list = list(vec![
            item(1, 3, OnlineListing::ForSale),
            item(2, 9, OnlineListing::Hidden),
            item(3, 4, OnlineListing::ViewOnly),
        ]);
        assert_eq!(list.gather(FIRST_TWO).err(), Some(vec![1, 3]));
    }

    #[test]
    fn a_pages_version_counts_unlisted_items_up_to_the_next_pages_first() {
        let list = list(vec![
            item(1, 3, OnlineListing::ForSale),
            item(2, 5, OnlineListing::Hidden),
            item(3, 4, OnlineListing::ViewOnly),
            item(4, 8, OnlineListing::ForSale),
            item(5, 9, OnlineListing::ForSale),
        ]);
        let context = list.state().as_ref().map(|s| s.context.clone());
        let context = context.expect("loaded");
        // Item 4's piece is of an older version than the one held.
        let pieces = [(1, 3), (2, 5), (3, 4), (4, 7), (5, 9)]
            .into_iter()
            .map(|(id, version)| (id, version, Piece::from(&b"{}"[..])))
            .collect();
        assert!(list.store(FIRST_TWO.form, &context, pieces));
        let outline = list.gather(FIRST_TWO).expect("items 1 and 3 are rendered");
        assert_eq!(outline.pieces.len(), 2);
        assert_eq!(outline.next_after_id, Some(3));
        assert_eq!(outline.page_version, 8, "item 4 opens the next page");
        let second = list.gather(PageRequest {
            after_id: Some(3),
            ..FIRST_TWO
        });
        assert_eq!(
            second.err(),
            Some(vec![4]),
            "item 4's piece was of another version"
        );
    }
}
