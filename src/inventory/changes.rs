//! The catalog-change feed: a hint, sent after commit, that a merchant's
//! catalog version moved. Caches and live streams use it to know when to look
//! again; they always read the truth from the database, so a spurious or
//! duplicated hint costs a read, never a wrong answer.
//!
//! Changes made by this process arrive straight after their commit. With
//! PostgreSQL, changes made by other instances arrive through LISTEN/NOTIFY
//! (see `db::notify`), within the listener's polling interval.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::broadcast;

/// A merchant's catalog reached a new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogChange {
    pub merchant_id: i64,
    pub catalog_version: i64,
}

impl CatalogChange {
    /// `merchant:version`, the notification payload between instances.
    pub fn to_payload(self) -> String {
        format!("{}:{}", self.merchant_id, self.catalog_version)
    }

    pub fn from_payload(payload: &str) -> Option<CatalogChange> {
        let (merchant, version) = payload.split_once(':')?;
        Some(CatalogChange {
            merchant_id: merchant.parse().ok()?,
            catalog_version: version.parse().ok()?,
        })
    }
}

/// Bumped on every change heard of, from any merchant: a cache validated at
/// generation G is still valid while the generation is G.
static GENERATION: AtomicU64 = AtomicU64::new(0);

fn sender() -> &'static broadcast::Sender<CatalogChange> {
    static FEED: OnceLock<broadcast::Sender<CatalogChange>> = OnceLock::new();
    FEED.get_or_init(|| broadcast::channel(1024).0)
}

/// Announces a change (called after commit, or by the cross-instance listener).
pub fn publish(change: CatalogChange) {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    // No subscribers is fine: nobody is listening live right now.
    let _ = sender().send(change);
}

/// The count of changes heard of so far.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

/// Receives every change announced from now on. A receiver that falls behind
/// gets `Lagged` and should re-read from the database.
pub fn subscribe() -> broadcast::Receiver<CatalogChange> {
    sender().subscribe()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_garbage_is_ignored() {
        let change = CatalogChange {
            merchant_id: 7,
            catalog_version: 42,
        };
        assert_eq!(
            CatalogChange::from_payload(&change.to_payload()),
            Some(change)
        );
        assert_eq!(CatalogChange::from_payload("7"), None);
        assert_eq!(CatalogChange::from_payload("a:b"), None);
    }

    #[test]
    fn publishing_bumps_the_generation_and_reaches_subscribers() {
        let mut receiver = subscribe();
        let before = generation();
        let change = CatalogChange {
            merchant_id: 1,
            catalog_version: 2,
        };
        publish(change);
        assert!(generation() > before);
        assert_eq!(receiver.try_recv().ok(), Some(change));
    }
}
