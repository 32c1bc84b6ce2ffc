//! The catalog-change feed: a hint, sent after commit, that a merchant's
//! catalog version moved. Caches and live streams use it to know when to look
//! again; they always read the truth from the database, so a spurious or
//! duplicated hint costs a read, never a wrong answer.
//!
//! Changes made by this process arrive straight after their commit. With
//! PostgreSQL, changes made by other instances arrive through LISTEN/NOTIFY
//! (see `db::notify`), and a cached read does not wait for that: it asks
//! the database first (`OtherInstances`). With SQLite,
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
    /// Reads `merchant:version`, the notification payload between instances
    /// (written in SQL by `catalog::bump`, in the statement that bumps).
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
        announce_moved(&mut self.conn, &mut self.versions, &mut self.local)
    }
}

/// Announces every merchant whose catalog version in the database is past
/// what `versions` knows, after taking in this process's own announcements
/// (`local`), so none is announced twice.
fn announce_moved(
    conn: &mut PooledConnection,
    versions: &mut HashMap<i64, i64>,
    local: &mut broadcast::Receiver<CatalogChange>,
) -> Result<()> {
    loop {
        match local.try_recv() {
            Ok(change) => {
                let known = versions.entry(change.merchant_id).or_insert(0);
                *known = (*known).max(change.catalog_version);
            }
            Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
            Err(_) => break,
        }
    }
    for (merchant_id, catalog_version) in catalog_versions(conn)? {
        let known = versions.entry(merchant_id).or_insert(-1);
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

/// On PostgreSQL, read-your-writes across instances: before a cached read
/// trusts its cache, the database is asked whether any catalog moved, so a
/// change another instance acknowledged is served by this one's very next
/// read, without waiting for its notification.
///
/// Asking is one cheap query (the sum of every catalog version, which any
/// change moves); only when it moved are the merchants' versions read and
/// the moved ones announced. Readers share the asking: a read waits for the
/// next look that *starts* after it arrived (one at a time; whoever finds
/// none running starts it), so one look serves every read that came in
/// while the last one ran.
pub struct OtherInstances {
    watch: std::sync::Arc<Mutex<Peers>>,
    /// Looks started and finished, in order.
    started: AtomicU64,
    finished: tokio::sync::watch::Sender<u64>,
    running: std::sync::atomic::AtomicBool,
}

struct Peers {
    pool: crate::db::Pool,
    /// Dropped after a failure, so the next look connects again.
    conn: Option<PooledConnection>,
    sum: Option<i64>,
    versions: HashMap<i64, i64>,
    local: broadcast::Receiver<CatalogChange>,
}

#[derive(QueryableByName)]
struct VersionSum {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// How long a read waits for a look before it goes on with what it has (the
/// database may be away; the read then meets that itself).
const LOOK_WAIT: Duration = Duration::from_secs(1);

impl OtherInstances {
    /// Looks with connections of `pool` (one is enough), from now on.
    pub fn watch(pool: crate::db::Pool) -> OtherInstances {
        OtherInstances {
            watch: std::sync::Arc::new(Mutex::new(Peers {
                pool,
                conn: None,
                sum: None,
                versions: HashMap::new(),
                local: subscribe(),
            })),
            started: AtomicU64::new(0),
            finished: tokio::sync::watch::channel(0).0,
            running: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Returns once a look that started after this call has announced what
    /// other instances committed (or after `LOOK_WAIT`).
    pub async fn catch_up(&self) {
        let need = self.started.load(Ordering::SeqCst) + 1;
        let mut finished = self.finished.subscribe();
        let deadline = tokio::time::Instant::now() + LOOK_WAIT;
        while *finished.borrow_and_update() < need && tokio::time::Instant::now() < deadline {
            if !self.running.swap(true, Ordering::SeqCst) {
                let _running = Running(&self.running);
                let look = self.started.fetch_add(1, Ordering::SeqCst) + 1;
                let _ = tokio::time::timeout_at(deadline, self.look()).await;
                self.finished.send_if_modified(|done| {
                    let moved = look > *done;
                    *done = (*done).max(look);
                    moved
                });
                continue;
            }
            // Another read is looking; a cancelled one is noticed within a
            // few milliseconds.
            let _ = tokio::time::timeout(Duration::from_millis(5), finished.changed()).await;
        }
    }

    async fn look(&self) {
        let watch = self.watch.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut peers = watch.lock().unwrap_or_else(|e| e.into_inner());
            let looked = peers.look();
            if looked.is_err() {
                peers.conn = None;
            }
            looked
        })
        .await
        .unwrap_or_else(|e| {
            Err(super::InventoryError::Unavailable(format!(
                "the look at other instances stopped: {e}"
            )))
        });
        if let Err(error) = result {
            log::warn!("could not ask the database for other instances' changes: {error}");
        }
    }
}

/// Lets the next read look when this one is done (or was cancelled).
struct Running<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Peers {
    fn look(&mut self) -> Result<()> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(
                self.pool
                    .get()
                    .map_err(|e| super::InventoryError::Unavailable(e.to_string()))?,
            ),
        };
        let total = diesel::sql_query(
            "SELECT CAST(COALESCE(SUM(catalog_version), 0) AS BIGINT) AS total FROM merchants",
        )
        .get_result::<VersionSum>(&mut **conn)?
        .total;
        if self.sum == Some(total) {
            return Ok(());
        }
        announce_moved(conn, &mut self.versions, &mut self.local)?;
        self.sum = Some(total);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_read_and_garbage_is_ignored() {
        assert_eq!(
            CatalogChange::from_payload("7:42"),
            Some(CatalogChange {
                merchant_id: 7,
                catalog_version: 42,
            })
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
