//! The counters, one row per (bucket, client), shared by every replica.

use chrono::NaiveDateTime;
use diesel::{
    prelude::*,
    sql_types::{Integer, Text, Timestamp},
};

use crate::db::{schema::rate_limit_counters, DbConnection, DbError};

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    hits: i32,
}

/// Counts one hit in the window starting at `window_start` and returns the window's hits, in
/// one atomic statement: concurrent hits from any replica are each counted once. A row left
/// from an earlier window starts again at 1.
///
/// One SQL text serves both databases: SQLite reads `$1`..`$3` as parameters numbered in the
/// order they first appear, which is the order they are bound.
pub fn hit(
    conn: &mut DbConnection,
    bucket: &str,
    client_key: &str,
    window_start: NaiveDateTime,
) -> Result<i32, DbError> {
    let counted = diesel::sql_query(
        "INSERT INTO rate_limit_counters (bucket, client_key, window_start, hits) \
         VALUES ($1, $2, $3, 1) \
         ON CONFLICT (bucket, client_key) DO UPDATE SET \
           hits = CASE WHEN rate_limit_counters.window_start = excluded.window_start \
                       THEN rate_limit_counters.hits + 1 ELSE 1 END, \
           window_start = excluded.window_start \
         RETURNING hits",
    )
    .bind::<Text, _>(bucket)
    .bind::<Text, _>(client_key)
    .bind::<Timestamp, _>(window_start);
    let counted: Counted = match conn {
        DbConnection::Postgres(pg) => counted.get_result(pg)?,
        DbConnection::Sqlite(sqlite) => counted.get_result(sqlite)?,
    };
    Ok(counted.hits)
}

/// The counter's window and hits, if it has one.
pub fn current(
    conn: &mut DbConnection,
    bucket: &str,
    client_key: &str,
) -> Result<Option<(NaiveDateTime, i32)>, DbError> {
    Ok(rate_limit_counters::table
        .find((bucket, client_key))
        .select((rate_limit_counters::window_start, rate_limit_counters::hits))
        .first(conn)
        .optional()?)
}

/// Deletes counters of windows that ended before `before`.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> Result<usize, DbError> {
    Ok(diesel::delete(rate_limit_counters::table.filter(rate_limit_counters::window_start.lt(before)))
        .execute(conn)?)
}
