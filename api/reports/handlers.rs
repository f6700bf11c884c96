//! HTTP for outcome reports: extract, call one use case of [`super::service`], map the result.

use actix_web::{get, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::Caller,
    db,
    error::{ApiResult, Problem},
    http::csv,
    reports::{
        dto::{ActivityOutcomes, ProgramOutcomes, ProgramReportQuery},
        service, tables,
    },
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(activity_outcomes).service(program_outcomes);
}

/// Report an activity's outcomes by Moore level
///
/// An activity's outcomes by Moore level: participation (1), satisfaction (2), knowledge and
/// competence from pre/post tests with paired statistics (3-4), commitment to change (4),
/// follow-up implementation (5), free text for review, and which levels were measured and
/// how. `Accept: text/csv` for one measure per line.
#[utoipa::path(
    tag = "reports",
    operation_id = "activity_outcomes",
    security(("bearer" = []), ("oauth2" = ["surveys:read"])),
    params(("activity_id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, description = "The report", content(
            (ActivityOutcomes = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, description = "Not a planner of the activity, leadership, or a client with surveys:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities/{activity_id}/outcomes")]
async fn activity_outcomes(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let report = db::run(&state.pool, move |conn| service::activity_outcomes(conn, &caller, &id)).await?;
    if csv::wanted(&req) {
        return Ok(csv::attachment("outcomes.csv", tables::outcomes_csv(&report)));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Report the program's outcomes for leadership
///
/// The program's outcomes for leadership: totals, by format, by Moore level, and a line per
/// activity, over activities held in the period (filters: `from`, `to`, `format`,
/// `specialty`). Administrators, leadership and clients with `surveys:read` see the whole
/// program; planners their own activities. `Accept: text/csv` for the activity lines.
#[utoipa::path(
    tag = "reports",
    operation_id = "program_outcomes",
    security(("bearer" = []), ("oauth2" = ["surveys:read"])),
    params(ProgramReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (ProgramOutcomes = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Learners, and clients without surveys:read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/outcomes")]
async fn program_outcomes(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ProgramReportQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let report = db::run(&state.pool, move |conn| service::program_outcomes(conn, &caller, &query)).await?;
    if csv::wanted(&req) {
        return Ok(csv::attachment("program-outcomes.csv", tables::program_csv(&report)));
    }
    Ok(HttpResponse::Ok().json(report))
}
