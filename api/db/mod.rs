//! The database: one connection type for SQLite and PostgreSQL, the pool, migrations and the
//! helpers that move blocking database work off the async workers.
//!
//! Queries are written once against [`DbConnection`]; diesel's `MultiConnection` picks the
//! backend at run time from the URL. Only what the two backends really do differently
//! (pragmas, locking, `ON CONFLICT`) matches on the variant.

pub mod cached;
pub mod condition;
mod groups;
pub mod keyset;
pub mod page_limit;
pub mod schema;
pub mod stamp;
mod writer;

pub use groups::write_grouped;

use std::{cell::RefCell, time::Duration};

use actix_web::web;
use diesel::{
    connection::{AnsiTransactionManager, SimpleConnection, TransactionManager, TransactionManagerStatus},
    pg::PgConnection,
    r2d2::Error as PoolConnectError,
    sqlite::SqliteConnection,
    Connection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::{clock::Clock, config::Backend};

/// What can go wrong below the queries: the pool, the blocking thread pool, the database.
/// `error.rs` decides what each means to a client; this module only names them.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error(transparent)]
    Pool(#[from] r2d2::Error),
    #[error("the blocking thread pool failed: {0}")]
    Blocking(String),
    /// A stored value that the code cannot read (an unknown enum text, say).
    #[error("unreadable stored value: {0}")]
    Corrupt(String),
    /// The database did not finish the work in time (a stalled link, a long lock wait).
    #[error("the database did not answer within {0:?}")]
    TimedOut(Duration),
    /// A grouped write could not be written: no connection to write with, or its group's
    /// transaction could not begin or commit (see [`write`] and [`write_grouped`]).
    #[error("the write was not committed: {0}")]
    NotWritten(String),
}

/// How an enum is stored: its serde name (`snake_case` text), the one mapping for every
/// text-backed enum column.
pub fn enum_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

/// Reads an enum stored by [`enum_text`].
pub fn parse_enum_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, DbError> {
    use serde::de::IntoDeserializer;
    // Straight from the text: no JSON value built per field (pages read thousands of them).
    let text_deserializer: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        text.into_deserializer();
    T::deserialize(text_deserializer).map_err(|_| DbError::Corrupt(format!("unknown stored value `{text}`")))
}

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary but fixed key of the advisory lock that serializes migrations across replicas.
const MIGRATION_LOCK_KEY: i64 = 0x0CE_A91;

/// Applied to every SQLite connection. `busy_timeout` comes first: switching to WAL takes a
/// lock, and several pool connections opening a fresh file at once would otherwise fail.
///
/// A commit does not checkpoint the WAL itself until it reaches `wal_autocheckpoint` pages
/// (a backstop): the writer's checkpointer does, beside the writes (see [`writer`]).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 10000;";

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgres(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Opens connections for r2d2, choosing the backend from the URL scheme. (The derived
/// `establish` tries each backend in turn and drops their error messages; this keeps libpq's.)
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
}

impl ConnectionManager {
    pub fn new(url: impl Into<String>) -> Self {
        ConnectionManager { url: url.into() }
    }
}

/// `sqlite://path` and a bare path both name a SQLite file.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

pub fn establish(url: &str) -> Result<DbConnection, PoolConnectError> {
    match Backend::of_url(url) {
        Backend::Postgres => PgConnection::establish(url)
            .map(DbConnection::Postgres)
            .map_err(PoolConnectError::ConnectionError),
        Backend::Sqlite => {
            configure_sqlite();
            let mut conn =
                SqliteConnection::establish(sqlite_path(url)).map_err(PoolConnectError::ConnectionError)?;
            conn.batch_execute(SQLITE_PRAGMAS).map_err(PoolConnectError::QueryError)?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

/// SQLite's process-wide settings, made once before its first connection (SQLite takes them
/// only then). Its defaults guard every call into a connection with a mutex, and every
/// allocation with another for its memory statistics. Neither guard is needed here: no
/// connection is ever used by two threads at once (r2d2 lends each to one thread at a time; the
/// writer and the checkpointer own theirs), and nothing reads those statistics. Without them
/// the one writer thread does about a tenth less work per enrollment (docs/BENCHMARKS.md, "a
/// ninth session"). True when SQLite took both; should it have started already (a connection
/// opened elsewhere first) it refuses them and keeps its defaults, which are correct, only
/// slower.
fn configure_sqlite() -> bool {
    static CONFIGURED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CONFIGURED.get_or_init(|| {
        use libsqlite3_sys::{sqlite3_config, SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_MULTITHREAD, SQLITE_OK};
        // SAFETY: `sqlite3_config` may be called while SQLite is not yet initialized (otherwise it
        // returns SQLITE_MISUSE and changes nothing) and while no other thread calls into SQLite:
        // the OnceLock runs this once, before the first connection any thread opens through
        // `establish`. Each option gets the arguments SQLite documents for it: none, and an int.
        #[allow(unsafe_code)]
        let answers = unsafe {
            [
                sqlite3_config(SQLITE_CONFIG_MULTITHREAD),
                sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int),
            ]
        };
        let took_both = answers.iter().all(|&answer| answer == SQLITE_OK);
        if !took_both {
            tracing::warn!(
                ?answers,
                "SQLite kept its default locking (it had started before it was configured)"
            );
        }
        took_both
    })
}

/// How long after work on a connection succeeded a checkout takes it without a ping.
const TRUSTED_AFTER_SUCCESS: Duration = Duration::from_secs(1);

/// A connection as the pool holds it, and until when its last use vouches for it (r2d2 hands
/// it out wrapped in its own `PooledConnection`).
///
/// A checkout pings a connection (`SELECT 1`) only when it has been idle longer than
/// [`TRUSTED_AFTER_SUCCESS`], is new, or its last work failed (the server may have gone, or the
/// link): a connection in steady use is not asked again before every request, which on
/// PostgreSQL saves a round trip per request. The same bypass window connection pools such as
/// HikariCP keep.
pub struct PoolEntry {
    conn: DbConnection,
    trusted_until: Option<std::time::Instant>,
}

impl PoolEntry {
    /// Whether a checkout at `now` must ping the connection first.
    fn needs_ping(&self, now: std::time::Instant) -> bool {
        self.trusted_until.is_none_or(|until| now >= until)
    }

    /// Records how the work on the connection ended (see [`run`]).
    fn worked(&mut self, succeeded: bool, now: std::time::Instant) {
        self.trusted_until = succeeded.then(|| now + TRUSTED_AFTER_SUCCESS);
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = PoolEntry;
    type Error = PoolConnectError;

    fn connect(&self) -> Result<PoolEntry, PoolConnectError> {
        establish(&self.url).map(|conn| PoolEntry { conn, trusted_until: None })
    }

    fn is_valid(&self, pooled: &mut PoolEntry) -> Result<(), PoolConnectError> {
        if !pooled.needs_ping(std::time::Instant::now()) {
            return Ok(());
        }
        pooled.conn.batch_execute("SELECT 1").map_err(PoolConnectError::QueryError)
    }

    /// A connection left inside a transaction, or whose transaction diesel no longer trusts
    /// (a rollback failed), would fail every later request that got it: the pool drops it.
    fn has_broken(&self, pooled: &mut PoolEntry) -> bool {
        !matches!(transaction_status(&mut pooled.conn).transaction_depth(), Ok(None))
    }
}

/// What diesel knows of the connection's transaction: its depth, or that it is not trusted.
pub(crate) fn transaction_status(conn: &mut DbConnection) -> &mut TransactionManagerStatus {
    match conn {
        DbConnection::Postgres(pg) => AnsiTransactionManager::transaction_manager_status_mut(pg),
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::transaction_manager_status_mut(sqlite),
    }
}

/// The connection pool, the clock the work run on its connections reads (see [`now`]), and
/// how long a request's database work may take before it is answered 503.
#[derive(Clone)]
pub struct DbPool {
    connections: r2d2::Pool<ConnectionManager>,
    clock: Clock,
    timeout: Duration,
    /// SQLite only: the one writer every [`write`] goes through.
    writer: Option<std::sync::Arc<writer::Writer>>,
    /// PostgreSQL: the writes queued per key for [`write_grouped`].
    groups: std::sync::Arc<groups::Groups>,
}

impl DbPool {
    fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, r2d2::Error> {
        self.connections.get()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Whether every write goes through one writer thread (SQLite), whose time is the
    /// scarce one: work that may run beside it, on a reader connection, had better.
    pub fn has_single_writer(&self) -> bool {
        self.writer.is_some()
    }

    /// Connections open and idle (for metrics).
    pub fn state(&self) -> r2d2::State {
        self.connections.state()
    }
}

/// Builds the pool without connecting: the service starts (and `/readyz` reports 503) even
/// while the database is still coming up. `timeout` bounds a checkout and a request's whole
/// database work; on PostgreSQL every connection also gets a connect timeout, TCP keepalives
/// and `statement_timeout` (see [`guarded_url`]).
pub fn pool(
    url: &str,
    max_size: u32,
    timeout: Duration,
    statement_timeout: Duration,
    clock: Clock,
) -> DbPool {
    let backend = Backend::of_url(url);
    let url = match backend {
        Backend::Postgres => guarded_url(url, timeout, statement_timeout),
        Backend::Sqlite => url.to_string(),
    };
    let writer =
        (backend == Backend::Sqlite).then(|| std::sync::Arc::new(writer::Writer::start(&url, clock.clone())));
    let connections = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(true)
        .build_unchecked(ConnectionManager::new(url));
    DbPool { connections, clock, timeout, writer, groups: Default::default() }
}

/// A PostgreSQL URL with libpq's guards against a link that stalls: a connect timeout (whole
/// seconds, at least 2, libpq's minimum), TCP keepalives that notice a dead peer within
/// seconds, and a server-side `statement_timeout`. Parameters the URL already sets are kept.
pub fn guarded_url(url: &str, timeout: Duration, statement_timeout: Duration) -> String {
    let connect_secs = timeout.as_secs().max(2);
    let guards = [
        ("connect_timeout", connect_secs.to_string()),
        ("keepalives", "1".to_string()),
        ("keepalives_idle", "5".to_string()),
        ("keepalives_interval", "2".to_string()),
        ("keepalives_count", "3".to_string()),
        ("options", format!("-c%20statement_timeout%3D{}", statement_timeout.as_millis())),
    ];
    let mut guarded = url.to_string();
    for (name, value) in guards {
        if !url.contains(&format!("{name}=")) {
            guarded.push(if guarded.contains('?') { '&' } else { '?' });
            guarded.push_str(&format!("{name}={value}"));
        }
    }
    guarded
}

thread_local! {
    /// The clock of the pool whose work runs on this thread (set by [`run`] for its duration).
    static CLOCK: RefCell<Option<Clock>> = const { RefCell::new(None) };
}

/// Puts a pool's clock on the current thread until dropped.
struct ClockScope {
    previous: Option<Clock>,
}

impl ClockScope {
    fn enter(clock: Clock) -> ClockScope {
        ClockScope { previous: CLOCK.with(|current| current.replace(Some(clock))) }
    }
}

impl Drop for ClockScope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CLOCK.with(|current| current.replace(previous));
    }
}

fn current_clock() -> Clock {
    CLOCK.with(|current| current.borrow().clone()).unwrap_or_default()
}

/// Runs pending migrations; on PostgreSQL under an advisory lock so that replicas starting
/// together apply them once. Returns the versions applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    match conn {
        DbConnection::Postgres(pg) => {
            // Migrations may wait for another replica's and build indexes: no statement timeout.
            pg.batch_execute("SET statement_timeout = 0").map_err(|e| e.to_string())?;
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .map_err(|e| e.to_string())?;
            let applied = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.iter().map(ToString::to_string).collect())
                .map_err(|e| e.to_string());
            let unlocked = pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
            let applied = applied?;
            unlocked.map_err(|e| e.to_string())?;
            Ok(applied)
        }
        DbConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| e.to_string()),
    }
}

/// Reverts every migration (used by the migrations test and by operators rolling back).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<(), String> {
    match conn {
        DbConnection::Postgres(pg) => pg.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        DbConnection::Sqlite(sqlite) => sqlite.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    }
    .map_err(|e| e.to_string())
}

/// Runs `work` with a pooled connection on the blocking thread pool.
pub async fn run<T, E, F>(pool: &DbPool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let pool = pool.clone();
    let timeout = pool.timeout;
    let work = web::block(move || {
        let _clock = ClockScope::enter(pool.clock.clone());
        let mut pooled = pool.get().map_err(DbError::from)?;
        let outcome = work(&mut pooled.conn);
        pooled.worked(outcome.is_ok(), std::time::Instant::now());
        outcome
    });
    // A stalled link never errors: the request is answered 503 when the time is up (the work
    // may still finish, and a write commit, once the link moves again).
    match tokio::time::timeout(timeout, work).await {
        Ok(done) => done.map_err(|e| E::from(DbError::Blocking(e.to_string())))?,
        Err(_) => Err(E::from(DbError::TimedOut(timeout))),
    }
}

/// Runs `work` in one write transaction: all of it or none of it.
///
/// On PostgreSQL on the blocking thread pool, with a pooled connection, side by side with
/// other writers. On SQLite, which lets one transaction write at a time, on the pool's one
/// writer (see [`writer`]), possibly in a transaction shared with other writes that queued
/// meanwhile, each in its own savepoint: `work`'s failure undoes `work` alone. The writer is
/// no state another replica would need: replicas share PostgreSQL.
pub async fn write<T, E, F>(pool: &DbPool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    match &pool.writer {
        Some(writer) => writer.write(work, pool.timeout).await,
        None => run(pool, move |conn| write_transaction(conn, work)).await,
    }
}

/// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, taking the write lock up
/// front: a deferred transaction that reads and then writes can fail at once with "database
/// is locked" when another writer got in between, whatever the busy timeout.
pub fn write_transaction<T, E: From<DbError>>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    match conn {
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction(pg),
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
    }
    .map_err(DbError::from)?;
    finish(conn, work)
}

/// Runs `work` inside the current transaction as a savepoint: its writes are kept if it
/// succeeds and undone if it fails, while the transaction goes on (one row of a batch).
pub fn savepoint<T, E: From<DbError>>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    match conn {
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction(pg),
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::begin_transaction(sqlite),
    }
    .map_err(DbError::from)?;
    finish(conn, work)
}

/// Runs `work` in the transaction (or savepoint) just begun, then commits it, or rolls it back
/// when `work` fails.
fn finish<T, E: From<DbError>>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    let outcome = work(conn);
    let ended = match (&outcome, conn) {
        (Ok(_), DbConnection::Postgres(pg)) => AnsiTransactionManager::commit_transaction(pg),
        (Ok(_), DbConnection::Sqlite(sqlite)) => AnsiTransactionManager::commit_transaction(sqlite),
        (Err(_), DbConnection::Postgres(pg)) => AnsiTransactionManager::rollback_transaction(pg),
        (Err(_), DbConnection::Sqlite(sqlite)) => AnsiTransactionManager::rollback_transaction(sqlite),
    };
    match outcome {
        // A failed commit means nothing was written: report it, not the value.
        Ok(value) => ended.map(|()| value).map_err(|e| E::from(DbError::from(e))),
        // The work's own error says why; a failed rollback (the connection is gone) is logged.
        Err(error) => {
            if let Err(rollback) = ended {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

/// Locks a row until the transaction ends, so that writers of the same object take turns
/// across API processes: `lock` runs `SELECT id ... FOR UPDATE` on PostgreSQL. SQLite's single
/// writer already serializes them. The statement is the caller's typed query, which diesel
/// prepares once per connection (SQL text built at run time would be parsed on every call).
pub fn lock_row(
    conn: &mut DbConnection,
    lock: impl FnOnce(&mut PgConnection) -> diesel::QueryResult<usize>,
) -> Result<(), DbError> {
    if let DbConnection::Postgres(pg) = conn {
        lock(pg)?;
    }
    Ok(())
}

/// Takes a transaction-scoped lock on `key` (any text: an email, a client's external id), so
/// that writers of the same not-yet-existing thing take turns across API processes
/// (PostgreSQL's advisory locks). SQLite's single writer already serializes them.
pub fn lock_key(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    use diesel::RunQueryDsl;
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(pg)?;
    }
    Ok(())
}

/// The current time as stored (naive UTC, microseconds), from the clock of the pool whose
/// work is running ([`run`], [`write`]); the system clock elsewhere.
pub fn now() -> chrono::NaiveDateTime {
    current_clock().now_naive()
}

/// The current time, from the same clock as [`now`].
pub fn now_utc() -> chrono::DateTime<chrono::Utc> {
    to_utc(now())
}

/// A stored naive UTC time as an API time (serialized RFC 3339 with `Z`).
pub fn to_utc(time: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(time, chrono::Utc)
}

/// Checks that the database answers (for `/readyz`).
pub async fn ping(pool: &DbPool) -> Result<(), DbError> {
    // Readiness answers within a second, whatever the work timeout.
    let mut quick = pool.clone();
    quick.timeout = quick.timeout.min(Duration::from_secs(1));
    run(&quick, |conn| conn.batch_execute("SELECT 1").map_err(DbError::from)).await
}

#[cfg(test)]
mod guard_tests {
    use super::*;

    #[test]
    fn postgres_urls_get_libpq_guards_without_losing_their_own() {
        let five = Duration::from_secs(5);
        let url = guarded_url("postgres://ce@db:5432/ce", five, Duration::from_millis(3000));
        assert!(url.starts_with("postgres://ce@db:5432/ce?connect_timeout=5&keepalives=1"), "{url}");
        assert!(url.ends_with("options=-c%20statement_timeout%3D3000"), "{url}");
        let own = guarded_url(
            "postgres://ce@db/ce?sslmode=require&connect_timeout=9",
            Duration::from_millis(500),
            five,
        );
        assert!(own.contains("sslmode=require&connect_timeout=9&keepalives=1"), "{own}");
        assert_eq!(own.matches("connect_timeout").count(), 1);
        assert!(guarded_url("postgres://x/y", Duration::from_millis(100), five).contains("connect_timeout=2"));
    }
}

#[cfg(test)]
mod checkout_tests {
    use super::*;

    fn sqlite() -> PoolEntry {
        PoolEntry { conn: establish(":memory:").expect("in-memory SQLite"), trusted_until: None }
    }

    #[test]
    #[allow(unsafe_code)]
    fn sqlite_keeps_neither_per_call_locks_nor_memory_statistics() {
        let mut pooled = sqlite();
        pooled.conn.batch_execute("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('allocates')").unwrap();
        assert!(configure_sqlite(), "SQLite took its settings before its first connection");
        // SAFETY: reads a counter; takes no arguments.
        let counted = unsafe { libsqlite3_sys::sqlite3_memory_used() };
        assert_eq!(counted, 0, "with memory statistics on, SQLite counts what it allocated");
    }

    #[test]
    fn only_a_connection_that_just_worked_skips_the_ping() {
        let start = std::time::Instant::now();
        let mut pooled = sqlite();
        assert!(pooled.needs_ping(start), "a new connection is pinged");
        pooled.worked(true, start);
        assert!(!pooled.needs_ping(start + Duration::from_millis(999)));
        assert!(pooled.needs_ping(start + TRUSTED_AFTER_SUCCESS), "idle for the window: pinged");
        pooled.worked(false, start);
        assert!(pooled.needs_ping(start), "its last work failed: pinged");
    }

    #[test]
    fn a_connection_left_in_a_transaction_or_broken_is_not_pooled_again() {
        use r2d2::ManageConnection;
        let manager = ConnectionManager::new(":memory:");
        let mut pooled = sqlite();
        assert!(!manager.has_broken(&mut pooled), "idle outside a transaction: kept");
        let DbConnection::Sqlite(conn) = &mut pooled.conn else { unreachable!() };
        AnsiTransactionManager::begin_transaction(conn).unwrap();
        assert!(manager.has_broken(&mut pooled), "left inside a transaction: dropped");
        let DbConnection::Sqlite(conn) = &mut pooled.conn else { unreachable!() };
        AnsiTransactionManager::rollback_transaction(conn).unwrap();
        assert!(!manager.has_broken(&mut pooled));
        transaction_status(&mut pooled.conn).set_in_error();
        assert!(manager.has_broken(&mut pooled), "a transaction diesel no longer trusts: dropped");
    }
}
