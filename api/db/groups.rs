//! PostgreSQL writes that would queue on one row lock, written together.
//!
//! Enrollments in one activity all lock its row, and a row lock is held until the commit is
//! durable: one after another, each waits for the previous one's WAL flush, a few
//! milliseconds, whatever else it does. Here the writes of one key (an activity) that arrive
//! while one of this replica's transactions for that key runs wait in a queue, and the first
//! writer (the leader) writes them all in its next transaction: each in a savepoint of its own
//! (a failing one is undone alone), one lock wait, one commit and one flush for the group.
//! Every caller is answered after that commit. Writes of other keys are not held up; another
//! replica's leader for the same key takes the row lock in turn, as a single writer would.
//! The queues hold only requests in flight: nothing another replica would need.

use std::{collections::HashMap, sync::Mutex};

use super::{
    writer::{answer_all, answered, job, write_group, Job},
    ClockScope, DbConnection, DbError, DbPool,
};

/// The most writes one transaction takes from a key's queue (more wait for the next).
const MAX_GROUP: usize = 64;

/// Each key's waiting writes; a key is present while a leader writes for it.
#[derive(Default)]
pub(super) struct Groups {
    queues: Mutex<HashMap<String, Vec<Box<dyn Job>>>>,
}

impl Groups {
    /// Queues a job; true when no leader is writing for the key, so the caller leads.
    fn enqueue(&self, key: &str, job: Box<dyn Job>) -> bool {
        let mut queues = self.queues.lock().unwrap_or_else(|held| held.into_inner());
        match queues.get_mut(key) {
            Some(queue) => {
                queue.push(job);
                false
            }
            None => {
                queues.insert(key.to_string(), vec![job]);
                true
            }
        }
    }

    /// Answers every write waiting on `key` with `failure` and releases the key (its leader
    /// cannot write them).
    fn fail_waiting(&self, key: &str, failure: &str) {
        let failure = Err(failure.to_string());
        loop {
            let group = self.next_group(key);
            if group.is_empty() {
                return;
            }
            answer_all(group, &failure);
        }
    }

    /// The next group for the leader of `key`; empty (and the key released) when none waits.
    fn next_group(&self, key: &str) -> Vec<Box<dyn Job>> {
        let mut queues = self.queues.lock().unwrap_or_else(|held| held.into_inner());
        let Some(queue) = queues.get_mut(key) else { return Vec::new() };
        if queue.is_empty() {
            queues.remove(key);
            return Vec::new();
        }
        let take = queue.len().min(MAX_GROUP);
        queue.drain(..take).collect()
    }
}

/// Runs `work` in a transaction with the other writes of `key` queued on this replica (see
/// the module notes); on SQLite, on its one writer, which groups every write already.
pub async fn write_grouped<T, E, F>(pool: &DbPool, key: &str, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    if pool.writer.is_some() {
        return super::write(pool, work).await;
    }
    let (job, answer) = job(work, pool.timeout);
    if pool.groups.enqueue(key, job) {
        let (pool, key) = (pool.clone(), key.to_string());
        // The leader writes on a blocking thread until the key's queue is empty; its own
        // request is answered with the first group.
        actix_web::rt::task::spawn_blocking(move || lead(&pool, &key));
    }
    answered(answer, pool.timeout).await
}

/// Answers the key's waiting writes if its leader stops by panicking, so that they fail at once
/// and the next write leads, instead of waiting for a leader that is gone.
struct Abandoned<'a> {
    pool: &'a DbPool,
    key: &'a str,
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        // A leader that returned has released the key itself (and a new one may hold it now).
        if !std::thread::panicking() {
            return;
        }
        self.pool.groups.fail_waiting(self.key, "the group's writer stopped");
    }
}

/// Writes the key's queued groups until none waits, each in one transaction.
fn lead(pool: &DbPool, key: &str) {
    let _clock = ClockScope::enter(pool.clock.clone());
    let _abandoned = Abandoned { pool, key };
    let Some(mut pooled) = checkout(pool, key) else { return };
    loop {
        let mut group = pool.groups.next_group(key);
        if group.is_empty() {
            return;
        }
        let committed = write_group(&mut pooled.conn, &mut group);
        pooled.worked(committed.is_ok(), std::time::Instant::now());
        answer_all(group, &committed);
        if committed.is_err() {
            // A transaction that could not end may still be open on its connection: the next
            // group gets another (the pool drops this one if it is left so, `has_broken`).
            drop(pooled);
            let Some(next) = checkout(pool, key) else { return };
            pooled = next;
        }
    }
}

/// A connection for the leader of `key`; without one, every waiting write hears why and the
/// key is released.
fn checkout(pool: &DbPool, key: &str) -> Option<r2d2::PooledConnection<super::ConnectionManager>> {
    match pool.get() {
        Ok(pooled) => Some(pooled),
        Err(error) => {
            pool.groups.fail_waiting(key, &DbError::from(error).to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;

    use super::*;

    struct Noop;

    impl Job for Noop {
        fn run(&mut self, _conn: &mut DbConnection, _savepoint: Option<&str>) -> bool {
            true
        }
        fn answer(self: Box<Self>, _committed: Result<(), &str>) {}
    }

    #[test]
    fn the_first_write_of_a_key_leads_until_its_queue_is_empty() {
        let groups = Groups::default();
        assert!(groups.enqueue("a", Box::new(Noop)), "the first leads");
        assert!(!groups.enqueue("a", Box::new(Noop)), "the next waits for the leader");
        assert!(groups.enqueue("b", Box::new(Noop)), "another key has its own leader");
        assert_eq!(groups.next_group("a").len(), 2);
        assert!(!groups.enqueue("a", Box::new(Noop)), "still led: the leader looks again");
        assert_eq!(groups.next_group("a").len(), 1);
        assert!(groups.next_group("a").is_empty(), "nothing waits: the key is released");
        assert!(groups.enqueue("a", Box::new(Noop)), "so the next write leads");
        for _ in 0..MAX_GROUP + 1 {
            groups.enqueue("c", Box::new(Noop));
        }
        assert_eq!(groups.next_group("c").len(), MAX_GROUP, "a group takes at most MAX_GROUP");
    }

    /// A leader that panics answers the writes waiting for it and releases the key.
    #[test]
    fn a_leader_that_stops_by_panicking_answers_the_waiting_writes() {
        let pool = crate::db::pool(
            "postgres://127.0.0.1:9/none",
            1,
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(1),
            crate::clock::Clock::default(),
        );
        let (leader_job, _) = job(|_: &mut DbConnection| Ok::<_, DbError>(()), pool.timeout);
        let (waiting_job, mut waiting) = job(|_: &mut DbConnection| Ok::<_, DbError>(()), pool.timeout);
        assert!(pool.groups.enqueue("k", leader_job));
        assert!(!pool.groups.enqueue("k", waiting_job));
        let stopped = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let _abandoned = Abandoned { pool: &pool, key: "k" };
            panic!("a bug outside any write");
        }));
        assert!(stopped.is_err());
        assert!(matches!(waiting.try_recv(), Ok(Err(DbError::NotWritten(_)))), "answered at once");
        let (next_job, _) = job(|_: &mut DbConnection| Ok::<_, DbError>(()), pool.timeout);
        assert!(pool.groups.enqueue("k", next_job), "the key was released: the next write leads");
    }
}
