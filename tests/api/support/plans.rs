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
