//! Telling other instances on the same PostgreSQL database that a merchant's
//! catalog changed: `pg_notify` inside the writing transaction (delivered at
//! commit, dropped on rollback) and a listener thread per instance. SQLite is
//! embedded in one process, so it needs neither.

use std::thread;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConnection;

/// The PostgreSQL channel catalog changes are announced on.
pub const CATALOG_CHANNEL: &str = "shelfsync_catalog";

/// How often the listener checks for notifications.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Queues a notification with `payload`; PostgreSQL delivers it when the
/// surrounding transaction commits. A no-op on SQLite.
pub fn notify(conn: &mut DbConnection, payload: &str) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(CATALOG_CHANNEL)
            .bind::<Text, _>(payload)
            .execute(pg)?;
    }
    Ok(())
}

/// Starts a thread that listens on `url` and calls `on_payload` for every
/// notification, reconnecting after errors. Returns at once.
pub fn spawn_listener(url: String, on_payload: impl Fn(&str) + Send + 'static) {
    let spawned = thread::Builder::new()
        .name("catalog-listener".into())
        .spawn(move || {
            let mut backoff = Duration::from_millis(200);
            loop {
                match listen(&url, &on_payload) {
                    Ok(()) => return,
                    Err(error) => {
                        log::warn!("catalog listener lost its connection ({error}); retrying in {backoff:?}");
                        thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(10));
                    }
                }
            }
        });
    if let Err(error) = spawned {
        log::error!("could not start the catalog listener: {error}");
    }
}

fn listen(url: &str, on_payload: &impl Fn(&str)) -> Result<(), String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query(format!("LISTEN {CATALOG_CHANNEL}"))
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    loop {
        for notification in conn.notifications_iter() {
            let notification = notification.map_err(|e| e.to_string())?;
            on_payload(&notification.payload);
        }
        thread::sleep(POLL_EVERY);
    }
}
