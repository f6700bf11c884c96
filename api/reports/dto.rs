//! Bodies of the outcome reports. Nothing here identifies a learner.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    activities::dto::{ActivityFormat, OutcomeLevel},
    credit_claims::dto::CreditTotal,
    reports::stats::{McNemar, PairedScores},
};

/// Level 1: participation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ParticipationCounts {
    /// Enrollments holding a seat: registered, completed or no-show (not cancelled, not
    /// waitlisted).
    pub enrolled: i64,
    /// Enrollments with recorded attendance (live) or completed (self-paced).
    pub attended: i64,
    /// Of those who attended or completed: physicians, and every other learner (PARS reports
    /// the two counts).
    pub physicians: i64,
    pub other_learners: i64,
    /// Attendances counted per session (a series counts a learner once per session attended).
    pub session_attendances: i64,
    pub completed: i64,
    /// Enrollments with an awarded credit claim.
    pub claimed: i64,
    pub credits_awarded: Vec<CreditTotal>,
}

/// One session of an activity (a series' grand rounds, a course's days): who was there, on
/// which date, and the credit awarded for it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionParticipation {
    pub session_id: String,
    pub title: String,
    /// The session's local date in the activity's time zone (the date its credit carries).
    pub date: NaiveDate,
    pub starts_at: DateTime<Utc>,
    /// Learners with attendance recorded for the session.
    pub attended: i64,
    /// Credit awarded per session (series claims), by type.
    pub credits_awarded: Vec<CreditTotal>,
}

/// Level 2 (and any other Likert item): how learners rated it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LikertItem {
    pub survey_id: String,
    pub question_id: String,
    pub question: String,
    pub moore_level: OutcomeLevel,
    pub n: i64,
    pub mean: Option<f64>,
    /// Counts of 1, 2, 3, 4 and 5.
    pub distribution: [i64; 5],
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ItemScore {
    /// Learners whose latest test answered the item.
    pub n: i64,
    pub correct: i64,
    pub percent_correct: Option<f64>,
}

/// Levels 3-4: one test item, before and after.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TestItem {
    pub question_id: String,
    pub question: String,
    pub moore_level: OutcomeLevel,
    pub objective: Option<String>,
    pub pre: ItemScore,
    pub post: ItemScore,
    /// Over learners with both tests.
    pub mcnemar: McNemar,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Knowledge {
    pub items: Vec<TestItem>,
    /// Every scored item of every learner's latest pre-test.
    pub pre_percent_correct: Option<f64>,
    pub post_percent_correct: Option<f64>,
    /// Learners with both tests: test scores in percent.
    pub paired: PairedScores,
    /// The same per Moore level of the items (declarative and procedural knowledge,
    /// competence, performance apart), from each learner's paired items at that level.
    pub paired_by_level: Vec<LevelPaired>,
}

/// Paired scores of the items at one Moore level.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LevelPaired {
    pub level: OutcomeLevel,
    pub paired: PairedScores,
}

/// Level 4: commitment to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Commitment {
    pub n: i64,
    pub committed: i64,
    pub rate: Option<f64>,
    /// What learners said they will change (no identity).
    pub statements: Vec<String>,
}

/// Level 5: follow-up: did they implement the change, and what stood in the way?
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct FollowUp {
    pub n: i64,
    pub implemented: i64,
    pub rate: Option<f64>,
    pub barriers: Vec<String>,
}

/// Free-text answers of one question, for qualitative review (no identity).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FreeText {
    pub survey_id: String,
    pub question_id: String,
    pub question: String,
    pub answers: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Measured: attendance records, scored tests.
    Objective,
    /// Self-reported: evaluations, commitments, follow-up answers.
    Subjective,
}

/// Which outcome levels an activity measured, and how (as ACCME PARS asks).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LevelMeasured {
    pub level: OutcomeLevel,
    pub methods: Vec<Method>,
}

/// An activity's outcomes by Moore level.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivityOutcomes {
    pub activity_id: String,
    pub title: String,
    pub format: ActivityFormat,
    pub participation: ParticipationCounts,
    /// Attendance and credit session by session, in session order.
    pub sessions: Vec<SessionParticipation>,
    pub satisfaction: Vec<LikertItem>,
    pub knowledge: Knowledge,
    pub commitment: Commitment,
    pub follow_up: FollowUp,
    pub free_text: Vec<FreeText>,
    pub levels_measured: Vec<LevelMeasured>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProgramReportQuery {
    /// Activities starting (or released) on or after this day.
    pub from: Option<NaiveDate>,
    /// Activities starting (or released) on or before this day.
    pub to: Option<NaiveDate>,
    pub format: Option<ActivityFormat>,
    /// Specialty code.
    pub specialty: Option<String>,
}

/// One activity's line of the program report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivityLine {
    pub activity_id: String,
    pub title: String,
    pub format: ActivityFormat,
    pub participation: ParticipationCounts,
    pub pre_percent_correct: Option<f64>,
    pub post_percent_correct: Option<f64>,
    pub paired: PairedScores,
    /// Paired item scores per Moore level (knowledge, competence, performance apart).
    pub paired_by_level: Vec<LevelPaired>,
    pub commitment_rate: Option<f64>,
    pub follow_up_rate: Option<f64>,
    pub levels_measured: Vec<LevelMeasured>,
}

/// Totals of a group of activities (a format, or a Moore level).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupTotals {
    pub activities: i64,
    pub enrolled: i64,
    pub completed: i64,
    pub pre_percent_correct: Option<f64>,
    pub post_percent_correct: Option<f64>,
    /// Learners with both tests, over the group.
    pub paired: PairedScores,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FormatTotals {
    pub format: ActivityFormat,
    #[serde(flatten)]
    pub totals: GroupTotals,
}

/// How many activities measured a level, and how.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LevelTotals {
    pub level: OutcomeLevel,
    pub activities: i64,
    pub objective: i64,
    pub subjective: i64,
    /// For levels measured by test items: each learner's paired item scores at this level,
    /// over every activity of the report (a learner counts once per activity).
    pub paired: Option<PairedScores>,
}

/// The program's outcomes over a period, for leadership: totals, by format, by Moore level,
/// and a line per activity to drill down.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProgramOutcomes {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub totals: GroupTotals,
    pub by_format: Vec<FormatTotals>,
    pub by_level: Vec<LevelTotals>,
    pub activities: Vec<ActivityLine>,
}
