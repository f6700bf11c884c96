//! Request and response bodies of the credential endpoints.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// An award's Open Badges 3.0 credential: the VC-JWT to hand to a wallet, and what it says.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedCredential {
    pub claim_id: String,
    /// The credential's `id` (`urn:uuid:...`), also the JWT's `jti`.
    #[schema(example = "urn:uuid:0193f1a4-6c1e-7cc2-9f1c-5a0d2e7b9a41")]
    pub credential_id: String,
    /// The signed credential, a compact JWS (OB 3.0 JSON Web Token proof format).
    #[schema(
        example = "eyJhbGciOiJFZERTQSIsImtpZCI6Imh0dHBzOi8vY2UuZXhhbXBsZS5lZHUvLndlbGwta25vd24vandrcy5qc29uI2tQcksiLCJ0eXAiOiJKV1QifQ.e30.c2ln"
    )]
    pub jwt: String,
    /// The JWT's payload: the credential with its `iss`, `jti`, `nbf` and `sub` claims.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// Whether its revocation bit is set (the claim was revoked or amended).
    pub revoked: bool,
}

/// A credential to check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"credential": "eyJhbGciOiJFZERTQSIsImtpZCI6Imh0dHBzOi8vY2UuZXhhbXBsZS5lZHUvLndlbGwta25vd24vandrcy5qc29uI2tQcksiLCJ0eXAiOiJKV1QifQ.e30.c2ln"}))]
pub struct VerificationRequest {
    /// A VC-JWT (compact JWS) this service issued.
    #[validate(length(min = 1, max = 65536))]
    #[schema(min_length = 1, max_length = 65536)]
    pub credential: String,
}

/// The verdict on a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationResult {
    /// Signed by this issuer's key, well formed, within its dates, not revoked.
    Valid,
    /// A check failed (see `checks`): the credential proves nothing.
    Invalid,
    /// Authentic, but the issuer revoked it (the credit was revoked or amended).
    Revoked,
}

/// One check, in the order they are made: `format`, `issuer_key`, `signature`, `context`,
/// `type`, `claims`, `issuer`, `dates`, `status`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerificationCheck {
    #[schema(example = "signature")]
    pub check: String,
    pub passed: bool,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"result": "revoked", "checks": [
    {"check": "format", "passed": true}, {"check": "issuer_key", "passed": true},
    {"check": "signature", "passed": true}, {"check": "context", "passed": true},
    {"check": "type", "passed": true}, {"check": "claims", "passed": true},
    {"check": "dates", "passed": true},
    {"check": "status", "passed": false, "problem": "revoked by the issuer"}
]}))]
pub struct CredentialVerification {
    pub result: VerificationResult,
    pub checks: Vec<VerificationCheck>,
    /// The payload, once its signature held.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub credential: Option<serde_json::Value>,
}

/// The algorithm a credential (or status list) is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum CredentialAlgorithm {
    /// Ed25519, the default.
    #[default]
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// RSA (2048 bits), the algorithm Open Badges 3.0 requires every verifier to support.
    #[serde(rename = "RS256")]
    Rs256,
}

impl CredentialAlgorithm {
    pub fn signing(self) -> crate::auth::keys::SigningAlgorithm {
        match self {
            CredentialAlgorithm::EdDsa => crate::auth::keys::SigningAlgorithm::EdDsa,
            CredentialAlgorithm::Rs256 => crate::auth::keys::SigningAlgorithm::Rs256,
        }
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SigningQuery {
    /// `EdDSA` (default) or `RS256`.
    #[param(inline)]
    pub alg: Option<CredentialAlgorithm>,
}
