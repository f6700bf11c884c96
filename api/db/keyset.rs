//! The one keyset-cursor filter every list uses: `(sort column, id) > (cursor)`.
//!
//! Written as a row-value comparison, which both databases answer with a range scan of the
//! `(..., column, id)` index; the equivalent `a > x OR (a = x AND id > y)` makes them scan and
//! filter, which is slow deep into a large table.
//!
//! diesel has no row values, and its `sql()` literals would mark the whole list query as not
//! to be cached: PostgreSQL would parse and plan every page after the first again. So the
//! comparison is a fragment of its own that binds the cursor and leaves the query cacheable
//! (a boxed query is cached by its SQL text, which the cursor's values are not part of).

use std::marker::PhantomData;

use chrono::NaiveDateTime;
use diesel::{
    backend::Backend,
    expression::{is_aggregate, AppearsOnTable, AsExpression, BoxableExpression, Expression, ValidGrouping},
    query_builder::{AstPass, QueryFragment, QueryId},
    sql_types::{Bool, Text, Timestamp},
    Connection, IntoSql, QueryResult, SelectableExpression,
};

use super::DbConnection;

/// A boxed filter usable on any boxed query of table `T`.
pub type KeysetFilter<T> =
    Box<dyn BoxableExpression<T, <DbConnection as Connection>::Backend, SqlType = Bool>>;

/// `(table.column, table.id) > (at, id)`. `table` and `column` are code constants, never input.
pub fn after<T: 'static>(
    table: &'static str,
    column: &'static str,
    at: NaiveDateTime,
    id: String,
) -> KeysetFilter<T> {
    Box::new(RowAfter::<T> {
        table,
        column,
        at: at.into_sql::<Timestamp>(),
        id: id.into_sql::<Text>(),
        on_table: PhantomData,
    })
}

type Bound<T, ST> = <T as AsExpression<ST>>::Expression;

struct RowAfter<T> {
    table: &'static str,
    column: &'static str,
    at: Bound<NaiveDateTime, Timestamp>,
    id: Bound<String, Text>,
    on_table: PhantomData<fn() -> T>,
}

impl<T> Expression for RowAfter<T> {
    type SqlType = Bool;
}

impl<T, DB: Backend> QueryFragment<DB> for RowAfter<T>
where
    Bound<NaiveDateTime, Timestamp>: QueryFragment<DB>,
    Bound<String, Text>: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Pushed in pieces: diesel walks a query several times a run (text, binds, cache key).
        for piece in ["(", self.table, ".", self.column, ", ", self.table, ".id) > ("] {
            out.push_sql(piece);
        }
        self.at.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.id.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

// No static id: the statement cache keys a query holding it by its SQL text, which names the
// table and column.
impl<T> QueryId for RowAfter<T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T, QS> AppearsOnTable<QS> for RowAfter<T> {}

impl<T, QS> SelectableExpression<QS> for RowAfter<T> {}

impl<T, GB> ValidGrouping<GB> for RowAfter<T> {
    type IsAggregate = is_aggregate::Never;
}
