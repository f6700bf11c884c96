//! Survey use cases, one public function each, run by the handler in one database call.

use chrono::Duration;

use crate::{
    access::{Decision, Relation, SurveyAccess as Access},
    activities::{self, rules::OutcomeMeasures, ActivityRow},
    auth::Caller,
    db::{now, to_utc, DbConnection},
    enrollments::{self, dto::EnrollmentStatus},
    error::{ApiError, ApiResult, ProblemType},
    http::{
        etag::Precondition,
        json,
        pagination::{self, Page},
    },
    surveys::{
        dto::{Question, ResponseRequest, Survey, SurveyInput, SurveyKind, SurveyResponse},
        rules,
        store::{self, ResponseRow, SurveyRow},
    },
};

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
    let activity = activities::service::find(conn, &survey.activity_id)?;
    let access = access(conn, caller, &activity)?.ok_or(ApiError::NotFound)?;
    Ok((survey, activity, access))
}

fn check(input: &SurveyInput) -> ApiResult<()> {
    let errors = rules::check_survey(input);
    ApiError::unless_valid(errors)
}

fn closed(detail: String) -> ApiError {
    ApiError::Conflict { kind: ProblemType::SurveyNotOpen, detail }
}

/// Whether the learner may respond now: pre-tests before completion; post-tests and
/// evaluations while registered or completed; follow-ups in their window after completion.
fn check_window(input: &SurveyInput, enrollment: &enrollments::EnrollmentRow) -> ApiResult<()> {
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
            let now = crate::db::now_utc();
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

/// At a live activity, post-tests and evaluations open once the learner has attended time
/// that has passed (never before the activity has begun).
fn check_attended(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    input: &SurveyInput,
    enrollment: &enrollments::EnrollmentRow,
) -> ApiResult<()> {
    let after_attending = matches!(input.kind, SurveyKind::PostTest | SurveyKind::Evaluation);
    if !after_attending
        || !activity.input()?.format.is_live()
        || enrollment.status()? == EnrollmentStatus::Completed
    {
        return Ok(());
    }
    if enrollments::attendance::service::counted_minutes(conn, &enrollment.id)? > 0 {
        return Ok(());
    }
    Err(closed(format!(
        "the {} opens once you have attended the activity (check in, and check out at the end)",
        if input.kind == SurveyKind::PostTest { "post-test" } else { "evaluation" }
    )))
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

/// The activity's surveys, answer keys only for those who manage them.
pub fn list(conn: &mut DbConnection, caller: &Caller, activity_id: &str) -> ApiResult<Vec<Survey>> {
    let activity = activities::service::find(conn, activity_id)?;
    let access = access(conn, caller, &activity)?.ok_or(ApiError::NotFound)?;
    store::of_activity(conn, &activity.id)?
        .into_iter()
        .map(|row| survey_response(conn, row, access))
        .collect()
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    activity_id: &str,
    input: &SurveyInput,
) -> ApiResult<Survey> {
    check(input)?;
    let activity = activities::service::editable(conn, caller, activity_id)?;
    let row = store::insert(conn, &activity.id, input)?;
    row.into_api(0)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &str) -> ApiResult<Survey> {
    let (row, _, access) = visible_survey(conn, caller, id)?;
    survey_response(conn, row, access)
}

/// JSON Merge Patch of a survey; its questions freeze once it has responses.
pub fn patch(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    precondition: Precondition,
    patch: &serde_json::Value,
) -> ApiResult<Survey> {
    let (current, activity, _) = visible_survey(conn, caller, id)?;
    activities::service::editable(conn, caller, &activity.id)?;
    precondition.check(current.version)?;
    let before = current.input()?;
    let after: SurveyInput = json::patched(&before, patch)?;
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
}

/// An enrolled learner responds: answers checked, tests scored, completion re-evaluated.
pub fn respond(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    request: &ResponseRequest,
) -> ApiResult<SurveyResponse> {
    let (user_id, _) = caller.person()?;
    let (survey, activity, access) = visible_survey(conn, caller, id)?;
    let enrollment = enrollments::service::live_enrollment(conn, &activity.id, user_id)?;
    let Some(enrollment) = enrollment.filter(|_| access != Access::Read) else {
        return Err(ApiError::Forbidden {
            kind: ProblemType::Forbidden,
            detail: "surveys are answered by the activity's enrolled learners".into(),
        });
    };
    enrollments::service::lock_activity(conn, &activity.id)?;
    let input = survey.input()?;
    check_window(&input, &enrollment)?;
    check_attended(conn, &activity, &input, &enrollment)?;
    let earlier = store::attempts(conn, &survey.id, user_id)?;
    let attempt = check_attempts(&input, &earlier)?;
    let answers =
        rules::check_answers(&input.questions, &request.answers).map_err(|errors| ApiError::Rule {
            kind: ProblemType::InvalidAnswers,
            title: "Some answers do not fit their questions",
            detail: format!("{} answer(s) to fix; nothing was stored", errors.len()),
            errors,
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
}

/// A page of a survey's responses (all for its managers, their own for a learner), with the
/// survey's questions (the columns of a CSV).
pub fn responses(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    after: Option<String>,
    limit: i64,
) -> ApiResult<(Page<SurveyResponse>, Vec<Question>)> {
    let (survey, _, access) = visible_survey(conn, caller, id)?;
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
    Ok((Page { data, next_cursor: page.next_cursor }, survey.input()?.questions))
}

/// Whether the enrollment's evaluation is submitted and its post-test passed (what the
/// completion rule needs of its surveys).
pub fn gates(conn: &mut DbConnection, enrollment_id: &str) -> ApiResult<(bool, bool)> {
    store::gates(conn, enrollment_id)
}

/// Which outcome surveys an activity has (publishing checks its requirements can be met).
pub fn outcome_measures(conn: &mut DbConnection, activity_id: &str) -> ApiResult<OutcomeMeasures> {
    let kinds: Vec<SurveyKind> = store::of_activity(conn, activity_id)?
        .iter()
        .map(|row| row.input().map(|input| input.kind))
        .collect::<ApiResult<_>>()?;
    Ok(OutcomeMeasures {
        evaluation: kinds.contains(&SurveyKind::Evaluation),
        post_test: kinds.contains(&SurveyKind::PostTest),
    })
}
