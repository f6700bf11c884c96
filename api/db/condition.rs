//! Conditions written as fixed SQL text that prepared statements still cache.
//!
//! A partial index serves a prepared statement's generic plan only when the query states the
//! index's predicate itself (`status <> 'cancelled'`), not a comparison with a bound parameter
//! (`status <> $1`). diesel's `sql()` literals can say that, but mark every statement holding
//! one as not to be cached: PostgreSQL then parses and plans it on each execution. A
//! [`Condition`] is a type of its own per condition, so diesel's statement cache (keyed by the
//! query's type) prepares each query once per connection and never mistakes one for another.

use std::marker::PhantomData;

use diesel::{
    backend::Backend,
    expression::{is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping},
    query_builder::{AstPass, QueryFragment, QueryId},
    sql_types::Bool,
    QueryResult,
};

/// One condition's SQL text, its columns qualified by table (`"enrollments"."status"`).
pub trait FixedCondition: Send + Sync + 'static {
    const SQL: &'static str;
}

/// The condition `C` as a diesel boolean expression.
#[derive(Debug, Clone, Copy, Default)]
pub struct Condition<C>(PhantomData<C>);

impl<C: FixedCondition> Condition<C> {
    pub const fn new() -> Self {
        Condition(PhantomData)
    }
}

impl<C: FixedCondition> Expression for Condition<C> {
    type SqlType = Bool;
}

impl<C: FixedCondition, DB: Backend> QueryFragment<DB> for Condition<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(C::SQL);
        Ok(())
    }
}

impl<C: FixedCondition> QueryId for Condition<C> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

// Like diesel's own SQL literals: the text names its table, which the type cannot check.
impl<C: FixedCondition, QS> AppearsOnTable<QS> for Condition<C> {}

impl<C: FixedCondition, QS> SelectableExpression<QS> for Condition<C> {}

impl<C, GB> ValidGrouping<GB> for Condition<C> {
    type IsAggregate = is_aggregate::Never;
}
