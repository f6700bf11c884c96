//! Bodies of the enrollment resources.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::activities::dto::CreditType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentStatus {
    /// Holds a seat.
    Registered,
    /// Waiting for a seat; promoted first-come, first-served.
    Waitlisted,
    Cancelled,
    Completed,
    /// Did not attend a live activity that has ended.
    NoShow,
}

/// Enroll yourself (learners: send `{}`), or a learner (planners, administrators and clients
/// with `enrollments:write`: name them by `user_id` or `email`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct EnrollRequest {
    #[serde(default)]
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: Option<String>,
    #[serde(default)]
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41", "activity_id": "0193f1a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
    "user_id": "0193f19f-0a1b-7c2d-8e3f-4a5b6c7d8e9f", "status": "completed", "waitlist_position": null,
    "eligible_credit_types": ["ama_pra_1"], "cancel_reason": null, "cancelled_at": null, "minutes_spent": 95,
    "completed_at": "2026-12-01T17:00:00Z", "completion_date": "2026-12-01", "version": 3,
    "created_at": "2026-11-20T09:12:00Z", "updated_at": "2026-12-01T17:00:00Z"
}))]
pub struct Enrollment {
    pub id: String,
    pub activity_id: String,
    pub user_id: String,
    pub status: EnrollmentStatus,
    /// 1-based place in the waitlist (waitlisted only).
    pub waitlist_position: Option<i32>,
    /// The activity's credit types this learner's profession may claim.
    pub eligible_credit_types: Vec<CreditType>,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub minutes_spent: Option<i32>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Calendar date of completion in the activity's time zone (what boards receive).
    pub completion_date: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Schedule conflict"}))]
pub struct CancelRequest {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Completion of self-paced participation (enduring materials), reported by a planner or LMS.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"minutes_spent": 95}))]
pub struct CompletionRequest {
    #[validate(range(min = 1, max = 100_000))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub minutes_spent: i32,
    /// When the learner finished; default now. Not in the future.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentListQuery {
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub activity_id: Option<String>,
    pub user_id: Option<String>,
    pub status: Option<EnrollmentStatus>,
    /// Only enrollments changed at or after this instant, oldest change first (LMS polling).
    pub updated_since: Option<DateTime<Utc>>,
}

impl crate::http::idempotency::Created for Enrollment {
    fn id(&self) -> &str {
        &self.id
    }
}

/// One row of an enrollment batch: the activity and the learner, by id, by the calling
/// client's own external id, or by email.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentBatchRow {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub activity_id: String,
    #[serde(default)]
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: Option<String>,
    /// Your LMS's id for the learner (integration clients; see `PUT /v1/users/by-external-id`).
    #[serde(default)]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub external_id: Option<String>,
    #[serde(default)]
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: Option<String>,
}

/// Up to 500 enrollments; each row lands or fails on its own.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rows": [
    {"activity_id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41", "external_id": "EMP-1001"},
    {"activity_id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41", "email": "pat.lee@hospital.example"}
]}))]
pub struct EnrollmentBatch {
    #[validate(length(min = 1, max = 500), nested)]
    #[schema(min_items = 1, max_items = 500)]
    pub rows: Vec<EnrollmentBatchRow>,
}

/// One row of a completion batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CompletionBatchRow {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub enrollment_id: String,
    #[validate(range(min = 1, max = 100_000))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub minutes_spent: i32,
    /// When the learner finished; default now. Not in the future.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

/// Up to 500 completions; each row lands or fails on its own.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rows": [
    {"enrollment_id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41", "minutes_spent": 60, "completed_at": "2026-11-28T15:00:00Z"}
]}))]
pub struct CompletionBatch {
    #[validate(length(min = 1, max = 500), nested)]
    #[schema(min_items = 1, max_items = 500)]
    pub rows: Vec<CompletionBatchRow>,
}

/// What happened to one row: `status` is the HTTP status the row would have had alone (201 or
/// 200 when it landed), with the enrollment, or a problem saying why it did not.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchRowResult {
    /// The row's position in `rows`, from 0.
    pub index: usize,
    pub status: u16,
    pub enrollment: Option<Enrollment>,
    pub problem: Option<crate::error::Problem>,
}

/// One result per row, in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchResult {
    pub results: Vec<BatchRowResult>,
    pub succeeded: usize,
    pub failed: usize,
}
