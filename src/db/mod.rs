//! Storage: the connection pool, backend selection, embedded migrations and the
//! Diesel models. Everything above this module speaks to one `DbConnection`,
//! whichever database is behind it.
//!
//! Lookups by a key that is unique (a primary key, a unique column) use
//! `get_result`, not `first`: `first` adds `LIMIT ?`, and SQLite (3.53)
//! plans a bound limit by its value, so such a statement is prepared again
//! every time it is run with new values: a fifth of a counter sale's time.

pub mod models;
pub mod notify;
pub mod schema;
pub mod sqlite_rows;

use std::cell::RefCell;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// One connection to whichever database the URL names.
/// Rows per multi-row insert of a batch write: well under both backends'
/// limits on bound parameters (SQLite 32,766; PostgreSQL 65,535) for the
/// widest table written so (13 columns).
pub const ROWS_PER_INSERT: usize = 500;

/// Executes one multi-row insert (`rows`: a slice of `Insertable` rows) on
/// the backend underneath: Diesel's `MultiConnection` cannot build a batch
/// insert itself, each backend's connection can.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres(conn) => {
                diesel::insert_into($table).values($rows).execute(conn)
            }
            $crate::db::DbConnection::Sqlite(conn) => {
                diesel::insert_into($table).values($rows).execute(conn)
            }
        }
    };
}
pub(crate) use insert_rows;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` and `postgresql://` URLs are PostgreSQL; anything else is a SQLite path.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The backend type of `DbConnection`, for boxed queries.
pub type DbBackend = <DbConnection as Connection>::Backend;

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Opens connections for the pool. Written here rather than using Diesel's
/// generic manager so a failed connect reports the database's own error, and so
/// every SQLite connection gets its pragmas before first use.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
}

impl ConnectionManager {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }

    pub fn backend(&self) -> Backend {
        Backend::of_url(&self.url)
    }
}

/// A connection could not be opened or prepared.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("could not connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("could not prepare the database connection: {0}")]
    Query(#[from] diesel::result::Error),
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        match self.backend() {
            Backend::Postgres => Ok(DbConnection::Postgres(PgConnection::establish(&self.url)?)),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url)?;
                // busy_timeout first: the pragmas after it may already need to wait.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                     PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = NORMAL;"
                ))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1").map_err(ConnectError::Query)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Errors while opening the database at start-up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("could not open the connection pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("could not apply migrations: {0}")]
    Migration(String),
}

/// Opens a pool on `url`. For SQLite, switches the file to WAL first (a
/// database-wide setting, done once before other connections exist).
pub fn open_pool(url: &str, max_size: u32) -> Result<Pool, SetupError> {
    let manager = ConnectionManager::new(url);
    if manager.backend() == Backend::Sqlite {
        let mut conn = manager.connect()?;
        if url != ":memory:" {
            conn.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(ConnectError::Query)?;
        }
    }
    // Build once to surface the real connect error instead of r2d2's timeout.
    drop(manager.connect()?);
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)?;
    Ok(pool)
}

/// Applies every pending migration for the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, SetupError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    applied.map_err(|e| SetupError::Migration(e.to_string()))
}

/// The names of the migrations this build has and the database lacks
/// (empty when the schema is current).
pub fn pending_migrations(conn: &mut DbConnection) -> Result<Vec<String>, SetupError> {
    let names = match conn {
        DbConnection::Sqlite(c) => c
            .pending_migrations(SQLITE_MIGRATIONS)
            .map(|list| list.iter().map(|m| m.name().to_string()).collect()),
        DbConnection::Postgres(c) => c
            .pending_migrations(POSTGRES_MIGRATIONS)
            .map(|list| list.iter().map(|m| m.name().to_string()).collect()),
    };
    names.map_err(|e| SetupError::Migration(e.to_string()))
}

/// Applies the next `count` pending migrations only (used to test a
/// migration against data written under the schema before it).
pub fn run_next_migrations(conn: &mut DbConnection, count: usize) -> Result<usize, SetupError> {
    let mut applied = 0;
    for _ in 0..count {
        let step = match conn {
            DbConnection::Sqlite(c) => c.run_next_migration(SQLITE_MIGRATIONS).map(drop),
            DbConnection::Postgres(c) => c.run_next_migration(POSTGRES_MIGRATIONS).map(drop),
        };
        step.map_err(|e| SetupError::Migration(e.to_string()))?;
        applied += 1;
    }
    Ok(applied)
}

/// Reverts every applied migration (used by the migration round-trip test).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<(), SetupError> {
    let reverted = match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(drop),
        DbConnection::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(drop),
    };
    reverted.map_err(|e| SetupError::Migration(e.to_string()))
}

thread_local! {
    /// Work to do once the current thread's write transaction commits.
    static AFTER_COMMIT: RefCell<Vec<Box<dyn FnOnce()>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` after the write transaction in progress on this thread commits,
/// or never if it rolls back. Call it only inside `write_transaction`.
///
/// Announcements of a change must not be seen before the change is visible,
/// and must not be sent for a change that was rolled back.
pub fn after_commit(f: impl FnOnce() + 'static) {
    AFTER_COMMIT.with(|queue| queue.borrow_mut().push(Box::new(f)));
}

/// This process's SQLite writers take turns here before `BEGIN IMMEDIATE`.
/// SQLite makes a writer that finds the database busy sleep and try again,
/// a millisecond at first and up to 100 ms at a time, so with many writers
/// at once most of their time went to sleeping. Queued here instead, the
/// next writer begins as soon as the last one ends. A writer of another
/// process (the command line) still meets SQLite's busy timeout, and a wait
/// here longer than that timeout goes on without a turn, leaving SQLite to
/// decide, so no code path can wait here forever.
static SQLITE_WRITERS: WriterTurns = WriterTurns {
    busy: std::sync::Mutex::new(false),
    free: std::sync::Condvar::new(),
};

struct WriterTurns {
    busy: std::sync::Mutex<bool>,
    free: std::sync::Condvar,
}

/// A writer's turn, given back when dropped.
struct WriterTurn(&'static WriterTurns);

impl WriterTurns {
    fn take_turn(&'static self) -> Option<WriterTurn> {
        let busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let timeout = Duration::from_millis(u64::from(SQLITE_BUSY_TIMEOUT_MS));
        let (mut busy, waited) = self
            .free
            .wait_timeout_while(busy, timeout, |busy| *busy)
            .unwrap_or_else(|e| e.into_inner());
        if waited.timed_out() {
            return None;
        }
        *busy = true;
        Some(WriterTurn(self))
    }
}

impl Drop for WriterTurn {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.0.free.notify_one();
    }
}

fn run_after_commit(committed: bool) {
    let queued = AFTER_COMMIT.with(|queue| std::mem::take(&mut *queue.borrow_mut()));
    if committed {
        for f in queued {
            f();
        }
    }
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs `f` in a transaction that is allowed to write.
    ///
    /// On SQLite the transaction starts `IMMEDIATE`, taking the write lock up
    /// front so concurrent writers queue on the busy timeout instead of failing
    /// with "database is locked" when a read upgrades to a write. PostgreSQL uses
    /// its default isolation; callers that read-then-write lock what they read.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        // Whatever an earlier, failed transaction on this thread left queued is void.
        run_after_commit(false);
        let outcome = match self {
            DbConnection::Postgres(_) => self.transaction(f),
            DbConnection::Sqlite(inner) => {
                let _turn = SQLITE_WRITERS.take_turn();
                AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
                match f(self) {
                    Ok(value) => {
                        <DbConnection as Connection>::TransactionManager::commit_transaction(self)
                            .map(|()| value)
                            .map_err(E::from)
                    }
                    Err(error) => {
                        <DbConnection as Connection>::TransactionManager::rollback_transaction(
                            self,
                        )?;
                        Err(error)
                    }
                }
            }
        };
        run_after_commit(outcome.is_ok());
        outcome
    }

    /// Runs `f` in a read-only transaction, so every query in it sees one
    /// snapshot of the database.
    pub fn read_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        match self {
            DbConnection::Postgres(inner) => {
                AnsiTransactionManager::begin_transaction_sql(
                    inner,
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                )?;
            }
            DbConnection::Sqlite(inner) => {
                AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN DEFERRED")?;
            }
        }
        match f(self) {
            Ok(value) => {
                <DbConnection as Connection>::TransactionManager::commit_transaction(self)?;
                Ok(value)
            }
            Err(error) => {
                <DbConnection as Connection>::TransactionManager::rollback_transaction(self)?;
                Err(error)
            }
        }
    }
}
