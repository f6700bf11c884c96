//! `UPDATE` statements that are prepared once per connection.
//!
//! diesel never caches an `UPDATE` (a changeset of optional values may skip some, so one type
//! could stand for many texts): PostgreSQL parses and plans each one on every run, the
//! version-checked saves of claims, enrollments and attendance among them. [`update`] writes
//! the same statement as a fragment that leaves it cacheable, with no static query id, so the
//! cache keys it by the SQL text it renders and the types of its binds: a changeset that skips
//! a column renders another text and is another statement. Use it where the `SET` list takes
//! few shapes (a row struct, a fixed tuple), or the cache fills with them.

use diesel::{
    backend::Backend,
    expression::{AppearsOnTable, Expression},
    query_builder::{AsChangeset, AstPass, QueryFragment, QueryId},
    sql_types::Bool,
    QueryResult, RunQueryDsl, Table,
};

/// `UPDATE table SET changes WHERE filter`, cacheable.
pub fn update<T, F, V>(table: T, filter: F, changes: V) -> Update<T::FromClause, F, V::Changeset>
where
    T: Table,
    F: Expression<SqlType = Bool> + AppearsOnTable<T>,
    V: AsChangeset<Target = T>,
{
    Update { table: table.from_clause(), filter, changes: changes.as_changeset() }
}

/// An `UPDATE` of the table `T` names (its `FROM` clause), as [`update`] writes it.
#[derive(Debug, Clone)]
pub struct Update<T, F, V> {
    table: T,
    filter: F,
    changes: V,
}

impl<T, F, V, DB> QueryFragment<DB> for Update<T, F, V>
where
    DB: Backend,
    T: QueryFragment<DB>,
    F: QueryFragment<DB>,
    V: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(" SET ");
        self.changes.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.filter.walk_ast(out.reborrow())?;
        Ok(())
    }
}

// No static id: the cache keys the statement by its SQL text and bind types.
impl<T, F, V> QueryId for Update<T, F, V> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T, F, V, Conn> RunQueryDsl<Conn> for Update<T, F, V> {}
