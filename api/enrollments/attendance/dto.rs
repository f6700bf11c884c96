//! Attendance as the API shows it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::enrollments::dto::EnrollmentStatus;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckInCode {
    pub session_id: String,
    /// What learners type to check in, from 15 minutes before the start.
    #[schema(example = "K7MQ2X")]
    pub code: String,
    /// What learners type to check out: show it in the session's last 15 minutes.
    #[schema(example = "P4WZ8D")]
    pub check_out_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "K7MQ2X"}))]
pub struct CheckInRequest {
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attendance {
    pub session_id: String,
    pub enrollment_id: String,
    /// Minutes of presence that count now: inside the session, already past, and confirmed
    /// by a check-out or a planner (a check-in alone counts none unless the activity says so).
    pub minutes: i32,
    /// `check_in` (the learner, with the session's codes) or `planner`.
    pub source: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// Present from (the start, or a late arrival).
    pub present_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Present until (a check-out, or the end a planner confirmed); empty while only a
    /// check-in is known.
    pub present_to: Option<chrono::DateTime<chrono::Utc>>,
    /// The enrollment's status after recording (it may have just completed).
    pub enrollment_status: EnrollmentStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct AttendanceEntry {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: String,
    /// Minutes present. Leave it out to confirm the learner was present from their check-in
    /// (or the start) to the end.
    #[serde(default)]
    #[validate(range(min = 1, max = 10_000))]
    #[schema(minimum = 1, maximum = 10_000)]
    pub minutes: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"entries": [{"user_id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41", "minutes": 60}]}))]
pub struct AttendanceRequest {
    #[validate(length(min = 1, max = 500), nested)]
    #[schema(min_items = 1, max_items = 500)]
    pub entries: Vec<AttendanceEntry>,
}

/// What happened to one entry of a bulk request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttendanceResult {
    pub user_id: String,
    pub accepted: bool,
    /// Why it was not accepted.
    pub reason: Option<String>,
    pub attendance: Option<Attendance>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttendanceReport {
    pub results: Vec<AttendanceResult>,
}
