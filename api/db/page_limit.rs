//! A page query's `LIMIT` written into its SQL text, from a few fixed sizes.
//!
//! diesel binds `.limit(n)` as a parameter. PostgreSQL then plans the cached statement for an
//! unknown limit (a tenth of the table), which makes its generic plan look dearer than the plan
//! it makes for each execution's values, so it plans every execution again (`pgbench -M
//! prepared` on the catalog page query: 6,600 statements a second, against 8,400-9,100 with
//! the limit written in or a generic plan forced).
//! With the limit in the text, the generic plan is costed for the real limit and taken after
//! the fifth execution, and PostgreSQL still keeps planning each time where its generic plan
//! would be worse for the values bound.
//!
//! Each written limit is another cached statement per connection, so limits are rounded up to
//! a few sizes and the rows past the page's own limit are dropped by the caller: every list
//! that pages with `pagination::limit` and `pagination::paginate` reads through this. (The
//! credit feed, whose pages go to 1,000 and whose rows are joined before they are cut, binds
//! its limit still.)

use diesel::{
    backend::Backend,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    QueryResult, RunQueryDsl,
};

/// The sizes a written limit is rounded up to (a page holds at most 100).
const SIZES: [i64; 7] = [1, 5, 10, 20, 25, 50, 100];

/// `query LIMIT m`, where `m` is at least `rows` and one of a few fixed sizes. `query` must have
/// no limit of its own; the caller keeps the first `rows` rows.
pub fn at_least<Q>(query: Q, rows: i64) -> AtLeast<Q> {
    AtLeast { query, limit: written_limit(rows) }
}

/// The first of the fixed sizes plus one that is at least `rows`: a page of `n` is read as
/// `n + 1` rows (the last tells whether another page follows), so the limits written are 2, 6,
/// 11, 21, 26, 51 and 101.
fn written_limit(rows: i64) -> i64 {
    let wanted = rows.max(1);
    SIZES.iter().map(|size| size + 1).find(|limit| *limit >= wanted).unwrap_or(wanted)
}

#[derive(Debug, Clone)]
pub struct AtLeast<Q> {
    query: Q,
    limit: i64,
}

impl<Q: Query> Query for AtLeast<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB: Backend> QueryFragment<DB> for AtLeast<Q>
where
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        // A number this module computed, never input text.
        out.push_sql(" LIMIT ");
        out.push_sql(&self.limit.to_string());
        Ok(())
    }
}

// No static id: the statement cache keys it by its SQL text, which holds the limit.
impl<Q> QueryId for AtLeast<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, Conn> RunQueryDsl<Conn> for AtLeast<Q> {}

#[cfg(test)]
mod tests {
    use super::written_limit;

    #[test]
    fn limits_are_rounded_up_to_a_few_sizes() {
        assert_eq!(written_limit(1), 2);
        assert_eq!(written_limit(2), 2);
        assert_eq!(written_limit(3), 6);
        assert_eq!(written_limit(11), 11);
        assert_eq!(written_limit(12), 21);
        assert_eq!(written_limit(51), 51);
        assert_eq!(written_limit(52), 101);
        assert_eq!(written_limit(101), 101);
        assert_eq!(written_limit(0), 2, "never LIMIT 0");
        let sizes: std::collections::HashSet<i64> = (1..=101).map(written_limit).collect();
        assert_eq!(sizes.len(), 7, "one statement per size, whatever the page");
    }
}
