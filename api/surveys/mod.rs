//! Outcome surveys of an activity (pre-tests, post-tests, evaluations, follow-ups) and the
//! learners' responses: every answer checked against its question, tests scored on submit,
//! and the completion rule run again, since evaluations and post-tests can be requirements.

pub mod dto;
pub mod rules;
pub mod store;

use actix_web::{get, http::header, patch, post, web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    access::{Decision, Relation, SurveyAccess as Access},
    activities::{self, store::ActivityRow},
    auth::Caller,
    db::{self, now, to_utc, DbConnection},
    enrollments::{self, dto::EnrollmentStatus},
    error::{ApiError, ApiResult, Problem, ProblemType},
    http::{
        csv, etag, idempotency,
        json::{self, ApiJson, JsonObject},
        pagination,
    },
    state::AppState,
    surveys::{
        dto::{ResponseListQuery, ResponseRequest, Survey, SurveyInput, SurveyKind, SurveyResponse},
        store::{ResponseRow, SurveyRow},
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

/// What the caller may do with the activity's surveys (404 for people with no part in it).
fn access(conn: &mut DbConnection, caller: &Caller, activity: &ActivityRow) -> ApiResult<Option<Access>> {
    match crate::access::survey_access(&Relation::of(conn, caller, &activity.id)?) {
        Ok(access) => Ok(Some(access)),
        Err(Decision::Hide) => Ok(None),
        Err(refusal) => refusal.check().map(|()| None),
    }
}

/// Learners do not see the answer key.
fn redact(mut input: SurveyInput, access: Access) -> SurveyInput {
    if access == Access::Respond {
        for question in &mut input.questions {
            question.correct_option_ids.clear();
        }
    }
    input
}

fn survey_response(conn: &mut DbConnection, row: SurveyRow, access: Access) -> ApiResult<Survey> {
    let count = store::response_count(conn, &row.id)?;
    let mut survey = row.into_api(count)?;
    survey.details = redact(survey.details, access);
    Ok(survey)
}

/// The survey and its activity, with the caller's access; 404 when they have none.
fn visible_survey(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> ApiResult<(SurveyRow, ActivityRow, Access)> {
    let survey = store::find(conn, id)?.ok_or(ApiError::NotFound)?;
    let activity = activities::store::find(conn, &survey.activity_id)?.ok_or(ApiError::NotFound)?;
    let access = access(conn, caller, &activity)?.ok_or(ApiError::NotFound)?;
    Ok((survey, activity, access))
}

fn check(input: &SurveyInput) -> ApiResult<()> {
    let errors = rules::check_survey(input);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation { errors })
    }
}

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
    let surveys = db::run(&state.pool, move |conn| {
        let activity = activities::store::find(conn, &activity_id)?.ok_or(ApiError::NotFound)?;
        let access = access(conn, &caller, &activity)?.ok_or(ApiError::NotFound)?;
        store::of_activity(conn, &activity.id)?
            .into_iter()
            .map(|row| survey_response(conn, row, access))
            .collect::<ApiResult<Vec<_>>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(surveys))
}

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
    check(&input)?;
    let survey = db::write(&state.pool, move |conn| {
        let activity = activities::service::editable(conn, &caller, &activity_id)?;
        let row = store::insert(conn, &activity.id, &input)?;
        row.into_api(0)
    })
    .await?;
    let mut response = etag::versioned(actix_web::http::StatusCode::CREATED, survey.version, &survey);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/v1/surveys/{}", survey.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

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
    let survey = db::run(&state.pool, move |conn| {
        let (row, _, access) = visible_survey(conn, &caller, &id)?;
        survey_response(conn, row, access)
    })
    .await?;
    Ok(etag::versioned(actix_web::http::StatusCode::OK, survey.version, &survey))
}

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
    let survey = db::write(&state.pool, move |conn| {
        let (current, activity, _) = visible_survey(conn, &caller, &id)?;
        activities::service::editable(conn, &caller, &activity.id)?;
        precondition.check(current.version)?;
        let before = current.input()?;
        let after: SurveyInput = json::patched(&before, &patch)?;
        check(&after)?;
        let responses = store::response_count(conn, &current.id)?;
        if responses > 0 && (after.questions != before.questions || after.kind != before.kind) {
            return Err(ApiError::Conflict {
                kind: ProblemType::SurveyFrozen,
                detail: format!(
                    "the survey has {responses} response(s): its questions cannot change; create a new version"
                ),
            });
        }
        store::replace(conn, &current, &after)?.into_api(responses)
    })
    .await?;
    Ok(etag::versioned(actix_web::http::StatusCode::OK, survey.version, &survey))
}

fn closed(detail: String) -> ApiError {
    ApiError::Conflict { kind: ProblemType::SurveyNotOpen, detail }
}

/// Whether the learner may respond now: pre-tests before completion; post-tests and
/// evaluations while registered or completed; follow-ups in their window after completion.
fn check_window(input: &SurveyInput, enrollment: &enrollments::store::EnrollmentRow) -> ApiResult<()> {
    let status = enrollment.status()?;
    match input.kind {
        SurveyKind::PreTest if status != EnrollmentStatus::Registered => {
            Err(closed("the pre-test is taken before completing the activity".into()))
        }
        SurveyKind::PostTest | SurveyKind::Evaluation
            if !matches!(status, EnrollmentStatus::Registered | EnrollmentStatus::Completed) =>
        {
            Err(closed(format!("the enrollment is {}", enrollment.status)))
        }
        SurveyKind::FollowUp => {
            let Some(completed_at) =
                enrollment.completed_at.filter(|_| status == EnrollmentStatus::Completed)
            else {
                return Err(closed("the follow-up opens after completing the activity".into()));
            };
            let opens = to_utc(completed_at) + Duration::days(i64::from(input.opens_after_days.unwrap_or(0)));
            let window = input.closes_after_days.unwrap_or(rules::DEFAULT_FOLLOW_UP_WINDOW_DAYS);
            let closes = opens + Duration::days(i64::from(window));
            let now = Utc::now();
            if now < opens {
                return Err(closed(format!("the follow-up opens on {}", opens.date_naive())));
            }
            if now >= closes {
                return Err(closed(format!("the follow-up closed on {}", closes.date_naive())));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// How many responses a learner may submit, and whether another is allowed now.
fn check_attempts(input: &SurveyInput, earlier: &[ResponseRow]) -> ApiResult<i32> {
    let allowed = match input.kind {
        SurveyKind::PostTest => input.max_attempts.unwrap_or(rules::DEFAULT_POST_TEST_ATTEMPTS),
        _ => 1,
    };
    if earlier.iter().any(|r| r.passed == Some(1)) {
        return Err(ApiError::Conflict {
            kind: ProblemType::AlreadyPassed,
            detail: "the post-test is already passed".into(),
        });
    }
    if earlier.len() >= usize::from(allowed) {
        return Err(ApiError::Conflict {
            kind: ProblemType::AlreadyResponded,
            detail: if allowed == 1 {
                "you have already responded to this survey".into()
            } else {
                format!("all {allowed} attempts are used")
            },
        });
    }
    Ok(earlier.len() as i32 + 1)
}

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
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ResponseRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let stored =
        idempotency::create(&state.pool, &req, &caller, body.into_inner(), move |conn, caller, request| {
            let (user_id, _) = caller.person()?;
            let (survey, activity, access) = visible_survey(conn, caller, &id)?;
            let enrollment = enrollments::store::live_enrollment(conn, &activity.id, user_id)?;
            let Some(enrollment) = enrollment.filter(|_| access != Access::Read) else {
                return Err(ApiError::Forbidden {
                    kind: ProblemType::Forbidden,
                    detail: "surveys are answered by the activity's enrolled learners".into(),
                });
            };
            enrollments::store::lock_activity(conn, &activity.id)?;
            let input = survey.input()?;
            check_window(&input, &enrollment)?;
            let earlier = store::attempts(conn, &survey.id, user_id)?;
            let attempt = check_attempts(&input, &earlier)?;
            let answers = rules::check_answers(&input.questions, &request.answers).map_err(|errors| {
                ApiError::Rule {
                    kind: ProblemType::InvalidAnswers,
                    title: "Some answers do not fit their questions",
                    detail: format!("{} answer(s) to fix; nothing was stored", errors.len()),
                    errors,
                }
            })?;
            let score = rules::score(&input.questions, &answers).filter(|_| input.kind.is_test());
            let passing = activity.input()?.completion_requirements.post_test_passing_score;
            // Pass or fail only against a passing score the activity sets.
            let passed = match (input.kind, score, passing) {
                (SurveyKind::PostTest, Some(score), Some(passing)) => Some(score >= f64::from(passing)),
                _ => None,
            };
            let row = ResponseRow {
                id: uuid::Uuid::now_v7().to_string(),
                survey_id: survey.id.clone(),
                activity_id: activity.id.clone(),
                enrollment_id: enrollment.id.clone(),
                user_id: user_id.to_string(),
                kind: survey.kind.clone(),
                attempt,
                latest: 1,
                score_hundredths: score.map(|s| (s * 100.0).round() as i32),
                passed: passed.map(i32::from),
                submitted_at: now(),
            };
            store::insert_response(conn, &survey, &input.questions, &row, &answers)?;
            if input.kind.is_test() {
                store::refresh_pairs(conn, &activity.id, user_id)?;
            }
            enrollments::attendance::service::complete_if_met(conn, &activity, &enrollment)?;
            let stored = store::answers_of(conn, &[row.id.as_str()])?;
            row.into_api(stored)
        })
        .await?;
    Ok(stored.respond())
}

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
    let limit = if as_csv { CSV_ROWS } else { pagination::limit(query.limit)? };
    let after = pagination::decode_cursor::<String>(query.cursor.as_deref())?;
    let (page, questions) = db::run(&state.pool, move |conn| {
        let (survey, _, access) = visible_survey(conn, &caller, &id)?;
        let rows = match access {
            Access::Manage => store::responses(conn, &survey.id, after, limit)?,
            Access::Respond => store::attempts(conn, &survey.id, caller.person()?.0)?,
            Access::Read => {
                return Err(ApiError::Forbidden {
                    kind: ProblemType::Forbidden,
                    detail: "individual responses are for the activity's planners; read the outcome report"
                        .into(),
                })
            }
        };
        let page = pagination::paginate(rows, limit, |row| row.id.clone(), |row| row);
        let ids: Vec<&str> = page.data.iter().map(|r| r.id.as_str()).collect();
        let mut answers: std::collections::HashMap<String, Vec<store::AnswerRow>> = Default::default();
        for answer in store::answers_of(conn, &ids)? {
            answers.entry(answer.response_id.clone()).or_default().push(answer);
        }
        let data = page
            .data
            .into_iter()
            .map(|row| {
                let mine = answers.remove(&row.id).unwrap_or_default();
                row.into_api(mine)
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok((pagination::Page { data, next_cursor: page.next_cursor }, survey.input()?.questions))
    })
    .await?;
    if as_csv {
        return Ok(csv::attachment("responses.csv", responses_csv(&page.data, &questions)));
    }
    Ok(pagination::respond(&req, page))
}

const CSV_ROWS: i64 = 10_000;

/// One line per response, one column per question.
fn responses_csv(responses: &[SurveyResponse], questions: &[dto::Question]) -> String {
    let mut out = String::new();
    let mut header = vec![
        "response_id".to_string(),
        "user_id".into(),
        "attempt".into(),
        "score".into(),
        "passed".into(),
        "submitted_at".into(),
    ];
    header.extend(questions.iter().map(|q| q.id.clone()));
    csv::push_row(&mut out, &header);
    for response in responses {
        let mut row = vec![
            response.id.clone(),
            response.user_id.clone(),
            response.attempt.to_string(),
            response.score.map(|s| s.to_string()).unwrap_or_default(),
            response.passed.map(|p| p.to_string()).unwrap_or_default(),
            response.submitted_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ];
        for question in questions {
            let answer = response.answers.iter().find(|a| a.question_id == question.id);
            row.push(answer.map(answer_text).unwrap_or_default());
        }
        csv::push_row(&mut out, &row);
    }
    out
}

fn answer_text(answer: &dto::Answer) -> String {
    let mut parts = Vec::new();
    if let Some(ids) = &answer.option_ids {
        parts.push(ids.join(";"));
    }
    if let Some(value) = answer.value {
        parts.push(value.to_string());
    }
    if let Some(commit) = answer.commit {
        parts.push(if commit { "yes".into() } else { "no".into() });
    }
    if let Some(text) = &answer.text {
        parts.push(text.clone());
    }
    parts.join(" | ")
}
