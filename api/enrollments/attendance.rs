//! Attendance: learners check in to a session with its short code inside the session's
//! window; planners record attendance in bulk. Recording attendance completes an enrollment
//! as soon as the activity's requirements are met.

use actix_web::{get, post, web, HttpResponse};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::{
    activities::{self, rules as activity_rules, sessions::SessionRow, store::ActivityRow},
    auth::Caller,
    db::{
        self, now,
        schema::{activity_sessions, session_attendance},
        DbConnection,
    },
    enrollments::{dto::EnrollmentStatus, rules, store},
    error::{ApiError, ApiResult, Problem, ProblemType},
    http::json::ApiJson,
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_code).service(rotate_code).service(check_in).service(record_attendance);
}

/// How early before its start a session opens for check-in.
const OPENS_BEFORE_MINUTES: i64 = 15;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckInCode {
    pub session_id: String,
    #[schema(example = "K7MQ2X")]
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "K7MQ2X"}))]
pub struct CheckInRequest {
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attendance {
    pub session_id: String,
    pub enrollment_id: String,
    pub minutes: i32,
    /// `check_in` or `planner`.
    pub source: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// The enrollment's status after recording (it may have just completed).
    pub enrollment_status: EnrollmentStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct AttendanceEntry {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: String,
    #[validate(range(min = 1, max = 10_000))]
    #[schema(minimum = 1, maximum = 10_000)]
    pub minutes: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"entries": [{"user_id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41", "minutes": 60}]}))]
pub struct AttendanceRequest {
    #[validate(length(min = 1, max = 500), nested)]
    #[schema(min_items = 1, max_items = 500)]
    pub entries: Vec<AttendanceEntry>,
}

/// What happened to one entry of a bulk request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttendanceResult {
    pub user_id: String,
    pub accepted: bool,
    /// Why it was not accepted.
    pub reason: Option<String>,
    pub attendance: Option<Attendance>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttendanceReport {
    pub results: Vec<AttendanceResult>,
}

fn session(conn: &mut DbConnection, id: &str) -> ApiResult<SessionRow> {
    activity_sessions::table
        .find(id)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound)
}

/// Records attendance once (a second record for the same session is a no-op), then completes
/// the enrollment if the requirements are now met.
fn record(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    session: &SessionRow,
    enrollment: &store::EnrollmentRow,
    minutes: i32,
    source: &str,
    recorded_by: &str,
) -> ApiResult<Attendance> {
    let existing: Option<(i32, String, NaiveDateTime)> = session_attendance::table
        .find((&session.id, &enrollment.id))
        .select((session_attendance::minutes, session_attendance::source, session_attendance::recorded_at))
        .first(conn)
        .optional()?;
    let (minutes, source, recorded_at) = match existing {
        Some(found) => found,
        None => {
            let recorded_at = now();
            diesel::insert_into(session_attendance::table)
                .values((
                    session_attendance::session_id.eq(&session.id),
                    session_attendance::enrollment_id.eq(&enrollment.id),
                    session_attendance::minutes.eq(minutes),
                    session_attendance::source.eq(source),
                    session_attendance::recorded_by.eq(recorded_by),
                    session_attendance::recorded_at.eq(recorded_at),
                ))
                .execute(conn)?;
            (minutes, source.to_string(), recorded_at)
        }
    };
    let status = complete_if_met(conn, activity, enrollment)?;
    Ok(Attendance {
        session_id: session.id.clone(),
        enrollment_id: enrollment.id.clone(),
        minutes,
        source,
        recorded_at: db::to_utc(recorded_at),
        enrollment_status: status,
    })
}

/// Completes a registered enrollment whose attendance meets the activity's requirements.
/// The completion date is the local date of the last attended session's end.
pub fn complete_if_met(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    enrollment: &store::EnrollmentRow,
) -> ApiResult<EnrollmentStatus> {
    let current = store::find(conn, &enrollment.id)?.ok_or(ApiError::NotFound)?;
    if current.status()? != EnrollmentStatus::Registered {
        return current.status();
    }
    let attended: Vec<(i32, NaiveDateTime)> = session_attendance::table
        .inner_join(activity_sessions::table)
        .filter(session_attendance::enrollment_id.eq(&enrollment.id))
        .select((session_attendance::minutes, activity_sessions::ends_at))
        .load(conn)?;
    let scheduled: Vec<(NaiveDateTime, NaiveDateTime)> = activity_sessions::table
        .filter(activity_sessions::activity_id.eq(&activity.id))
        .select((activity_sessions::starts_at, activity_sessions::ends_at))
        .load(conn)?;
    let scheduled_minutes: i64 = scheduled.iter().map(|(s, e)| (*e - *s).num_minutes()).sum();
    let attended_minutes: i64 = attended.iter().map(|(m, _)| i64::from(*m)).sum();
    let share =
        if scheduled_minutes > 0 { (attended_minutes * 100 / scheduled_minutes).min(100) as u8 } else { 0 };
    let input = activity.input()?;
    let requirements = &input.completion_requirements;
    let done = store::participation(conn, &enrollment.id, Some(attended_minutes as i32), Some(share))?;
    let met = !attended.is_empty() && rules::missing_requirements(requirements, &done).is_empty();
    if !met {
        return Ok(EnrollmentStatus::Registered);
    }
    let last_end = attended.iter().map(|(_, end)| *end).max().unwrap_or_else(now);
    let mut next = current.clone();
    next.status = store::status_str(EnrollmentStatus::Completed).into();
    next.minutes_spent = Some(attended_minutes as i32);
    next.completed_at = Some(last_end.min(now()));
    next.completion_date = Some(activity_rules::local_date(db::to_utc(last_end), &input.time_zone));
    store::save(conn, &current, next)?;
    Ok(EnrollmentStatus::Completed)
}

/// The editable session and its activity (planners of the activity and administrators).
fn managed_session(
    conn: &mut DbConnection,
    caller: &Caller,
    session_id: &str,
) -> ApiResult<(SessionRow, ActivityRow)> {
    let session = session(conn, session_id)?;
    let activity = activities::service::editable(conn, caller, &session.activity_id)?;
    Ok((session, activity))
}

/// A session's check-in code (the activity's planners and administrators).
#[utoipa::path(
    tag = "enrollments",
    operation_id = "get_check_in_code",
    security(("bearer" = [])),
    params(("session_id" = String, Path, description = "Session id")),
    responses(
        (status = 200, description = "The code", body = CheckInCode),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sessions/{session_id}/check-in-code")]
async fn get_code(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let code = db::run(&state.pool, move |conn| -> ApiResult<_> {
        let (session, _) = managed_session(conn, &caller, &id)?;
        Ok(CheckInCode { code: session.check_in_code.unwrap_or_default(), session_id: session.id })
    })
    .await?;
    Ok(HttpResponse::Ok().json(code))
}

/// Replace a session's check-in code (e.g. after it was shared too widely).
#[utoipa::path(
    tag = "enrollments",
    operation_id = "rotate_check_in_code",
    security(("bearer" = [])),
    params(("session_id" = String, Path, description = "Session id")),
    responses(
        (status = 200, description = "The new code", body = CheckInCode),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sessions/{session_id}/check-in-code")]
async fn rotate_code(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let code = db::write(&state.pool, move |conn| -> ApiResult<_> {
        let (session, _) = managed_session(conn, &caller, &id)?;
        let code = activities::sessions::new_check_in_code();
        diesel::update(activity_sessions::table.find(&session.id))
            .set(activity_sessions::check_in_code.eq(Some(&code)))
            .execute(conn)?;
        Ok(CheckInCode { session_id: session.id, code })
    })
    .await?;
    Ok(HttpResponse::Ok().json(code))
}

/// Check in to a session with its code: a registered learner, from 15 minutes before the
/// start until the grace period after the end. Checking in twice changes nothing.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "check_in",
    security(("bearer" = [])),
    params(("session_id" = String, Path, description = "Session id")),
    request_body = CheckInRequest,
    responses(
        (status = 200, description = "Attendance recorded", body = Attendance),
        (status = 404, description = "Unknown session, or not enrolled in its activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Outside the check-in window, or not registered (waitlisted, cancelled)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sessions/{session_id}/check-in")]
async fn check_in(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<CheckInRequest>,
) -> ApiResult<HttpResponse> {
    let (user_id, _) = caller.person()?;
    let user_id = user_id.to_string();
    let id = path.into_inner();
    let code = body.into_inner().code;
    let grace = Duration::seconds(state.settings.check_in_grace.as_secs() as i64);
    let attendance = db::write(&state.pool, move |conn| {
        let session = session(conn, &id)?;
        let activity = activities::service::visible(conn, Some(&caller), &session.activity_id)?;
        let enrollment = store::live_enrollment(conn, &activity.id, &user_id)?.ok_or(ApiError::NotFound)?;
        let expected = session.check_in_code.clone().unwrap_or_default();
        if !crate::auth::secrets::constant_time_eq(
            code.trim().to_ascii_uppercase().as_bytes(),
            expected.as_bytes(),
        ) {
            return Err(ApiError::validation(
                "code",
                "wrong_code",
                "the check-in code is not this session's",
            ));
        }
        let now = now();
        if now < session.starts_at - Duration::minutes(OPENS_BEFORE_MINUTES) || now > session.ends_at + grace
        {
            return Err(ApiError::Conflict {
                kind: ProblemType::CheckInWindow,
                detail: "check-in opens 15 minutes before the session and closes after it ends".into(),
            });
        }
        if !matches!(enrollment.status()?, EnrollmentStatus::Registered | EnrollmentStatus::Completed) {
            return Err(ApiError::Conflict {
                kind: ProblemType::NotRegistered,
                detail: format!("the enrollment is {}", enrollment.status),
            });
        }
        let minutes = (session.ends_at - session.starts_at).num_minutes() as i32;
        record(conn, &activity, &session, &enrollment, minutes, "check_in", &format!("user:{user_id}"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(attendance))
}

/// Record attendance for many learners at once (planners and administrators). Each entry is
/// accepted or refused on its own, with the reason.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "record_attendance",
    security(("bearer" = [])),
    params(("session_id" = String, Path, description = "Session id")),
    request_body = AttendanceRequest,
    responses(
        (status = 200, description = "One result per entry", body = AttendanceReport),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown session", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sessions/{session_id}/attendance")]
async fn record_attendance(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<AttendanceRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let entries = body.into_inner().entries;
    let report = db::write(&state.pool, move |conn| -> ApiResult<_> {
        let (session, activity) = managed_session(conn, &caller, &id)?;
        let recorder = caller.actor();
        let mut results = Vec::with_capacity(entries.len());
        for entry in entries {
            let refused = |reason: &str| AttendanceResult {
                user_id: entry.user_id.clone(),
                accepted: false,
                reason: Some(reason.to_string()),
                attendance: None,
            };
            let Some(enrollment) = store::live_enrollment(conn, &activity.id, &entry.user_id)? else {
                results.push(refused("not enrolled in this activity"));
                continue;
            };
            if !matches!(enrollment.status()?, EnrollmentStatus::Registered | EnrollmentStatus::Completed) {
                results.push(refused(&format!("the enrollment is {}", enrollment.status)));
                continue;
            }
            let scheduled = (session.ends_at - session.starts_at).num_minutes() as i32;
            if entry.minutes > scheduled {
                results.push(refused(&format!("more minutes than the session's {scheduled}")));
                continue;
            }
            let attendance =
                record(conn, &activity, &session, &enrollment, entry.minutes, "planner", &recorder)?;
            results.push(AttendanceResult {
                user_id: entry.user_id,
                accepted: true,
                reason: None,
                attendance: Some(attendance),
            });
        }
        Ok(AttendanceReport { results })
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}
