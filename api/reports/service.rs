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

/// Everything the database aggregated for a set of activities.
struct Aggregates {
    enrollments: Vec<(String, String, i64)>,
    attended: HashMap<String, store::Attended>,
    /// Surveys with at least one response.
    answered: HashSet<String>,
    claimed: HashMap<String, i64>,
    credits: Vec<store::CreditRow>,
    items: Vec<store::ItemRow>,
    transitions: Vec<(String, String, String, i64)>,
    paired: HashMap<String, store::PairedSums>,
    commitments: Vec<store::CommitRow>,
    learner_transitions: Vec<store::LearnerTransition>,
}

fn aggregates(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Aggregates> {
    let (claimed, credits) = store::awarded(conn, ids)?;
    Ok(Aggregates {
        enrollments: store::enrollment_counts(conn, ids)?,
        attended: store::attended(conn, ids)?,
        answered: store::answered_surveys(conn, ids)?,
        claimed,
        credits,
        items: store::item_scores(conn, ids)?,
        transitions: store::transitions(conn, ids)?,
        paired: store::paired_sums(conn, ids)?,
        commitments: store::commitments(conn, ids)?,
        learner_transitions: store::learner_transitions(conn, ids)?,
    })
}

impl Aggregates {
    fn participation(&self, id: &str) -> ApiResult<ParticipationCounts> {
        let mine = self.enrollments.iter().filter(|(a, _, _)| a == id);
        // A seat, not a place in the queue: the waitlist and cancellations are not enrolled.
        let holds_seat = |status: &str| !matches!(status, "cancelled" | "waitlisted");
        let enrolled = mine.clone().filter(|(_, status, _)| holds_seat(status)).map(|(_, _, n)| n).sum();
        let completed = mine.filter(|(_, status, _)| status == "completed").map(|(_, _, n)| n).sum();
        let attended = self.attended.get(id).copied().unwrap_or_default();
        let credits_awarded = self
            .credits
            .iter()
            .filter(|(a, _, _)| a == id)
            .map(|(_, credit_type, total)| credit_total(credit_type, *total))
            .collect::<ApiResult<_>>()?;
        Ok(ParticipationCounts {
            enrolled,
            attended: attended.learners,
            physicians: attended.physicians,
            other_learners: attended.learners - attended.physicians,
            session_attendances: attended.session_attendances,
            completed,
            claimed: self.claimed.get(id).copied().unwrap_or(0),
            credits_awarded,
        })
    }

    /// (answers, right answers) of one test kind, over all items.
    fn test_totals(&self, id: &str, kind: SurveyKind) -> (i64, i64) {
        let kind = crate::db::enum_text(&kind);
        self.items
            .iter()
            .filter(|(a, k, _, _, _)| a == id && *k == kind)
            .fold((0, 0), |(n, right), (_, _, _, count, correct)| (n + count, right + correct.unwrap_or(0)))
    }

    fn item(&self, id: &str, kind: SurveyKind, question_id: &str) -> ItemScore {
        let kind = crate::db::enum_text(&kind);
        let (n, correct) = self
            .items
            .iter()
            .find(|(a, k, q, _, _)| a == id && *k == kind && q == question_id)
            .map_or((0, 0), |(_, _, _, n, correct)| (*n, correct.unwrap_or(0)));
        ItemScore { n, correct, percent_correct: stats::percent(correct, n) }
    }

    fn mcnemar(&self, id: &str, question_id: &str) -> stats::McNemar {
        let count = |transition: &str| {
            self.transitions
                .iter()
                .find(|(a, q, t, _)| a == id && q == question_id && t == transition)
                .map_or(0, |(_, _, _, n)| *n)
        };
        stats::mcnemar(count("rw"), count("wr"))
    }

    fn paired(&self, id: &str) -> stats::PairedScores {
        let (n, pre, post, change, squared) = self.paired.get(id).copied().unwrap_or_default();
        stats::paired(n, pre, post, change, squared)
    }

    /// (answers, yes) of commitment questions: in follow-ups (implementation) or elsewhere.
    fn commitments(&self, id: &str, follow_up: bool) -> (i64, i64) {
        self.commitments
            .iter()
            .filter(|(a, kind, _, _)| a == id && (kind == "follow_up") == follow_up)
            .fold((0, 0), |(n, yes), (_, _, value, count)| {
                (n + count, yes + if *value == Some(1) { *count } else { 0 })
            })
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

/// Paired scores per Moore level, from each learner's item transitions at that level, over
/// the activities `include` keeps (a learner counts once per activity).
fn paired_by_level(agg: &Aggregates, include: impl Fn(&str) -> bool) -> ApiResult<Vec<LevelPaired>> {
    let mut learners: BTreeMap<&str, HashMap<(&str, &str), stats::LearnerItems>> = BTreeMap::new();
    for (activity, level, user, transition, n) in agg.learner_transitions.iter().filter(|row| include(&row.0))
    {
        let counts = learners.entry(level).or_default().entry((activity, user)).or_default();
        counts.0 += n * i64::from(transition.starts_with('r'));
        counts.1 += n * i64::from(transition.ends_with('r'));
        counts.2 += n;
    }
    learners
        .into_iter()
        .map(|(level, by_learner)| {
            let items: Vec<stats::LearnerItems> = by_learner.into_values().collect();
            Ok(LevelPaired {
                level: crate::db::parse_enum_text(level)?,
                paired: stats::paired_from_items(&items),
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

fn knowledge(
    agg: &Aggregates,
    id: &str,
    surveys: &[(String, SurveyInput)],
    by_level: Vec<LevelPaired>,
) -> Knowledge {
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
                pre: agg.item(id, SurveyKind::PreTest, item),
                post: agg.item(id, SurveyKind::PostTest, item),
                mcnemar: agg.mcnemar(id, item),
            })
        })
        .collect();
    let (pre_n, pre_right) = agg.test_totals(id, SurveyKind::PreTest);
    let (post_n, post_right) = agg.test_totals(id, SurveyKind::PostTest);
    Knowledge {
        items,
        pre_percent_correct: stats::percent(pre_right, pre_n),
        post_percent_correct: stats::percent(post_right, post_n),
        paired: agg.paired(id),
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
    let input = activity.input()?;
    let surveys = surveys_of(conn, id)?;
    let (committable, committed) = agg.commitments(id, false);
    let (followed, implemented) = agg.commitments(id, true);
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
        participation: agg.participation(id)?,
        sessions: sessions(conn, activity, &input.time_zone)?,
        satisfaction: satisfaction(conn, id, &surveys)?,
        knowledge: knowledge(&agg, id, &surveys, paired_by_level(&agg, |a| a == id)?),
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
        ids.iter().map(|id| agg.test_totals(id, kind)).fold((0, 0), |(n, r), (n2, r2)| (n + n2, r + r2))
    };
    let (pre_n, pre_right) = sum_tests(SurveyKind::PreTest);
    let (post_n, post_right) = sum_tests(SurveyKind::PostTest);
    let sums = ids
        .iter()
        .filter_map(|id| agg.paired.get(*id))
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
    let mut agg = Aggregates {
        enrollments: Vec::new(),
        attended: HashMap::new(),
        answered: HashSet::new(),
        claimed: HashMap::new(),
        credits: Vec::new(),
        items: Vec::new(),
        transitions: Vec::new(),
        paired: HashMap::new(),
        commitments: Vec::new(),
        learner_transitions: Vec::new(),
    };
    // Bounded IN lists: SQLite binds at most 32,766 parameters a statement.
    for chunk in ids.chunks(5_000) {
        let part = aggregates(conn, chunk)?;
        agg.enrollments.extend(part.enrollments);
        agg.attended.extend(part.attended);
        agg.answered.extend(part.answered);
        agg.claimed.extend(part.claimed);
        agg.credits.extend(part.credits);
        agg.items.extend(part.items);
        agg.transitions.extend(part.transitions);
        agg.paired.extend(part.paired);
        agg.commitments.extend(part.commitments);
        agg.learner_transitions.extend(part.learner_transitions);
    }
    let mut surveys_by_activity = survey_documents(conn, &ids)?;
    let mut lines = Vec::with_capacity(chosen.len());
    for (id, title, format) in chosen {
        let (pre_n, pre_right) = agg.test_totals(&id, SurveyKind::PreTest);
        let (post_n, post_right) = agg.test_totals(&id, SurveyKind::PostTest);
        let (committable, committed) = agg.commitments(&id, false);
        let (followed, implemented) = agg.commitments(&id, true);
        let surveys: Vec<SurveyInput> = surveys_by_activity
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .filter(|(survey_id, _)| agg.answered.contains(survey_id))
            .map(|(_, s)| s)
            .collect();
        lines.push(ActivityLine {
            participation: agg.participation(&id)?,
            pre_percent_correct: stats::percent(pre_right, pre_n),
            post_percent_correct: stats::percent(post_right, post_n),
            paired: agg.paired(&id),
            paired_by_level: paired_by_level(&agg, |a| a == id)?,
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
    for level in paired_by_level(&agg, |_| true)? {
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
