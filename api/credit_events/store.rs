//! Appending to and reading the credit feed.
//!
//! Exactly once, in commit order: a sequence number alone is not enough on PostgreSQL, where
//! a transaction that took number 7 may commit after the one that took number 8; a reader that
//! saw 8 and stored it as its cursor would never see 7. So every transaction that appends an
//! event first increments the single row of `credit_event_head`, as the last thing it does
//! before committing. The row lock that the update takes is held until commit, so the next
//! appender waits for it, then reads the committed number and goes on from there: numbers are
//! handed out in commit order, without gaps (a rolled-back transaction gives its number back).
//! A reader that sees event n has therefore already been able to see every event before n,
//! and `seq > cursor` never skips one. On SQLite writers are serialized by `BEGIN IMMEDIATE`,
//! which gives the same order. The cost is that appenders commit one at a time; only the
//! short tail of their transaction (the head update, which returns the number, one insert,
//! the commit) is serialized.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::{
    credit_claims::dto::CreditClaim,
    credit_events::dto::CreditEventType,
    db::{
        now,
        schema::{credit_event_head, credit_events},
        DbConnection,
    },
    error::{ApiError, ApiResult},
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = credit_events)]
pub struct EventRow {
    pub seq: i64,
    pub id: String,
    pub event_type: String,
    pub claim_id: String,
    pub replaces_claim_id: Option<String>,
    pub user_id: String,
    pub claim: String,
    pub occurred_at: NaiveDateTime,
}

/// The last sequence number handed out.
pub(super) fn head(conn: &mut DbConnection) -> ApiResult<i64> {
    Ok(credit_event_head::table
        .find(1)
        .select(credit_event_head::last_seq)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// Appends one event. Call it last in the write transaction (see the module notes): from here
/// to the commit, other appenders wait.
pub fn append(
    conn: &mut DbConnection,
    event_type: CreditEventType,
    claim: &CreditClaim,
    replaces_claim_id: Option<&str>,
) -> ApiResult<EventRow> {
    // One round trip: the head is every appender's lock until the commit.
    let seq: i64 = diesel::update(credit_event_head::table.find(1))
        .set(credit_event_head::last_seq.eq(credit_event_head::last_seq + 1))
        .returning(credit_event_head::last_seq)
        .get_result(conn)?;
    let row = EventRow {
        seq,
        id: uuid::Uuid::now_v7().to_string(),
        event_type: event_type.as_str().into(),
        claim_id: claim.id.clone(),
        replaces_claim_id: replaces_claim_id.map(str::to_string),
        user_id: claim.user_id.clone(),
        claim: serde_json::to_string(claim).map_err(ApiError::internal)?,
        occurred_at: now(),
    };
    diesel::insert_into(credit_events::table).values(&row).execute(conn)?;
    Ok(row)
}

/// Up to `limit + 1` events after `after`, by the primary key.
pub fn after(conn: &mut DbConnection, after: i64, limit: i64) -> ApiResult<Vec<EventRow>> {
    Ok(credit_events::table
        .filter(credit_events::seq.gt(after))
        .order(credit_events::seq)
        .limit(limit + 1)
        .select(EventRow::as_select())
        .load(conn)?)
}
