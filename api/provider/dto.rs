//! The provider profile as the API shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::activities::dto::CreditType;

/// Who accredits a provider for which credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Accreditor {
    /// Accreditation Council for Continuing Medical Education (AMA PRA Category 1, MOC).
    Accme,
    /// Joint Accreditation for Interprofessional Continuing Education (ACCME, ACPE, ANCC, IPCE).
    JointAccreditation,
    /// American Nurses Credentialing Center.
    Ancc,
    /// Accreditation Council for Pharmacy Education.
    Acpe,
    /// American Academy of PAs.
    Aapa,
}

/// One accreditation the provider holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Accreditation {
    pub accreditor: Accreditor,
    /// The provider number the accreditor assigned (ACCME provider ID, ACPE provider number...).
    #[serde(default)]
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "0000123")]
    pub provider_number: Option<String>,
    /// The accreditation statement in the accreditor's wording; empty: the standard wording.
    #[serde(default)]
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub statement: Option<String>,
}

/// A designation statement in the provider's own wording for one credit type (`{maximum}` is
/// replaced by the amount, `{unit}` by the unit, `{noun}` by "live activity", "enduring
/// material" or "regularly scheduled series session").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct DesignationWording {
    pub credit_type: CreditType,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub statement: String,
}

/// What an administrator writes about the provider (`PUT /v1/provider`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "legal_name": "Riverside University School of Medicine, Office of Continuing Education",
    "address": "100 University Ave, Springfield, IL 62701",
    "accreditations": [
        {"accreditor": "joint_accreditation", "provider_number": "JA0000123"},
        {"accreditor": "acpe", "provider_number": "0197"}
    ],
    "designation_wording": [],
    "joint_providership_statement": null,
    "signatory_name": "Dana Lee, MD",
    "signatory_title": "Director, Continuing Education",
    "logo_url": null,
    "email": "ce@riverside.example.org",
    "cebroker_provider_number": "50-12345"
}))]
pub struct ProviderInput {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub legal_name: String,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub address: String,
    #[serde(default)]
    #[validate(length(max = 10), nested)]
    #[schema(max_items = 10)]
    pub accreditations: Vec<Accreditation>,
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub designation_wording: Vec<DesignationWording>,
    /// Printed on certificates of jointly provided activities.
    #[serde(default)]
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub joint_providership_statement: Option<String>,
    #[serde(default)]
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub signatory_name: Option<String>,
    #[serde(default)]
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub signatory_title: Option<String>,
    /// An https URL of the logo certificates show.
    #[serde(default)]
    #[validate(length(min = 1, max = 1000), url)]
    #[schema(min_length = 1, max_length = 1000, format = "uri")]
    pub logo_url: Option<String>,
    #[serde(default)]
    #[validate(email)]
    #[schema(format = Email)]
    pub email: Option<String>,
    /// CE Broker's provider tracking number (`50-` and digits), for rosters.
    #[serde(default)]
    #[validate(custom(function = "crate::reporting::rules::cebroker_provider_number"))]
    #[schema(pattern = "^50-[0-9]{1,12}$", example = "50-12345")]
    pub cebroker_provider_number: Option<String>,
}

/// The provider profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Provider {
    #[serde(flatten)]
    pub details: ProviderInput,
    /// False until an administrator first saves the profile (the settings stand in until then).
    pub configured: bool,
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
}
