//! Bodies of the credit feed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::credit_claims::dto::CreditClaim;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CreditEventType {
    /// Credit was awarded (at once, or on approval).
    #[serde(rename = "credit.awarded")]
    Awarded,
    /// An awarded credit was replaced by another claim (`replaces_claim_id`): count only the
    /// new one.
    #[serde(rename = "credit.amended")]
    Amended,
    /// An awarded credit was taken back: remove it.
    #[serde(rename = "credit.revoked")]
    Revoked,
}

impl CreditEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            CreditEventType::Awarded => "credit.awarded",
            CreditEventType::Amended => "credit.amended",
            CreditEventType::Revoked => "credit.revoked",
        }
    }

    pub fn parse(value: &str) -> Option<CreditEventType> {
        [Self::Awarded, Self::Amended, Self::Revoked].into_iter().find(|t| t.as_str() == value)
    }
}

/// Who the credit belongs to, by the identifiers an LMS can match its accounts on (as the
/// learner's record holds them now).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LearnerIdentifiers {
    pub user_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub npi: Option<String>,
    /// The learner's id in the program's own systems.
    pub external_id: Option<String>,
    /// What boards and transcripts need of the learner: only for administrators and clients
    /// with `users:read` (absent otherwise, and in webhook deliveries: read the user then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<LearnerDetails>,
}

/// The learner's record as transcripts and boards use it (as it is now).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LearnerDetails {
    pub profession: Option<crate::users::dto::Profession>,
    pub degree: Option<String>,
    /// NABP e-Profile ID (ACPE credit is reported with it).
    pub nabp_eprofile_id: Option<String>,
    /// Birth month and day, `MMDD` (CPE Monitor and MOC reporting).
    pub birth_mmdd: Option<String>,
    pub board_ids: std::collections::BTreeMap<String, String>,
    pub state_licenses: Vec<crate::users::dto::StateLicense>,
}

/// What a transcript import needs of the activity (as it is now).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivityFacts {
    pub id: String,
    pub title: String,
    pub format: crate::activities::dto::ActivityFormat,
    pub medium: Option<crate::activities::dto::Medium>,
    pub time_zone: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Enduring materials: available from, until.
    pub release_date: Option<chrono::NaiveDate>,
    pub expiry_date: Option<chrono::NaiveDate>,
    pub location: Option<String>,
    /// The ACPE Universal Activity Number of the claimed credit (ACPE credit only).
    pub uan: Option<String>,
}

/// One award, amendment or revocation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreditEvent {
    /// Unique and stable: an LMS may use it to deduplicate.
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: CreditEventType,
    pub occurred_at: DateTime<Utc>,
    /// The claim as this event left it.
    pub claim: CreditClaim,
    /// For `credit.amended`: the claim whose credit this one replaces.
    pub replaces_claim_id: Option<String>,
    pub learner: LearnerIdentifiers,
    /// The activity the credit is for.
    pub activity: ActivityFacts,
    /// Where the claim stands now with each board that receives it (read with the page, not
    /// frozen with the event).
    pub reporting: Vec<crate::reporting::dto::ReportingState>,
}

/// A page of the feed. Store `next_cursor` and pass it as `after` next time: it is present
/// even when the page is empty, so a client can poll forever.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreditEventPage {
    pub data: Vec<CreditEvent>,
    /// Where the next poll continues (after the last event of this page).
    pub next_cursor: String,
    /// True when more events are already waiting: fetch again at once.
    pub has_more: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CreditEventQuery {
    /// `next_cursor` of the previous page; omit to start from the first event.
    pub after: Option<String>,
    /// Page size, 1-1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}
