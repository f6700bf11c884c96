//! Bodies of the credit claim, transcript and verification resources.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::{
    activities::dto::{ActivityFormat, CreditType, MocCreditType},
    credits::Credits,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Waiting for a planner's review (activities with `credit_review: required`).
    Pending,
    /// Credit awarded: on the transcript and in the credit feed.
    Awarded,
    /// Refused on review, with a reason.
    Rejected,
    /// Taken back after it was awarded, with a reason.
    Revoked,
    /// Replaced by an amendment (`superseded_by_id`).
    Superseded,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "pending",
            ClaimStatus::Awarded => "awarded",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Revoked => "revoked",
            ClaimStatus::Superseded => "superseded",
        }
    }

    pub fn parse(value: &str) -> Option<ClaimStatus> {
        [Self::Pending, Self::Awarded, Self::Rejected, Self::Revoked, Self::Superseded]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// Claim credit for a completed enrollment: learners for themselves, planners and
/// administrators for a learner, and integration clients with `credits:write` where the
/// activity accepts LMS-reported claims.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "enrollment_id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41",
    "credit_type": "ama_pra_1",
    "amount": 1.5,
    "attestation": true
}))]
pub struct ClaimRequest {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub enrollment_id: String,
    /// A regularly scheduled series is credited per session: the session attended (required
    /// for a series, not allowed otherwise). The claim is dated with the session's date.
    #[serde(default)]
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub session_id: Option<String>,
    /// ABIM MOC only: which kind of points (one the activity's designation names).
    #[serde(default)]
    pub moc_credit_type: Option<MocCreditType>,
    pub credit_type: CreditType,
    /// Credits or hours, in 0.25 steps, at most the designated maximum and the participation.
    #[schema(value_type = f64, example = 1.5, exclusive_minimum = 0, maximum = 1000, multiple_of = 0.25)]
    pub amount: Credits,
    /// The learner attests that the claim matches their actual participation. Must be `true`.
    #[serde(default)]
    #[schema(required = true)]
    pub attestation: bool,
}

/// Amend a claim: a new claim with the new amount supersedes it (history is never edited).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 1.75, "attestation": true, "reason": "Stayed for the whole case discussion"}))]
pub struct AmendRequest {
    #[schema(value_type = f64, example = 1.75, exclusive_minimum = 0, maximum = 1000, multiple_of = 0.25)]
    pub amount: Credits,
    #[serde(default)]
    #[schema(required = true)]
    pub attestation: bool,
    #[serde(default)]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: Option<String>,
}

/// Approve a pending claim (the reason is optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct ApproveRequest {
    #[serde(default)]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: Option<String>,
}

/// Reject or revoke a claim: the reason is kept in its history and shown to the learner.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Attendance record shows 40 minutes"}))]
pub struct ReasonRequest {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// A credit claim.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193f1a4-7a10-7cc2-9f1c-5a0d2e7b9a41", "enrollment_id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41",
    "activity_id": "0193f1a0-1b2c-7d3e-8f40-5a6b7c8d9e0f", "user_id": "0193f19f-0a1b-7c2d-8e3f-4a5b6c7d8e9f",
    "credit_type": "ama_pra_1", "amount": 1.5, "status": "awarded", "completion_date": "2026-12-01",
    "session_id": null, "moc_board": null, "moc_credit_type": null, "attested_at": "2026-12-01T17:05:00Z",
    "supersedes_id": null, "superseded_by_id": null, "decision_reason": null, "decided_at": null,
    "awarded_at": "2026-12-01T17:05:00Z",
    "verification_url": "https://ce.example.edu/v1/credit-verifications/7KQ2-M9XD-4RTA",
    "version": 2, "created_at": "2026-12-01T17:05:00Z", "updated_at": "2026-12-01T17:05:00Z"
}))]
pub struct CreditClaim {
    pub id: String,
    pub enrollment_id: String,
    pub activity_id: String,
    pub user_id: String,
    pub credit_type: CreditType,
    #[schema(value_type = f64, example = 1.5)]
    pub amount: Credits,
    pub status: ClaimStatus,
    /// Calendar date of completion in the activity's time zone (what boards receive); for a
    /// series, the date of the session the claim is for.
    pub completion_date: NaiveDate,
    /// The session a series claim is for.
    pub session_id: Option<String>,
    /// MOC claims: the certifying board the points are reported to (as in `board_ids`).
    pub moc_board: Option<String>,
    /// ABIM MOC claims: the kind of points.
    pub moc_credit_type: Option<MocCreditType>,
    pub attested_at: DateTime<Utc>,
    /// The claim this one amends.
    pub supersedes_id: Option<String>,
    /// The claim that replaced this one.
    pub superseded_by_id: Option<String>,
    /// Why it was approved, rejected or revoked.
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub awarded_at: Option<DateTime<Utc>>,
    /// Public page that confirms the credit (printed on the certificate).
    pub verification_url: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One change of a claim's status.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimHistoryEntry {
    /// `claimed`, `awarded`, `approved`, `rejected`, `revoked` or `superseded`.
    pub action: String,
    pub from_status: Option<ClaimStatus>,
    pub to_status: ClaimStatus,
    /// `user:<id>` or `client:<id>`.
    pub actor: String,
    pub reason: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClaimListQuery {
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub user_id: Option<String>,
    pub activity_id: Option<String>,
    pub credit_type: Option<CreditType>,
    pub status: Option<ClaimStatus>,
    /// Completion dates from this day (inclusive).
    pub from: Option<NaiveDate>,
    /// Completion dates up to this day (inclusive).
    pub to: Option<NaiveDate>,
    /// Only claims changed at or after this instant, oldest change first (LMS polling).
    pub updated_since: Option<DateTime<Utc>>,
}

/// A learner's awarded credit in a period, for license renewal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Transcript {
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub entries: Vec<TranscriptEntry>,
    /// Total awarded per credit type in the period.
    pub totals: Vec<CreditTotal>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TranscriptEntry {
    pub claim_id: String,
    pub activity_id: String,
    pub activity_title: String,
    pub format: ActivityFormat,
    pub completion_date: NaiveDate,
    pub credit_type: CreditType,
    #[schema(value_type = f64, example = 1.5)]
    pub amount: Credits,
    /// The ACPE Universal Activity Number (ACPE credit only).
    pub acpe_uan: Option<String>,
    /// Where the award stands with each board that receives it (none: no board does).
    pub reporting: Vec<crate::reporting::dto::ReportingState>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreditTotal {
    pub credit_type: CreditType,
    #[schema(value_type = f64, example = 12.25)]
    pub amount: Credits,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TranscriptQuery {
    /// First completion date of the period (inclusive).
    pub from: Option<NaiveDate>,
    /// Last completion date of the period (inclusive).
    pub to: Option<NaiveDate>,
    pub credit_type: Option<CreditType>,
}

/// What the public verification page confirms, without anything else about the learner.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Verification {
    /// True while the credit stands (awarded, not revoked or replaced).
    pub valid: bool,
    pub status: ClaimStatus,
    pub learner_name: String,
    pub activity_title: String,
    pub completion_date: NaiveDate,
    pub credit_type: CreditType,
    #[schema(value_type = f64, example = 1.5)]
    pub amount: Credits,
    pub provider: String,
    /// The status of the award's Open Badges credential (`valid` or `revoked`), when one was
    /// issued: `POST /v1/credential-verifications` gives the same verdict for the credential.
    pub credential: Option<crate::credentials::dto::VerificationResult>,
}

impl crate::http::idempotency::Created for CreditClaim {
    fn id(&self) -> &str {
        &self.id
    }
}

/// Up to 500 claims, each checked and filed as a single claim would be, on its own.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rows": [
    {"enrollment_id": "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41", "credit_type": "ama_pra_1", "amount": 1.5, "attestation": true}
]}))]
pub struct ClaimBatch {
    #[validate(length(min = 1, max = 500), nested)]
    #[schema(min_items = 1, max_items = 500)]
    pub rows: Vec<ClaimRequest>,
}

/// What happened to one claim of a batch: `status` as a single claim would have had (201 with
/// the claim, or the problem).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimBatchRowResult {
    /// The row's position in `rows`, from 0.
    pub index: usize,
    pub status: u16,
    pub claim: Option<CreditClaim>,
    pub problem: Option<crate::error::Problem>,
}

/// One result per row, in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimBatchResult {
    pub results: Vec<ClaimBatchRowResult>,
    pub succeeded: usize,
    pub failed: usize,
}
