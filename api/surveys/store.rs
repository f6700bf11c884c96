//! Queries of surveys and responses, and the pair tables reports aggregate.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::{
    db::{
        now,
        schema::{
            survey_answers, survey_item_pairs, survey_level_pairs, survey_responses, survey_score_pairs,
            surveys,
        },
        to_utc, DbConnection,
    },
    error::{ApiError, ApiResult},
    surveys::{
        dto::{Answer, Question, Survey, SurveyInput, SurveyKind, SurveyResponse},
        rules::{self, CheckedAnswer},
    },
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = surveys)]
pub struct SurveyRow {
    pub id: String,
    pub activity_id: String,
    pub kind: String,
    pub details: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl SurveyRow {
    pub fn input(&self) -> ApiResult<SurveyInput> {
        serde_json::from_str(&self.details).map_err(ApiError::internal)
    }

    pub fn into_api(self, response_count: i64) -> ApiResult<Survey> {
        Ok(Survey {
            details: self.input()?,
            id: self.id,
            activity_id: self.activity_id,
            version: self.version,
            response_count,
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
        })
    }
}

pub fn insert(conn: &mut DbConnection, activity_id: &str, input: &SurveyInput) -> ApiResult<SurveyRow> {
    let at = now();
    let row = SurveyRow {
        id: uuid::Uuid::now_v7().to_string(),
        activity_id: activity_id.to_string(),
        kind: crate::db::enum_text(&input.kind),
        details: serde_json::to_string(input).map_err(ApiError::internal)?,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(surveys::table).values(&row).execute(conn)?;
    Ok(row)
}

/// Replaces the document if the version is still `current.version` (412 otherwise).
pub fn replace(conn: &mut DbConnection, current: &SurveyRow, input: &SurveyInput) -> ApiResult<SurveyRow> {
    let mut next = current.clone();
    next.kind = crate::db::enum_text(&input.kind);
    next.details = serde_json::to_string(input).map_err(ApiError::internal)?;
    next.version = current.version + 1;
    next.updated_at = now();
    let updated = diesel::update(
        surveys::table.filter(surveys::id.eq(&current.id)).filter(surveys::version.eq(current.version)),
    )
    .set(&next)
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(next)
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<SurveyRow>> {
    Ok(surveys::table.find(id).select(SurveyRow::as_select()).first(conn).optional()?)
}

pub fn of_activity(conn: &mut DbConnection, activity_id: &str) -> ApiResult<Vec<SurveyRow>> {
    Ok(surveys::table
        .filter(surveys::activity_id.eq(activity_id))
        .order(surveys::id)
        .select(SurveyRow::as_select())
        .load(conn)?)
}

pub fn response_count(conn: &mut DbConnection, survey_id: &str) -> ApiResult<i64> {
    Ok(survey_responses::table.filter(survey_responses::survey_id.eq(survey_id)).count().get_result(conn)?)
}

// `None` inserts NULL, not DEFAULT (no column here has another default): the INSERT has one
// shape, which diesel prepares once per connection instead of PostgreSQL parsing it each time.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_responses, treat_none_as_default_value = false)]
pub struct ResponseRow {
    pub id: String,
    pub survey_id: String,
    pub activity_id: String,
    pub enrollment_id: String,
    pub user_id: String,
    pub kind: String,
    pub attempt: i32,
    pub latest: i32,
    pub score_hundredths: Option<i32>,
    pub passed: Option<i32>,
    pub submitted_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_answers)]
pub struct AnswerRow {
    pub response_id: String,
    pub question_id: String,
    pub survey_id: String,
    pub activity_id: String,
    pub kind: String,
    pub question_type: String,
    pub moore_level: String,
    pub latest: i32,
    pub option_ids: Option<String>,
    pub number_value: Option<f64>,
    pub commit_value: Option<i32>,
    pub text_value: Option<String>,
    pub correct: Option<i32>,
}

impl AnswerRow {
    fn into_api(self) -> Answer {
        Answer {
            question_id: self.question_id,
            option_ids: self.option_ids.and_then(|ids| serde_json::from_str(&ids).ok()),
            value: self.number_value,
            text: self.text_value,
            commit: self.commit_value.map(|v| v == 1),
        }
    }
}

impl ResponseRow {
    pub fn into_api(self, answers: Vec<AnswerRow>) -> ApiResult<SurveyResponse> {
        Ok(SurveyResponse {
            kind: crate::db::parse_enum_text(&self.kind)?,
            id: self.id,
            survey_id: self.survey_id,
            enrollment_id: self.enrollment_id,
            user_id: self.user_id,
            attempt: self.attempt,
            score: self.score_hundredths.map(|s| f64::from(s) / 100.0),
            passed: self.passed.map(|p| p == 1),
            answers: answers.into_iter().map(AnswerRow::into_api).collect(),
            submitted_at: to_utc(self.submitted_at),
        })
    }
}

/// The learner's responses to a survey, oldest attempt first.
pub fn attempts(conn: &mut DbConnection, survey_id: &str, user_id: &str) -> ApiResult<Vec<ResponseRow>> {
    Ok(survey_responses::table
        .filter(survey_responses::survey_id.eq(survey_id))
        .filter(survey_responses::user_id.eq(user_id))
        .order(survey_responses::attempt)
        .select(ResponseRow::as_select())
        .load(conn)?)
}

/// Stores a response and its answers; earlier attempts stop counting (`latest = 0`).
pub fn insert_response(
    conn: &mut DbConnection,
    survey: &SurveyRow,
    questions: &[Question],
    row: &ResponseRow,
    answers: &[CheckedAnswer],
) -> ApiResult<()> {
    diesel::update(
        survey_responses::table
            .filter(survey_responses::survey_id.eq(&survey.id))
            .filter(survey_responses::user_id.eq(&row.user_id)),
    )
    .set(survey_responses::latest.eq(0))
    .execute(conn)?;
    let earlier = survey_responses::table
        .filter(survey_responses::survey_id.eq(&survey.id))
        .filter(survey_responses::user_id.eq(&row.user_id))
        .select(survey_responses::id);
    diesel::update(survey_answers::table.filter(survey_answers::response_id.eq_any(earlier)))
        .set(survey_answers::latest.eq(0))
        .execute(conn)?;
    diesel::insert_into(survey_responses::table).values(row).execute(conn)?;
    let rows: Vec<AnswerRow> = answers
        .iter()
        .map(|answer| {
            let question = questions.iter().find(|q| q.id == answer.question_id);
            AnswerRow {
                response_id: row.id.clone(),
                question_id: answer.question_id.clone(),
                survey_id: survey.id.clone(),
                activity_id: survey.activity_id.clone(),
                kind: row.kind.clone(),
                question_type: question.map(|q| crate::db::enum_text(&q.question_type)).unwrap_or_default(),
                moore_level: question.map(|q| crate::db::enum_text(&q.moore_level)).unwrap_or_default(),
                latest: 1,
                option_ids: answer.option_ids.as_ref().and_then(|ids| serde_json::to_string(ids).ok()),
                number_value: answer.number,
                commit_value: answer.commit.map(i32::from),
                text_value: answer.text.clone(),
                correct: answer.correct.map(i32::from),
            }
        })
        .collect();
    // One statement a row: diesel's MultiConnection has no batch insert.
    for row in &rows {
        diesel::insert_into(survey_answers::table).values(row).execute(conn)?;
    }
    Ok(())
}

pub fn answers_of(conn: &mut DbConnection, response_ids: &[&str]) -> ApiResult<Vec<AnswerRow>> {
    Ok(survey_answers::table
        .filter(survey_answers::response_id.eq_any(response_ids))
        .order((survey_answers::response_id, survey_answers::question_id))
        .select(AnswerRow::as_select())
        .load(conn)?)
}

/// A page of a survey's responses in id order.
pub fn responses(
    conn: &mut DbConnection,
    survey_id: &str,
    after: Option<String>,
    limit: i64,
) -> ApiResult<Vec<ResponseRow>> {
    let mut select = survey_responses::table
        .filter(survey_responses::survey_id.eq(survey_id))
        .select(ResponseRow::as_select())
        .order(survey_responses::id)
        .into_boxed();
    if let Some(after) = after {
        select = select.filter(survey_responses::id.gt(after));
    }
    Ok(crate::db::page_limit::at_least(select, limit + 1).load(conn)?)
}

/// The latest scored answers of a learner's latest pre- or post-test in an activity, by item.
fn latest_items(
    conn: &mut DbConnection,
    activity_id: &str,
    user_id: &str,
    kind: SurveyKind,
) -> ApiResult<Vec<(String, String, i32)>> {
    Ok(survey_answers::table
        .inner_join(survey_responses::table)
        .filter(survey_responses::activity_id.eq(activity_id))
        .filter(survey_responses::user_id.eq(user_id))
        .filter(survey_responses::kind.eq(crate::db::enum_text(&kind)))
        .filter(survey_responses::latest.eq(1))
        .filter(survey_answers::correct.is_not_null())
        .order((survey_responses::survey_id, survey_answers::question_id))
        .select((
            survey_answers::question_id,
            survey_answers::moore_level,
            survey_answers::correct.assume_not_null(),
        ))
        .load(conn)?)
}

fn latest_score(
    conn: &mut DbConnection,
    activity_id: &str,
    user_id: &str,
    kind: SurveyKind,
) -> ApiResult<Option<f64>> {
    let scores: Vec<Option<i32>> = survey_responses::table
        .filter(survey_responses::activity_id.eq(activity_id))
        .filter(survey_responses::user_id.eq(user_id))
        .filter(survey_responses::kind.eq(crate::db::enum_text(&kind)))
        .filter(survey_responses::latest.eq(1))
        .select(survey_responses::score_hundredths)
        .load(conn)?;
    // With several pre-tests (or post-tests) in one activity, the learner's mean counts.
    let scores: Vec<f64> = scores.into_iter().flatten().map(|s| f64::from(s) / 100.0).collect();
    Ok((!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64))
}

/// Rewrites the learner's pre/post pairs of the activity (per item, per Moore level and per
/// score) from their latest tests: what reports aggregate. Triggers keep the report totals of
/// each pair table in the same transaction.
pub fn refresh_pairs(conn: &mut DbConnection, activity_id: &str, user_id: &str) -> ApiResult<()> {
    diesel::delete(
        survey_item_pairs::table
            .filter(survey_item_pairs::activity_id.eq(activity_id))
            .filter(survey_item_pairs::user_id.eq(user_id)),
    )
    .execute(conn)?;
    diesel::delete(
        survey_level_pairs::table
            .filter(survey_level_pairs::activity_id.eq(activity_id))
            .filter(survey_level_pairs::user_id.eq(user_id)),
    )
    .execute(conn)?;
    diesel::delete(
        survey_score_pairs::table
            .filter(survey_score_pairs::activity_id.eq(activity_id))
            .filter(survey_score_pairs::user_id.eq(user_id)),
    )
    .execute(conn)?;
    let pre = latest_items(conn, activity_id, user_id, SurveyKind::PreTest)?;
    let post = latest_items(conn, activity_id, user_id, SurveyKind::PostTest)?;
    let pairs = rules::item_pairs(&pre, &post);
    for pair in &pairs {
        diesel::insert_into(survey_item_pairs::table)
            .values((
                survey_item_pairs::activity_id.eq(activity_id),
                survey_item_pairs::user_id.eq(user_id),
                survey_item_pairs::question_id.eq(pair.question_id),
                survey_item_pairs::moore_level.eq(pair.moore_level),
                survey_item_pairs::transition.eq(pair.transition()),
            ))
            .execute(conn)?;
    }
    for (level, profile) in rules::level_profiles(&pairs) {
        diesel::insert_into(survey_level_pairs::table)
            .values((
                survey_level_pairs::activity_id.eq(activity_id),
                survey_level_pairs::user_id.eq(user_id),
                survey_level_pairs::moore_level.eq(level),
                survey_level_pairs::items.eq(profile.items),
                survey_level_pairs::right_before.eq(profile.right_before),
                survey_level_pairs::right_after.eq(profile.right_after),
            ))
            .execute(conn)?;
    }
    let pre_score = latest_score(conn, activity_id, user_id, SurveyKind::PreTest)?;
    let post_score = latest_score(conn, activity_id, user_id, SurveyKind::PostTest)?;
    if let (Some(pre), Some(post)) = (pre_score, post_score) {
        let change = post - pre;
        diesel::insert_into(survey_score_pairs::table)
            .values((
                survey_score_pairs::activity_id.eq(activity_id),
                survey_score_pairs::user_id.eq(user_id),
                survey_score_pairs::pre_score.eq(pre),
                survey_score_pairs::post_score.eq(post),
                survey_score_pairs::change.eq(change),
                survey_score_pairs::change_squared.eq(change * change),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What the completion rule needs to know of an enrollment's surveys.
pub fn gates(conn: &mut DbConnection, enrollment_id: &str) -> ApiResult<(bool, bool)> {
    let evaluation: i64 = survey_responses::table
        .filter(survey_responses::enrollment_id.eq(enrollment_id))
        .filter(survey_responses::kind.eq(crate::db::enum_text(&SurveyKind::Evaluation)))
        .count()
        .get_result(conn)?;
    let passed: i64 = survey_responses::table
        .filter(survey_responses::enrollment_id.eq(enrollment_id))
        .filter(survey_responses::kind.eq(crate::db::enum_text(&SurveyKind::PostTest)))
        .filter(survey_responses::passed.eq(1))
        .count()
        .get_result(conn)?;
    Ok((evaluation > 0, passed > 0))
}
