//! Bodies of the survey and response resources.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::activities::dto::OutcomeLevel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    /// Before the activity: knowledge and competence at baseline.
    PreTest,
    /// After the activity: scored, pass/fail against the activity's passing score.
    PostTest,
    /// Satisfaction, relevance, commercial bias, commitment to change.
    Evaluation,
    /// Opens some days after the learner's completion: did they change their practice?
    FollowUp,
}

impl SurveyKind {
    pub fn is_test(self) -> bool {
        matches!(self, SurveyKind::PreTest | SurveyKind::PostTest)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    SingleChoice,
    MultipleChoice,
    /// 1 to 5, with labels.
    Likert,
    Numeric,
    FreeText,
    /// Will you change your practice (yes/no), and what will you change?
    CommitmentToChange,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Stable id of the option (answers name it).
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40, example = "a")]
    pub id: String,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub text: String,
}

/// One question. Pre- and post-tests pair per item by question `id`: give the same item the
/// same id in both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Question {
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40, example = "q1")]
    pub id: String,
    #[serde(rename = "type")]
    pub question_type: QuestionType,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
    /// Whether a response must answer it (default true).
    #[serde(default = "yes")]
    pub required: bool,
    /// The Moore outcome level the question measures.
    pub moore_level: OutcomeLevel,
    /// The learning objective it measures (one of the activity's, by text).
    #[serde(default)]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub objective: Option<String>,
    /// Choices (single and multiple choice).
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub options: Vec<ChoiceOption>,
    /// The right option(s) of a test item: the answer must name exactly these.
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub correct_option_ids: Vec<String>,
    /// Five labels, from 1 to 5 (Likert).
    #[serde(default)]
    #[validate(length(max = 5))]
    #[schema(max_items = 5)]
    pub likert_labels: Vec<String>,
    /// Bounds of a numeric answer.
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// Longest accepted text (free text, and the statement of a commitment); default 2000.
    #[serde(default)]
    #[validate(range(min = 1, max = 10_000))]
    #[schema(minimum = 1, maximum = 10_000)]
    pub max_length: Option<u32>,
}

fn yes() -> bool {
    true
}

/// What a planner writes: the body of `POST /v1/activities/{id}/surveys`; a `PATCH` is a JSON
/// Merge Patch of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "post_test",
    "title": "Sepsis: post-test",
    "max_attempts": 3,
    "questions": [
        {"id": "q1", "type": "single_choice", "text": "Within what time should broad-spectrum antibiotics be given in septic shock?",
         "moore_level": "3a", "options": [{"id": "a", "text": "1 hour"}, {"id": "b", "text": "3 hours"}], "correct_option_ids": ["a"]},
        {"id": "q2", "type": "likert", "text": "I am confident escalating a septic patient", "moore_level": "4",
         "likert_labels": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]}
    ]
}))]
pub struct SurveyInput {
    pub kind: SurveyKind,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[validate(length(min = 1, max = 100), nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub questions: Vec<Question>,
    /// Follow-ups: opens this many days after the learner's completion (e.g. 30, 60, 90).
    #[serde(default)]
    #[validate(range(min = 0, max = 730))]
    #[schema(minimum = 0, maximum = 730)]
    pub opens_after_days: Option<u32>,
    /// Follow-ups: closes this many days after it opens (default 30).
    #[serde(default)]
    #[validate(range(min = 1, max = 365))]
    #[schema(minimum = 1, maximum = 365)]
    pub closes_after_days: Option<u32>,
    /// Post-tests: how many attempts a learner has (default 3); other kinds take one response.
    #[serde(default)]
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20)]
    pub max_attempts: Option<u8>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Survey {
    pub id: String,
    pub activity_id: String,
    #[serde(flatten)]
    pub details: SurveyInput,
    /// Increases on every change; also the `ETag`.
    pub version: i32,
    /// Responses so far; once there is one, the questions are frozen.
    pub response_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One answer; fill the field the question's type takes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub question_id: String,
    /// Single choice: one id; multiple choice: one or more.
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub option_ids: Option<Vec<String>>,
    /// Likert (1-5) or numeric.
    #[serde(default)]
    pub value: Option<f64>,
    /// Free text, or what the learner will change.
    #[serde(default)]
    #[validate(length(max = 10_000))]
    #[schema(max_length = 10_000)]
    pub text: Option<String>,
    /// Commitment to change: will you change your practice?
    #[serde(default)]
    pub commit: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answers": [{"question_id": "q1", "option_ids": ["a"]}, {"question_id": "q2", "value": 4}]}))]
pub struct ResponseRequest {
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub answers: Vec<Answer>,
}

/// A submitted response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SurveyResponse {
    pub id: String,
    pub survey_id: String,
    pub enrollment_id: String,
    pub user_id: String,
    pub kind: SurveyKind,
    pub attempt: i32,
    /// Tests: percent of scored items answered correctly.
    pub score: Option<f64>,
    /// Post-tests: whether the score reaches the activity's passing score (`null` when it sets none).
    pub passed: Option<bool>,
    pub answers: Vec<Answer>,
    pub submitted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResponseListQuery {
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl crate::http::idempotency::Created for SurveyResponse {
    fn id(&self) -> &str {
        &self.id
    }
}
