//! Attendance use cases, one public function each, run by the handler in one transaction.
//! Every rule about time reads the service clock (`db::now`).

use chrono::{Duration, NaiveDateTime};

use super::{
    dto::{Attendance, AttendanceEntry, AttendanceReport, AttendanceResult, CheckInCode},
    rules::{self, Presence, Window},
    store::{self, AttendanceRow, SessionAttended},
};
use crate::{
    activities::{
        self, rules as activity_rules,
        sessions::{service as sessions, SessionRow},
        ActivityRow,
    },
    auth::{Caller, Role},
    db::{self, now, DbConnection},
    enrollments::{
        self, dto::EnrollmentStatus, rules as completion, store as enrollment_store, EnrollmentRow,
    },
    error::{ApiError, ApiResult, ProblemType, RateLimitPolicy},
};

fn window(session: &SessionRow) -> Window {
    Window { starts_at: session.starts_at, ends_at: session.ends_at }
}

/// The sessions an enrollment attended, for the credit a series supports.
pub fn sessions_attended(conn: &mut DbConnection, enrollment_id: &str) -> ApiResult<Vec<SessionAttended>> {
    store::sessions_attended(conn, enrollment_id)
}

/// Minutes of attendance that count now, over all sessions of the enrollment.
pub fn counted_minutes(conn: &mut DbConnection, enrollment_id: &str) -> ApiResult<i64> {
    let at = now();
    Ok(store::sessions_attended(conn, enrollment_id)?
        .iter()
        .map(|s| s.presence.counted_minutes(&s.window, at))
        .sum())
}

fn to_api(row: &AttendanceRow, window: &Window, status: EnrollmentStatus) -> Attendance {
    Attendance {
        session_id: row.session_id.clone(),
        enrollment_id: row.enrollment_id.clone(),
        minutes: row.presence().counted_minutes(window, now()) as i32,
        source: row.source.clone(),
        recorded_at: db::to_utc(row.recorded_at),
        present_from: row.present_from.map(db::to_utc),
        present_to: row.present_to.map(db::to_utc),
        enrollment_status: status,
    }
}

/// Completes a registered enrollment whose attendance meets the activity's requirements, with
/// the minutes that count now (time that has not passed never completes anything). The
/// completion date is the local date of the last attended session's end.
pub fn complete_if_met(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    enrollment: &EnrollmentRow,
) -> ApiResult<EnrollmentStatus> {
    let current = enrollment_store::find(conn, &enrollment.id)?.ok_or(ApiError::NotFound)?;
    if current.status()? != EnrollmentStatus::Registered {
        return current.status();
    }
    let at = now();
    let input = activity.input()?;
    if !input.format.is_live() {
        return complete_with_reported_minutes(conn, &input, current, at);
    }
    let attended: Vec<(i64, NaiveDateTime)> = store::sessions_attended(conn, &enrollment.id)?
        .iter()
        .map(|s| (s.presence.counted_minutes(&s.window, at), s.window.ends_at))
        .filter(|(minutes, _)| *minutes > 0)
        .collect();
    if attended.is_empty() {
        return Ok(EnrollmentStatus::Registered);
    }
    let scheduled_minutes: i64 =
        sessions::of_activity(conn, &activity.id)?.iter().map(SessionRow::scheduled_minutes).sum();
    let attended_minutes: i64 = attended.iter().map(|(minutes, _)| minutes).sum();
    let share = rules::attended_share(attended_minutes, scheduled_minutes);
    let done = enrollments::service::participation(
        conn,
        &enrollment.id,
        Some(attended_minutes as i32),
        Some(share),
    )?;
    if !completion::missing_requirements(&input.completion_requirements, &done).is_empty() {
        return Ok(EnrollmentStatus::Registered);
    }
    let last_end = attended.iter().map(|(_, end)| *end).max().unwrap_or(at);
    let mut next = current.clone();
    next.status = enrollment_store::status_str(EnrollmentStatus::Completed).into();
    next.minutes_spent = Some(attended_minutes as i32);
    next.completed_at = Some(last_end.min(at));
    next.completion_date = Some(activity_rules::local_date(db::to_utc(last_end.min(at)), &input.time_zone));
    let saved = enrollment_store::save(conn, &current, next)?;
    enrollments::service::announce(conn, crate::webhooks::EventType::EnrollmentCompleted, &saved)?;
    Ok(EnrollmentStatus::Completed)
}

/// An activity without sessions (enduring material, journal...) completes on the minutes an
/// LMS or planner reported, once the surveys it waits for are done; dated now, when the last
/// requirement was met.
fn complete_with_reported_minutes(
    conn: &mut DbConnection,
    input: &crate::activities::dto::ActivityInput,
    current: EnrollmentRow,
    at: NaiveDateTime,
) -> ApiResult<EnrollmentStatus> {
    let Some(minutes) = current.minutes_spent else { return Ok(EnrollmentStatus::Registered) };
    let done = enrollments::service::participation(conn, &current.id, Some(minutes), None)?;
    if !completion::missing_requirements(&input.completion_requirements, &done).is_empty() {
        return Ok(EnrollmentStatus::Registered);
    }
    let mut next = current.clone();
    next.status = enrollment_store::status_str(EnrollmentStatus::Completed).into();
    next.completed_at = Some(at);
    next.completion_date = Some(activity_rules::local_date(db::to_utc(at), &input.time_zone));
    let saved = enrollment_store::save(conn, &current, next)?;
    enrollments::service::announce(conn, crate::webhooks::EventType::EnrollmentCompleted, &saved)?;
    Ok(EnrollmentStatus::Completed)
}

/// A session's codes (the activity's planners and administrators).
pub fn check_in_code(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> ApiResult<CheckInCode> {
    let session = managed_session(conn, caller, session_id)?.0;
    codes(sessions::ensure_codes(conn, session)?)
}

pub fn rotate_check_in_code(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> ApiResult<CheckInCode> {
    let session = managed_session(conn, caller, session_id)?.0;
    codes(sessions::rotate_codes(conn, &session)?)
}

fn codes(session: SessionRow) -> ApiResult<CheckInCode> {
    Ok(CheckInCode {
        code: session.check_in_code.unwrap_or_default(),
        check_out_code: session.check_out_code.unwrap_or_default(),
        session_id: session.id,
    })
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

fn code_matches(sent: &str, expected: Option<&str>) -> bool {
    let expected = expected.unwrap_or_default();
    !expected.is_empty()
        && crate::auth::secrets::constant_time_eq(
            sent.trim().to_ascii_uppercase().as_bytes(),
            expected.as_bytes(),
        )
}

/// The learner's enrollment in the session's activity: their live one, or, for a walk-in at an
/// activity that allows them (series by default), a registration made on the spot.
fn attendee(conn: &mut DbConnection, caller: &Caller, activity: &ActivityRow) -> ApiResult<EnrollmentRow> {
    let (user_id, role) = caller.person()?;
    if let Some(enrollment) = enrollments::service::live_enrollment(conn, &activity.id, user_id)? {
        return Ok(enrollment);
    }
    let input = activity.input()?;
    if role != Role::Learner || !input.attendance.allows_walk_ins(input.format) {
        return Err(ApiError::NotFound);
    }
    enrollments::service::walk_in(conn, activity, user_id)
}

/// Wrong codes a learner may send for one session; then 429 until its window closes.
pub const MAX_CODE_FAILURES: i32 = 10;

/// What sending a code came to: recorded, or a wrong code (counted, and committed with the
/// count, so the handler answers 422 after the transaction).
pub enum CodeOutcome {
    Recorded(Attendance),
    WrongCode { tries_left: i32 },
}

/// The code checked only inside the window (a code cannot be tried days ahead), after the
/// learner's wrong codes for the session are counted: 429 once they reach the limit. Runs
/// under the activity's lock, so concurrent guesses are counted one by one.
fn check_code(
    conn: &mut DbConnection,
    session: &SessionRow,
    user_id: &str,
    sent: &str,
    expected: Option<&str>,
    closes_at: NaiveDateTime,
) -> ApiResult<Option<CodeOutcome>> {
    let failures = store::code_failures(conn, &session.id, user_id)?;
    if failures >= MAX_CODE_FAILURES {
        let retry_after_secs = (closes_at - now()).num_seconds().max(1) as u64;
        return Err(ApiError::TooManyRequests {
            retry_after_secs,
            policy: Some(RateLimitPolicy {
                name: "check-in-code-failures",
                limit: MAX_CODE_FAILURES as u32,
                window_secs: retry_after_secs,
            }),
        });
    }
    if code_matches(sent, expected) {
        return Ok(None);
    }
    store::count_code_failure(conn, &session.id, user_id)?;
    Ok(Some(CodeOutcome::WrongCode { tries_left: MAX_CODE_FAILURES - failures - 1 }))
}

/// A learner checks in with the session's code, inside its window: present from the start
/// (or their late arrival). A walk-in at a series is enrolled on the spot. Checking in twice
/// changes nothing.
pub fn check_in(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    code: &str,
    grace: Duration,
) -> ApiResult<CodeOutcome> {
    let (user_id, _) = caller.person()?;
    let session = sessions::find(conn, session_id)?;
    let activity = activities::service::visible(conn, Some(caller), &session.activity_id)?;
    let at = now();
    let window = window(&session);
    if !window.check_in_open(at, grace) {
        return Err(ApiError::Conflict {
            kind: ProblemType::CheckInWindow,
            detail: "check-in opens 15 minutes before the session and closes after it ends".into(),
        });
    }
    enrollments::service::lock_activity(conn, &activity.id)?;
    let expected = session.check_in_code.as_deref();
    if let Some(wrong) = check_code(conn, &session, user_id, code, expected, window.closes_at(grace))? {
        return Ok(wrong);
    }
    let enrollment = attendee(conn, caller, &activity)?;
    if !attending(enrollment.status()?) {
        return Err(ApiError::Conflict {
            kind: ProblemType::NotRegistered,
            detail: format!("the enrollment is {}", enrollment.status),
        });
    }
    let row = match store::find(conn, &session.id, &enrollment.id)? {
        Some(found) => found,
        None => {
            let from = window.arrival(at);
            let to = activity.input()?.attendance.check_in_counts_to_end.then_some(window.ends_at);
            let presence = Presence::from_stored(Some(from), to, 0);
            let row = AttendanceRow {
                session_id: session.id.clone(),
                enrollment_id: enrollment.id.clone(),
                minutes: presence.planned_minutes(&window),
                source: "check_in".into(),
                recorded_by: caller.actor(),
                recorded_at: at,
                present_from: Some(from),
                present_to: to,
            };
            store::insert(conn, &row)?;
            row
        }
    };
    let status = complete_if_met(conn, &activity, &enrollment)?;
    Ok(CodeOutcome::Recorded(to_api(&row, &window, status)))
}

/// A learner who checked in sends the end-of-session code in the session's last minutes:
/// present until now (or the end). Completion follows when the requirements are met.
pub fn check_out(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    code: &str,
    grace: Duration,
) -> ApiResult<CodeOutcome> {
    let (user_id, _) = caller.person()?;
    let session = sessions::find(conn, session_id)?;
    let activity = activities::service::visible(conn, Some(caller), &session.activity_id)?;
    let enrollment =
        enrollments::service::live_enrollment(conn, &activity.id, user_id)?.ok_or(ApiError::NotFound)?;
    let at = now();
    let window = window(&session);
    if !window.check_out_open(at, grace) {
        return Err(ApiError::Conflict {
            kind: ProblemType::CheckInWindow,
            detail: "check-out opens 15 minutes before the session ends and closes after it".into(),
        });
    }
    enrollments::service::lock_activity(conn, &activity.id)?;
    let expected = session.check_out_code.as_deref();
    if let Some(wrong) = check_code(conn, &session, user_id, code, expected, window.closes_at(grace))? {
        return Ok(wrong);
    }
    let Some(mut row) = store::find(conn, &session.id, &enrollment.id)? else {
        return Err(ApiError::Conflict {
            kind: ProblemType::NotCheckedIn,
            detail: "check in first: a check-out closes the time a check-in opened".into(),
        });
    };
    if let Presence::Arrived { from } = row.presence() {
        let presence = Presence::Stayed { from, to: window.departure(at) };
        row.present_to = Some(window.departure(at));
        row.minutes = presence.planned_minutes(&window);
        row.recorded_at = at;
        store::update(conn, &row)?;
    }
    let status = complete_if_met(conn, &activity, &enrollment)?;
    Ok(CodeOutcome::Recorded(to_api(&row, &window, status)))
}

/// A planner records attendance for many learners once the session has ended (422 before):
/// minutes each, or, without minutes, a confirmation that the learner was present from their
/// check-in (or the start) to the end. A planner's record replaces an earlier one. Each entry
/// is accepted or refused on its own, with the reason.
pub fn record_many(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
    entries: Vec<AttendanceEntry>,
) -> ApiResult<AttendanceReport> {
    let (session, activity) = managed_session(conn, caller, session_id)?;
    let window = window(&session);
    let at = now();
    if !window.has_ended(at) {
        return Err(ApiError::Rule {
            kind: ProblemType::SessionNotEnded,
            title: "The session has not ended",
            detail: format!("attendance is recorded once the session has ended ({} UTC)", session.ends_at),
            errors: Vec::new(),
        });
    }
    let recorder = caller.actor();
    let mut results = Vec::with_capacity(entries.len());
    for entry in entries {
        let outcome = match enrollments::service::live_enrollment(conn, &activity.id, &entry.user_id)? {
            None => Err("not enrolled in this activity".to_string()),
            Some(enrollment) if !attending(enrollment.status()?) => {
                Err(format!("the enrollment is {}", enrollment.status))
            }
            Some(_) if entry.minutes.is_some_and(|m| i64::from(m) > window.minutes()) => {
                Err(format!("more minutes than the session's {}", window.minutes()))
            }
            Some(enrollment) => {
                let row = planner_record(conn, &session, &enrollment, entry.minutes, &recorder, at)?;
                let status = complete_if_met(conn, &activity, &enrollment)?;
                Ok(to_api(&row, &window, status))
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

fn planner_record(
    conn: &mut DbConnection,
    session: &SessionRow,
    enrollment: &EnrollmentRow,
    minutes: Option<i32>,
    recorder: &str,
    at: NaiveDateTime,
) -> ApiResult<AttendanceRow> {
    let window = window(session);
    let existing = store::find(conn, &session.id, &enrollment.id)?;
    let presence = match minutes {
        Some(minutes) => Presence::Minutes(minutes),
        None => {
            let from = existing.as_ref().and_then(|row| row.present_from).unwrap_or(window.starts_at);
            Presence::Stayed { from, to: window.ends_at }
        }
    };
    let (present_from, present_to) = match presence {
        Presence::Stayed { from, to } => (Some(from), Some(to)),
        _ => (None, None),
    };
    let row = AttendanceRow {
        session_id: session.id.clone(),
        enrollment_id: enrollment.id.clone(),
        minutes: presence.planned_minutes(&window),
        source: "planner".into(),
        recorded_by: recorder.to_string(),
        recorded_at: at,
        present_from,
        present_to,
    };
    match existing {
        Some(_) => store::update(conn, &row)?,
        None => store::insert(conn, &row)?,
    }
    Ok(row)
}
