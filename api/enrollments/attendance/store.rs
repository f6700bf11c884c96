//! Queries of session attendance.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::rules::{Presence, Window};
use crate::{
    credits::Credits,
    db::{
        cached,
        schema::{activity_sessions, code_failures, session_attendance},
        DbConnection,
    },
    error::ApiResult,
};

/// One learner's attendance at one session, as stored.
// `None` inserts NULL, not DEFAULT (no column here has another default): the INSERT has one
// shape, which diesel prepares once per connection instead of PostgreSQL parsing it each time.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = session_attendance, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(super) struct AttendanceRow {
    pub session_id: String,
    pub enrollment_id: String,
    /// Minutes of presence to the recorded departure (not clipped to the present moment).
    pub minutes: i32,
    /// `check_in` (the learner, with the codes) or `planner`.
    pub source: String,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    pub present_from: Option<NaiveDateTime>,
    pub present_to: Option<NaiveDateTime>,
}

impl AttendanceRow {
    pub fn presence(&self) -> Presence {
        Presence::from_stored(self.present_from, self.present_to, self.minutes)
    }
}

pub(super) fn find(
    conn: &mut DbConnection,
    session_id: &str,
    enrollment_id: &str,
) -> ApiResult<Option<AttendanceRow>> {
    Ok(session_attendance::table
        .find((session_id, enrollment_id))
        .select(AttendanceRow::as_select())
        .first(conn)
        .optional()?)
}

pub(super) fn insert(conn: &mut DbConnection, row: &AttendanceRow) -> ApiResult<()> {
    diesel::insert_into(session_attendance::table).values(row).execute(conn)?;
    Ok(())
}

pub(super) fn update(conn: &mut DbConnection, row: &AttendanceRow) -> ApiResult<()> {
    let this_row = session_attendance::session_id
        .eq(&row.session_id)
        .and(session_attendance::enrollment_id.eq(&row.enrollment_id));
    cached::update(session_attendance::table, this_row, row).execute(conn)?;
    Ok(())
}

/// A session the enrollment attended, with the credit the session carries and what is known
/// of the learner's presence.
pub struct SessionAttended {
    pub session_id: String,
    pub window: Window,
    pub credit: Option<Credits>,
    pub presence: Presence,
}

type AttendedRow = (String, NaiveDateTime, NaiveDateTime, Option<i32>, AttendanceRow);

pub(super) fn sessions_attended(
    conn: &mut DbConnection,
    enrollment_id: &str,
) -> ApiResult<Vec<SessionAttended>> {
    let rows: Vec<AttendedRow> = session_attendance::table
        .inner_join(activity_sessions::table)
        .filter(session_attendance::enrollment_id.eq(enrollment_id))
        .order((activity_sessions::starts_at, activity_sessions::id))
        .select((
            activity_sessions::id,
            activity_sessions::starts_at,
            activity_sessions::ends_at,
            activity_sessions::credit_hundredths,
            AttendanceRow::as_select(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(session_id, starts_at, ends_at, credit, row)| SessionAttended {
            session_id,
            window: Window { starts_at, ends_at },
            credit: credit.map(Credits::from_hundredths),
            presence: row.presence(),
        })
        .collect())
}

/// Wrong codes a learner sent for a session so far.
pub(super) fn code_failures(conn: &mut DbConnection, session_id: &str, user_id: &str) -> ApiResult<i32> {
    Ok(code_failures::table
        .find((session_id, user_id))
        .select(code_failures::failures)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Counts one more wrong code (in the request's write transaction, which commits it).
pub(super) fn count_code_failure(conn: &mut DbConnection, session_id: &str, user_id: &str) -> ApiResult<()> {
    let at = crate::db::now();
    let this_row = code_failures::session_id.eq(session_id).and(code_failures::user_id.eq(user_id));
    let one_more =
        (code_failures::failures.eq(code_failures::failures + 1), code_failures::last_failed_at.eq(at));
    let updated = cached::update(code_failures::table, this_row, one_more).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(code_failures::table)
            .values((
                code_failures::session_id.eq(session_id),
                code_failures::user_id.eq(user_id),
                code_failures::failures.eq(1),
                code_failures::last_failed_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}
