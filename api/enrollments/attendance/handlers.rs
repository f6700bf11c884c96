//! HTTP for attendance: extract, call one use case of [`super::service`], map the result.

use actix_web::{get, post, web, HttpResponse};
use chrono::Duration;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{
    dto::{Attendance, AttendanceReport, AttendanceRequest, CheckInCode, CheckInRequest},
    service,
};
use crate::{
    auth::{Caller, PendingCaller},
    db::{self, DbConnection},
    error::{ApiError, ApiResult, Problem},
    http::json::ApiJson,
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_code)
        .service(rotate_code)
        .service(check_in)
        .service(check_out)
        .service(record_attendance);
}

/// Get a session's check-in code
///
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
    let code = db::run(&state.pool, move |conn| service::check_in_code(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(code))
}

/// Replace a session's check-in code
///
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
    let code = db::write(&state.pool, move |conn| service::rotate_check_in_code(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(code))
}

/// Check in to a session with its code
///
/// Check in to a session with its code, from 15 minutes before the start until the grace
/// period after the end. Presence counts from the start (or a late arrival) and its time once
/// the learner checks out or a planner confirms. At a series (or any activity allowing
/// walk-ins) a learner who is not enrolled is registered on the spot. Checking in twice
/// changes nothing.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "check_in",
    security(("bearer" = [])),
    params(("session_id" = String, Path, description = "Session id")),
    request_body = CheckInRequest,
    responses(
        (status = 200, description = "Attendance recorded", body = Attendance),
        (status = 404, description = "Unknown session, or not enrolled in an activity that takes no walk-ins", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Outside the check-in window (the code is not compared then), or not registered (waitlisted, cancelled)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code (counted: the detail says how many tries are left)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "10 wrong codes for this session: refused until its window closes (`Retry-After`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds until the session's window closes"))),
    )
)]
#[post("/sessions/{session_id}/check-in")]
async fn check_in(
    state: web::Data<AppState>,
    caller: PendingCaller,
    path: web::Path<String>,
    body: ApiJson<CheckInRequest>,
) -> ApiResult<HttpResponse> {
    send_code(state, caller, path.into_inner(), body.into_inner().code, service::check_in).await
}

/// A learner's check-in or check-out use case, with the grace period after a session.
type CodeUseCase = fn(&mut DbConnection, &Caller, &str, &str, Duration) -> ApiResult<service::CodeOutcome>;

/// Runs a check-in or check-out with the code the learner sent.
async fn send_code(
    state: web::Data<AppState>,
    caller: PendingCaller,
    session_id: String,
    code: String,
    use_case: CodeUseCase,
) -> ApiResult<HttpResponse> {
    let grace = Duration::seconds(state.settings.check_in_grace.as_secs() as i64);
    let outcome = db::write(&state.pool, move |conn| {
        let caller = caller.confirm(conn)?;
        use_case(conn, &caller, &session_id, &code, grace)
    })
    .await?;
    match outcome {
        service::CodeOutcome::Recorded(attendance) => Ok(HttpResponse::Ok().json(attendance)),
        // The wrong code was counted (committed); the answer says how many tries are left.
        service::CodeOutcome::WrongCode { tries_left } => Err(ApiError::validation(
            "code",
            "wrong_code",
            format!("the code is not this session's ({tries_left} tries left)"),
        )),
    }
}

/// Check out of a session with its code
///
/// Check out with the end-of-session code (shown by the planner in the last 15 minutes, until
/// the grace period after the end): the learner's presence since their check-in counts, and
/// the enrollment completes when the activity's requirements are met.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "check_out",
    security(("bearer" = [])),
    params(("session_id" = String, Path, description = "Session id")),
    request_body = CheckInRequest,
    responses(
        (status = 200, description = "Presence recorded to now (or the end)", body = Attendance),
        (status = 404, description = "Unknown session, or not enrolled in its activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Outside the check-out window (the code is not compared then), or not checked in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code (counted: the detail says how many tries are left)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "10 wrong codes for this session: refused until its window closes (`Retry-After`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds until the session's window closes"))),
    )
)]
#[post("/sessions/{session_id}/check-out")]
async fn check_out(
    state: web::Data<AppState>,
    caller: PendingCaller,
    path: web::Path<String>,
    body: ApiJson<CheckInRequest>,
) -> ApiResult<HttpResponse> {
    send_code(state, caller, path.into_inner(), body.into_inner().code, service::check_out).await
}

/// Record attendance for many learners
///
/// Record attendance for many learners at once (planners and administrators), once the session
/// has ended: minutes each, or, leaving `minutes` out, a confirmation that the learner was
/// present from their check-in (or the start) to the end. A planner's record replaces an
/// earlier one. Each entry is accepted or refused on its own, with the reason.
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
        (status = 422, description = "Invalid body, or the session has not ended (`session-not-ended`)", body = Problem, content_type = "application/problem+json"),
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
    let report =
        db::write(&state.pool, move |conn| service::record_many(conn, &caller, &id, entries)).await?;
    Ok(HttpResponse::Ok().json(report))
}
