//! Queries of session attendance.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::{
    credits::Credits,
    db::{
        schema::{activity_sessions, session_attendance},
        DbConnection,
    },
    error::ApiResult,
};

/// One attendance record as stored.
pub(super) struct AttendanceRow {
    pub minutes: i32,
    pub source: String,
    pub recorded_at: NaiveDateTime,
}

pub(super) fn find(
    conn: &mut DbConnection,
    session_id: &str,
    enrollment_id: &str,
) -> ApiResult<Option<AttendanceRow>> {
    let found: Option<(i32, String, NaiveDateTime)> = session_attendance::table
        .find((session_id, enrollment_id))
        .select((session_attendance::minutes, session_attendance::source, session_attendance::recorded_at))
        .first(conn)
        .optional()?;
    Ok(found.map(|(minutes, source, recorded_at)| AttendanceRow { minutes, source, recorded_at }))
}

pub(super) fn insert(
    conn: &mut DbConnection,
    session_id: &str,
    enrollment_id: &str,
    row: &AttendanceRow,
    recorded_by: &str,
) -> ApiResult<()> {
    diesel::insert_into(session_attendance::table)
        .values((
            session_attendance::session_id.eq(session_id),
            session_attendance::enrollment_id.eq(enrollment_id),
            session_attendance::minutes.eq(row.minutes),
            session_attendance::source.eq(&row.source),
            session_attendance::recorded_by.eq(recorded_by),
            session_attendance::recorded_at.eq(row.recorded_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A session the enrollment attended, with the credit the session carries.
pub struct SessionAttended {
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub credit: Option<Credits>,
    pub minutes: i32,
}

pub(super) fn sessions_attended(
    conn: &mut DbConnection,
    enrollment_id: &str,
) -> ApiResult<Vec<SessionAttended>> {
    let rows: Vec<(NaiveDateTime, NaiveDateTime, Option<i32>, i32)> = session_attendance::table
        .inner_join(activity_sessions::table)
        .filter(session_attendance::enrollment_id.eq(enrollment_id))
        .select((
            activity_sessions::starts_at,
            activity_sessions::ends_at,
            activity_sessions::credit_hundredths,
            session_attendance::minutes,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(starts_at, ends_at, credit, minutes)| SessionAttended {
            starts_at,
            ends_at,
            credit: credit.map(Credits::from_hundredths),
            minutes,
        })
        .collect())
}
