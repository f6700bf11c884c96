//! Request and response bodies of the user resources (`/v1/me`, `/v1/users`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::{auth::Role, http::json::nullable, users::rules};

/// A learner's profession, which decides which credit types they may claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Profession {
    Physician,
    Nurse,
    Pharmacist,
    PharmacyTechnician,
    PhysicianAssistant,
    NursePractitioner,
    Psychologist,
    SocialWorker,
    Dietitian,
    Other,
}

impl Profession {
    pub fn as_str(self) -> &'static str {
        match self {
            Profession::Physician => "physician",
            Profession::Nurse => "nurse",
            Profession::Pharmacist => "pharmacist",
            Profession::PharmacyTechnician => "pharmacy_technician",
            Profession::PhysicianAssistant => "physician_assistant",
            Profession::NursePractitioner => "nurse_practitioner",
            Profession::Psychologist => "psychologist",
            Profession::SocialWorker => "social_worker",
            Profession::Dietitian => "dietitian",
            Profession::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Option<Profession> {
        serde_json::from_value(serde_json::Value::String(value.to_string())).ok()
    }
}

/// A state license (what CE Broker and state boards match completions on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct StateLicense {
    /// Two-letter US state or territory code.
    #[validate(custom(function = "rules::license_state"))]
    #[schema(example = "NY", min_length = 2, max_length = 2)]
    pub state: String,
    /// License type as the board names it (RN, MD, RPh...).
    #[validate(length(min = 1, max = 40))]
    #[schema(example = "RN", min_length = 1, max_length = 40)]
    pub license_type: String,
    #[validate(length(min = 1, max = 40), custom(function = "rules::license_number"))]
    #[schema(example = "123456", min_length = 1, max_length = 40, pattern = "^[A-Za-z0-9./ -]+$")]
    pub license_number: String,
    #[serde(default)]
    #[schema(example = "2027-06-30")]
    pub expires_on: Option<NaiveDate>,
}

/// A person's account and learner record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    #[schema(example = "0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41")]
    pub id: String,
    #[schema(example = "dana.reyes@example.org")]
    pub email: String,
    #[schema(example = "Dana")]
    pub first_name: String,
    #[schema(example = "Reyes")]
    pub last_name: String,
    pub role: Role,
    pub active: bool,
    pub profession: Option<Profession>,
    #[schema(example = "RN")]
    pub degree: Option<String>,
    #[schema(example = "1234567893")]
    pub npi: Option<String>,
    #[schema(example = "1234567")]
    pub nabp_eprofile_id: Option<String>,
    /// Birth month and day, `MMDD` (no year).
    #[schema(example = "0714")]
    pub birth_mmdd: Option<String>,
    /// Certifying-board IDs by board code (`abim`, `aba`, `abp`, ...).
    #[schema(example = json!({"abim": "123456"}))]
    pub board_ids: BTreeMap<String, String>,
    pub state_licenses: Vec<StateLicense>,
    /// Permission to report completions to certifying boards and state licensing bodies.
    pub consent_to_report: bool,
    /// The person's id in the program's own systems (set by admins; LMS matching).
    pub external_id: Option<String>,
    /// Whether the person proved they receive mail at `email` (self-signups follow the link
    /// mailed to them; accounts the program creates are trusted). Unverified learners cannot
    /// claim credit unless the service is configured otherwise.
    pub email_verified: bool,
    /// Increases on every change; also the `ETag`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Self-signup of a learner. Further profile fields are set with `PATCH /v1/me`.
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "dana.reyes@example.org",
    "password": "correct horse battery staple",
    "first_name": "Dana",
    "last_name": "Reyes",
    "profession": "nurse"
}))]
pub struct RegisterRequest {
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    /// At least 12 characters.
    #[validate(length(min = 12, max = 128))]
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
    #[validate(length(min = 1, max = 100), custom(function = "rules::name"))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub first_name: String,
    #[validate(length(min = 1, max = 100), custom(function = "rules::name"))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub last_name: String,
    #[serde(default)]
    pub profession: Option<Profession>,
}

/// An account created by an administrator (any role; a password is optional).
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "sam.okafor@example.org",
    "password": "a long planner passphrase",
    "first_name": "Sam",
    "last_name": "Okafor",
    "role": "planner"
}))]
pub struct CreateUserRequest {
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    /// Without one, the account cannot log in with a password.
    #[serde(default)]
    #[validate(length(min = 12, max = 128))]
    #[schema(min_length = 12, max_length = 128)]
    pub password: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "rules::name"))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub first_name: String,
    #[validate(length(min = 1, max = 100), custom(function = "rules::name"))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub last_name: String,
    #[serde(default = "default_role")]
    pub role: Role,
    #[serde(default)]
    pub profession: Option<Profession>,
    #[serde(default)]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub external_id: Option<String>,
}

fn default_role() -> Role {
    Role::Learner
}

/// Declares a merge-patch body with the learner-record fields, plus `$extra` fields.
macro_rules! profile_patch {
    ($(#[$meta:meta])* pub struct $name:ident { $($extra:tt)* }) => {
        #[derive(Debug, Clone, Default, Deserialize, ToSchema, Validate)]
        #[serde(deny_unknown_fields)]
        $(#[$meta])*
        pub struct $name {
            $($extra)*
            #[serde(default)]
            #[validate(length(min = 1, max = 100), custom(function = "rules::name"))]
            #[schema(min_length = 1, max_length = 100, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$")]
            pub first_name: Option<String>,
            #[serde(default)]
            #[validate(length(min = 1, max = 100), custom(function = "rules::name"))]
            #[schema(min_length = 1, max_length = 100, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$")]
            pub last_name: Option<String>,
            #[serde(default, deserialize_with = "nullable")]
            #[schema(value_type = Option<Profession>)]
            pub profession: Option<Option<Profession>>,
            #[serde(default, deserialize_with = "nullable")]
            #[validate(length(min = 1, max = 40))]
            #[schema(value_type = Option<String>, min_length = 1, max_length = 40, example = "RN")]
            pub degree: Option<Option<String>>,
            /// 10 digits with a valid check digit.
            #[serde(default, deserialize_with = "nullable")]
            #[validate(custom(function = "rules::npi"))]
            #[schema(value_type = Option<String>, pattern = "^[0-9]{10}$", example = "1234567893")]
            pub npi: Option<Option<String>>,
            /// 6 or 7 digits.
            #[serde(default, deserialize_with = "nullable")]
            #[validate(custom(function = "rules::nabp_eprofile_id"))]
            #[schema(value_type = Option<String>, pattern = "^[0-9]{6,7}$", example = "1234567")]
            pub nabp_eprofile_id: Option<Option<String>>,
            /// `MMDD`.
            #[serde(default, deserialize_with = "nullable")]
            #[validate(custom(function = "rules::birth_mmdd"))]
            #[schema(value_type = Option<String>, pattern = "^((0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-9])|(0[13-9]|1[0-2])30|(0[13578]|1[02])31)$", example = "0714")]
            pub birth_mmdd: Option<Option<String>>,
            /// Merged into the current IDs: a board set to `null` is removed.
            #[serde(default)]
            #[validate(custom(function = "rules::board_ids"))]
            #[schema(value_type = Option<BTreeMap<String, Option<String>>>, example = json!({"abim": "123456"}))]
            pub board_ids: Option<BTreeMap<String, Option<String>>>,
            /// Replaces the whole list (`null` clears it).
            #[serde(default, deserialize_with = "nullable")]
            #[validate(length(max = 20), nested)]
            #[schema(value_type = Option<Vec<StateLicense>>, max_items = 20)]
            pub state_licenses: Option<Option<Vec<StateLicense>>>,
            #[serde(default)]
            pub consent_to_report: Option<bool>,
        }
    };
}

profile_patch! {
    /// Changes to one's own record (JSON Merge Patch). Role, status and email are not
    /// one's own to change: sending them is a 422.
    #[schema(example = json!({
        "profession": "pharmacist",
        "nabp_eprofile_id": "1234567",
        "birth_mmdd": "0714",
        "state_licenses": [{"state": "NY", "license_type": "RPh", "license_number": "045678", "expires_on": "2027-06-30"}],
        "consent_to_report": true
    }))]
    pub struct MePatch {}
}

profile_patch! {
    /// An administrator's changes to an account (JSON Merge Patch).
    #[schema(example = json!({"role": "planner", "active": true}))]
    pub struct UserPatch {
        #[serde(default)]
        #[validate(email, length(max = 254))]
        #[schema(format = "email", max_length = 254)]
        pub email: Option<String>,
        #[serde(default)]
        pub role: Option<Role>,
        #[serde(default)]
        pub active: Option<bool>,
        #[serde(default, deserialize_with = "nullable")]
        #[validate(length(min = 1, max = 100))]
        #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
        pub external_id: Option<Option<String>>,
    }
}

impl From<MePatch> for UserPatch {
    fn from(own: MePatch) -> UserPatch {
        UserPatch {
            email: None,
            role: None,
            active: None,
            external_id: None,
            first_name: own.first_name,
            last_name: own.last_name,
            profession: own.profession,
            degree: own.degree,
            npi: own.npi,
            nabp_eprofile_id: own.nabp_eprofile_id,
            birth_mmdd: own.birth_mmdd,
            board_ids: own.board_ids,
            state_licenses: own.state_licenses,
            consent_to_report: own.consent_to_report,
        }
    }
}

/// Filters of `GET /v1/users`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Exact email (case-insensitive).
    pub email: Option<String>,
    /// Exact external id: an integration client's own id for the learner (set by
    /// `PUT /v1/users/by-external-id/{external_id}`); for administrators, the program's id
    /// (`external_id` of the account).
    pub external_id: Option<String>,
    /// Exact NPI.
    pub npi: Option<String>,
    /// Only accounts changed at or after this instant, oldest change first (for sync).
    pub updated_since: Option<DateTime<Utc>>,
}

/// A learner as the LMS that manages them knows them. Absent optional fields stay as they are.
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "dana.reyes@example.org",
    "first_name": "Dana",
    "last_name": "Reyes",
    "profession": "nurse",
    "degree": "RN",
    "npi": "1234567893"
}))]
pub struct LmsLearner {
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    #[validate(length(min = 1, max = 100), custom(function = "rules::name"))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub first_name: String,
    #[validate(length(min = 1, max = 100), custom(function = "rules::name"))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub last_name: String,
    #[serde(default)]
    pub profession: Option<Profession>,
    #[serde(default)]
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40, example = "RN")]
    pub degree: Option<String>,
    /// 10 digits with a valid check digit.
    #[serde(default)]
    #[validate(custom(function = "rules::npi"))]
    #[schema(pattern = "^[0-9]{10}$", example = "1234567893")]
    pub npi: Option<String>,
}
