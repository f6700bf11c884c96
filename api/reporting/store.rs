//! Queries of reporting items and batches.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::{dsl::count_star, expression::BoxableExpression, prelude::*, sql_types::Bool};

use crate::{
    access::{activities_planned_by, ListScope},
    db::{
        now,
        schema::{reporting_batch_items, reporting_batches, reporting_items},
        DbConnection,
    },
    error::ApiResult,
    reporting::dto::{Destination, ItemQuery, ItemStatus},
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = reporting_items, treat_none_as_null = true)]
pub struct ItemRow {
    pub id: String,
    pub destination: String,
    pub action: String,
    pub claim_id: Option<String>,
    pub activity_id: String,
    pub user_id: Option<String>,
    pub credit_type: String,
    pub amount_hundredths: i32,
    pub completion_date: NaiveDate,
    pub moc_board: Option<String>,
    pub moc_credit_type: Option<String>,
    pub license_state: Option<String>,
    pub correction_of: Option<String>,
    pub due_on: NaiveDate,
    pub status: String,
    pub hold_reason: Option<String>,
    pub rejection: Option<String>,
    pub batch_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reporting_batches)]
pub struct BatchRow {
    pub id: String,
    pub destination: String,
    pub status: String,
    pub item_count: i32,
    pub file_name: String,
    pub media_type: String,
    pub file: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub service_message: Option<String>,
}

/// A batch without its file.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reporting_batches)]
pub struct BatchHead {
    pub id: String,
    pub destination: String,
    pub status: String,
    pub item_count: i32,
    pub file_name: String,
    pub media_type: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub service_message: Option<String>,
}

type Backend = <DbConnection as diesel::Connection>::Backend;

fn text<T: serde::Serialize>(value: &T) -> String {
    crate::db::enum_text(value)
}

pub fn insert_item(conn: &mut DbConnection, row: &ItemRow) -> ApiResult<()> {
    diesel::insert_into(reporting_items::table).values(row).execute(conn)?;
    Ok(())
}

/// The items of a claim (a revocation or amendment looks at what was sent).
pub fn items_of_claim(conn: &mut DbConnection, claim_id: &str) -> ApiResult<Vec<ItemRow>> {
    Ok(reporting_items::table
        .filter(reporting_items::claim_id.eq(claim_id))
        .order(reporting_items::id)
        .select(ItemRow::as_select())
        .load(conn)?)
}

/// An activity's own PARS records (not its learners').
pub fn activity_records(conn: &mut DbConnection, activity_id: &str) -> ApiResult<Vec<ItemRow>> {
    Ok(reporting_items::table
        .filter(reporting_items::activity_id.eq(activity_id))
        .filter(reporting_items::claim_id.is_null())
        .order(reporting_items::id)
        .select(ItemRow::as_select())
        .load(conn)?)
}

/// The items of several claims, oldest first.
pub fn items_of_claims(conn: &mut DbConnection, claim_ids: &[&str]) -> ApiResult<Vec<ItemState>> {
    let mut found = Vec::new();
    for chunk in claim_ids.chunks(5_000) {
        found.extend(
            reporting_items::table
                .filter(reporting_items::claim_id.eq_any(chunk))
                .order(reporting_items::id)
                .select(ItemState::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// The items of a learner's claims (`reporting_items_user`).
pub fn items_of_learner(conn: &mut DbConnection, user_id: &str) -> ApiResult<Vec<ItemState>> {
    Ok(reporting_items::table
        .filter(reporting_items::user_id.eq(user_id))
        .filter(reporting_items::claim_id.is_not_null())
        .order(reporting_items::id)
        .select(ItemState::as_select())
        .load(conn)?)
}

/// What a transcript or a credit event shows of an item: only these columns are read.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reporting_items)]
pub struct ItemState {
    pub claim_id: Option<String>,
    pub destination: String,
    pub action: String,
    pub status: String,
    pub due_on: NaiveDate,
    pub license_state: Option<String>,
}

pub fn set_status(conn: &mut DbConnection, id: &str, status: ItemStatus) -> ApiResult<()> {
    diesel::update(reporting_items::table.find(id))
        .set((reporting_items::status.eq(text(&status)), reporting_items::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

type Condition = Box<dyn BoxableExpression<reporting_items::table, Backend, SqlType = Bool>>;

/// The items in the caller's scope: a planner's activities', or all.
fn in_scope(scope: &ListScope) -> Condition {
    match scope {
        ListScope::Planner(id) | ListScope::Learner(id) => {
            Box::new(reporting_items::activity_id.eq_any(activities_planned_by(id.clone())))
        }
        ListScope::All => Box::new(reporting_items::id.is_not_null()),
    }
}

pub fn list(
    conn: &mut DbConnection,
    scope: &ListScope,
    query: &ItemQuery,
    limit: i64,
    after: Option<(NaiveDate, String)>,
) -> ApiResult<Vec<ItemRow>> {
    let mut select = reporting_items::table.select(ItemRow::as_select()).filter(in_scope(scope)).into_boxed();
    if let Some(destination) = query.destination {
        select = select.filter(reporting_items::destination.eq(text(&destination)));
    }
    if let Some(status) = query.status {
        select = select.filter(reporting_items::status.eq(text(&status)));
    }
    if let Some(day) = query.due_before {
        select = select.filter(reporting_items::due_on.le(day));
    }
    if let Some(activity) = query.activity_id.clone().filter(|v| !v.is_empty()) {
        select = select.filter(reporting_items::activity_id.eq(activity));
    }
    if let Some(batch) = query.batch_id.clone().filter(|v| !v.is_empty()) {
        select = select.filter(reporting_items::batch_id.eq(batch));
    }
    if let Some((due, id)) = after {
        select = select.filter(
            reporting_items::due_on
                .gt(due)
                .or(reporting_items::due_on.eq(due).and(reporting_items::id.gt(id))),
        );
    }
    Ok(crate::db::page_limit::at_least(
        select.order((reporting_items::due_on, reporting_items::id)),
        limit + 1,
    )
    .load(conn)?)
}

/// Counts of open items (not accepted, not superseded) by destination, status, due date and
/// whether held or rejected.
pub type OpenCount = (String, String, NaiveDate, bool, bool, i64);

/// Destination, status, due date, hold reason, rejection, count.
type OpenRow = (String, String, NaiveDate, Option<String>, Option<String>, i64);

pub fn open_counts(conn: &mut DbConnection, scope: &ListScope) -> ApiResult<Vec<OpenCount>> {
    let open = [text(&ItemStatus::Due), text(&ItemStatus::InBatch), text(&ItemStatus::Submitted)];
    let rows: Vec<OpenRow> = reporting_items::table
        .filter(in_scope(scope))
        .filter(reporting_items::status.eq_any(open))
        .group_by((
            reporting_items::destination,
            reporting_items::status,
            reporting_items::due_on,
            reporting_items::hold_reason,
            reporting_items::rejection,
        ))
        .select((
            reporting_items::destination,
            reporting_items::status,
            reporting_items::due_on,
            reporting_items::hold_reason,
            reporting_items::rejection,
            count_star(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(destination, status, due, held, rejected, n)| {
            (destination, status, due, held.is_some(), rejected.is_some(), n)
        })
        .collect())
}

/// The due items a batch may take: the ids given, or every due one of the destination (due
/// on or before `due_before`), in due order.
pub fn candidates(
    conn: &mut DbConnection,
    scope: &ListScope,
    destination: Destination,
    ids: Option<&[String]>,
    due_before: Option<NaiveDate>,
) -> ApiResult<Vec<ItemRow>> {
    let mut select = reporting_items::table
        .select(ItemRow::as_select())
        .filter(in_scope(scope))
        .into_boxed()
        .filter(reporting_items::destination.eq(text(&destination)))
        .filter(reporting_items::status.eq(text(&ItemStatus::Due)));
    if let Some(ids) = ids {
        select = select.filter(reporting_items::id.eq_any(ids.to_vec()));
    }
    if let Some(day) = due_before {
        select = select.filter(reporting_items::due_on.le(day));
    }
    Ok(select.order((reporting_items::due_on, reporting_items::id)).load(conn)?)
}

/// Items by id in the caller's scope (to name the ones a request may not use).
pub fn items(conn: &mut DbConnection, scope: &ListScope, ids: &[String]) -> ApiResult<Vec<ItemRow>> {
    let mut found = Vec::with_capacity(ids.len());
    // Bounded IN lists: SQLite binds at most 32,766 parameters a statement.
    for chunk in ids.chunks(5_000) {
        found.extend(
            reporting_items::table
                .filter(reporting_items::id.eq_any(chunk))
                .filter(in_scope(scope))
                .select(ItemRow::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// Notes why an item could not be batched (it stays due).
pub fn hold(conn: &mut DbConnection, id: &str, reason: &str) -> ApiResult<()> {
    diesel::update(reporting_items::table.find(id))
        .set((reporting_items::hold_reason.eq(reason), reporting_items::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// Moves still-due items into a batch; returns how many moved (another batch may have taken
/// some between the read and this write).
pub fn take_into_batch(conn: &mut DbConnection, ids: &[String], batch_id: &str) -> ApiResult<usize> {
    let mut moved = 0;
    for chunk in ids.chunks(5_000) {
        moved += diesel::update(
            reporting_items::table
                .filter(reporting_items::id.eq_any(chunk))
                .filter(reporting_items::status.eq(text(&ItemStatus::Due))),
        )
        .set((
            reporting_items::status.eq(text(&ItemStatus::InBatch)),
            reporting_items::batch_id.eq(batch_id),
            reporting_items::hold_reason.eq(None::<String>),
            reporting_items::updated_at.eq(now()),
        ))
        .execute(conn)?;
    }
    // One statement for the batch's lines: multi-row VALUES are PostgreSQL-only through
    // MultiConnection, INSERT ... SELECT works on both.
    diesel::insert_into(reporting_batch_items::table)
        .values(
            reporting_items::table
                .filter(reporting_items::batch_id.eq(batch_id))
                .select((reporting_items::batch_id.assume_not_null(), reporting_items::id)),
        )
        .into_columns((reporting_batch_items::batch_id, reporting_batch_items::item_id))
        .execute(conn)?;
    Ok(moved)
}

pub fn insert_batch(conn: &mut DbConnection, row: &BatchRow) -> ApiResult<()> {
    diesel::insert_into(reporting_batches::table).values(row).execute(conn)?;
    Ok(())
}

pub fn batch_head(conn: &mut DbConnection, id: &str) -> ApiResult<Option<BatchHead>> {
    Ok(reporting_batches::table.find(id).select(BatchHead::as_select()).first(conn).optional()?)
}

/// The newest batches first; a planner's own only.
pub fn batch_heads(
    conn: &mut DbConnection,
    created_by: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<BatchHead>> {
    let mut select = reporting_batches::table.select(BatchHead::as_select()).into_boxed();
    if let Some(user) = created_by {
        select = select.filter(reporting_batches::created_by.eq(user.to_string()));
    }
    Ok(select.order(reporting_batches::id.desc()).limit(limit).load(conn)?)
}

pub fn batch_file(conn: &mut DbConnection, id: &str) -> ApiResult<Option<(String, String, String)>> {
    Ok(reporting_batches::table
        .find(id)
        .select((reporting_batches::file_name, reporting_batches::media_type, reporting_batches::file))
        .first(conn)
        .optional()?)
}

pub fn lock_batch(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    let row = reporting_batches::table.find(id).select(reporting_batches::id);
    Ok(crate::db::lock_row(conn, |pg| row.for_update().execute(pg))?)
}

pub fn set_batch_status(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    submitted_at: Option<NaiveDateTime>,
    completed_at: Option<NaiveDateTime>,
) -> ApiResult<()> {
    diesel::update(reporting_batches::table.find(id))
        .set((
            reporting_batches::status.eq(status),
            reporting_batches::submitted_at.eq(submitted_at),
            reporting_batches::completed_at.eq(completed_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a board service said of the batch (or why sending failed).
pub fn set_service_message(conn: &mut DbConnection, id: &str, message: &str) -> ApiResult<()> {
    diesel::update(reporting_batches::table.find(id))
        .set(reporting_batches::service_message.eq(message))
        .execute(conn)?;
    Ok(())
}

/// Items a direct submission did not reach: out of the batch, due again with the reason.
pub fn unsend(conn: &mut DbConnection, batch_id: &str, item_ids: &[String], reason: &str) -> ApiResult<()> {
    for chunk in item_ids.chunks(5_000) {
        diesel::delete(
            reporting_batch_items::table
                .filter(reporting_batch_items::batch_id.eq(batch_id))
                .filter(reporting_batch_items::item_id.eq_any(chunk)),
        )
        .execute(conn)?;
        diesel::update(reporting_items::table.filter(reporting_items::id.eq_any(chunk)))
            .set((
                reporting_items::status.eq(text(&ItemStatus::Due)),
                reporting_items::batch_id.eq(None::<String>),
                reporting_items::hold_reason.eq(reason),
                reporting_items::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Items of a batch in one status move to another.
pub fn move_batch_items(
    conn: &mut DbConnection,
    batch_id: &str,
    from: ItemStatus,
    to: ItemStatus,
) -> ApiResult<()> {
    diesel::update(
        reporting_items::table
            .filter(reporting_items::batch_id.eq(batch_id))
            .filter(reporting_items::status.eq(text(&from))),
    )
    .set((reporting_items::status.eq(text(&to)), reporting_items::updated_at.eq(now())))
    .execute(conn)?;
    Ok(())
}

/// (item, outcome) of the batch's items.
pub fn batch_outcomes(conn: &mut DbConnection, batch_id: &str) -> ApiResult<Vec<(String, Option<String>)>> {
    Ok(reporting_batch_items::table
        .filter(reporting_batch_items::batch_id.eq(batch_id))
        .select((reporting_batch_items::item_id, reporting_batch_items::outcome))
        .load(conn)?)
}

/// Counts of answers per batch: (accepted, rejected).
pub fn outcome_counts(conn: &mut DbConnection, batch_id: &str) -> ApiResult<(i64, i64)> {
    let rows: Vec<(Option<String>, i64)> = reporting_batch_items::table
        .filter(reporting_batch_items::batch_id.eq(batch_id))
        .filter(reporting_batch_items::outcome.is_not_null())
        .group_by(reporting_batch_items::outcome)
        .select((reporting_batch_items::outcome, count_star()))
        .load(conn)?;
    let count = |o: &str| rows.iter().find(|(k, _)| k.as_deref() == Some(o)).map_or(0, |(_, n)| *n);
    Ok((count("accepted"), count("rejected")))
}

/// Records one answer: on the batch's line, and on the item (accepted, or due again with the
/// destination's message).
pub fn record_outcome(
    conn: &mut DbConnection,
    batch_id: &str,
    item_id: &str,
    outcome: &str,
    message: Option<&str>,
) -> ApiResult<()> {
    diesel::update(reporting_batch_items::table.find((batch_id, item_id)))
        .set((reporting_batch_items::outcome.eq(outcome), reporting_batch_items::message.eq(message)))
        .execute(conn)?;
    let item = reporting_items::table.find(item_id);
    if outcome == "accepted" {
        diesel::update(item)
            .set((
                reporting_items::status.eq(text(&ItemStatus::Accepted)),
                reporting_items::rejection.eq(None::<String>),
                reporting_items::updated_at.eq(now()),
            ))
            .execute(conn)?;
    } else {
        diesel::update(item)
            .set((
                reporting_items::status.eq(text(&ItemStatus::Due)),
                reporting_items::rejection.eq(message),
                reporting_items::batch_id.eq(None::<String>),
                reporting_items::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}
