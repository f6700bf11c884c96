//! HTTP for surveys: extract, call one use case of [`super::service`], map the result.

use actix_web::{get, http::header, patch, post, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    auth::{Caller, PendingCaller},
    db,
    error::{ApiResult, Problem},
    http::{
        csv, etag, idempotency,
        json::{ApiJson, JsonObject},
        pagination,
    },
    state::AppState,
    surveys::{
        dto::{ResponseListQuery, ResponseRequest, Survey, SurveyInput, SurveyResponse},
        service, tables,
    },
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_surveys)
        .service(create_survey)
        .service(get_survey)
        .service(patch_survey)
        .service(submit_response)
        .service(list_responses);
}

/// List an activity's surveys
///
/// The activity's surveys. Planners and administrators see the answer keys; enrolled learners
/// see the questions only; leadership and clients with `surveys:read` see everything but
/// responses.
#[utoipa::path(
    tag = "surveys",
    operation_id = "list_surveys",
    security(("bearer" = []), ("oauth2" = ["surveys:read"])),
    params(("activity_id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, description = "The surveys", body = Vec<Survey>),
        (status = 403, description = "Client without surveys:read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/activities/{activity_id}/surveys")]
async fn list_surveys(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let activity_id = path.into_inner();
    let surveys = db::run(&state.pool, move |conn| service::list(conn, &caller, &activity_id)).await?;
    Ok(HttpResponse::Ok().json(surveys))
}

/// Attach a survey to an activity
///
/// Attach a survey to an activity (its planners and administrators).
#[utoipa::path(
    tag = "surveys",
    operation_id = "create_survey",
    security(("bearer" = [])),
    params(("activity_id" = String, Path, description = "Activity id")),
    request_body = SurveyInput,
    responses(
        (status = 201, description = "Created", body = Survey, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not a planner of the activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown activity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid survey, each problem named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{activity_id}/surveys")]
async fn create_survey(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<SurveyInput>,
) -> ApiResult<HttpResponse> {
    let activity_id = path.into_inner();
    let input = body.into_inner();
    let survey =
        db::write(&state.pool, move |conn| service::create(conn, &caller, &activity_id, &input)).await?;
    let mut response = etag::versioned(actix_web::http::StatusCode::CREATED, survey.version, &survey);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/v1/surveys/{}", survey.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Get a survey
///
/// One survey (answer keys for planners and administrators only).
#[utoipa::path(
    tag = "surveys",
    operation_id = "get_survey",
    security(("bearer" = []), ("oauth2" = ["surveys:read"])),
    params(("survey_id" = String, Path, description = "Survey id")),
    responses(
        (status = 200, description = "The survey", body = Survey, headers(("ETag" = String))),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/surveys/{survey_id}")]
async fn get_survey(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let survey = db::run(&state.pool, move |conn| service::get(conn, &caller, &id)).await?;
    Ok(etag::versioned(actix_web::http::StatusCode::OK, survey.version, &survey))
}

/// Change a survey (JSON Merge Patch)
///
/// Change a survey (JSON Merge Patch; `If-Match` required). Once it has responses its
/// questions are frozen (409): put wording fixes in a new survey.
#[utoipa::path(
    tag = "surveys",
    operation_id = "patch_survey",
    security(("bearer" = [])),
    params(
        ("survey_id" = String, Path, description = "Survey id"),
        ("If-Match" = String, Header, pattern = r#"^(\*|"[0-9]+"|[0-9]+)$"#, description = "ETag of the version you edited"),
    ),
    request_body(content = JsonObject, content_type = "application/merge-patch+json",
        example = json!({"title": "Sepsis: post-test (2027)"})),
    responses(
        (status = 200, description = "The updated survey", body = Survey, headers(("ETag" = String))),
        (status = 403, description = "Not a planner of the activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The questions are frozen: the survey has responses", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/surveys/{survey_id}")]
async fn patch_survey(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<JsonObject>,
) -> ApiResult<HttpResponse> {
    let precondition = etag::if_match(&req).required()?;
    let id = path.into_inner();
    let patch = serde_json::Value::Object(body.into_inner().0);
    let survey =
        db::write(&state.pool, move |conn| service::patch(conn, &caller, &id, precondition, &patch)).await?;
    Ok(etag::versioned(actix_web::http::StatusCode::OK, survey.version, &survey))
}

/// Respond to a survey
///
/// Respond to a survey (an enrolled learner, while it is open). Every answer is checked
/// against its question (422 naming it); one response per survey, except post-tests, which
/// allow `max_attempts`. Tests are scored at once; a post-test passes at the activity's
/// passing score. Completion is re-evaluated: an evaluation or a passed post-test can be what
/// it was waiting for.
#[utoipa::path(
    tag = "surveys",
    operation_id = "submit_survey_response",
    security(("bearer" = [])),
    params(
        ("survey_id" = String, Path, description = "Survey id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Same key and body replay the first response: a retried post-test does not use up an attempt"),
    ),
    request_body = ResponseRequest,
    responses(
        (status = 201, description = "Submitted (with the score of a test)", body = SurveyResponse),
        (status = 403, description = "Only enrolled learners respond", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown survey, or not enrolled", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already responded (or passed, or out of attempts), or the survey is not open", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid answers, each naming its question", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/surveys/{survey_id}/responses")]
async fn submit_response(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: PendingCaller,
    path: web::Path<String>,
    body: ApiJson<ResponseRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let stored =
        idempotency::create(&state.pool, &req, caller, body.into_inner(), move |conn, caller, request| {
            service::respond(conn, caller, &id, &request)
        })
        .await?;
    Ok(stored.respond())
}

/// List a survey's responses
///
/// Responses to a survey: all of them for its planners and administrators (JSON pages, or CSV
/// with `Accept: text/csv`); a learner's own for a learner. Leadership and clients read
/// aggregates in the outcome reports instead.
#[utoipa::path(
    tag = "surveys",
    operation_id = "list_survey_responses",
    security(("bearer" = [])),
    params(("survey_id" = String, Path, description = "Survey id"), ResponseListQuery),
    responses(
        (status = 200, description = "A page of responses, or all of them as CSV (at most 10,000)", content(
            (pagination::Page<SurveyResponse> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Invalid cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Leadership and clients see aggregates only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown survey, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/surveys/{survey_id}/responses")]
async fn list_responses(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<ResponseListQuery>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let query = query.into_inner();
    let as_csv = csv::wanted(&req);
    let limit = if as_csv { tables::CSV_ROWS } else { pagination::limit(query.limit)? };
    let after = pagination::decode_cursor::<String>(query.cursor.as_deref())?;
    let (page, questions) =
        db::run(&state.pool, move |conn| service::responses(conn, &caller, &id, after, limit)).await?;
    if as_csv {
        return Ok(csv::attachment("responses.csv", tables::responses_csv(&page.data, &questions)));
    }
    Ok(pagination::respond(&req, page))
}
