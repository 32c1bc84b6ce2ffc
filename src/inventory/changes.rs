//! The catalog-change feed: a hint, sent after commit, that a merchant's
//! catalog version moved. Caches and live streams use it to know when to look
//! again; they always read the truth from the database, so a spurious or
//! duplicated hint costs a read, never a wrong answer.
//!
//! Changes made by this process arrive straight after their commit. With
//! PostgreSQL, changes made by other instances arrive through LISTEN/NOTIFY
//! (see `db::notify`), within the listener's polling interval. With SQLite,
//! changes committed by another process (the command line's `import`, `demo
//! --items`) are noticed by `OutsideWrites` when the server next reads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use tokio::sync::broadcast;

use super::Result;
use crate::db::PooledConnection;
use crate::db::schema::merchants;

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

/// Notices commits of other processes to a SQLite database, and announces
/// every merchant whose catalog they moved, as if changed here.
///
/// `PRAGMA data_version` on a connection changes when any *other*
/// connection has committed since it was last asked. One dedicated
/// connection, which never writes, is asked; the pool's connections all
/// count as others, so this process's commits move it too, and only the
/// merchants whose version moved beyond what was announced here already are
/// announced again. A read path calls `check` before trusting its cache; the
/// pragma is cheap, and is asked at most every `EVERY` (one reader asks,
/// the others go on).
pub struct OutsideWrites {
    watch: Mutex<Watch>,
    /// When it was last asked, in microseconds since `started`.
    checked_at: AtomicU64,
    started: Instant,
}

/// The least time between two looks at the database.
const EVERY: Duration = Duration::from_millis(1);

struct Watch {
    conn: PooledConnection,
    data_version: i64,
    /// Each merchant's catalog version as last announced (here or seen).
    versions: HashMap<i64, i64>,
    /// This process's own announcements, so they are not made twice.
    local: broadcast::Receiver<CatalogChange>,
}

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

fn data_version(conn: &mut PooledConnection) -> Result<i64> {
    Ok(diesel::sql_query("PRAGMA data_version")
        .get_result::<DataVersion>(&mut **conn)?
        .data_version)
}

fn catalog_versions(conn: &mut PooledConnection) -> Result<Vec<(i64, i64)>> {
    Ok(merchants::table
        .select((merchants::id, merchants::catalog_version))
        .load(&mut **conn)?)
}

impl OutsideWrites {
    /// Watches the database `conn` is connected to, from now on; `conn` is
    /// kept for this alone.
    pub fn watch(mut conn: PooledConnection) -> Result<OutsideWrites> {
        let local = subscribe();
        let data_version = data_version(&mut conn)?;
        let versions = catalog_versions(&mut conn)?.into_iter().collect();
        Ok(OutsideWrites {
            watch: Mutex::new(Watch {
                conn,
                data_version,
                versions,
                local,
            }),
            checked_at: AtomicU64::new(0),
            started: Instant::now(),
        })
    }

    /// Announces what other processes committed since the last look, if
    /// `EVERY` has passed since then and no other reader is looking now.
    pub fn check(&self) {
        let now = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let last = self.checked_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) < EVERY.as_micros() as u64 {
            return;
        }
        let Ok(mut watch) = self.watch.try_lock() else {
            return;
        };
        self.checked_at.store(now, Ordering::Relaxed);
        if let Err(error) = watch.look() {
            log::warn!("could not look for other processes' changes: {error}");
        }
    }
}

impl Watch {
    fn look(&mut self) -> Result<()> {
        let data_version = data_version(&mut self.conn)?;
        if data_version == self.data_version {
            return Ok(());
        }
        self.data_version = data_version;
        loop {
            match self.local.try_recv() {
                Ok(change) => {
                    let known = self.versions.entry(change.merchant_id).or_insert(0);
                    *known = (*known).max(change.catalog_version);
                }
                Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
        for (merchant_id, catalog_version) in catalog_versions(&mut self.conn)? {
            let known = self.versions.entry(merchant_id).or_insert(-1);
            if catalog_version > *known {
                *known = catalog_version;
                publish(CatalogChange {
                    merchant_id,
                    catalog_version,
                });
            }
        }
        Ok(())
    }
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
