//! Reporting to the boards as the API shows it: items (what a destination must receive, by
//! when), batches (a frozen file of items) and the destinations' answers.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::{activities::dto::CreditType, credits::Credits};

/// Where an award is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// ACCME PARS activity records: every activity designated for AMA PRA Category 1 Credit.
    ParsActivity,
    /// ACCME PARS learner records: MOC points for the certifying boards.
    ParsLearner,
    /// NABP CPE Monitor: ACPE credit of pharmacists and pharmacy technicians.
    CpeMonitor,
    /// CE Broker: completions of licensees in the states that use it (Florida...).
    CeBroker,
}

impl Destination {
    pub const ALL: [Destination; 4] =
        [Destination::ParsActivity, Destination::ParsLearner, Destination::CpeMonitor, Destination::CeBroker];
}

/// What an item asks of the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemAction {
    /// Report the award.
    Add,
    /// Take back a record already sent (a revocation, or the old side of an amendment).
    Delete,
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// To be sent (again, after a rejection: `rejection` says why).
    Due,
    /// In a batch not yet submitted.
    InBatch,
    /// Sent; the destination's answer is awaited.
    Submitted,
    Accepted,
    /// Revoked or amended before it was sent: nothing to send any more.
    Superseded,
}

/// One thing a destination must receive, and by when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportingItem {
    pub id: String,
    pub destination: Destination,
    pub action: ItemAction,
    pub status: ItemStatus,
    /// The last day the destination accepts it on time.
    pub due_on: NaiveDate,
    /// The award it reports (none for a PARS activity record).
    pub claim_id: Option<String>,
    pub activity_id: String,
    /// The learner (none for a PARS activity record).
    pub user_id: Option<String>,
    /// The credit reported (a PARS activity record: AMA PRA Category 1 and its maximum).
    pub credit_type: CreditType,
    #[schema(value_type = f64, example = 1.5)]
    pub amount: Credits,
    /// The participation date the destination receives (the activity's local date; a PARS
    /// activity record: the day the activity ends, or an enduring material's release).
    pub completion_date: NaiveDate,
    pub moc_board: Option<String>,
    /// CE Broker: the state board that receives it.
    pub license_state: Option<String>,
    /// A delete: the item it takes back.
    pub correction_of: Option<String>,
    /// Why the last batch could not take it (fix the record, then batch it again).
    pub hold_reason: Option<String>,
    /// What the destination said when it last rejected the item.
    pub rejection: Option<String>,
    pub batch_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where an award stands with one destination (on transcripts and in the credit feed).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportingState {
    pub destination: Destination,
    pub action: ItemAction,
    pub status: ItemStatus,
    pub due_on: NaiveDate,
    /// CE Broker: the state board.
    pub license_state: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    pub destination: Option<Destination>,
    pub status: Option<ItemStatus>,
    /// Items due on or before this day.
    pub due_before: Option<NaiveDate>,
    pub activity_id: Option<String>,
    pub batch_id: Option<String>,
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One destination's deadlines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DestinationDeadlines {
    pub destination: Destination,
    /// Not yet submitted and past their due date.
    pub overdue: i64,
    pub due_today: i64,
    /// Due in the next seven days (after today).
    pub due_this_week: i64,
    pub due_later: i64,
    /// Due items the last batch held back (a learner's missing identifier...).
    pub held: i64,
    /// Due again after the destination rejected them.
    pub rejected: i64,
    /// Submitted, answer awaited.
    pub awaiting_answer: i64,
}

/// The CE office's dashboard: what is due, per destination.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deadlines {
    /// The day the counts are for (UTC).
    pub today: NaiveDate,
    pub destinations: Vec<DestinationDeadlines>,
}

/// Freeze a batch: the items given, or every due item of the destination.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"destination": "cpe_monitor"}))]
pub struct BatchRequest {
    pub destination: Destination,
    /// The items to send; absent: every due item of the destination (that the caller may
    /// report).
    #[serde(default)]
    #[validate(length(min = 1, max = 50000))]
    #[schema(min_items = 1, max_items = 50000)]
    pub item_ids: Option<Vec<String>>,
    /// With no `item_ids`: only the items due on or before this day.
    #[serde(default)]
    pub due_before: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// The file is ready to download and send.
    Built,
    /// Being sent to the destination's web service.
    Sending,
    /// Sent; answers awaited.
    Submitted,
    /// Every item answered.
    Completed,
}

/// An item a batch could not take, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeldItem {
    pub item_id: String,
    pub reason: String,
}

/// A frozen set of items and the file rendered for them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Batch {
    pub id: String,
    pub destination: Destination,
    pub status: BatchStatus,
    pub item_count: i32,
    pub file_name: String,
    pub media_type: String,
    pub accepted: i64,
    pub rejected: i64,
    /// Only in the answer that builds the batch: the items left out, each with its reason
    /// (they stay due with `hold_reason`).
    pub held_back: Vec<HeldItem>,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// What the destination's web service said of the batch, or why sending it failed.
    pub service_message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    Rejected,
}

/// What the destination answered for one item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ItemResult {
    pub item_id: String,
    pub outcome: Outcome,
    /// The destination's message (required for a rejection).
    #[serde(default)]
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub message: Option<String>,
}

/// The destination's answers for items of a submitted batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"results": [
    {"item_id": "01938f5e-8a4b-7c3d-9e2f-0a1b2c3d4e5f", "outcome": "accepted"},
    {"item_id": "01938f5e-8a4b-7c3d-9e2f-0a1b2c3d4e60", "outcome": "rejected",
     "message": "e-Profile ID and birth date do not match"}
]}))]
pub struct ResultsRequest {
    #[validate(length(min = 1, max = 50000), nested)]
    #[schema(min_items = 1, max_items = 50000)]
    pub results: Vec<ItemResult>,
}
