//! Request and response bodies of activities and their sessions.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::{credits::Credits, users::dto::Profession};

/// ACCME/PARS activity formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityFormat {
    /// Course, live in person or live-streamed.
    Course,
    /// Regularly scheduled series (grand rounds, tumor boards, M&M).
    Rss,
    InternetLive,
    /// Enduring material (online, video, audio, print).
    Enduring,
    Journal,
    TestItemWriting,
    ManuscriptReview,
    LearningFromTeaching,
    InternetSearching,
    PerformanceImprovement,
    Other,
}

impl ActivityFormat {
    /// Formats that happen at a time: they need `starts_at` and `ends_at`.
    pub fn is_live(self) -> bool {
        matches!(self, ActivityFormat::Course | ActivityFormat::Rss | ActivityFormat::InternetLive)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    InPerson,
    LiveStream,
    Hybrid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Online,
    Video,
    Audio,
    Print,
}

/// Life cycle: draft → published → closed → archived; cancelled from draft or published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    Draft,
    Published,
    Closed,
    Archived,
    Cancelled,
}

/// Credit and contact-hour types (see the domain notes for each type's rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreditType {
    /// AMA PRA Category 1 Credit™.
    #[serde(rename = "ama_pra_1")]
    AmaPra1,
    /// ANCC nursing contact hours.
    Ancc,
    /// ACPE pharmacy contact hours (needs the activity's UAN).
    Acpe,
    /// AAPA Category 1 CME.
    #[serde(rename = "aapa_1")]
    Aapa1,
    /// IPCE credit (Joint Accreditation, team-based activities).
    Ipce,
    AbimMoc,
    AbaMoc,
    AbpMoc,
    AbpathMoc,
    AbsMoc,
    AbohnsMoc,
    AbtsMoc,
    AbosMoc,
    Other,
}

impl CreditType {
    /// A certifying board's MOC points (reported with AMA PRA Category 1 credit).
    pub fn is_moc(self) -> bool {
        matches!(
            self,
            CreditType::AbimMoc
                | CreditType::AbaMoc
                | CreditType::AbpMoc
                | CreditType::AbpathMoc
                | CreditType::AbsMoc
                | CreditType::AbohnsMoc
                | CreditType::AbtsMoc
                | CreditType::AbosMoc
        )
    }
}

/// Moore's outcome levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum OutcomeLevel {
    #[serde(rename = "1")]
    Participation,
    #[serde(rename = "2")]
    Satisfaction,
    #[serde(rename = "3a")]
    DeclarativeKnowledge,
    #[serde(rename = "3b")]
    ProceduralKnowledge,
    #[serde(rename = "4")]
    Competence,
    #[serde(rename = "5")]
    Performance,
    #[serde(rename = "6")]
    PatientHealth,
    #[serde(rename = "7")]
    CommunityHealth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    Planner,
    Faculty,
    Reviewer,
}

/// The credit an activity offers in one type, set before the activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreditDesignation {
    pub credit_type: CreditType,
    /// Maximum credits or hours, in 0.25 steps. For a regularly scheduled series, the
    /// maximum per session.
    #[schema(value_type = f64, example = 1.5, minimum = 0.25, maximum = 1000, multiple_of = 0.25)]
    pub max_amount: Credits,
    /// ACPE Universal Activity Number `PPPP-JJJJ-YY-SSS-XTT-A` (X: L live, H home study,
    /// B blended; A: P pharmacist, T technician). Required for `acpe`.
    #[serde(default)]
    #[schema(
        example = "0197-0000-26-001-L01-P",
        pattern = "^[0-9]{4}-[0-9]{4}-[0-9]{2}-[0-9]{3}-[LHB][0-9]{2}-[PT]$"
    )]
    pub acpe_uan: Option<String>,
    /// Professions eligible for this credit; empty means the type's usual ones.
    #[serde(default)]
    #[validate(length(max = 10))]
    #[schema(max_items = 10)]
    pub eligible_professions: Vec<Profession>,
    /// ABIM MOC only: the kinds of points the activity is registered for (at least one before
    /// publishing); each claim names one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[validate(length(max = 3))]
    #[schema(max_items = 3)]
    pub moc_credit_types: Vec<MocCreditType>,
}

/// The kinds of MOC points ABIM counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MocCreditType {
    MedicalKnowledge,
    PracticeAssessment,
    PatientSafety,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// In minor units (cents).
    #[validate(range(min = 0, max = 100_000_000))]
    #[schema(minimum = 0, maximum = 100_000_000, example = 15000)]
    pub amount_minor: i64,
    /// ISO 4217 code.
    #[validate(length(equal = 3))]
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

/// The educational needs behind the practice gap.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct EducationalNeeds {
    #[serde(default)]
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub knowledge: Option<String>,
    #[serde(default)]
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub competence: Option<String>,
    #[serde(default)]
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub performance: Option<String>,
}

/// A financial relationship with an ineligible company (maker or marketer of health care
/// products) in the past 24 months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct FinancialRelationship {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Acme Pharma")]
    pub company: String,
    /// Nature of the relationship (consultant, speakers' bureau, research grant...).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Consultant")]
    pub nature: String,
}

/// A person's disclosure, and the provider's decision on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// When the person disclosed; disclosures older than 12 months must be renewed.
    pub disclosed_on: NaiveDate,
    /// `false` is the explicit "none".
    pub has_relationships: bool,
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub relationships: Vec<FinancialRelationship>,
    /// The provider's decision whether the relationships are relevant to the content.
    #[serde(default)]
    pub relevant: Option<bool>,
    /// How relevant relationships were mitigated (e.g. peer review of content).
    #[serde(default)]
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub mitigation: Option<String>,
}

/// A planner, faculty member or reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ActivityPerson {
    pub role: PersonRole,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Dr. Ana Silva")]
    pub name: String,
    /// Their account, when they have one (planners with an account may edit the activity).
    #[serde(default)]
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: Option<String>,
    /// Their profession (IPCE needs a planning team of at least two).
    #[serde(default)]
    pub profession: Option<Profession>,
    #[serde(default)]
    #[validate(nested)]
    pub disclosure: Option<Disclosure>,
}

/// Commercial support from an ineligible company (disclosed to learners).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CommercialSupport {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub supporter: String,
    #[serde(default)]
    #[validate(range(min = 0, max = 1_000_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub amount_minor: Option<i64>,
    #[serde(default)]
    #[validate(length(equal = 3))]
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    #[serde(default)]
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub in_kind_description: Option<String>,
    /// Date of the written agreement.
    pub agreement_date: NaiveDate,
}

/// What a learner must do to complete the activity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CompletionRequirements {
    /// Share of the scheduled time a learner must attend, in percent.
    #[serde(default)]
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub min_attendance_percent: Option<u8>,
    /// Minutes of participation (enduring materials).
    #[serde(default)]
    #[validate(range(min = 1, max = 100_000))]
    #[schema(minimum = 1, maximum = 100_000)]
    pub min_minutes: Option<u32>,
    #[serde(default)]
    pub evaluation_required: bool,
    /// Passing score of the post-test, in percent.
    #[serde(default)]
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub post_test_passing_score: Option<u8>,
}

/// How presence at sessions is established. By default a check-in (from 15 minutes before the
/// start) records that the learner came, counted from the start or from a late arrival; the
/// time counts once the learner checks out with the end-of-session code or a planner confirms
/// the roster after the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendancePolicy {
    /// A check-in alone counts the learner present until the session ends (time still counts
    /// only as it passes).
    #[serde(default)]
    pub check_in_counts_to_end: bool,
    /// Whether people not enrolled may check in with a session's code and be enrolled on the
    /// spot. Unset: yes for a regularly scheduled series (grand rounds are mostly walk-ins),
    /// no otherwise.
    #[serde(default)]
    pub walk_ins: Option<bool>,
}

impl AttendancePolicy {
    pub fn allows_walk_ins(&self, format: ActivityFormat) -> bool {
        self.walk_ins.unwrap_or(format == ActivityFormat::Rss)
    }
}

/// Everything a planner writes about an activity. The body of `POST /v1/activities`; a
/// `PATCH` is a JSON Merge Patch of this document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[serde(default)]
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub summary: Option<String>,
    #[serde(default)]
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    pub format: ActivityFormat,
    /// Courses: how it is delivered.
    #[serde(default)]
    pub delivery: Option<Delivery>,
    /// Enduring materials: the medium.
    #[serde(default)]
    pub medium: Option<Medium>,
    /// IANA time zone of the activity (completion dates are calendar dates there).
    #[validate(length(min = 1, max = 64))]
    #[schema(
        example = "America/New_York",
        min_length = 1,
        max_length = 64,
        pattern = "^[A-Za-z][A-Za-z0-9_+/-]*$"
    )]
    pub time_zone: String,
    /// Live formats: start and end.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Enduring materials: release and expiry (at most 3 years apart).
    #[serde(default)]
    pub release_date: Option<NaiveDate>,
    #[serde(default)]
    pub expiry_date: Option<NaiveDate>,
    #[serde(default)]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub location: Option<String>,
    #[serde(default)]
    #[validate(url, length(max = 2000))]
    #[schema(format = "uri", max_length = 2000)]
    pub join_url: Option<String>,
    /// Seats; none means unlimited.
    #[serde(default)]
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub registration_opens_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub registration_closes_at: Option<DateTime<Utc>>,
    #[serde(default)]
    #[validate(nested)]
    pub fee: Option<Fee>,
    /// Specialty codes (`GET /v1/specialties`).
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub specialties: Vec<String>,
    /// Topic codes (`GET /v1/topics`).
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub topics: Vec<String>,
    #[serde(default)]
    #[validate(length(max = 10))]
    #[schema(max_items = 10)]
    pub target_professions: Vec<Profession>,
    /// The professional practice gap the activity addresses.
    #[serde(default)]
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000)]
    pub practice_gap: Option<String>,
    #[serde(default)]
    #[validate(nested)]
    pub educational_needs: EducationalNeeds,
    /// In order.
    #[serde(default)]
    #[validate(length(max = 30), custom(function = "crate::activities::rules::objectives"))]
    #[schema(max_items = 30)]
    pub learning_objectives: Vec<String>,
    /// The Moore levels the activity intends to measure.
    #[serde(default)]
    #[validate(length(max = 8))]
    #[schema(max_items = 8)]
    pub outcome_levels: Vec<OutcomeLevel>,
    #[serde(default)]
    #[validate(length(max = 20), custom(function = "crate::activities::rules::names"))]
    #[schema(max_items = 20)]
    pub joint_providers: Vec<String>,
    #[serde(default)]
    #[validate(length(max = 14), nested)]
    #[schema(max_items = 14)]
    pub credit_designations: Vec<CreditDesignation>,
    /// Planners, faculty and reviewers, each with a disclosure.
    #[serde(default)]
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub people: Vec<ActivityPerson>,
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub commercial_support: Vec<CommercialSupport>,
    /// The non-accredited organization this activity is jointly provided with, if any: its
    /// certificates then carry the joint-providership statement.
    #[serde(default)]
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub jointly_provided_with: Option<String>,
    #[serde(default)]
    #[validate(nested)]
    pub completion_requirements: CompletionRequirements,
    /// How presence at sessions is established (live activities and series).
    #[serde(default)]
    pub attendance: AttendancePolicy,
    /// Last day to claim credit; default one year after the activity ends.
    #[serde(default)]
    pub claim_deadline: Option<NaiveDate>,
    /// Whether credit claims are awarded at once or wait for a planner's approval.
    #[serde(default)]
    pub credit_review: CreditReview,
    /// Whether integration clients with `credits:write` may file claims for its enrolled
    /// learners (the hospital LMS collected each learner's attestation); the same rules apply.
    #[serde(default)]
    pub lms_reported_claims: bool,
    /// What the boards ask of the activity beyond its description.
    #[serde(default)]
    #[validate(nested)]
    pub reporting: ActivityReporting,
}

/// A REMS (Risk Evaluation and Mitigation Strategy) program an activity is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rems {
    OpioidAnalgesic,
    Mycophenolate,
}

/// What the reporting destinations ask of an activity: its numbers there (PARS issues the
/// ACCME activity ID when the activity is entered; CE Broker numbers approved courses), where
/// an in-person activity took place as PARS records it, MOC practice areas and REMS.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ActivityReporting {
    /// The ACCME activity ID (9 digits), for PARS learner records.
    #[serde(default)]
    #[validate(custom(function = "crate::reporting::rules::accme_activity_id"))]
    #[schema(pattern = "^[0-9]{9}$", example = "201234567")]
    pub accme_activity_id: Option<String>,
    /// CE Broker's course tracking number (`20-` and digits), for rosters.
    #[serde(default)]
    #[validate(custom(function = "crate::reporting::rules::cebroker_course_number"))]
    #[schema(pattern = "^20-[0-9]{1,12}$", example = "20-678901")]
    pub cebroker_course_number: Option<String>,
    /// In-person activities: the city, the US state (2 letters, or the province) and the
    /// country (ISO 3166 alpha-3) PARS records.
    #[serde(default)]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "Springfield")]
    pub city: Option<String>,
    #[serde(default)]
    #[validate(length(min = 2, max = 50))]
    #[schema(min_length = 2, max_length = 50, example = "IL")]
    pub state_or_province: Option<String>,
    #[serde(default)]
    #[validate(custom(function = "crate::reporting::rules::country"))]
    #[schema(pattern = "^[A-Z]{3}$", example = "USA")]
    pub country: Option<String>,
    /// MOC: the practice areas the activity is registered for with the boards.
    #[serde(default)]
    #[validate(length(max = 10))]
    #[schema(max_items = 10)]
    pub moc_practice_areas: Vec<String>,
    #[serde(default)]
    pub rems: Option<Rems>,
}

/// How an activity's credit claims are decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreditReview {
    /// A claim that passes every rule is awarded at once.
    #[default]
    Automatic,
    /// Claims wait, `pending`, for a planner or administrator to approve or reject them.
    Required,
}

/// An activity as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Activity {
    pub id: String,
    pub status: ActivityStatus,
    #[serde(flatten)]
    pub details: ActivityInput,
    /// The claim deadline in force (the one given, or one year after the activity ends).
    pub effective_claim_deadline: Option<NaiveDate>,
    pub created_by: String,
    /// Increases on every change; also the `ETag`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// An activity as the catalog lists it by default: what a learner chooses by, well under a
/// kilobyte. `GET /v1/activities/{activity_id}` (or `view=full`) has the whole document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivitySummary {
    #[serde(flatten)]
    #[schema(inline)]
    pub listing: ActivityListing,
    /// Seats still free (`capacity` minus registered and completed enrollments); `null` when
    /// seats are unlimited.
    pub seats_left: Option<i64>,
}

/// The summary's fields that change only when the activity does (stored, rendered, beside the
/// document; `seats_left` is added as each page is written).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivityListing {
    pub id: String,
    pub status: ActivityStatus,
    pub title: String,
    pub summary: Option<String>,
    pub format: ActivityFormat,
    pub delivery: Option<Delivery>,
    pub medium: Option<Medium>,
    pub time_zone: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub release_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub location: Option<String>,
    /// The credit offered: each type with its maximum.
    pub credits: Vec<CreditMaximum>,
    pub specialties: Vec<String>,
    pub topics: Vec<String>,
    pub target_professions: Vec<Profession>,
    pub fee: Option<Fee>,
    /// Seats; `null` means unlimited.
    pub capacity: Option<u32>,
    /// Increases on every change (the single activity's `ETag`).
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// One credit type an activity offers and its maximum.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreditMaximum {
    pub credit_type: CreditType,
    #[schema(value_type = f64, example = 3.5)]
    pub max_amount: Credits,
}

/// A catalog page: summaries by default, whole documents with `view=full` (the document's
/// description; pages are written from stored views, not from this type).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum CatalogPage {
    Summaries(crate::http::pagination::Page<ActivitySummary>),
    Documents(crate::http::pagination::Page<Activity>),
}

/// What each item of a catalog page holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityView {
    /// `ActivitySummary` items (the default).
    #[default]
    Summary,
    /// Whole `Activity` documents (what an LMS syncing with `updated_since` wants).
    Full,
}

/// Filters of `GET /v1/activities`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityListQuery {
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub format: Option<ActivityFormat>,
    /// Planners and administrators only; others always see published activities.
    pub status: Option<ActivityStatus>,
    /// Specialty code.
    pub specialty: Option<String>,
    pub profession: Option<Profession>,
    pub credit_type: Option<CreditType>,
    /// Starts (or is released) at or after this instant.
    pub starts_after: Option<DateTime<Utc>>,
    /// Starts (or is released) before this instant.
    pub starts_before: Option<DateTime<Utc>>,
    /// Words of the title (case-insensitive).
    pub q: Option<String>,
    /// Only activities changed at or after this instant, oldest change first (LMS polling).
    pub updated_since: Option<DateTime<Utc>>,
    /// `summary` (default): `ActivitySummary` items; `full`: whole `Activity` documents.
    #[param(inline)]
    pub view: Option<ActivityView>,
}

/// A session of a series or multi-session course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Grand Rounds: Sepsis bundles revisited",
    "starts_at": "2030-03-06T12:00:00Z",
    "ends_at": "2030-03-06T13:00:00Z",
    "location": "Auditorium B",
    "presenters": ["Dr. Ana Silva"],
    "credit_amount": 1.0
}))]
pub struct SessionInput {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub location: Option<String>,
    #[serde(default)]
    #[validate(length(max = 20), custom(function = "crate::activities::rules::names"))]
    #[schema(max_items = 20)]
    pub presenters: Vec<String>,
    /// Credit for attending this session, in 0.25 steps.
    #[serde(default)]
    #[schema(value_type = Option<f64>, minimum = 0.25, maximum = 100, multiple_of = 0.25)]
    pub credit_amount: Option<Credits>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub activity_id: String,
    #[serde(flatten)]
    pub details: SessionInput,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What learners must be told before the activity (ACCME Standards 3-5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DisclosureSummary {
    pub activity_id: String,
    pub title: String,
    pub people: Vec<DisclosedPerson>,
    pub commercial_support: Vec<CommercialSupport>,
    /// The statement to show learners.
    pub statement: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DisclosedPerson {
    pub name: String,
    pub role: PersonRole,
    /// Empty when the person has no relationships.
    pub relationships: Vec<FinancialRelationship>,
    /// Whether relevant relationships were mitigated; `null` when there were none.
    pub mitigated: Option<bool>,
}

/// An entry of a controlled vocabulary.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Term {
    #[schema(example = "cardiology")]
    pub code: String,
    #[schema(example = "Cardiovascular Disease")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "internal_medicine")]
    pub parent_code: Option<String>,
}
