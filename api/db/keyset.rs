//! The one keyset-cursor filter every list uses: `(sort column, id) > (cursor)`.
//!
//! Written as a row-value comparison, which both databases answer with a range scan of the
//! `(..., column, id)` index; the equivalent `a > x OR (a = x AND id > y)` makes them scan and
//! filter, which is slow deep into a large table.

use chrono::NaiveDateTime;
use diesel::{
    expression::BoxableExpression,
    sql_types::{Bool, Text, Timestamp},
    Connection,
};

use super::DbConnection;

/// A boxed filter usable on any boxed query of table `T`.
pub type KeysetFilter<T> =
    Box<dyn BoxableExpression<T, <DbConnection as Connection>::Backend, SqlType = Bool>>;

/// `(table.column, table.id) > (at, id)`. `table` and `column` are code constants, never input.
pub fn after<T>(table: &'static str, column: &'static str, at: NaiveDateTime, id: String) -> KeysetFilter<T> {
    Box::new(
        diesel::dsl::sql::<Bool>(&format!("({table}.{column}, {table}.id) > ("))
            .bind::<Timestamp, _>(at)
            .sql(", ")
            .bind::<Text, _>(id)
            .sql(")"),
    )
}
