//! The aggregate queries of outcome reports: counts and sums grouped in the database, never
//! the responses themselves (except the free-text answers listed for review, bounded).

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use diesel::{
    dsl::{count, count_star, sum},
    prelude::*,
};

use crate::{
    db::{
        schema::{
            activities as activities_table, credit_claims, participation_totals, session_attendance,
            survey_answers, survey_level_pair_totals, survey_question_totals, survey_responses,
            survey_score_pair_totals, survey_transition_totals,
        },
        DbConnection,
    },
    error::ApiResult,
    reports::{dto::ProgramReportQuery, stats},
};

/// Activity, credit type, credit awarded (hundredths).
pub type CreditRow = (String, String, Option<i64>);
/// Activity, test kind, item, answers, right answers.
pub type ItemRow = (String, String, String, i64, i64);
/// Activity, item, transition (`rr`, `rw`, `wr`, `ww`), learners.
pub type TransitionRow = (String, String, String, i64);
/// Activity, survey kind, answers, yes answers.
pub type CommitRow = (String, String, i64, i64);

/// The learners of an activity with the same paired items at one Moore level.
#[derive(Debug, Clone)]
pub struct LevelProfileRow {
    pub activity_id: String,
    pub moore_level: String,
    /// (right before, right after, items).
    pub items: stats::LearnerItems,
    pub learners: i64,
}
/// Survey, item, value, count.
pub type LikertRow = (String, String, Option<f64>, i64);

/// Free-text answers listed per question at most (the rest are counted, not listed).
pub const TEXT_LIMIT: i64 = 1000;

/// Who took part in an activity.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Attended {
    /// Enrollments that attended a session or completed.
    pub learners: i64,
    /// Of those, physicians.
    pub physicians: i64,
    /// Attendance rows: a learner once per session attended.
    pub session_attendances: i64,
}

impl std::ops::AddAssign for Attended {
    /// The learners of another enrollment status, added.
    fn add_assign(&mut self, other: Attended) {
        self.learners += other.learners;
        self.physicians += other.physicians;
        self.session_attendances += other.session_attendances;
    }
}

/// An activity's enrollments in one status, and who of them took part.
#[derive(Debug, Clone)]
pub(super) struct ParticipationRow {
    pub activity_id: String,
    pub status: String,
    pub enrollments: i64,
    pub attended: Attended,
}

/// Per activity and enrollment status: enrollments and who took part, from the totals the
/// triggers of migration 000028 keep (a few rows per activity, however many enrollments).
pub(super) fn participation(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Vec<ParticipationRow>> {
    let rows: Vec<(String, String, i32, i32, i32, i32)> = participation_totals::table
        .filter(participation_totals::activity_id.eq_any(ids))
        .filter(participation_totals::enrollments.gt(0))
        .select((
            participation_totals::activity_id,
            participation_totals::status,
            participation_totals::enrollments,
            participation_totals::took_part,
            participation_totals::physicians_took_part,
            participation_totals::session_attendances,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(activity_id, status, enrollments, took_part, physicians, sessions)| ParticipationRow {
            activity_id,
            status,
            enrollments: i64::from(enrollments),
            attended: Attended {
                learners: i64::from(took_part),
                physicians: i64::from(physicians),
                session_attendances: i64::from(sessions),
            },
        })
        .collect())
}

/// The surveys of the activities that have at least one response (a level counts as measured
/// only where data was collected).
pub(super) fn answered_surveys(conn: &mut DbConnection, ids: &[String]) -> ApiResult<HashSet<String>> {
    use crate::db::schema::surveys;
    let responded = survey_responses::table.filter(survey_responses::survey_id.eq(surveys::id));
    let answered: Vec<String> = surveys::table
        .filter(surveys::activity_id.eq_any(ids))
        .filter(diesel::dsl::exists(responded))
        .select(surveys::id)
        .load(conn)?;
    Ok(answered.into_iter().collect())
}

/// Per activity: enrollments with an awarded claim, and credit awarded by type (hundredths).
pub(super) fn awarded(
    conn: &mut DbConnection,
    ids: &[String],
) -> ApiResult<(HashMap<String, i64>, Vec<CreditRow>)> {
    let claimed: Vec<(String, i64)> = credit_claims::table
        .filter(credit_claims::activity_id.eq_any(ids))
        .filter(credit_claims::status.eq("awarded"))
        .group_by(credit_claims::activity_id)
        .select((credit_claims::activity_id, count(credit_claims::enrollment_id).aggregate_distinct()))
        .load(conn)?;
    let credits = credit_claims::table
        .filter(credit_claims::activity_id.eq_any(ids))
        .filter(credit_claims::status.eq("awarded"))
        .group_by((credit_claims::activity_id, credit_claims::credit_type))
        .select((
            credit_claims::activity_id,
            credit_claims::credit_type,
            sum(credit_claims::amount_hundredths),
        ))
        .order((credit_claims::activity_id, credit_claims::credit_type))
        .load(conn)?;
    Ok((claimed.into_iter().collect(), credits))
}

/// Per activity, test kind and item: answers and right answers of the latest attempts (summed
/// over the activity's surveys of that kind).
pub(super) fn item_scores(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Vec<ItemRow>> {
    let rows: Vec<(String, String, String, i32, i32)> = survey_question_totals::table
        .filter(survey_question_totals::activity_id.eq_any(ids))
        .filter(survey_question_totals::scored.gt(0))
        .select((
            survey_question_totals::activity_id,
            survey_question_totals::kind,
            survey_question_totals::question_id,
            survey_question_totals::scored,
            survey_question_totals::right_answers,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(activity, kind, question, scored, right)| {
            (activity, kind, question, i64::from(scored), i64::from(right))
        })
        .collect())
}

/// Per activity and item: learners by transition (`rw`, `wr`, ...) from pre- to post-test.
pub(super) fn transitions(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Vec<TransitionRow>> {
    let rows: Vec<(String, String, String, i32)> = survey_transition_totals::table
        .filter(survey_transition_totals::activity_id.eq_any(ids))
        .filter(survey_transition_totals::learners.gt(0))
        .select((
            survey_transition_totals::activity_id,
            survey_transition_totals::question_id,
            survey_transition_totals::transition,
            survey_transition_totals::learners,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(activity, question, transition, n)| (activity, question, transition, i64::from(n)))
        .collect())
}

/// Per activity and Moore level: learners by their paired items there (items, right before,
/// right after).
pub(super) fn level_profiles(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Vec<LevelProfileRow>> {
    let rows: Vec<(String, String, i32, i32, i32, i32)> = survey_level_pair_totals::table
        .filter(survey_level_pair_totals::activity_id.eq_any(ids))
        .filter(survey_level_pair_totals::learners.gt(0))
        .select((
            survey_level_pair_totals::activity_id,
            survey_level_pair_totals::moore_level,
            survey_level_pair_totals::items,
            survey_level_pair_totals::right_before,
            survey_level_pair_totals::right_after,
            survey_level_pair_totals::learners,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(activity, level, items, before, after, learners)| LevelProfileRow {
            activity_id: activity,
            moore_level: level,
            items: (i64::from(before), i64::from(after), i64::from(items)),
            learners: i64::from(learners),
        })
        .collect())
}

/// One activity's attendances per session (session id, learners present): the rows of its
/// sessions, read by the attendance key (joined through enrollments instead, SQLite probed all
/// of the activity's enrollments, 20,000 in the benchmark, to find a few attendances).
pub(super) fn session_attendances(
    conn: &mut DbConnection,
    activity_id: &str,
) -> ApiResult<Vec<(String, i64)>> {
    use crate::db::schema::activity_sessions;
    let sessions = activity_sessions::table.filter(activity_sessions::activity_id.eq(activity_id));
    Ok(session_attendance::table
        .filter(session_attendance::session_id.eq_any(sessions.select(activity_sessions::id)))
        .group_by(session_attendance::session_id)
        .select((session_attendance::session_id, count_star()))
        .load(conn)?)
}

/// One activity's awarded per-session credit (session id, credit type, hundredths): what a
/// series awards session by session.
pub(super) fn session_credits(conn: &mut DbConnection, activity_id: &str) -> ApiResult<Vec<CreditRow>> {
    Ok(credit_claims::table
        .filter(credit_claims::activity_id.eq(activity_id))
        .filter(credit_claims::status.eq("awarded"))
        .filter(credit_claims::session_id.is_not_null())
        .group_by((credit_claims::session_id, credit_claims::credit_type))
        .select((
            credit_claims::session_id.assume_not_null(),
            credit_claims::credit_type,
            sum(credit_claims::amount_hundredths),
        ))
        .order((credit_claims::session_id, credit_claims::credit_type))
        .load(conn)?)
}

/// Sums of paired scores: n, Σpre, Σpost, Σchange, Σchange².
pub type PairedSums = (i64, f64, f64, f64, f64);

/// Per activity: the sums of the paired pre/post scores, from the learners counted per
/// (pre score, post score).
pub(super) fn paired_sums(conn: &mut DbConnection, ids: &[String]) -> ApiResult<HashMap<String, PairedSums>> {
    let rows: Vec<(String, f64, f64, i32)> = survey_score_pair_totals::table
        .filter(survey_score_pair_totals::activity_id.eq_any(ids))
        .filter(survey_score_pair_totals::learners.gt(0))
        .select((
            survey_score_pair_totals::activity_id,
            survey_score_pair_totals::pre_score,
            survey_score_pair_totals::post_score,
            survey_score_pair_totals::learners,
        ))
        .load(conn)?;
    let mut by_activity: HashMap<String, Vec<(f64, f64, i64)>> = HashMap::new();
    for (activity, pre, post, learners) in rows {
        by_activity.entry(activity).or_default().push((pre, post, i64::from(learners)));
    }
    Ok(by_activity.into_iter().map(|(activity, scores)| (activity, stats::counted_sums(scores))).collect())
}

/// Per activity and survey kind: commitment (or implementation) answers, and the yes among them.
pub(super) fn commitments(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Vec<CommitRow>> {
    let rows: Vec<(String, String, i32, i32)> = survey_question_totals::table
        .filter(survey_question_totals::activity_id.eq_any(ids))
        .filter(survey_question_totals::question_type.eq("commitment_to_change"))
        .filter(survey_question_totals::answers.gt(0))
        .select((
            survey_question_totals::activity_id,
            survey_question_totals::kind,
            survey_question_totals::answers,
            survey_question_totals::yes_answers,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(activity, kind, n, yes)| (activity, kind, i64::from(n), i64::from(yes)))
        .collect())
}

/// One activity's Likert items: counts per (survey, question, value).
pub(super) fn likert_counts(conn: &mut DbConnection, activity_id: &str) -> ApiResult<Vec<LikertRow>> {
    Ok(survey_answers::table
        .filter(survey_answers::activity_id.eq(activity_id))
        .filter(survey_answers::latest.eq(1))
        .filter(survey_answers::question_type.eq("likert"))
        .group_by((survey_answers::survey_id, survey_answers::question_id, survey_answers::number_value))
        .select((
            survey_answers::survey_id,
            survey_answers::question_id,
            survey_answers::number_value,
            count_star(),
        ))
        .load(conn)?)
}

/// One activity's texts of a question type (free text, or commitment statements), newest
/// surveys first, without any identity.
pub(super) fn texts(
    conn: &mut DbConnection,
    activity_id: &str,
    question_type: &str,
    follow_up: bool,
) -> ApiResult<Vec<(String, String, String)>> {
    let kind = survey_answers::kind.eq("follow_up");
    let mut select = survey_answers::table
        .filter(survey_answers::activity_id.eq(activity_id))
        .filter(survey_answers::latest.eq(1))
        .filter(survey_answers::question_type.eq(question_type))
        .filter(survey_answers::text_value.is_not_null())
        .select((
            survey_answers::survey_id,
            survey_answers::question_id,
            survey_answers::text_value.assume_not_null(),
        ))
        .order((survey_answers::survey_id, survey_answers::question_id))
        .limit(TEXT_LIMIT)
        .into_boxed();
    select = if follow_up { select.filter(kind) } else { select.filter(diesel::dsl::not(kind)) };
    Ok(select.load(conn)?)
}

/// The first (or last) instant of a day, as stored. SQLite compares timestamps as text, so a
/// day outside the years 0000-9999 (`+10000-01-01` sorts before `2026-…`) is clamped to that
/// range first: `to=9999-12-31` then counts everything, as on PostgreSQL.
fn day_bound(day: NaiveDate, end: bool) -> NaiveDateTime {
    let first = NaiveDate::from_ymd_opt(0, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    let day = day.clamp(first, last);
    let time = if end { NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999) } else { Some(NaiveTime::MIN) };
    day.and_time(time.unwrap_or(NaiveTime::MIN))
}

/// The activities of a program report: held (published, closed or archived) in the period,
/// of the format and specialty asked; for planners, only the ones they plan.
pub(super) fn report_activities(
    conn: &mut DbConnection,
    planner: Option<&str>,
    query: &ProgramReportQuery,
) -> ApiResult<Vec<(String, String, String)>> {
    use crate::db::schema::activity_specialties;
    let mut select = activities_table::table
        .filter(activities_table::status.eq_any(["published", "closed", "archived"]))
        .select((activities_table::id, activities_table::title, activities_table::format))
        .order((activities_table::sort_at, activities_table::id))
        .into_boxed();
    if let Some(from) = query.from {
        select = select.filter(activities_table::sort_at.ge(day_bound(from, false)));
    }
    if let Some(to) = query.to {
        select = select.filter(activities_table::sort_at.le(day_bound(to, true)));
    }
    if let Some(format) = query.format {
        select = select.filter(activities_table::format.eq(crate::db::enum_text(&format)));
    }
    if let Some(specialty) = query.specialty.clone() {
        select = select.filter(
            activities_table::id.eq_any(
                activity_specialties::table
                    .filter(activity_specialties::code.eq(specialty))
                    .select(activity_specialties::activity_id),
            ),
        );
    }
    if let Some(id) = planner {
        select = select.filter(
            activities_table::created_by
                .eq(id.to_string())
                .or(activities_table::id.eq_any(crate::access::planner_listing(id.to_string()))),
        );
    }
    Ok(select.load(conn)?)
}

/// (activity id, survey id, document) of the activities' surveys.
pub(super) fn survey_documents(
    conn: &mut DbConnection,
    ids: &[String],
) -> ApiResult<Vec<(String, String, String)>> {
    use crate::db::schema::surveys;
    Ok(surveys::table
        .filter(surveys::activity_id.eq_any(ids))
        .order((surveys::activity_id, surveys::id))
        .select((surveys::activity_id, surveys::id, surveys::details))
        .load(conn)?)
}
