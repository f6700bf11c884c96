//! Query plans as a pooled connection runs a statement: prepared once, its parameters unknown
//! (PostgreSQL's generic plan; SQLite plans when it prepares). A lookup that must stay fast
//! as a table grows is checked to name its index here, whatever the values it is run with.

use ce_api::db::DbConnection;
use diesel::{pg::Pg, prelude::*, query_builder::QueryFragment, sql_types::Text, sqlite::Sqlite};

use super::database::TestDatabase;

#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// The lines of `query`'s plan, prepared with its `parameters` unknown.
pub fn generic_plan<Q>(database: &TestDatabase, query: &Q, parameters: usize) -> Vec<String>
where
    Q: QueryFragment<Pg> + QueryFragment<Sqlite>,
{
    let sql_of = |debug: String| debug.split(" -- binds").next().unwrap_or_default().to_string();
    match database.connect() {
        DbConnection::Postgres(mut pg) => {
            let sql = sql_of(diesel::debug_query::<Pg, _>(query).to_string());
            diesel::sql_query("SET plan_cache_mode = force_generic_plan").execute(&mut pg).unwrap();
            diesel::sql_query(format!("PREPARE planned AS {sql}")).execute(&mut pg).unwrap();
            let values = vec!["'x'"; parameters].join(", ");
            diesel::sql_query(format!("EXPLAIN EXECUTE planned ({values})"))
                .load::<PgPlanLine>(&mut pg)
                .unwrap()
                .into_iter()
                .map(|row| row.line)
                .collect()
        }
        DbConnection::Sqlite(mut sqlite) => {
            let sql = sql_of(diesel::debug_query::<Sqlite, _>(query).to_string());
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load::<SqlitePlanLine>(&mut sqlite)
                .unwrap()
                .into_iter()
                .map(|row| row.detail)
                .collect()
        }
    }
}

/// On PostgreSQL, the statements a connection holds prepared after running `query` twice: a
/// query diesel caches is among them (named, parsed and planned once per connection); one it
/// does not cache is parsed and planned again on every run and is not. `None` on SQLite.
pub fn prepared_after_two_runs<Q>(database: &TestDatabase, query: &Q) -> Option<Vec<String>>
where
    Q: QueryFragment<Pg> + diesel::query_builder::QueryId,
{
    let mut conn = database.connect();
    let DbConnection::Postgres(pg) = &mut conn else { return None };
    for _ in 0..2 {
        diesel::Connection::execute_returning_count(pg, query).unwrap();
    }
    held_prepared(&mut conn)
}

/// On PostgreSQL, the statements `conn` holds prepared; `None` on SQLite.
pub fn held_prepared(conn: &mut DbConnection) -> Option<Vec<String>> {
    Some(plan_counts(conn)?.into_iter().map(|(statement, ..)| statement).collect())
}

#[derive(QueryableByName)]
struct PlanCount {
    #[diesel(sql_type = Text)]
    statement: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    generic_plans: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    custom_plans: i64,
}

/// On PostgreSQL, each statement `conn` holds prepared with how often it ran on its generic
/// plan (planned once) and on a custom plan (planned again for that run); `None` on SQLite.
pub fn plan_counts(conn: &mut DbConnection) -> Option<Vec<(String, i64, i64)>> {
    let DbConnection::Postgres(pg) = conn else { return None };
    let counts =
        diesel::sql_query("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
            .load::<PlanCount>(pg)
            .unwrap();
    Some(counts.into_iter().map(|row| (row.statement, row.generic_plans, row.custom_plans)).collect())
}

#[derive(QueryableByName)]
struct SqliteStatement {
    #[diesel(sql_type = Text)]
    sql: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    reprep: i64,
}

/// On SQLite, each statement `conn` holds prepared with how often SQLite prepared it again on
/// its own (after a schema change, or because a parameter it planned around was bound anew);
/// `None` on PostgreSQL. Read from the `sqlite_stmt` table, which the system's SQLite has.
pub fn sqlite_reprepared(conn: &mut DbConnection) -> Option<Vec<(String, i64)>> {
    let DbConnection::Sqlite(sqlite) = conn else { return None };
    let held = diesel::sql_query("SELECT sql, reprep FROM sqlite_stmt WHERE sql NOT LIKE '%sqlite_stmt%'")
        .load::<SqliteStatement>(sqlite)
        .expect("SQLite built with its sqlite_stmt table (SQLITE_ENABLE_STMTVTAB)");
    Some(held.into_iter().map(|statement| (statement.sql, statement.reprep)).collect())
}
