//! The scheduler: work that falls due at a time, done by the server itself.
//!
//! A background thread runs every job once at start (catching up on work
//! that fell due while the server was down) and then every interval. Each
//! job does its work through the ordinary write path and is exactly-once by
//! itself (a conditional transition per piece of work; see each job), so
//! several instances on one PostgreSQL may run it side by side. A failing
//! run is logged and retried after a longer wait (doubling up to a minute),
//! like the webhook dispatcher's backoff; a success goes back to the
//! interval. Jobs: holds for pickup that expired, and scheduled designation
//! changes that fell due (`inventory::schedules`); and, at its own slower
//! interval, pruning what is older than its retention
//! (`inventory::retention`), which is idempotent and done in small batches.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::db::{self, DbConnection, Pool};
use crate::inventory::retention::{self, Retention};
use crate::inventory::{self, InventoryError, reservations, schedules};

/// The longest wait after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How long dropping the scheduler waits for its thread to finish a run.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// One kind of work the scheduler does when it falls due: `run` does
/// everything due by `now` and says how much it did.
struct Job {
    name: &'static str,
    run: fn(&mut DbConnection, NaiveDateTime) -> inventory::Result<usize>,
}

/// Every job, in the order each run does them.
const JOBS: &[Job] = &[
    Job {
        name: "expired holds for pickup",
        run: |conn, now| reservations::expire_due(conn, now).map(|run| run.expired),
    },
    Job {
        name: "scheduled designation changes",
        run: schedules::apply_due,
    },
];

/// What is pruned, and how often.
#[derive(Debug, Clone, Copy)]
pub struct Pruning {
    pub retention: Retention,
    pub every: Duration,
}

/// The running scheduler; dropping it stops the thread.
pub struct Scheduler {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Scheduler {
    /// Starts the thread with its own small pool, so the work never takes
    /// the connections that requests need.
    pub fn start(
        database_url: &str,
        interval: Duration,
        pruning: Pruning,
    ) -> inventory::Result<Scheduler> {
        let pool = db::open_pool(database_url, 1)
            .map_err(|e| InventoryError::Unavailable(e.to_string()))?;
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("scheduler".into())
            .spawn(move || run(&pool, interval, pruning, &stopped))
            .map_err(|e| InventoryError::Unavailable(format!("the scheduler thread: {e}")))?;
        Ok(Scheduler {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        // Closing the channel wakes the thread; it ends after the current run.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let deadline = std::time::Instant::now() + STOP_WAIT;
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                log::warn!("the scheduler did not stop within {STOP_WAIT:?}");
            }
        }
    }
}

/// Runs every job now, then after each wait, until told to stop.
fn run(pool: &Pool, interval: Duration, pruning: Pruning, stopped: &mpsc::Receiver<()>) {
    let mut wait = interval;
    let mut next_pruning = std::time::Instant::now();
    loop {
        let outcome = run_once(pool).and_then(|()| {
            if std::time::Instant::now() >= next_pruning {
                let unfinished = prune(pool, &pruning.retention)?;
                // A run that stopped at its limit goes on at the next tick.
                if !unfinished {
                    next_pruning = std::time::Instant::now() + pruning.every;
                }
            }
            Ok(())
        });
        wait = match outcome {
            Ok(()) => interval,
            Err(error) => {
                let next = (wait * 2).clamp(interval, MAX_BACKOFF.max(interval));
                log::error!("scheduler: {error}; trying again in {next:?}");
                next
            }
        };
        match stopped.recv_timeout(wait) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Told to stop (or the sender is gone).
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Every job once, with work due now.
pub fn run_once(pool: &Pool) -> inventory::Result<()> {
    let mut conn = pool
        .get()
        .map_err(|e| InventoryError::Unavailable(e.to_string()))?;
    let now = chrono::Utc::now().naive_utc();
    for job in JOBS {
        let done = (job.run)(&mut conn, now)?;
        if done > 0 {
            log::info!("scheduler: {done} {} done", job.name);
        }
    }
    Ok(())
}

/// Prunes what is older than its retention, once; true when more is due
/// than one run deletes.
pub fn prune(pool: &Pool, retention: &Retention) -> inventory::Result<bool> {
    let mut conn = pool
        .get()
        .map_err(|e| InventoryError::Unavailable(e.to_string()))?;
    let pruned = retention::prune(&mut conn, chrono::Utc::now().naive_utc(), retention)?;
    if pruned.total() > 0 {
        log::info!(
            "scheduler: pruned {} delivered event(s), {} delivery log line(s), {} idempotency key(s)",
            pruned.events,
            pruned.delivery_logs,
            pruned.idempotency_keys
        );
    }
    Ok(pruned.unfinished)
}
