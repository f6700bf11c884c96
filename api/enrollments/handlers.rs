//! HTTP for enrollments: extract, call one use case of [`super::service`], map the result.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::{Caller, PendingCaller},
    db,
    enrollments::{
        dto::{
            BatchResult, CancelRequest, CompletionBatch, CompletionRequest, EnrollRequest, Enrollment,
            EnrollmentBatch, EnrollmentListQuery, EnrollmentStatus,
        },
        service,
    },
    error::{ApiResult, Problem},
    http::{csv, idempotency, json::ApiJson, pagination},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    // The batches first: `/enrollments/{enrollment_id}` would take their paths otherwise.
    cfg.service(enroll_batch)
        .service(complete_batch)
        .service(enroll)
        .service(roster)
        .service(list_enrollments)
        .service(get_enrollment)
        .service(cancel_enrollment)
        .service(complete_enrollment);
}

/// Enroll in an activity (or join its waitlist)
///
/// Enroll in an activity. When it is full the learner joins the waitlist and is promoted
/// automatically, first come first served. Send `Idempotency-Key` to retry safely.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "enroll",
    security(("bearer" = []), ("oauth2" = ["enrollments:write"])),
    params(
        ("activity_id" = String, Path, description = "Activity id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Same key and body replay the first response"),
    ),
    request_body = EnrollRequest,
    responses(
        (status = 201, description = "Registered or waitlisted", body = Enrollment, headers(("Location" = String))),
        (status = 403, description = "May not enroll this learner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already enrolled (the detail names the enrollment), or registration closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body, no learner account with that id or email (`unknown-learner`: the same for an unknown account and a staff one), or an Idempotency-Key reused for another request", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{activity_id}/enrollments")]
async fn enroll(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: PendingCaller,
    path: web::Path<String>,
    body: ApiJson<EnrollRequest>,
) -> ApiResult<HttpResponse> {
    let activity_id = path.into_inner();
    // Enrollments in one activity all lock its row: written together (see `db::write_grouped`).
    let lock_key = format!("activity:{activity_id}");
    let stored = idempotency::create_grouped(
        &state.pool,
        &req,
        caller,
        Some(&lock_key),
        body.into_inner(),
        move |conn, caller, request| service::enroll(conn, caller, &activity_id, &request),
    )
    .await?;
    Ok(stored.respond_created("/v1/enrollments"))
}

/// List enrollments
///
/// Enrollments: learners see their own; planners those of their activities; administrators
/// and clients with `enrollments:read` all.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "list_enrollments",
    security(("bearer" = []), ("oauth2" = ["enrollments:read"])),
    params(EnrollmentListQuery),
    responses(
        (status = 200, description = "A page of enrollments", body = pagination::Page<Enrollment>),
        (status = 400, description = "Invalid query or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Client without enrollments:read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enrollments")]
async fn list_enrollments(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<EnrollmentListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = db::run(&state.pool, move |conn| service::list(conn, &caller, &query)).await?;
    Ok(pagination::respond(&req, page))
}

/// List an activity's enrollments (its roster)
///
/// An activity's roster (its planners, administrators, clients with `enrollments:read`).
#[utoipa::path(
    tag = "enrollments",
    operation_id = "activity_roster",
    security(("bearer" = []), ("oauth2" = ["enrollments:read"])),
    params(("activity_id" = String, Path, description = "Activity id"), EnrollmentListQuery),
    responses(
        (status = 200, description = "A page of the roster (JSON), or the whole roster with the learners' names \
            and emails (`Accept: text/csv`, at most 10,000 rows)", content(
            (pagination::Page<Enrollment> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Not a planner of this activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities/{activity_id}/enrollments")]
async fn roster(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<EnrollmentListQuery>,
) -> ApiResult<HttpResponse> {
    let activity_id = path.into_inner();
    let query = query.into_inner();
    if csv::wanted(&req) {
        let csv = db::run(&state.pool, move |conn| service::roster_csv(conn, &caller, &activity_id, &query))
            .await?;
        return Ok(csv::attachment("roster.csv", csv));
    }
    let page = db::run(&state.pool, move |conn| service::roster(conn, &caller, &activity_id, &query)).await?;
    Ok(pagination::respond(&req, page))
}

/// Get an enrollment
///
/// One enrollment (404 for enrollments that are not yours to see).
#[utoipa::path(
    tag = "enrollments",
    operation_id = "get_enrollment",
    security(("bearer" = []), ("oauth2" = ["enrollments:read"])),
    params(("enrollment_id" = String, Path, description = "Enrollment id")),
    responses(
        (status = 200, description = "The enrollment", body = Enrollment),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enrollments/{enrollment_id}")]
async fn get_enrollment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let enrollment = db::run(&state.pool, move |conn| service::get(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(enrollment))
}

/// Cancel an enrollment
///
/// Cancel an enrollment: learners their own before the activity starts; planners and
/// administrators any time. A freed seat goes to the first of the waitlist at once. The
/// enrollment stays on record, cancelled.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "cancel_enrollment",
    security(("bearer" = [])),
    params(("enrollment_id" = String, Path, description = "Enrollment id")),
    request_body = CancelRequest,
    responses(
        (status = 200, description = "Cancelled", body = Enrollment),
        (status = 403, description = "May not cancel it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already cancelled or completed, or the activity has started", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enrollments/{enrollment_id}/cancel")]
async fn cancel_enrollment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<CancelRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    let enrollment = db::write(&state.pool, move |conn| service::cancel(conn, &caller, &id, reason)).await?;
    Ok(HttpResponse::Ok().json(enrollment))
}

/// Report completion of self-paced participation
///
/// Report completion of self-paced participation (enduring materials): planners,
/// administrators and clients with `enrollments:write`. The enrollment completes when the
/// activity's requirements are met; the completion date is the calendar date in the
/// activity's time zone. When only the learner's own steps are missing (the evaluation, the
/// post-test), the minutes are kept (202) and the enrollment completes when the last of them
/// is done. Too few minutes: 422 naming what is missing.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "complete_enrollment",
    security(("bearer" = []), ("oauth2" = ["enrollments:write"])),
    params(("enrollment_id" = String, Path, description = "Enrollment id")),
    request_body = CompletionRequest,
    responses(
        (status = 200, description = "Completed", body = Enrollment),
        (status = 202, description = "Minutes kept; completion waits for the learner's evaluation or post-test", body = Enrollment),
        (status = 403, description = "May not report completions", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not registered (waitlisted, cancelled or already completed)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Requirements not met, or a completion time in the future", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enrollments/{enrollment_id}/completion")]
async fn complete_enrollment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<CompletionRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let request = body.into_inner();
    let enrollment =
        db::write(&state.pool, move |conn| service::complete(conn, &caller, &id, &request)).await?;
    if enrollment.status == EnrollmentStatus::Completed {
        Ok(HttpResponse::Ok().json(enrollment))
    } else {
        Ok(HttpResponse::Accepted().json(enrollment))
    }
}

/// Enroll up to 500 learners at once
///
/// Enroll up to 500 learners (planners of the activities, administrators, integration clients
/// with `enrollments:write`). Each row is checked and written as a single enrollment would be,
/// on its own: the answer is 200 with one result per row, in order (`status` 201 and the
/// enrollment, or the row's problem). Send `Idempotency-Key` to retry the whole batch safely.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "enroll_batch",
    security(("bearer" = []), ("oauth2" = ["enrollments:write"])),
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Same key and body replay the first response"),
    ),
    request_body = EnrollmentBatch,
    responses(
        (status = 200, description = "One result per row", body = BatchResult),
        (status = 403, description = "Learners enroll themselves one call at a time", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (more than 500 rows, a malformed row)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enrollments/batch")]
async fn enroll_batch(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<EnrollmentBatch>,
) -> ApiResult<HttpResponse> {
    let answer = idempotency::batch(&state.pool, &req, &caller, body.into_inner(), |conn, caller, batch| {
        service::enroll_batch(conn, caller, &batch)
    })
    .await?;
    Ok(answer.respond())
}

/// Report up to 500 completions at once
///
/// Report up to 500 completions (minutes spent, when), each as a single completion would be,
/// on its own: 200 with one result per row (`status` 200 and the enrollment, or the row's
/// problem). Send `Idempotency-Key` to retry the whole batch safely.
#[utoipa::path(
    tag = "enrollments",
    operation_id = "complete_batch",
    security(("bearer" = []), ("oauth2" = ["enrollments:write"])),
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Same key and body replay the first response"),
    ),
    request_body = CompletionBatch,
    responses(
        (status = 200, description = "One result per row", body = BatchResult),
        (status = 403, description = "Learners report nothing in batches", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (more than 500 rows, a malformed row)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enrollments/completions/batch")]
async fn complete_batch(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CompletionBatch>,
) -> ApiResult<HttpResponse> {
    let answer = idempotency::batch(&state.pool, &req, &caller, body.into_inner(), |conn, caller, batch| {
        service::complete_batch(conn, caller, &batch)
    })
    .await?;
    Ok(answer.respond())
}
