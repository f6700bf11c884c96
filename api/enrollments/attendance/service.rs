//! Attendance use cases, one public function each, run by the handler in one transaction.

use chrono::Duration;

use super::{
    dto::{Attendance, AttendanceEntry, AttendanceReport, AttendanceResult, CheckInCode},
    rules,
    store::{self, AttendanceRow, SessionAttended},
};
use crate::{
    activities::{
        self, rules as activity_rules,
        sessions::{service as sessions, SessionRow},
        ActivityRow,
    },
    auth::Caller,
    db::{self, now, DbConnection},
    enrollments::{dto::EnrollmentStatus, rules as completion, store as enrollment_store},
    error::{ApiError, ApiResult, ProblemType},
};

/// The sessions an enrollment attended, for the credit a series supports.
pub fn sessions_attended(conn: &mut DbConnection, enrollment_id: &str) -> ApiResult<Vec<SessionAttended>> {
    store::sessions_attended(conn, enrollment_id)
}

/// Records attendance once (a second record for the same session is a no-op), then completes
/// the enrollment if the requirements are now met.
fn record(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    session: &SessionRow,
    enrollment: &enrollment_store::EnrollmentRow,
    minutes: i32,
    source: &str,
    recorded_by: &str,
) -> ApiResult<Attendance> {
    let row = match store::find(conn, &session.id, &enrollment.id)? {
        Some(found) => found,
        None => {
            let row = AttendanceRow { minutes, source: source.to_string(), recorded_at: now() };
            store::insert(conn, &session.id, &enrollment.id, &row, recorded_by)?;
            row
        }
    };
    let status = complete_if_met(conn, activity, enrollment)?;
    Ok(Attendance {
        session_id: session.id.clone(),
        enrollment_id: enrollment.id.clone(),
        minutes: row.minutes,
        source: row.source,
        recorded_at: db::to_utc(row.recorded_at),
        enrollment_status: status,
    })
}

/// Completes a registered enrollment whose attendance meets the activity's requirements.
/// The completion date is the local date of the last attended session's end.
pub fn complete_if_met(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    enrollment: &enrollment_store::EnrollmentRow,
) -> ApiResult<EnrollmentStatus> {
    let current = enrollment_store::find(conn, &enrollment.id)?.ok_or(ApiError::NotFound)?;
    if current.status()? != EnrollmentStatus::Registered {
        return current.status();
    }
    let attended = store::sessions_attended(conn, &enrollment.id)?;
    let scheduled_minutes: i64 =
        sessions::of_activity(conn, &activity.id)?.iter().map(SessionRow::scheduled_minutes).sum();
    let attended_minutes: i64 = attended.iter().map(|a| i64::from(a.minutes)).sum();
    let share = rules::attended_share(attended_minutes, scheduled_minutes);
    let input = activity.input()?;
    let done = crate::enrollments::service::participation(
        conn,
        &enrollment.id,
        Some(attended_minutes as i32),
        Some(share),
    )?;
    let met = !attended.is_empty()
        && completion::missing_requirements(&input.completion_requirements, &done).is_empty();
    if !met {
        return Ok(EnrollmentStatus::Registered);
    }
    let last_end = attended.iter().map(|a| a.ends_at).max().unwrap_or_else(now);
    let mut next = current.clone();
    next.status = enrollment_store::status_str(EnrollmentStatus::Completed).into();
    next.minutes_spent = Some(attended_minutes as i32);
    next.completed_at = Some(last_end.min(now()));
    next.completion_date = Some(activity_rules::local_date(db::to_utc(last_end), &input.time_zone));
    enrollment_store::save(conn, &current, next)?;
    Ok(EnrollmentStatus::Completed)
}

/// A session's check-in code (the activity's planners and administrators).
pub fn check_in_code(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> ApiResult<CheckInCode> {
    let session = managed_session(conn, caller, session_id)?.0;
    Ok(CheckInCode { code: session.check_in_code.unwrap_or_default(), session_id: session.id })
}

pub fn rotate_check_in_code(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> ApiResult<CheckInCode> {
    let session = managed_session(conn, caller, session_id)?.0;
    let code = sessions::rotate_check_in_code(conn, &session)?;
    Ok(CheckInCode { session_id: session.id, code })
}

/// The session and its activity, if the caller plans it (the activity may be finished: its
/// attendance can still be corrected).
fn managed_session(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> ApiResult<(SessionRow, ActivityRow)> {
    let session = sessions::find(conn, session_id)?;
    let activity = activities::service::editable(conn, caller, &session.activity_id)?;
    Ok((session, activity))
}

fn attending(status: EnrollmentStatus) -> bool {
    matches!(status, EnrollmentStatus::Registered | EnrollmentStatus::Completed)
}

/// A learner checks in with the session's code, inside its window.
pub fn check_in(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    code: &str,
    grace: Duration,
) -> ApiResult<Attendance> {
    let user_id = caller.person()?.0.to_string();
    let session = sessions::find(conn, session_id)?;
    let activity = activities::service::visible(conn, Some(caller), &session.activity_id)?;
    let enrollment =
        enrollment_store::live_enrollment(conn, &activity.id, &user_id)?.ok_or(ApiError::NotFound)?;
    let expected = session.check_in_code.clone().unwrap_or_default();
    if !crate::auth::secrets::constant_time_eq(
        code.trim().to_ascii_uppercase().as_bytes(),
        expected.as_bytes(),
    ) {
        return Err(ApiError::validation("code", "wrong_code", "the check-in code is not this session's"));
    }
    if !rules::check_in_open(now(), session.starts_at, session.ends_at, grace) {
        return Err(ApiError::Conflict {
            kind: ProblemType::CheckInWindow,
            detail: "check-in opens 15 minutes before the session and closes after it ends".into(),
        });
    }
    if !attending(enrollment.status()?) {
        return Err(ApiError::Conflict {
            kind: ProblemType::NotRegistered,
            detail: format!("the enrollment is {}", enrollment.status),
        });
    }
    let minutes = session.scheduled_minutes() as i32;
    record(conn, &activity, &session, &enrollment, minutes, "check_in", &format!("user:{user_id}"))
}

/// A planner records attendance for many learners; each entry is accepted or refused on its
/// own, with the reason.
pub fn record_many(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    entries: Vec<AttendanceEntry>,
) -> ApiResult<AttendanceReport> {
    let (session, activity) = managed_session(conn, caller, session_id)?;
    let recorder = caller.actor();
    let mut results = Vec::with_capacity(entries.len());
    for entry in entries {
        let outcome = match enrollment_store::live_enrollment(conn, &activity.id, &entry.user_id)? {
            None => Err("not enrolled in this activity".to_string()),
            Some(enrollment) if !attending(enrollment.status()?) => {
                Err(format!("the enrollment is {}", enrollment.status))
            }
            Some(_) if i64::from(entry.minutes) > session.scheduled_minutes() => {
                Err(format!("more minutes than the session's {}", session.scheduled_minutes()))
            }
            Some(enrollment) => {
                Ok(record(conn, &activity, &session, &enrollment, entry.minutes, "planner", &recorder)?)
            }
        };
        results.push(match outcome {
            Ok(attendance) => AttendanceResult {
                user_id: entry.user_id,
                accepted: true,
                reason: None,
                attendance: Some(attendance),
            },
            Err(reason) => AttendanceResult {
                user_id: entry.user_id,
                accepted: false,
                reason: Some(reason),
                attendance: None,
            },
        });
    }
    Ok(AttendanceReport { results })
}
