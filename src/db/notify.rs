//! Telling other instances on the same PostgreSQL database that a merchant's
//! catalog changed: `pg_notify` inside the writing transaction (delivered at
//! commit, dropped on rollback; `inventory::catalog::bump` sends it) and a
//! listener thread per instance. SQLite is
//! embedded in one process, so it needs neither.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use diesel::prelude::*;

/// The PostgreSQL channel catalog changes are announced on.
pub const CATALOG_CHANNEL: &str = "shelfsync_catalog";

/// How often the listener checks for notifications.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// A running listener thread; dropping it stops the thread and waits
/// (briefly) for it to close its connection, so the process never exits
/// while it is inside libpq.
pub struct Listener {
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

/// How long dropping a listener waits for its thread.
const STOP_WAIT: Duration = Duration::from_secs(2);

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let deadline = std::time::Instant::now() + STOP_WAIT;
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                log::warn!("the catalog listener did not stop within {STOP_WAIT:?}");
            }
        }
    }
}

/// Starts a thread that listens on `url` and calls `on_payload` for every
/// notification, reconnecting after errors, until the returned listener is
/// dropped. Returns at once.
pub fn spawn_listener(url: String, on_payload: impl Fn(&str) + Send + 'static) -> Listener {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let spawned = thread::Builder::new()
        .name("catalog-listener".into())
        .spawn(move || {
            let mut backoff = Duration::from_millis(200);
            loop {
                match listen(&url, &on_payload, &stopping) {
                    Ok(()) => return,
                    Err(error) => {
                        log::warn!("catalog listener lost its connection ({error}); retrying in {backoff:?}");
                        let until = std::time::Instant::now() + backoff;
                        while std::time::Instant::now() < until {
                            if stopping.load(Ordering::SeqCst) {
                                return;
                            }
                            thread::sleep(POLL_EVERY);
                        }
                        backoff = (backoff * 2).min(Duration::from_secs(10));
                    }
                }
            }
        });
    let thread = match spawned {
        Ok(thread) => Some(thread),
        Err(error) => {
            log::error!("could not start the catalog listener: {error}");
            None
        }
    };
    Listener { stop, thread }
}

/// Listens until told to stop (`Ok`) or the connection fails (`Err`).
fn listen(url: &str, on_payload: &impl Fn(&str), stop: &AtomicBool) -> Result<(), String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query(format!("LISTEN {CATALOG_CHANNEL}"))
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    loop {
        for notification in conn.notifications_iter() {
            let notification = notification.map_err(|e| e.to_string())?;
            on_payload(&notification.payload);
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        thread::sleep(POLL_EVERY);
    }
}
