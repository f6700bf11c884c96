//! SQLite's one writer: the write work of every request runs on one thread with one connection,
//! and what queued while a transaction ran is written together in the next one.
//!
//! SQLite lets one transaction write at a time. When each request wrote on its own pooled
//! connection (taking turns on a mutex), every turn began with a page cache that the previous
//! writer had made stale, so each statement read its pages again, and waking the next of up to
//! a pool's worth of waiting threads cost a context switch per write. Here the connection that
//! writes is the only one that does, so its page cache stays good between writes; and the
//! writes that queued while one transaction ran share the next: one `BEGIN IMMEDIATE`, each
//! write in a savepoint of its own (a failing one is undone alone), one commit. Every caller
//! hears its outcome only after that commit, or its failure: nobody is told "done" before the
//! write is in the WAL. PostgreSQL's writers work side by side and do not come here; a group's
//! parts (a job, its answer, one transaction for the group) also serve PostgreSQL's writes
//! grouped by lock key (`db::groups`).
//!
//! Every [`WRITES_PER_CHECKPOINT`] writes, a checkpointer thread with a connection of its own
//! copies the WAL into the database file (`PASSIVE`: it waits for nobody), so no write waits
//! for that copy and its sync.

use std::{
    panic::AssertUnwindSafe,
    sync::mpsc,
    time::{Duration, Instant},
};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};

use super::{establish, ClockScope, DbConnection, DbError};
use crate::clock::Clock;

/// The most writes one transaction takes from the queue (more wait for the next).
const MAX_GROUP: usize = 64;

/// How many writes go by between checkpoints (a write adds about ten pages to the WAL, so this
/// keeps it near SQLite's default of 1,000 pages; the connection's own `wal_autocheckpoint`
/// is only a backstop).
pub(super) const WRITES_PER_CHECKPOINT: u64 = 100;

/// One caller's write, as a group's writer handles it.
pub(super) trait Job: Send {
    /// Runs the work in the group's transaction, unless its caller gave up: after a savepoint
    /// of its own, named `savepoint` ([`in_own_savepoint`]), or, alone in its group (`None`), in
    /// the transaction itself (which is then rolled back if it fails: a savepoint would cost
    /// PostgreSQL a round trip for nothing). True when it succeeded.
    fn run(&mut self, conn: &mut DbConnection, savepoint: Option<&str>) -> bool;
    /// Tells the caller the outcome: the work's own, or the commit's failure.
    fn answer(self: Box<Self>, committed: Result<(), &str>);
}

struct Pending<T, E, F> {
    work: Option<F>,
    outcome: Option<Result<T, E>>,
    deadline: Instant,
    timeout: Duration,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for Pending<T, E, F>
where
    T: Send,
    E: From<DbError> + Send,
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send,
{
    fn run(&mut self, conn: &mut DbConnection, savepoint: Option<&str>) -> bool {
        let Some(work) = self.work.take() else { return false };
        // A request answered 503 while it waited in line must not write afterwards.
        if Instant::now() >= self.deadline || self.reply.is_closed() {
            self.outcome = Some(Err(E::from(DbError::TimedOut(self.timeout))));
            return false;
        }
        // A panicking write is undone alone; the others in its group go on.
        let guarded = |conn: &mut DbConnection| {
            std::panic::catch_unwind(AssertUnwindSafe(|| work(conn)))
                .unwrap_or_else(|_| Err(E::from(DbError::Blocking("the write panicked".into()))))
        };
        let outcome = match savepoint {
            None => guarded(conn),
            Some(name) => in_own_savepoint(conn, name, guarded),
        };
        let succeeded = outcome.is_ok();
        self.outcome = Some(outcome);
        succeeded
    }

    fn answer(self: Box<Self>, committed: Result<(), &str>) {
        let outcome = match (self.outcome, committed) {
            (Some(Err(error)), _) => Err(error),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Ok(_)), Err(failure)) | (None, Err(failure)) => {
                Err(E::from(DbError::NotWritten(failure.into())))
            }
            (None, Ok(())) => Err(E::from(DbError::Blocking("the write did not run".into()))),
        };
        // The caller may have stopped waiting (it was answered 503).
        self.reply.send(outcome).ok();
    }
}

/// The queue to the writer thread (which ends when the last pool clone holding it is dropped).
pub(super) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer and checkpointer threads for the SQLite database at `url`. They open
    /// their connections at the first write, so a pool still starts without its database.
    pub(super) fn start(url: &str, clock: Clock) -> Writer {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let (checkpoint_due, checkpoints) = mpsc::sync_channel::<()>(1);
        let checkpointer_url = url.to_string();
        // Named, so that `top -H`, `perf` and panics say which thread is which.
        let checkpointer = std::thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || checkpoint_when_due(&checkpointer_url, checkpoints));
        if let Err(error) = checkpointer {
            tracing::error!(%error, "no SQLite checkpointer thread: only the WAL's backstop checkpoints");
        }
        let url = url.to_string();
        let writer = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_queued(&url, clock, queue, checkpoint_due));
        if let Err(error) = writer {
            // Its queue went with it: every write fails, saying the writer has stopped (500).
            tracing::error!(%error, "no SQLite writer thread");
        }
        Writer { jobs }
    }

    /// Queues `work` and waits for its outcome, at most `timeout` (then 503; work not yet
    /// started by then never runs).
    pub(super) async fn write<T, E, F>(&self, work: F, timeout: Duration) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (job, answer) = job(work, timeout);
        if self.jobs.send(job).is_err() {
            return Err(E::from(DbError::Blocking("the SQLite writer has stopped".into())));
        }
        answered(answer, timeout).await
    }
}

/// `work` as a job for a group, and where its outcome will arrive.
pub(super) fn job<T, E, F>(work: F, timeout: Duration) -> (Box<dyn Job>, Answer<T, E>)
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let (reply, answer) = tokio::sync::oneshot::channel();
    let deadline = Instant::now() + timeout;
    (Box::new(Pending { work: Some(work), outcome: None, deadline, timeout, reply }), answer)
}

/// Where a job's outcome arrives.
pub(super) type Answer<T, E> = tokio::sync::oneshot::Receiver<Result<T, E>>;

/// Waits for a job's outcome, at most `timeout` (then 503).
pub(super) async fn answered<T, E: From<DbError>>(answer: Answer<T, E>, timeout: Duration) -> Result<T, E> {
    match tokio::time::timeout(timeout, answer).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Err(E::from(DbError::Blocking("a grouped write was dropped unanswered".into()))),
        Err(_) => Err(E::from(DbError::TimedOut(timeout))),
    }
}

/// The writer's connection: a pool connection's settings, and its savepoints' journals in
/// memory. Each write of a group runs in a savepoint, and SQLite keeps the pages a savepoint
/// changes, as they were before, in a journal of its own to roll it back alone; this build's
/// default puts that journal in a temporary file, so every page an enrollment touched cost a
/// `pwrite` on the one writer's thread (a seventh of its time, profiled). In memory it holds
/// at most a group's pages (a few MB at `MAX_GROUP` writes), and it is gone at each commit.
fn establish_writer(url: &str) -> Result<DbConnection, super::PoolConnectError> {
    let mut conn = establish(url)?;
    conn.batch_execute("PRAGMA temp_store = MEMORY").map_err(super::PoolConnectError::QueryError)?;
    Ok(conn)
}

/// The writer thread: takes what is queued (up to [`MAX_GROUP`]), writes it in one
/// transaction, answers every caller, and asks for a checkpoint every
/// [`WRITES_PER_CHECKPOINT`] writes.
fn write_queued(
    url: &str,
    clock: Clock,
    queue: mpsc::Receiver<Box<dyn Job>>,
    checkpoint_due: mpsc::SyncSender<()>,
) {
    let _clock = ClockScope::enter(clock);
    let mut connection: Option<DbConnection> = None;
    let mut writes: u64 = 0;
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        group.extend(queue.try_iter().take(MAX_GROUP - 1));
        let committed = match connection.take().map_or_else(|| establish_writer(url), Ok) {
            Ok(mut conn) => {
                let committed = write_group(&mut conn, &mut group);
                // A connection whose transaction could not end is not trusted again.
                if committed.is_ok() {
                    connection = Some(conn);
                }
                committed
            }
            Err(error) => Err(error.to_string()),
        };
        let written = group.len() as u64;
        answer_all(group, &committed);
        if (writes % WRITES_PER_CHECKPOINT) + written >= WRITES_PER_CHECKPOINT {
            // A checkpoint already asked for and not yet started covers this one too.
            checkpoint_due.try_send(()).ok();
        }
        writes += written;
    }
}

/// One transaction for the group: each write after its savepoint (a lone write needs none),
/// then one commit.
pub(super) fn write_group(conn: &mut DbConnection, group: &mut [Box<dyn Job>]) -> Result<(), String> {
    match conn {
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction(pg),
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
    }
    .map_err(|e| e.to_string())?;
    let alone = group.len() == 1;
    let mut succeeded = false;
    for (place, job) in group.iter_mut().enumerate() {
        let savepoint = (!alone).then(|| format!("group_write_{place}"));
        succeeded |= job.run(conn, savepoint.as_deref());
    }
    // Nothing to keep (a lone write failed, or every write did): their errors answer.
    let ended = match (succeeded, conn) {
        (true, DbConnection::Postgres(pg)) => AnsiTransactionManager::commit_transaction(pg),
        (true, DbConnection::Sqlite(sqlite)) => AnsiTransactionManager::commit_transaction(sqlite),
        (false, DbConnection::Postgres(pg)) => AnsiTransactionManager::rollback_transaction(pg),
        (false, DbConnection::Sqlite(sqlite)) => AnsiTransactionManager::rollback_transaction(sqlite),
    };
    ended.map_err(|e| e.to_string())
}

/// Runs one write of a group after a savepoint of its own (`name`, its place in the group), and
/// rolls back to it if the write fails: that write alone is undone, the group's transaction goes
/// on.
///
/// On PostgreSQL a write that succeeds leaves its savepoint in place instead of releasing it:
/// the next write's savepoint nests inside it and the commit ends them all. That is a round
/// trip fewer per write, where writes queued on one lock are written one after another by one
/// leader (`db::groups`). Each savepoint has a name of its own, so a rollback reaches its own
/// write's savepoint or fails, never an earlier write's. SQLite has no round trips and
/// releases it: while any savepoint is open it keeps the pages' earlier contents in a
/// statement journal, which spills to a file as it grows (nested through a group of 64, the
/// SQLite writer ran a third slower). The savepoints are plain statements beneath diesel's
/// transaction depth; work that opens savepoints of its own (`db::savepoint`) nests them inside.
fn in_own_savepoint<T, E: From<DbError>>(
    conn: &mut DbConnection,
    name: &str,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    conn.batch_execute(&format!("SAVEPOINT {name}")).map_err(|e| E::from(DbError::from(e)))?;
    let outcome = work(conn);
    let ended = match (&outcome, &mut *conn) {
        (Err(_), conn) => conn.batch_execute(&format!("ROLLBACK TO SAVEPOINT {name}")),
        (Ok(_), DbConnection::Sqlite(sqlite)) => sqlite.batch_execute(&format!("RELEASE SAVEPOINT {name}")),
        (Ok(_), DbConnection::Postgres(_)) => Ok(()),
    };
    if let Err(error) = ended {
        // The write may be neither undone nor kept as it should: nothing of the group may be
        // committed.
        tracing::warn!(%error, "ending a write's savepoint in a group failed");
        mark_transaction_broken(conn);
    }
    outcome
}

/// Marks the connection's transaction as one that must not commit: diesel then refuses the
/// commit (every write of the group hears that nothing was written), and the connection is not
/// used again (the SQLite writer opens another after a failed commit; PostgreSQL's leader takes
/// another, and the pool drops this one: [`super::ConnectionManager`]'s `has_broken`).
fn mark_transaction_broken(conn: &mut DbConnection) {
    super::transaction_status(conn).set_in_error();
}

/// Tells each job of a group how its transaction ended.
pub(super) fn answer_all(group: Vec<Box<dyn Job>>, committed: &Result<(), String>) {
    for job in group {
        job.answer(committed.as_ref().map(|_| ()).map_err(String::as_str));
    }
}

/// The checkpointer thread: one `PASSIVE` checkpoint each time one is due (see the module
/// notes). A failure leaves the pages for the next one.
fn checkpoint_when_due(url: &str, due: mpsc::Receiver<()>) {
    let mut connection: Option<DbConnection> = None;
    while due.recv().is_ok() {
        let checkpointed = connection
            .take()
            .map_or_else(|| establish(url).map_err(|e| e.to_string()), Ok)
            .and_then(|mut conn| match conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                Ok(()) => Ok(conn),
                Err(error) => Err(error.to_string()),
            });
        match checkpointed {
            Ok(conn) => connection = Some(conn),
            Err(error) => tracing::warn!(%error, "WAL checkpoint failed; the next one retries"),
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::{sqlite::SqliteConnection, Connection, RunQueryDsl};

    use super::*;
    use crate::db::pool;

    struct Scratch {
        path: std::path::PathBuf,
    }

    impl Scratch {
        fn new() -> Scratch {
            let path = std::env::temp_dir().join(format!("ce-writer-{}.db", uuid::Uuid::now_v7().simple()));
            Scratch { path }
        }

        fn url(&self) -> String {
            self.path.display().to_string()
        }

        /// A pool of two on this file, with its writer, waiting and working up to ten seconds.
        fn pool(&self) -> crate::db::DbPool {
            pool(&self.url(), 2, Duration::from_secs(10), Duration::from_secs(10), Clock::default())
        }

        /// Rows of `writes` as a copy of the database file alone (without its WAL) holds them:
        /// what checkpoints have copied.
        fn rows_in_the_file_alone(&self) -> i64 {
            let copy = self.path.with_extension("copy");
            std::fs::copy(&self.path, &copy).expect("copy");
            let count = SqliteConnection::establish(&copy.display().to_string()).ok().and_then(|mut conn| {
                diesel::sql_query("SELECT count(*) AS n FROM writes").get_result::<Count>(&mut conn).ok()
            });
            std::fs::remove_file(&copy).ok();
            count.map_or(0, |c| c.n)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{}{suffix}", self.url())).ok();
            }
        }
    }

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    async fn count(pool: &crate::db::DbPool, sql: &'static str) -> i64 {
        crate::db::run(pool, move |conn| {
            diesel::sql_query(sql).get_result::<Count>(conn).map_err(DbError::from)
        })
        .await
        .expect("count")
        .n
    }

    fn insert(conn: &mut DbConnection, n: i64) -> Result<(), DbError> {
        Ok(conn.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS writes (n INTEGER); INSERT INTO writes VALUES ({n})"
        ))?)
    }

    #[derive(diesel::QueryableByName)]
    struct TempStore {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        temp_store: i32,
    }

    /// The writer's connection keeps its savepoints' journals in memory, not in a file
    /// written for every page a write changes.
    #[actix_web::test]
    async fn the_writer_keeps_its_savepoint_journals_in_memory() {
        let scratch = Scratch::new();
        let pool = scratch.pool();
        let setting = crate::db::write(&pool, |conn| {
            diesel::sql_query("PRAGMA temp_store").get_result::<TempStore>(conn).map_err(DbError::from)
        })
        .await
        .expect("the writer's temp_store");
        assert_eq!(setting.temp_store, 2, "MEMORY is 2; the build's default (file) is 0");
    }

    /// Writes queued behind a slow one share its next transaction; the ones that fail after
    /// inserting are undone alone: by an error of their own, a panic, a statement SQLite
    /// refused, or with a savepoint of their own inside.
    #[actix_web::test]
    async fn a_failing_write_is_undone_alone_and_the_rest_of_its_group_commits() {
        let scratch = Scratch::new();
        let pool = scratch.pool();
        let slow = crate::db::write(&pool, |conn| {
            insert(conn, 0)?;
            std::thread::sleep(Duration::from_millis(200));
            Ok::<_, DbError>(())
        });
        let queued = (1..=20).map(|n| {
            let pool = pool.clone();
            async move {
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                crate::db::write(&pool, move |conn| {
                    match n {
                        11 => crate::db::savepoint(conn, |conn| insert(conn, n))?,
                        _ => insert(conn, n)?,
                    }
                    match n {
                        7 | 11 => Err(DbError::Corrupt("refused".into())),
                        13 => panic!("a bug in one write"),
                        17 => {
                            conn.batch_execute("SELECT no_such_column FROM writes")?;
                            Ok(n)
                        }
                        _ => Ok(n),
                    }
                })
                .await
            }
        });
        let (slow, queued) = futures_util::future::join(slow, futures_util::future::join_all(queued)).await;
        slow.expect("the slow write");
        let failed: Vec<usize> =
            queued.iter().enumerate().filter(|(_, q)| q.is_err()).map(|(i, _)| i + 1).collect();
        assert_eq!(failed, [7, 11, 13, 17]);
        let kept = count(&pool, "SELECT count(*) AS n FROM writes WHERE n NOT IN (7, 11, 13, 17)").await;
        let undone = count(&pool, "SELECT count(*) AS n FROM writes WHERE n IN (7, 11, 13, 17)").await;
        assert_eq!((kept, undone), (17, 0));
    }

    /// A failed write whose savepoint is gone cannot be undone alone: nothing of its group is
    /// committed, every write of it hears so, and the connection is not trusted again.
    #[test]
    fn a_group_whose_failed_write_cannot_be_undone_commits_nothing() {
        let scratch = Scratch::new();
        let mut conn = establish(&scratch.url()).expect("SQLite");
        insert(&mut conn, 0).expect("the table");
        let write = |n: i64, release_first: bool| {
            job(
                move |conn: &mut DbConnection| {
                    if release_first {
                        // Work that ends its group's savepoint itself (a bug): no rollback can
                        // reach back to before its insert.
                        conn.batch_execute("RELEASE SAVEPOINT group_write_1")?;
                    }
                    insert(conn, n)?;
                    if release_first {
                        return Err(DbError::Corrupt("refused".into()));
                    }
                    Ok(n)
                },
                Duration::from_secs(10),
            )
        };
        let (first, first_answer) = write(1, false);
        let (broken, broken_answer) = write(2, true);
        let (last, last_answer) = write(3, false);
        let mut group = vec![first, broken, last];
        let committed = write_group(&mut conn, &mut group);
        assert!(committed.is_err(), "the group was committed: {committed:?}");
        answer_all(group, &committed);
        for mut answer in [first_answer, last_answer] {
            assert!(matches!(answer.try_recv(), Ok(Err(DbError::NotWritten(_)))));
        }
        let mut broken_answer = broken_answer;
        assert!(matches!(broken_answer.try_recv(), Ok(Err(DbError::Corrupt(_)))));
        let mut reader = establish(&scratch.url()).expect("SQLite");
        let rows = diesel::sql_query("SELECT count(*) AS n FROM writes").get_result::<Count>(&mut reader);
        assert_eq!(rows.expect("count").n, 1, "only the row written before the group");
    }

    /// A write alone in its transaction needs no savepoint: when it fails, the transaction is
    /// rolled back.
    #[actix_web::test]
    async fn a_lone_failing_write_leaves_nothing() {
        let scratch = Scratch::new();
        let pool = scratch.pool();
        crate::db::write(&pool, |conn| insert(conn, 1)).await.expect("write");
        let failed = crate::db::write(&pool, |conn| {
            insert(conn, 2)?;
            Err::<(), _>(DbError::Corrupt("refused".into()))
        })
        .await;
        assert!(failed.is_err());
        assert_eq!(count(&pool, "SELECT count(*) AS n FROM writes").await, 1);
    }

    /// A writer that cannot open its database answers "not written" (503), and writes again
    /// once it can.
    #[actix_web::test]
    async fn a_database_the_writer_cannot_open_answers_not_written() {
        let dir = std::env::temp_dir().join(format!("ce-writer-dir-{}", uuid::Uuid::now_v7().simple()));
        let url = dir.join("ce.db").display().to_string();
        let pool = pool(&url, 2, Duration::from_secs(10), Duration::from_secs(10), Clock::default());
        let refused = crate::db::write(&pool, |conn| insert(conn, 1)).await;
        assert!(matches!(refused, Err(DbError::NotWritten(_))), "{refused:?}");
        std::fs::create_dir(&dir).expect("the directory");
        crate::db::write(&pool, |conn| insert(conn, 2)).await.expect("written once the file can be made");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[actix_web::test]
    async fn writes_reach_the_database_file_every_hundred_writes() {
        let scratch = Scratch::new();
        let pool = scratch.pool();
        for n in 1..WRITES_PER_CHECKPOINT as i64 {
            crate::db::write(&pool, move |conn| insert(conn, n)).await.expect("write");
        }
        // Ninety-nine small rows are far below the WAL's page backstop: none reached the file.
        assert_eq!(scratch.rows_in_the_file_alone(), 0);
        crate::db::write(&pool, |conn| insert(conn, 100)).await.expect("write");
        // The checkpointer copies them beside the writer, soon after.
        let deadline = Instant::now() + Duration::from_secs(10);
        while scratch.rows_in_the_file_alone() < 100 {
            assert!(Instant::now() < deadline, "no checkpoint after the hundredth write");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
