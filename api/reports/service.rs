//! Outcome report use cases: one activity's and the program's, computed from aggregates the
//! database groups (see `store`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::{
    activities::{
        self,
        dto::{ActivityFormat, ActivityStatus, OutcomeLevel},
        ActivityRow,
    },
    auth::{Caller, Role},
    credit_claims::dto::CreditTotal,
    credits::Credits,
    db::DbConnection,
    error::{ApiError, ApiResult},
    reports::{
        dto::{
            ActivityLine, ActivityOutcomes, Commitment, FollowUp, FormatTotals, FreeText, GroupTotals,
            ItemScore, Knowledge, LevelMeasured, LevelPaired, LevelTotals, LikertItem, Method,
            ParticipationCounts, ProgramOutcomes, ProgramReportQuery, SessionParticipation, TestItem,
        },
        stats, store,
    },
    surveys::{
        self,
        dto::{QuestionType, SurveyInput, SurveyKind},
    },
};

/// What the database aggregated for one activity.
#[derive(Debug, Default)]
struct Totals {
    /// Enrollments by status.
    enrollments: Vec<(String, i64)>,
    attended: store::Attended,
    /// Enrollments with an awarded claim.
    claimed: i64,
    /// Credit awarded by type (hundredths).
    credits: Vec<(String, Option<i64>)>,
    /// Test kind, item, answers, right answers.
    items: Vec<(String, String, i64, i64)>,
    /// Item, transition, learners.
    transitions: Vec<(String, String, i64)>,
    paired: store::PairedSums,
    /// Survey kind, commitment answers, yes answers.
    commitments: Vec<(String, i64, i64)>,
    /// Moore level, paired items (right before, right after, items), learners.
    levels: Vec<(String, stats::LearnerItems, i64)>,
}

/// An activity nobody took part in.
static NO_TOTALS: Totals = Totals {
    enrollments: Vec::new(),
    attended: store::Attended { learners: 0, physicians: 0, session_attendances: 0 },
    claimed: 0,
    credits: Vec::new(),
    items: Vec::new(),
    transitions: Vec::new(),
    paired: (0, 0.0, 0.0, 0.0, 0.0),
    commitments: Vec::new(),
    levels: Vec::new(),
};

/// Everything the database aggregated for a set of activities, by activity.
#[derive(Debug, Default)]
struct Aggregates {
    by_activity: HashMap<String, Totals>,
    /// Surveys with at least one response.
    answered: HashSet<String>,
}

impl Aggregates {
    fn of(&self, id: &str) -> &Totals {
        self.by_activity.get(id).unwrap_or(&NO_TOTALS)
    }

    fn entry(&mut self, id: String) -> &mut Totals {
        self.by_activity.entry(id).or_default()
    }

    /// Adds the aggregates of some activities (each activity is read once, in one chunk).
    fn read(&mut self, conn: &mut DbConnection, ids: &[String]) -> ApiResult<()> {
        for row in store::participation(conn, ids)? {
            let totals = self.entry(row.activity_id);
            totals.enrollments.push((row.status, row.enrollments));
            totals.attended += row.attended;
        }
        self.answered.extend(store::answered_surveys(conn, ids)?);
        let (claimed, credits) = store::awarded(conn, ids)?;
        for (id, n) in claimed {
            self.entry(id).claimed = n;
        }
        for (id, credit_type, hundredths) in credits {
            self.entry(id).credits.push((credit_type, hundredths));
        }
        for (id, kind, question, n, right) in store::item_scores(conn, ids)? {
            let items = &mut self.entry(id).items;
            match items.iter_mut().find(|(k, q, _, _)| *k == kind && *q == question) {
                // Two surveys of a kind in one activity may share a question id: summed.
                Some(item) => (item.2, item.3) = (item.2 + n, item.3 + right),
                None => items.push((kind, question, n, right)),
            }
        }
        for (id, question, transition, n) in store::transitions(conn, ids)? {
            self.entry(id).transitions.push((question, transition, n));
        }
        for (id, sums) in store::paired_sums(conn, ids)? {
            self.entry(id).paired = sums;
        }
        for (id, kind, n, yes) in store::commitments(conn, ids)? {
            self.entry(id).commitments.push((kind, n, yes));
        }
        for row in store::level_profiles(conn, ids)? {
            self.entry(row.activity_id).levels.push((row.moore_level, row.items, row.learners));
        }
        Ok(())
    }
}

/// The aggregates of the activities, read in bounded IN lists (SQLite binds at most 32,766
/// parameters a statement).
fn aggregates(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Aggregates> {
    let mut agg = Aggregates::default();
    for chunk in ids.chunks(5_000) {
        agg.read(conn, chunk)?;
    }
    Ok(agg)
}

impl Totals {
    fn participation(&self) -> ApiResult<ParticipationCounts> {
        // A seat, not a place in the queue: the waitlist and cancellations are not enrolled.
        let holds_seat = |status: &str| !matches!(status, "cancelled" | "waitlisted");
        let enrolled = self.enrollments.iter().filter(|(status, _)| holds_seat(status)).map(|(_, n)| n).sum();
        let completed =
            self.enrollments.iter().filter(|(status, _)| status == "completed").map(|(_, n)| n).sum();
        let attended = self.attended;
        let credits_awarded = self
            .credits
            .iter()
            .map(|(credit_type, total)| credit_total(credit_type, *total))
            .collect::<ApiResult<_>>()?;
        Ok(ParticipationCounts {
            enrolled,
            attended: attended.learners,
            physicians: attended.physicians,
            other_learners: attended.learners - attended.physicians,
            session_attendances: attended.session_attendances,
            completed,
            claimed: self.claimed,
            credits_awarded,
        })
    }

    /// (answers, right answers) of one test kind, over all items.
    fn test_totals(&self, kind: SurveyKind) -> (i64, i64) {
        let kind = crate::db::enum_text(&kind);
        self.items
            .iter()
            .filter(|(k, _, _, _)| *k == kind)
            .fold((0, 0), |(n, right), (_, _, count, correct)| (n + count, right + correct))
    }

    fn item(&self, kind: SurveyKind, question_id: &str) -> ItemScore {
        let kind = crate::db::enum_text(&kind);
        let (n, correct) = self
            .items
            .iter()
            .find(|(k, q, _, _)| *k == kind && q == question_id)
            .map_or((0, 0), |(_, _, n, correct)| (*n, *correct));
        ItemScore { n, correct, percent_correct: stats::percent(correct, n) }
    }

    fn mcnemar(&self, question_id: &str) -> stats::McNemar {
        let count = |transition: &str| {
            self.transitions
                .iter()
                .find(|(q, t, _)| q == question_id && t == transition)
                .map_or(0, |(_, _, n)| *n)
        };
        stats::mcnemar(count("rw"), count("wr"))
    }

    fn paired(&self) -> stats::PairedScores {
        let (n, pre, post, change, squared) = self.paired;
        stats::paired(n, pre, post, change, squared)
    }

    /// (answers, yes) of commitment questions: in follow-ups (implementation) or elsewhere.
    fn commitments(&self, follow_up: bool) -> (i64, i64) {
        self.commitments
            .iter()
            .filter(|(kind, _, _)| (kind == "follow_up") == follow_up)
            .fold((0, 0), |(n, yes), (_, count, yes_count)| (n + count, yes + yes_count))
    }
}

/// Which levels were measured, and how: only surveys that collected responses count (a
/// follow-up nobody answered measured nothing); scored test items are objective, everything
/// learners report about themselves subjective; participation (level 1) is always measured,
/// objectively, from enrollment and attendance records.
fn levels_measured(surveys: &[SurveyInput]) -> Vec<LevelMeasured> {
    let mut levels: BTreeMap<OutcomeLevel, BTreeSet<Method>> = BTreeMap::new();
    levels.entry(OutcomeLevel::Participation).or_default().insert(Method::Objective);
    for survey in surveys {
        for question in &survey.questions {
            let scored = survey.kind.is_test() && !question.correct_option_ids.is_empty();
            let method = if scored { Method::Objective } else { Method::Subjective };
            levels.entry(question.moore_level).or_default().insert(method);
        }
    }
    levels
        .into_iter()
        .map(|(level, methods)| LevelMeasured { level, methods: methods.into_iter().collect() })
        .collect()
}

/// The surveys of the activities (survey id, document), by activity id.
fn survey_documents(
    conn: &mut DbConnection,
    ids: &[String],
) -> ApiResult<HashMap<String, Vec<(String, SurveyInput)>>> {
    let mut by_activity: HashMap<String, Vec<(String, SurveyInput)>> = HashMap::new();
    // Bounded IN lists: SQLite binds at most 32,766 parameters a statement.
    for chunk in ids.chunks(5_000) {
        for (activity_id, survey_id, details) in store::survey_documents(conn, chunk)? {
            let input: SurveyInput = serde_json::from_str(&details).map_err(ApiError::internal)?;
            by_activity.entry(activity_id).or_default().push((survey_id, input));
        }
    }
    Ok(by_activity)
}

fn surveys_of(conn: &mut DbConnection, activity_id: &str) -> ApiResult<Vec<(String, SurveyInput)>> {
    Ok(survey_documents(conn, &[activity_id.to_string()])?.remove(activity_id).unwrap_or_default())
}

/// The question with this id in the activity's surveys (pre- and post-tests share ids).
fn question<'a>(surveys: &'a [(String, SurveyInput)], id: &str) -> Option<&'a surveys::dto::Question> {
    surveys.iter().flat_map(|(_, s)| s.questions.iter()).find(|q| q.id == id)
}

/// Paired scores per Moore level, from the learners' paired items at that level, over the
/// given activities' totals (a learner counts once per activity).
fn paired_by_level<'a>(activities: impl IntoIterator<Item = &'a Totals>) -> ApiResult<Vec<LevelPaired>> {
    let mut levels: BTreeMap<&str, Vec<(stats::LearnerItems, i64)>> = BTreeMap::new();
    for totals in activities {
        for (level, items, learners) in &totals.levels {
            levels.entry(level).or_default().push((*items, *learners));
        }
    }
    levels
        .into_iter()
        .map(|(level, profiles)| {
            Ok(LevelPaired {
                level: crate::db::parse_enum_text(level)?,
                paired: stats::paired_from_items(&profiles),
            })
        })
        .collect()
}

/// Attendance and per-session credit of each of the activity's sessions.
fn sessions(
    conn: &mut DbConnection,
    activity: &ActivityRow,
    time_zone: &str,
) -> ApiResult<Vec<SessionParticipation>> {
    let attended: HashMap<String, i64> =
        store::session_attendances(conn, &activity.id)?.into_iter().collect();
    let credits = store::session_credits(conn, &activity.id)?;
    activities::sessions::service::of_activity(conn, &activity.id)?
        .into_iter()
        .map(|session| {
            let credits_awarded = credits
                .iter()
                .filter(|(id, _, _)| *id == session.id)
                .map(|(_, credit_type, total)| credit_total(credit_type, *total))
                .collect::<ApiResult<_>>()?;
            Ok(SessionParticipation {
                date: session.local_date(time_zone),
                starts_at: crate::db::to_utc(session.starts_at),
                attended: attended.get(&session.id).copied().unwrap_or(0),
                credits_awarded,
                session_id: session.id,
                title: session.title,
            })
        })
        .collect()
}

fn credit_total(credit_type: &str, hundredths: Option<i64>) -> ApiResult<CreditTotal> {
    Ok(CreditTotal {
        credit_type: crate::db::parse_enum_text(credit_type)?,
        amount: Credits::from_hundredths(hundredths.unwrap_or(0) as i32),
    })
}

fn knowledge(totals: &Totals, surveys: &[(String, SurveyInput)], by_level: Vec<LevelPaired>) -> Knowledge {
    let mut item_ids: Vec<&str> = Vec::new();
    for (_, survey) in surveys.iter().filter(|(_, s)| s.kind.is_test()) {
        for q in survey.questions.iter().filter(|q| !q.correct_option_ids.is_empty()) {
            if !item_ids.contains(&q.id.as_str()) {
                item_ids.push(&q.id);
            }
        }
    }
    let items = item_ids
        .into_iter()
        .filter_map(|item| {
            let q = question(surveys, item)?;
            Some(TestItem {
                question_id: item.to_string(),
                question: q.text.clone(),
                moore_level: q.moore_level,
                objective: q.objective.clone(),
                pre: totals.item(SurveyKind::PreTest, item),
                post: totals.item(SurveyKind::PostTest, item),
                mcnemar: totals.mcnemar(item),
            })
        })
        .collect();
    let (pre_n, pre_right) = totals.test_totals(SurveyKind::PreTest);
    let (post_n, post_right) = totals.test_totals(SurveyKind::PostTest);
    Knowledge {
        items,
        pre_percent_correct: stats::percent(pre_right, pre_n),
        post_percent_correct: stats::percent(post_right, post_n),
        paired: totals.paired(),
        paired_by_level: by_level,
    }
}

fn satisfaction(
    conn: &mut DbConnection,
    id: &str,
    surveys: &[(String, SurveyInput)],
) -> ApiResult<Vec<LikertItem>> {
    let counts = store::likert_counts(conn, id)?;
    let mut items = Vec::new();
    for (survey_id, survey) in surveys {
        for q in survey.questions.iter().filter(|q| q.question_type == QuestionType::Likert) {
            let mut distribution = [0i64; 5];
            for (_, _, value, n) in counts.iter().filter(|(s, qid, _, _)| s == survey_id && *qid == q.id) {
                if let Some(slot) = value.and_then(|v| distribution.get_mut((v as usize).wrapping_sub(1))) {
                    *slot += n;
                }
            }
            items.push(LikertItem {
                survey_id: survey_id.clone(),
                question_id: q.id.clone(),
                question: q.text.clone(),
                moore_level: q.moore_level,
                n: distribution.iter().sum(),
                mean: stats::likert_mean(&distribution),
                distribution,
            });
        }
    }
    Ok(items)
}

fn free_text(
    conn: &mut DbConnection,
    id: &str,
    surveys: &[(String, SurveyInput)],
) -> ApiResult<Vec<FreeText>> {
    let answers = store::texts(conn, id, "free_text", false)?;
    let mut out: Vec<FreeText> = Vec::new();
    for (survey_id, question_id, text) in answers {
        match out.iter_mut().find(|f| f.survey_id == survey_id && f.question_id == question_id) {
            Some(entry) => entry.answers.push(text),
            None => out.push(FreeText {
                question: question(surveys, &question_id).map(|q| q.text.clone()).unwrap_or_default(),
                survey_id,
                question_id,
                answers: vec![text],
            }),
        }
    }
    Ok(out)
}

fn outcomes_of(conn: &mut DbConnection, activity: &ActivityRow) -> ApiResult<ActivityOutcomes> {
    let id = activity.id.as_str();
    let ids = [activity.id.clone()];
    let agg = aggregates(conn, &ids)?;
    let totals = agg.of(id);
    let input = activity.input()?;
    let surveys = surveys_of(conn, id)?;
    let (committable, committed) = totals.commitments(false);
    let (followed, implemented) = totals.commitments(true);
    let statements =
        store::texts(conn, id, "commitment_to_change", false)?.into_iter().map(|(_, _, t)| t).collect();
    let mut barriers: Vec<String> =
        store::texts(conn, id, "free_text", true)?.into_iter().map(|(_, _, t)| t).collect();
    barriers.extend(store::texts(conn, id, "commitment_to_change", true)?.into_iter().map(|(_, _, t)| t));
    let inputs: Vec<SurveyInput> = surveys
        .iter()
        .filter(|(survey_id, _)| agg.answered.contains(survey_id))
        .map(|(_, s)| s.clone())
        .collect();
    Ok(ActivityOutcomes {
        activity_id: activity.id.clone(),
        title: activity.title.clone(),
        format: input.format,
        participation: totals.participation()?,
        sessions: sessions(conn, activity, &input.time_zone)?,
        satisfaction: satisfaction(conn, id, &surveys)?,
        knowledge: knowledge(totals, &surveys, paired_by_level([totals])?),
        commitment: Commitment {
            n: committable,
            committed,
            rate: stats::percent(committed, committable),
            statements,
        },
        follow_up: FollowUp {
            n: followed,
            implemented,
            rate: stats::percent(implemented, followed),
            barriers,
        },
        free_text: free_text(conn, id, &surveys)?,
        levels_measured: levels_measured(&inputs),
    })
}

/// Reports are for the activity's planners, administrators, leadership and clients with
/// `surveys:read`.
fn may_report(conn: &mut DbConnection, caller: &Caller, activity: &ActivityRow) -> ApiResult<()> {
    crate::access::may_read_activity_report(&crate::access::Relation::of(conn, caller, &activity.id)?).check()
}

fn group_totals(agg: &Aggregates, lines: &[&ActivityLine]) -> GroupTotals {
    let ids: Vec<&str> = lines.iter().map(|l| l.activity_id.as_str()).collect();
    let sum_tests = |kind| {
        ids.iter().map(|id| agg.of(id).test_totals(kind)).fold((0, 0), |(n, r), (n2, r2)| (n + n2, r + r2))
    };
    let (pre_n, pre_right) = sum_tests(SurveyKind::PreTest);
    let (post_n, post_right) = sum_tests(SurveyKind::PostTest);
    let sums = ids
        .iter()
        .map(|id| &agg.of(id).paired)
        .fold((0, 0.0, 0.0, 0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3, a.4 + b.4));
    GroupTotals {
        activities: lines.len() as i64,
        enrolled: lines.iter().map(|l| l.participation.enrolled).sum(),
        completed: lines.iter().map(|l| l.participation.completed).sum(),
        pre_percent_correct: stats::percent(pre_right, pre_n),
        post_percent_correct: stats::percent(post_right, post_n),
        paired: stats::paired(sums.0, sums.1, sums.2, sums.3, sums.4),
    }
}

fn program_report(
    conn: &mut DbConnection,
    caller: &Caller,
    query: &ProgramReportQuery,
) -> ApiResult<ProgramOutcomes> {
    let planner = match caller {
        Caller::User { id, role: Role::Planner } => Some(id.as_str()),
        _ => None,
    };
    let chosen = store::report_activities(conn, planner, query)?;
    let ids: Vec<String> = chosen.iter().map(|(id, _, _)| id.clone()).collect();
    let agg = aggregates(conn, &ids)?;
    let mut surveys_by_activity = survey_documents(conn, &ids)?;
    let mut lines = Vec::with_capacity(chosen.len());
    for (id, title, format) in chosen {
        let totals = agg.of(&id);
        let (pre_n, pre_right) = totals.test_totals(SurveyKind::PreTest);
        let (post_n, post_right) = totals.test_totals(SurveyKind::PostTest);
        let (committable, committed) = totals.commitments(false);
        let (followed, implemented) = totals.commitments(true);
        let surveys: Vec<SurveyInput> = surveys_by_activity
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .filter(|(survey_id, _)| agg.answered.contains(survey_id))
            .map(|(_, s)| s)
            .collect();
        lines.push(ActivityLine {
            participation: totals.participation()?,
            pre_percent_correct: stats::percent(pre_right, pre_n),
            post_percent_correct: stats::percent(post_right, post_n),
            paired: totals.paired(),
            paired_by_level: paired_by_level([totals])?,
            commitment_rate: stats::percent(committed, committable),
            follow_up_rate: stats::percent(implemented, followed),
            levels_measured: levels_measured(&surveys),
            format: crate::db::parse_enum_text(&format)?,
            activity_id: id,
            title,
        });
    }
    let all: Vec<&ActivityLine> = lines.iter().collect();
    let mut formats: Vec<ActivityFormat> = Vec::new();
    for line in &lines {
        if !formats.contains(&line.format) {
            formats.push(line.format);
        }
    }
    let by_format = formats
        .into_iter()
        .map(|format| {
            let group: Vec<&ActivityLine> = lines.iter().filter(|l| l.format == format).collect();
            FormatTotals { format, totals: group_totals(&agg, &group) }
        })
        .collect();
    let mut by_level: BTreeMap<OutcomeLevel, LevelTotals> = BTreeMap::new();
    for line in &lines {
        for measured in &line.levels_measured {
            let totals = by_level.entry(measured.level).or_insert(LevelTotals {
                level: measured.level,
                activities: 0,
                objective: 0,
                subjective: 0,
                paired: None,
            });
            totals.activities += 1;
            totals.objective += i64::from(measured.methods.contains(&Method::Objective));
            totals.subjective += i64::from(measured.methods.contains(&Method::Subjective));
        }
    }
    for level in paired_by_level(agg.by_activity.values())? {
        if let Some(totals) = by_level.get_mut(&level.level) {
            totals.paired = Some(level.paired);
        }
    }
    Ok(ProgramOutcomes {
        from: query.from,
        to: query.to,
        totals: group_totals(&agg, &all),
        by_format,
        by_level: by_level.into_values().collect(),
        activities: lines,
    })
}

/// An activity's outcomes, whoever asks (for reporting to the boards, which checked access
/// itself: PARS asks the participation counts and the outcomes measured).
pub fn outcomes_for_reporting(
    conn: &mut DbConnection,
    activity: &ActivityRow,
) -> ApiResult<ActivityOutcomes> {
    outcomes_of(conn, activity)
}

/// An activity's outcomes (its planners, administrators, leadership and clients with
/// `surveys:read`; a draft only for those who may edit it).
pub fn activity_outcomes(
    conn: &mut DbConnection,
    caller: &Caller,
    activity_id: &str,
) -> ApiResult<ActivityOutcomes> {
    let activity = activities::service::find(conn, activity_id)?;
    if activity.status()? == ActivityStatus::Draft {
        activities::service::editable(conn, caller, activity_id)?;
    }
    may_report(conn, caller, &activity)?;
    outcomes_of(conn, &activity)
}

/// The program's outcomes over the activities held in the period.
pub fn program_outcomes(
    conn: &mut DbConnection,
    caller: &Caller,
    query: &ProgramReportQuery,
) -> ApiResult<ProgramOutcomes> {
    crate::access::may_read_program_report(caller).check()?;
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from > to {
            return Err(ApiError::validation("from", "order", "must not be after `to`"));
        }
    }
    program_report(conn, caller, query)
}
